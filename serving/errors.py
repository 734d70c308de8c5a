"""The one error body of the HTTP API: ``{"error": ..., "detail": [{"field": ..., "problem": ...}]}``.

Every error answer (route handlers, exception handlers and the ASGI middleware in front of the
routes) is built here, so the shape and the headers that go with a status are written once.
Bodies say what the caller can act on; internals (exception text, paths, SQL) go to the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from live.state import LiveStateUnavailable
from serving.schemas import ErrorOut, FieldError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Headers a status always carries: how to authenticate, when to retry.
STATUS_HEADERS = {
    401: {"WWW-Authenticate": "Bearer"},
    503: {"Retry-After": str(RETRY_AFTER_SECONDS)},
    504: {"Retry-After": str(RETRY_AFTER_SECONDS)},
}

# Errors the framework answers itself: the error text and the field the problem is about.
FRAMEWORK_ERRORS = {
    400: ("bad request", "body"),
    404: ("not found", "path"),
    405: ("method not allowed", "method"),
    413: ("body too large", "body"),
}

Problems = Sequence[tuple[str, str]]


def error_body(error: str, problems: Problems = ()) -> dict[str, object]:
    """The documented error body (``ErrorOut``); ``problems`` are (field, problem) pairs."""
    return ErrorOut(error=error, detail=[FieldError(field=f, problem=p) for f, p in problems]).model_dump()


def error_response(status: int, error: str, problems: Problems = ()) -> JSONResponse:
    """An error answer with its body and the headers its status carries."""
    return JSONResponse(error_body(error, problems), status_code=status, headers=STATUS_HEADERS.get(status))


def framework_error(status: int, problem: str) -> JSONResponse:
    """A framework's error (unknown route or method, undecodable or too large body) in our body."""
    error, field = FRAMEWORK_ERRORS.get(status, (HTTPStatus(status).phrase.lower(), "request"))
    return error_response(status, error, [(field, problem)])


def rate_limited(retry_after: int) -> JSONResponse:
    """A 429: the caller's key is over its rate limit; ``Retry-After`` says when a retry is admitted."""
    problem = f"too many requests for this API key; retry after {retry_after} s"
    response = error_response(429, "rate limited", [("api_key", problem)])
    response.headers["Retry-After"] = str(retry_after)
    return response


def internal_error(where: str, exc: BaseException) -> JSONResponse:
    """A 500 for an unexpected failure: the error and its traceback go to the log under a
    reference, the body holds only that reference."""
    reference = uuid.uuid4().hex
    logger.error("internal error %s on %s", reference, where, exc_info=exc)
    return error_response(500, "internal error", [("service", f"the service failed; reference {reference} in its log")])


OPENAPI_ERRORS = {  # the error answers every route may give, for the OpenAPI spec
    s: {"model": ErrorOut, "description": d}
    for s, d in {
        400: "Body cannot be decoded.",
        401: "Missing or invalid API key.",
        403: "The key lacks the role.",
        404: "Unknown id or route.",
        405: "Method not allowed on this route.",
        413: "Body larger than `max_body_bytes`.",
        422: "Invalid input; names the field.",
        429: "The API key is over its rate limit; `Retry-After` says when to retry.",
        500: "Internal error; details in the service log.",
        503: "Not ready or a dependency is unavailable.",
        504: "No answer within the request timeout.",
    }.items()
}


class ServiceError(Exception):
    """A route's refusal: answered with ``status`` and the documented error body."""

    def __init__(self, status: int, error: str, problems: Problems = ()):
        super().__init__(error)
        self.status, self.error, self.problems = status, error, problems


def register_error_handlers(app: FastAPI) -> None:
    """Every failure answered in the one error body: request validation (422), framework errors
    (unknown route, undecodable body), ``ServiceError``, the live state down (503) and any other
    exception (a 500 with a log reference, never the error)."""

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            (".".join(str(p) for p in e["loc"] if p != "body") or "body", e["msg"]) for e in exc.errors()
        ]
        return error_response(422, "invalid request", problems)


    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        """Framework errors (undecodable body, unknown route or method) in the same body shape as ours."""
        response = framework_error(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response


    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return error_response(exc.status, exc.error, exc.problems)


    @app.exception_handler(LiveStateUnavailable)
    async def _live_state_down(_: Request, exc: LiveStateUnavailable) -> JSONResponse:
        """The live state's store did not answer (its message, with the address, goes to the log only)."""
        logger.warning("%s", exc)
        problem = "the live state (stock now, reservations) did not answer; retry later"
        return error_response(503, "live state unavailable", [("live_state", problem)])


    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
        """Any other failure: a 500 whose body holds a reference to the log entry, never the error."""
        return internal_error(f"{request.method} {request.url.path}", exc)
