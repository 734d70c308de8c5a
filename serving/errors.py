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

from fastapi.responses import JSONResponse

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
