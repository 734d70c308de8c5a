"""Which role each route needs: declared on the route (``RequireRole``), read by the key check.

A route declares its role as a dependency; ``route_role`` finds it for a request's scope, so the
``KeyGate`` middleware checks the key and the role before the body is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute, Match

from serving.lifecycle import leased
from serving.runtime import Runtime

bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`.")


class RequireRole:
    """Dependency of a route that needs role ``name`` (or one of ``alternatives``): declares the
    bearer key in the OpenAPI spec and hands the route the runtime, leased until the route is
    done (a reload meanwhile does not close it under the request; ``serving.lifecycle``).

    The key itself is checked by the ``KeyGate`` middleware, before the body is read, with the
    role this dependency declares (``route_role``). ``async`` because it does no work: FastAPI
    would run a plain ``def`` dependency on the thread pool, one more thread hop per request.
    """

    def __init__(self, name: str, *alternatives: str) -> None:
        self.roles = (name, *alternatives)  # a key with any of them may call the route

    async def __call__(
        self, request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> AsyncIterator[Runtime]:
        with leased(lambda: request.app.state.runtime) as runtime:
            yield runtime


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The API routes among ``routes`` and the routers included in them (BentoML includes the
    service's routes as a router)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None) or getattr(route, "app", None)
        yield from _api_routes(getattr(included, "routes", ()))


def route_role(app: Any, scope: dict) -> tuple[str, ...] | None:
    """The roles the route of ``app`` matching ``scope`` admits (any one suffices); None for open
    and unknown routes."""
    for route in _api_routes(app.routes):
        if route.matches(scope)[0] is Match.FULL:
            required = (d.call for d in route.dependant.dependencies if isinstance(d.call, RequireRole))
            return next((r.roles for r in required), None)
    return None
