"""The OpenAPI document, with every error described as what it is: problem+json.

FastAPI documents only its own 422 shape; our errors all share one RFC 9457
body, so the document says so once, as each operation's ``default`` response.
Operations that need a caller say so with the bearer-token scheme, so that
``/docs`` offers "Authorize".
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from msgboxx.web.deps import principal

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEM = {
    "description": "A problem (RFC 9457): 4xx for the client's mistakes, 500 with an error id",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
BEARER = "OAuth2PasswordBearer"
BEARER_SCHEME: dict[str, Any] = {
    "type": "oauth2",
    "flows": {"password": {"scopes": {}, "tokenUrl": "/oauth/token"}},
}


def _needs_caller(dependant: Dependant) -> bool:
    return any(sub.call is principal or _needs_caller(sub) for sub in dependant.dependencies)


def _declare_bearer(app: FastAPI, document: dict[str, Any]) -> None:
    """Mark each operation whose route looks up the caller as needing a token."""
    paths = document.get("paths", {})
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not _needs_caller(route.dependant):
            continue
        operations = paths.get(context.path_format, {})
        for method in route.methods or ():
            if (operation := operations.get(method.lower())) is not None:
                operation["security"] = [{BEARER: []}]
    document["components"].setdefault("securitySchemes", {})[BEARER] = BEARER_SCHEME


def install(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        _declare_bearer(app, document)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = PROBLEM
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]
