"""The API's human-readable reference, drawn on the server from the generated OpenAPI document."""

from flask import Blueprint, current_app, jsonify, render_template

bp = Blueprint("api_docs", __name__)


def resolve(spec: dict, schema: dict | None) -> dict:
    """Follow one $ref to its schema in the document's components."""
    if schema and "$ref" in schema:
        return spec["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema or {}


@bp.get("/api/v1/openapi.json")
def openapi():
    """The OpenAPI 3 document, generated from the endpoints and their pydantic models."""
    return jsonify(current_app.api_doc)


@bp.get("/api/docs")
def reference():
    spec = current_app.api_doc
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
    return render_template("api/reference.html", spec=spec, operations=operations)
