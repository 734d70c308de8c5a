"""ASGI middleware in front of the service's routes: JSON answers where BentoML's would not be."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse


class ReadinessProbe:
    """ASGI middleware answering ``GET /readyz`` with a JSON body (BentoML's says nothing).

    200 when the service can score, else 503; the body lists what is missing, each model's
    version and source (``registry`` or ``cache``), the serving date and the start-up notes.
    """

    def __init__(self, app: Any, routes: FastAPI) -> None:
        self.app = app
        self.routes = routes  # the FastAPI app whose ``state.runtime`` the service sets

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/readyz":
            await self.app(scope, receive, send)
            return
        runtime = getattr(self.routes.state, "runtime", None)
        body = (
            runtime.readiness()
            if runtime is not None
            else {"ready": False, "missing": ["start-up not finished"], "models": {}, "notes": []}
        )
        headers = None if body["ready"] else {"Retry-After": "5"}
        response = JSONResponse(body, status_code=200 if body["ready"] else 503, headers=headers)
        await response(scope, receive, send)


class ControlCharacterGuard:
    """ASGI middleware: a path with a control character (e.g. an encoded newline) gets a JSON 404.

    BentoML's mount of the FastAPI app does not match such paths and would answer a plain-text
    404, outside the documented error shape.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and any(ord(ch) < 32 or ord(ch) == 127 for ch in scope["path"]):
            problem = "the path contains a control character"
            body = {"error": "not found", "detail": [{"field": "path", "problem": problem}]}
            await JSONResponse(body, status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)
