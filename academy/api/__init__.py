"""The REST API under /api/v1: JSON, bearer tokens, the same policy as the pages, an OpenAPI document."""
