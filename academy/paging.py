"""One page of a longer list, for the pages that show lists a page at a time (people, the audit log, the
cohort matrix)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    items: list
    number: int  # from 1
    total: int  # items in the whole list
    size: int = 50

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The place of the page's first item in the whole list, from 1."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return self.first + len(self.items) - 1 if self.items else 0


def page_of(items: list, number: int, size: int) -> Page:
    """The `number`th page of a list already in memory; a number past the end gives the last page."""
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 1), pages)
    return Page(items[(number - 1) * size : number * size], number, len(items), size)
