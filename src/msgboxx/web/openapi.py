"""The OpenAPI document, written for the code generators that read it, and its pages.

FastAPI documents only its own 422 shape; our errors all share one RFC 9457
body, so each operation lists the problems it can answer with (400 unreadable
JSON, 401 no token, 404 unknown id, 413 too large, 422 invalid, and what its
route declares: 403, 409, 429, the business rules) plus a ``default``.
Operations that need a caller say so with the bearer-token scheme, so that
``/docs`` offers "Authorize". A POST that creates (201) takes an
``Idempotency-Key``; timestamps are ``date-time`` strings.

``/docs`` (Swagger UI) and ``/redoc`` load their scripts from this server, out
of the files the ``fastapi-offline`` package ships: a self-hosted install often
cannot reach a CDN, and a page that loads nothing is worse than none.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.responses import HTMLResponse

from msgboxx.core.wire import ApiModel
from msgboxx.idempotency.service import MAX_KEY_LENGTH
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
                "title": "FieldError",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM = {
    "description": (
        "A problem (RFC 9457): 4xx for the client's mistakes, 500 with an error id, "
        "503 with Retry-After when a concurrent change made the request roll back"
    ),
    "content": PROBLEM_CONTENT,
}
# What each status means when the route says nothing more particular.
PROBLEM_MEANINGS = {
    400: "The body is not valid JSON",
    401: "No access token, or an invalid or expired one",
    403: "The user's role does not allow this",
    404: "Unknown, or not visible to this user",
    409: "It would duplicate an existing record",
    413: "The body is larger than the configured limit",
    415: "The content is of a type this operation does not take",
    422: "A field is missing or invalid, or a business rule refuses the request",
    429: "Too many attempts; wait for Retry-After seconds",
}
BEARER = "OAuth2PasswordBearer"
BEARER_SCHEME: dict[str, Any] = {
    "type": "oauth2",
    "flows": {"password": {"scopes": {}, "tokenUrl": "/oauth/token"}},
}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "The same key from the same user within 24 hours answers as the first request "
        "did and changes nothing again; with a different body it is a 422 "
        "(idempotency-key-reused)."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "example": "order-42-confirmation",
}

# Where Swagger UI's and ReDoc's own files are served from.
STATIC = "/docs/static"
# The pages may load from this server only: ReDoc's bundle would still fetch its
# maker's logo from a CDN, and a browser told this never sends that request.
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'"
)
_ASSETS = resources.files("fastapi_offline") / "static"


def problems(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route's own problems: a status and what it means there."""
    return {status: {"description": text} for status, text in descriptions.items()}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """A required JSON request body of ``model``, for a route that reads its body itself."""
    _BODY_MODELS.add(model)
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
        },
    }


_BODY_MODELS: set[type[BaseModel]] = set()


def _needs_caller(dependant: Dependant) -> bool:
    return any(sub.call in _CALLERS or _needs_caller(sub) for sub in dependant.dependencies)


_CALLERS = (principal,)


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


def _is_fastapi_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _declare_problems(method: str, operation: dict[str, Any]) -> None:
    """Every problem the operation can answer with, each as problem+json."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if "422" in responses and _is_fastapi_422(responses["422"]):
        del responses["422"]
    parameters = operation.get("parameters", [])
    statuses = {int(code) for code in responses if code.startswith("4")}
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if parameters:
        statuses.add(422)
    if "security" in operation:
        statuses.add(401)
    if any(p["in"] == "path" for p in parameters) or (
        "security" in operation and method in ("post", "patch")
    ):
        statuses.add(404)  # an id in the path or the body that this user cannot see
    for status in sorted(statuses):
        given = responses.get(str(status), {})
        description = given.get("description") or PROBLEM_MEANINGS[status]
        responses[str(status)] = {"description": description, "content": PROBLEM_CONTENT}
    responses["default"] = PROBLEM


# Marks a POST that answers 200 but takes an Idempotency-Key as the creating ones do (a
# contacts import); removed from the document, where the header's declaration says it.
IDEMPOTENT = "x-msgboxx-idempotent"


def _declare_idempotency(method: str, operation: dict[str, Any]) -> None:
    marked = operation.pop(IDEMPOTENT, False)
    if method == "post" and ("201" in operation.get("responses", {}) or marked):
        operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)


def _api_models() -> list[type[ApiModel]]:
    found: list[type[ApiModel]] = []
    pending: list[type[ApiModel]] = [ApiModel]
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found


def _is_instant(annotation: Any) -> bool:
    if annotation is dt.datetime:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_instant(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_instant(arg) for arg in typing.get_args(annotation))
    return False


def _mark_instants(schemas: dict[str, Any]) -> None:
    """Timestamps render as strings through a serializer; the document says which kind."""
    by_title: dict[str, list[dict[str, Any]]] = {}
    for schema in schemas.values():
        by_title.setdefault(schema.get("title", ""), []).append(schema)
    for model in _api_models():
        for schema in by_title.get(model.__name__, []):
            properties = schema.get("properties", {})
            for name, field in model.model_fields.items():
                prop = properties.get(field.alias or name)
                if prop is None or not _is_instant(field.annotation):
                    continue
                for branch in prop.get("anyOf", [prop]):
                    if branch.get("type") == "string":
                        branch["format"] = "date-time"


def _own_files_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_POLICY
    return page


def _serve_pages(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` and ReDoc at ``/redoc``, from this server's own files."""
    app.mount(STATIC, StaticFiles(directory=str(_ASSETS)), name="docs-static")
    redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _own_files_only(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=f"{root}{redirect}",
                swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
                swagger_favicon_url=f"{root}{STATIC}/favicon.png",
                # No badge from the public validator: nothing leaves the machine.
                swagger_ui_parameters={"validatorUrl": None, "displayOperationId": True},
            )
        )

    @app.get(redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _own_files_only(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{STATIC}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{STATIC}/favicon.png",
                with_google_fonts=False,
            )
        )


def install(app: FastAPI) -> None:
    """The document and its pages; ``create_app`` turns FastAPI's CDN pages off."""

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
        for model in _BODY_MODELS:
            schemas[model.__name__] = model.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
        _declare_bearer(app, document)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for operations in document.get("paths", {}).values():
            for method, operation in operations.items():
                _declare_idempotency(method, operation)
                _declare_problems(method, operation)
        _mark_instants(schemas)
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]
    _serve_pages(app)
