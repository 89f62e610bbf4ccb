"""The route index picks, for every path the API serves, the route the app's own scan would."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from msgboxx.app import create_app
from msgboxx.web.routing import RouteIndex
from tests.support import test_settings

SAMPLE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _first_full_match(routes: list[BaseRoute], scope: dict[str, object]) -> BaseRoute | None:
    for route in routes:
        match, _ = route.matches(dict(scope))
        if match is Match.FULL:
            return route
    return None


def test_index__every_served_path_reaches_the_route_the_full_scan_reaches(tmp_path: Path) -> None:
    app = create_app(test_settings(tmp_path))
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = list(app.router.routes)
    checked = 0
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        path = re.sub(r"\{[^}]+\}", SAMPLE, route.path)
        for method in sorted(route.methods):
            scope = {"type": "http", "method": method, "path": path, "root_path": ""}
            segment = path.lstrip("/").split("/", 1)[0]
            candidates = index.by_segment.get(segment, index.anywhere)
            assert _first_full_match(candidates, scope) is _first_full_match(routes, scope), (
                method,
                path,
            )
            checked += 1
    assert checked > 150  # every API route, each spelling, each method
