"""The body of the batch routes, parsed and validated on the thread pool, not on the event loop.

FastAPI validates a declared body model on the event loop before a plain ``def`` route runs on its
thread pool; a full batch (100 orders of 200 lines) takes about a second of validation, which on
the event loop would hold every other request for as long (single orders, ``/readyz``). Here the
event loop only receives the bytes (``raw_body``); ``batch_in`` is a plain ``def`` dependency, so
FastAPI runs it on the thread pool. It validates one order at a time: pydantic validates in one
call that holds the GIL throughout, so a whole batch in one call would hold the event loop all
the same; between orders the other threads get their turn. Errors keep the shape of FastAPI's
own (422, each field named ``orders.<i>.lines.<j>...``), and the OpenAPI spec still documents
``BatchIn`` as the body.
"""

from __future__ import annotations

from typing import Annotated, Any

import pydantic_core
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from serving.schemas import MAX_ORDERS, BatchIn, OrderIn


async def raw_body(request: Request) -> bytes:
    return await request.body()


def batch_in(raw: Annotated[bytes, Depends(raw_body)]) -> BatchIn:
    """``raw`` as a ``BatchIn``, validated order by order; a 422 naming each invalid field otherwise."""
    try:
        data = pydantic_core.from_json(raw)
    except ValueError as exc:
        problem = {"loc": ("body",), "msg": f"JSON decode error: {exc}", "type": "json_invalid"}
        raise RequestValidationError([problem]) from None
    orders = data.get("orders") if isinstance(data, dict) else None
    errors: list[dict[str, Any]] = []
    if isinstance(orders, list) and len(orders) <= MAX_ORDERS:
        validated = []
        for i, order in enumerate(orders):
            try:
                validated.append(OrderIn.model_validate(order))
            except ValidationError as exc:
                errors += [{**e, "loc": ("orders", i, *e["loc"])} for e in exc.errors(include_url=False)]
        data = {**data, "orders": validated}
    if errors:
        raise RequestValidationError(errors)
    try:
        return BatchIn.model_validate(data)  # the batch's own rules; validated orders are not validated again
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def _documented_body() -> dict[str, Any]:
    schema = BatchIn.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)  # OrderIn and its lines are in the spec's components (POST /v1/score)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


# ``openapi_extra`` of the batch routes: their body, as FastAPI would document a declared model.
BATCH_BODY_OPENAPI = _documented_body()
BatchBody = Annotated[BatchIn, Depends(batch_in)]
