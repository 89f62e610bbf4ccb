"""Routes served at singular and plural paths, with or without a trailing slash.

The original documented ``/contact`` and ``/inboxes``, ``POST /contact/`` and
``/apiaccount``; clients use every spelling, so each route answers at all of
them while the OpenAPI document lists only the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


def operation_id(route: APIRoute) -> str:
    """camelCase of the endpoint's name, for a route that does not name its operation."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


class Router(APIRouter):
    """Every router of the app: what the app would have given its routes at inclusion.

    Routes are added to the app directly (:func:`include`), so the app's own
    choices are made here: a JSON body sent without a ``Content-Type`` is read
    (the API's only body format), and an operation without an id of its own is
    named in camelCase.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("strict_content_type", False)
        kwargs.setdefault("generate_unique_id_function", operation_id)
        super().__init__(**kwargs)


class AliasedRouter(Router):
    def __init__(self, *, singular: str, plural: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._singular = singular
        self._plural = plural

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        spellings = [path]
        for a, b in ((self._singular, self._plural), (self._plural, self._singular)):
            if path == a or path.startswith(a + "/"):
                spellings.append(b + path[len(a) :])
        documented = kwargs.pop("include_in_schema", True)
        for index, spelling in enumerate(spellings):
            for variant in (spelling, spelling + "/"):
                super().add_api_route(
                    variant,
                    endpoint,
                    include_in_schema=documented and index == 0 and variant == spelling,
                    **kwargs,
                )


def include(target: APIRouter, *routers: APIRouter) -> None:
    r"""Add the routers' routes to ``target``'s own list, in order.

    FastAPI (0.165) keeps an included router as one lazy branch, and a request
    is matched through it route by route with context objects set and restored
    around each try: at the 21st router, matching ``/healthz`` took 1.3 ms, most
    of that request's time. Routes in one flat list are matched by their own
    pattern, and :class:`RouteIndex` then tries only those a path can reach.
    Routers here are :class:`Router`\ s, which give their routes what the app
    would have given them, and carry no prefix, dependency or lifespan that
    ``include_router`` would have applied.
    """
    for router in routers:
        if not isinstance(router, Router):
            raise TypeError(f"{router!r} is not a web.routing.Router")
        target.routes.extend(router.routes)


_ANY = "{"  # the index key of a route whose first segment is a parameter


def _first_segment(path: str) -> str:
    first = path.lstrip("/").split("/", 1)[0]
    return _ANY if "{" in first else first


class RouteIndex:
    """The app's routes by the first segment of their path: a request tries a handful, not all.

    Installed as the router's own entry (``router.middleware_stack``), so every
    middleware and exception handler stays around it. A request is tried
    against the routes that share its first segment (and those that start with
    a parameter), in the app's order; only what none of them fully matches (a
    404, a 405, a trailing-slash redirect) goes through the router's own scan,
    which answers those as before.
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.full_scan: ASGIApp = router.app
        keyed = [(_first_segment(getattr(route, "path", "/{}")), route) for route in router.routes]
        segments = {key for key, _ in keyed if key != _ANY}
        self.by_segment: dict[str, list[BaseRoute]] = {
            segment: [route for key, route in keyed if key in (segment, _ANY)]
            for segment in segments
        }
        self.anywhere: list[BaseRoute] = [route for key, route in keyed if key == _ANY]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            segment = get_route_path(scope).lstrip("/").split("/", 1)[0]
            for route in self.by_segment.get(segment, self.anywhere):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.full_scan(scope, receive, send)


def index(app: FastAPI) -> None:
    """Route the app's requests through a :class:`RouteIndex` of its routes, once all are added."""
    router = app.router
    if router.middleware_stack != router.app:
        raise RuntimeError("the router has middleware of its own; the index would bypass it")
    router.middleware_stack = RouteIndex(router)
