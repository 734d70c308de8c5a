"""ASGI middleware in front of the service's routes: checks that must run before a body is read,
the request deadline, and JSON answers where BentoML's would not be (all in ``serving.errors``'
body shape)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException

from serving.auth import AuthError
from serving.errors import STATUS_HEADERS, error_response, framework_error, internal_error, rate_limited


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
            await anyio.to_thread.run_sync(runtime.readiness)  # it may check the store: off the loop
            if runtime is not None
            else {"ready": False, "missing": ["start-up not finished"], "models": {}, "notes": []}
        )
        status = 200 if body["ready"] else 503
        response = JSONResponse(body, status_code=status, headers=STATUS_HEADERS.get(status))
        await response(scope, receive, send)


class ErrorBodies:
    """ASGI middleware around everything the service answers: BentoML's own plain-text errors
    (an unknown route is not passed to the routes' app) and a failure outside the routes become
    the documented JSON body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = replaced = False

        async def rewrite(message: dict) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
                if status >= 400 and content_type.startswith("text/plain"):
                    replaced = True
                    await framework_error(status, HTTPStatus(status).phrase)(scope, receive, send)
                    return
            if not replaced:
                await send(message)

        try:
            await self.app(scope, receive, rewrite)
        except Exception as exc:
            if started:
                raise
            await internal_error(f"{scope.get('method')} {scope['path']}", exc)(scope, receive, send)


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
            await error_response(404, "not found", [("path", problem)])(scope, receive, send)
            return
        await self.app(scope, receive, send)


class KeyGate:
    """ASGI middleware: the caller's API key, the route's role and the key's rate limit are
    checked before the route reads its body, so a refused request costs no body transfer or
    JSON parsing.

    ``role_of(scope)`` is the role the matched route requires (None: an open route); the key
    ring is the running service's (``routes.state.runtime.keyring``).
    """

    def __init__(self, app: Any, routes: FastAPI, role_of: Callable[[dict], Sequence[str] | None]) -> None:
        self.app = app
        self.routes = routes
        self.role_of = role_of

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        role = self.role_of(scope) if scope["type"] == "http" else None
        if role is None:
            await self.app(scope, receive, send)
            return
        runtime = getattr(self.routes.state, "runtime", None)
        if runtime is None:
            problem = "start-up not finished; see GET /readyz"
            await error_response(503, "not ready", [("service", problem)])(scope, receive, send)
            return
        try:
            caller = runtime.keyring.check(Headers(scope=scope).get("authorization"), role)
        except AuthError as exc:
            await error_response(exc.status, exc.message)(scope, receive, send)
            return
        retry_after = runtime.rate_limiter.retry_after(caller) if runtime.rate_limiter else 0
        if retry_after:
            await rate_limited(retry_after)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    """A request body over the limit. An ``HTTPException``, so that raised from ``receive``
    while a route reads its body, FastAPI passes it on to the service's error handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than the limit of {limit} bytes")


class BodySizeLimit:
    """ASGI middleware: a body over ``limit()`` bytes is a 413 before it is parsed.

    A ``Content-Length`` over the limit is refused before anything is read; a body without one
    (chunked) is counted as it streams and refused at the chunk that crosses the limit.
    """

    def __init__(self, app: Any, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _too_large(BodyTooLarge(limit))(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge as exc:  # read outside a route's body parsing
            if started:
                raise
            await _too_large(exc)(scope, receive, send)


def _too_large(exc: BodyTooLarge) -> JSONResponse:
    return framework_error(413, str(exc.detail))


class RequestDeadline:
    """ASGI middleware: a request whose answer has not started after ``seconds`` is cancelled
    and answered 504 in the documented error body (BentoML's own timeout, a little longer,
    stays as the backstop)."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = asyncio.Event()

        async def tracked(message: dict) -> None:
            started.set()
            await send(message)

        handling = asyncio.ensure_future(self.app(scope, receive, tracked))
        waiting = asyncio.ensure_future(started.wait())
        try:
            await asyncio.wait({handling, waiting}, timeout=self.seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
        if not started.is_set() and not handling.done():
            handling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await handling
            problem = f"no answer within {self.seconds:g} s; retry later"
            await error_response(504, "timeout", [("request", problem)])(scope, receive, send)
            return
        await handling
