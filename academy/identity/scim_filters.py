"""SCIM filters (RFC 7644 §3.4.2.2) as SQL: the equality filters identity providers send, and no more.

Okta and Entra ID look people up by `userName eq "..."` or `externalId eq "..."`, groups by `displayName eq "..."`,
and Entra ID asks whether a group holds a member with `id eq "..." and members[value eq "..."]`. So: `eq` on the
attributes a resource type lists in its columns, joined by `and`, `or` and `not`; anything else is refused with
invalidFilter, as the RFC allows for a comparison "not supported".
"""

from collections.abc import Callable, Mapping
from typing import Any

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import CompareOperator, Comparison, FilterVisitor, LogicalOperator, ValuePath
from sqlalchemy import and_, not_, or_
from sqlalchemy.sql import ColumnElement

# (attribute, sub-attribute) -> the SQL condition that the attribute equals a value
Columns = Mapping[tuple[str, str | None], Callable[[Any], ColumnElement[bool]]]


def where(scim_filter: ScimFilter, columns: Columns) -> ColumnElement[bool]:
    """The SQL condition of a filter already parsed and checked against its resource type (SearchRequest does)."""
    return _ToSql(scim_filter, columns).visit(scim_filter.ast)


MAX_TERMS = 100  # a database refuses an expression past some size (SQLite: a depth of 1000): refused here first


class _ToSql(FilterVisitor[ColumnElement[bool]]):
    def __init__(self, scim_filter: ScimFilter, columns: Columns):
        self.filter = scim_filter
        self.columns = columns
        self.terms = 0

    def visit(self, node) -> ColumnElement[bool]:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise InvalidFilterException(detail=f"The filter has more than {MAX_TERMS} terms; ask for less at a time.")
        return super().visit(node)

    def equals(self, field: str, sub_field: str | None, value: Any, said: object) -> ColumnElement[bool]:
        condition = self.columns.get((field, sub_field))
        if condition is None:
            raise InvalidFilterException(
                detail=f"Filtering on “{said}” is not supported; try userName, externalId "
                "or id (displayName for groups)."
            )
        return condition(value)

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        if node.op != CompareOperator.eq:
            raise InvalidFilterException(detail=f"Only eq comparisons are supported, not “{node.op}”.")
        binding = self.filter.resolve_comparison(node.attr_path)
        return self.equals(binding.field_name, binding.sub_field_name, node.value, node.attr_path)

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        inner = node.val_filter
        if not (
            isinstance(inner, Comparison)
            and inner.op == CompareOperator.eq
            and inner.attr_path.attr.casefold() == "value"
            and inner.attr_path.sub_attr is None
        ):
            raise InvalidFilterException(detail=f"Only “{node.attr_path}[value eq ...]” is supported in brackets.")
        binding = self.filter.resolve(node.attr_path)
        return self.equals(binding.field_name, "value", inner.value, node)

    def visit_logical_expr(self, node) -> ColumnElement[bool]:
        join = and_ if node.op == LogicalOperator.and_ else or_
        return join(*(self.visit(term) for term in node.terms))

    def visit_not(self, node) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_present(self, node) -> ColumnElement[bool]:
        raise InvalidFilterException(detail="Presence (pr) is not supported; compare with eq.")
