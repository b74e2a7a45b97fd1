"""The API's OpenAPI document as served, and its human-readable reference drawn from it on the server."""

import copy
import functools

from flask import Blueprint, current_app, jsonify, render_template

from ..links import base_url

bp = Blueprint("api_docs", __name__)
SCHEMAS = "#/components/schemas/"


def document() -> dict:
    """flask-openapi3's document, with the servers to call and without the schemas no operation uses (it lists
    the validation-error model it adds, and the path and query models it spells out as parameters). Made once per
    app: the document depends on the code and on BASE_URL, which do not change while it runs."""
    found = current_app.extensions.get("academy.api_doc")
    if found is None:
        spec = copy.deepcopy(current_app.api_doc)
        spec["components"]["schemas"] = used_schemas(spec)
        found = current_app.extensions["academy.api_doc"] = {
            "openapi": spec.pop("openapi"),
            "info": spec.pop("info"),
            "servers": servers(),
            **spec,
        }
    return found


def servers() -> list[dict]:
    """The site's root (the paths start with /api/v1): ACADEMY_BASE_URL when it is set, else relative to
    wherever the document was fetched from."""
    if base := base_url():
        return [{"url": base, "description": "This academy"}]
    return [{"url": "/", "description": "The academy that serves this document"}]


def used_schemas(spec: dict) -> dict:
    """The component schemas reachable from the paths, directly or through other schemas."""
    schemas = spec["components"]["schemas"]
    used: set[str] = set()
    waiting = refs(spec["paths"])
    while waiting:
        name = waiting.pop()
        if name not in used and name in schemas:
            used.add(name)
            waiting |= refs(schemas[name])
    return {name: schema for name, schema in schemas.items() if name in used}


def refs(node) -> set[str]:
    """The names of the component schemas `node` refers to, at any depth."""
    if isinstance(node, list):
        return set().union(*(refs(item) for item in node))
    if not isinstance(node, dict):
        return set()
    own = {node["$ref"].removeprefix(SCHEMAS)} if isinstance(node.get("$ref"), str) else set()
    return own.union(*(refs(value) for value in node.values()))


def resolve(spec: dict, schema: dict | None) -> dict:
    """Follow one $ref to its schema in the document's components."""
    if schema and "$ref" in schema:
        return spec["components"]["schemas"].get(schema["$ref"].removeprefix(SCHEMAS), {})
    return schema or {}


def type_words(spec: dict, prop: dict) -> str:
    """A property's type as the reference page says it: "integer or null", "array of LabOut", and an enum's
    name with its codes ("LabState: not_started, submitted, ...")."""
    if "$ref" in prop:
        name = prop["$ref"].removeprefix(SCHEMAS)
        codes = spec["components"]["schemas"].get(name, {}).get("enum")
        return f"{name}: {', '.join(codes)}" if codes else name
    if "anyOf" in prop:
        return " or ".join(type_words(spec, p) for p in prop["anyOf"])
    if prop.get("enum"):
        return f"{prop.get('type', 'string')}: {', '.join(map(str, prop['enum']))}"
    if prop.get("type") == "array":
        return f"array of {type_words(spec, prop.get('items', {}))}"
    if prop.get("type") == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"object of {type_words(spec, prop['additionalProperties'])}"
    return prop.get("type", "object")


@bp.get("/api/v1/openapi.json")
def openapi():
    """The OpenAPI 3 document, generated from the endpoints and their pydantic models."""
    return jsonify(document())


@bp.get("/api/docs")
def reference():
    spec = document()
    operations = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "op": op,
                    "body": resolve(spec, body),
                    "responses": {
                        code: resolve(spec, r.get("content", {}).get("application/json", {}).get("schema"))
                        for code, r in op["responses"].items()
                    },
                }
            )
    tags = [t["name"] for t in spec.get("tags", [])]
    operations.sort(key=lambda o: (tags.index(o["op"]["tags"][0]) if o["op"].get("tags") else 99, o["path"]))
    return render_template(
        "api/reference.html", spec=spec, operations=operations, type_of=functools.partial(type_words, spec)
    )
