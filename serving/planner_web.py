"""``/planner``: the planner workbench as server-rendered pages (role ``planner``).

Auth is the API key: ``Authorization: Bearer <key>``, or for a browser the key entered once in
the login form and kept in an HttpOnly, ``SameSite=Strict`` cookie scoped to ``/planner``. A form
posted with the cookie must carry the page's CSRF token (an HMAC of a fixed label with the key,
so only a holder of the key can make one) and, when the browser sends ``Origin``, come from this
host. The routes check the key themselves (``KeyGate`` only reads the bearer header), with the
key's rate limit. Decisions go through ``alerts.workbench``; the live state the accepted moves
change is the one the settings name (``live.factory``), opened on first use.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from alerts.decisions import DECISIONS
from alerts.delivery import utc_now
from alerts.kinds import ACTIVE_STATUSES, KIND_NAMES, KINDS_BY_NAME, SEVERITIES, SUBJECT_FIELDS
from alerts.store import InvalidTransition, UnknownException
from alerts.workbench import MoveRefused, Workbench
from live.factory import open_live_state
from live.state import LiveState
from serving.alerts_api import key_name
from serving.auth import AuthError, Caller
from serving.errors import error_response, rate_limited
from serving.lifecycle import leased
from serving.live_alerts import RecentDemand
from serving.live_supply import LiveSupply
from serving.planner_pages import render
from serving.planner_plots import exception_plots
from serving.runtime import Runtime
from settings import load_settings

router = APIRouter(tags=["planner workbench"], include_in_schema=False)
COOKIE = "backorder_planner_key"
ROLE = "planner"
Kind = Literal[("", *KIND_NAMES)]  # type: ignore[valid-type]
Severity = Literal[("", *SEVERITIES)]  # type: ignore[valid-type]
Filter = Annotated[str, Query(max_length=64)]
HexId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]+$")]
_live_lock = threading.Lock()


@dataclass(frozen=True)
class Session:
    """A caller of the workbench: the key's identity and the CSRF token its forms carry."""

    caller: Caller
    csrf: str
    by_cookie: bool


class NotAllowed(Exception):
    """The request cannot go on: ``response`` says why (a redirect to the login page, an error)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def csrf_token(key: str) -> str:
    return hmac.new(key.encode(), b"backorder planner workbench form", hashlib.sha256).hexdigest()


def live_state(request: Request) -> LiveState:
    """The service's live state, opened once on first use (``app.state.planner_live``)."""
    with _live_lock:
        if getattr(request.app.state, "planner_live", None) is None:
            request.app.state.planner_live = open_live_state(load_settings())
        return request.app.state.planner_live


def canonical_demand(request: Request) -> RecentDemand:
    """The canonical orders' daily demand the plots draw, kept per serving date (``app.state.planner_demand``)."""
    with _live_lock:
        if getattr(request.app.state, "planner_demand", None) is None:
            request.app.state.planner_demand = RecentDemand(load_settings().canonical_dir)
        return request.app.state.planner_demand


def _runtime(request: Request) -> Iterator[Runtime | None]:
    """The runtime, leased until the route is done (None before start-up: ``_session`` says so)."""
    if getattr(request.app.state, "runtime", None) is None:
        yield None
        return
    with leased(lambda: request.app.state.runtime) as runtime:
        yield runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def _session(request: Request, runtime: Runtime | None) -> Session:
    if runtime is None:
        raise NotAllowed(error_response(503, "not ready", [("service", "start-up not finished; see GET /readyz")]))
    header = request.headers.get("authorization")
    key = request.cookies.get(COOKIE) if header is None else None
    try:
        caller = runtime.keyring.check(header if key is None else f"Bearer {key}", ROLE)
    except AuthError as exc:
        if exc.status == 401 and request.method == "GET":
            raise NotAllowed(RedirectResponse("/planner/login", status_code=303)) from exc
        raise NotAllowed(_problem(exc.status, "Not allowed", exc.message)) from exc
    retry_after = runtime.rate_limiter.retry_after(caller) if runtime.rate_limiter else 0
    if retry_after:
        raise NotAllowed(rate_limited(retry_after))
    return Session(caller, csrf_token(key) if key is not None else "", key is not None)


def _check_form(request: Request, session: Session, token: str) -> None:
    """A form posted with the cookie carries the CSRF token and, if the browser says, our origin."""
    if not session.by_cookie:
        return
    _check_origin(request)
    if not hmac.compare_digest(token.encode(), session.csrf.encode()):
        raise NotAllowed(_problem(403, "Not allowed", "the form's CSRF token is missing or wrong; reload the page"))


def _check_origin(request: Request) -> None:
    """A form the browser says came from another site (``Origin``) is refused."""
    origin = request.headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise NotAllowed(_problem(403, "Not allowed", "the form was posted from another site"))


def _workbench(request: Request, runtime: Runtime) -> Workbench:
    if runtime.alerts is None:
        raise NotAllowed(_problem(503, "Alerts unavailable", "the alert database is not open; see the service log"))
    return Workbench(runtime.alerts, live_state(request))


def _problem(status: int, title: str, message: str, csrf: str | None = None) -> HTMLResponse:
    return HTMLResponse(render("problem.html", title=title, message=message, csrf=csrf), status_code=status)


def _guarded(handler: Callable[..., Response]) -> Callable[..., Response]:
    """The route ``handler`` (its signature kept) answering a ``NotAllowed`` with its response."""

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Response:
        try:
            return handler(*args, **kwargs)
        except NotAllowed as refused:
            return refused.response

    return run


@router.get("/planner/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    return HTMLResponse(render("login.html", title="Log in", csrf=None, error=None))


@router.post("/planner/login")
@_guarded
def login(request: Request, runtime: RuntimeDep, key: Annotated[str, Form(max_length=512)]) -> Response:
    """Check the key and keep it in the workbench's cookie."""
    _check_origin(request)
    if runtime is None:
        return error_response(503, "not ready", [("service", "start-up not finished; see GET /readyz")])
    try:
        runtime.keyring.check(f"Bearer {key}", ROLE)
    except AuthError as exc:
        page = render("login.html", title="Log in", csrf=None, error=exc.message)
        return HTMLResponse(page, status_code=exc.status)
    response = RedirectResponse("/planner", status_code=303)
    response.set_cookie(COOKIE, key.strip(), path="/planner", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/planner/logout")
@_guarded
def logout(request: Request, runtime: RuntimeDep, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    _check_form(request, _session(request, runtime), csrf)
    response = RedirectResponse("/planner/login", status_code=303)
    response.delete_cookie(COOKIE, path="/planner", httponly=True, samesite="strict")
    return response


@router.get("/planner", response_class=HTMLResponse)
@_guarded
def inbox(
    request: Request, runtime: RuntimeDep, kind: Kind = "", severity: Severity = "",
    location: Filter = "", supplier: Filter = "", decided: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Open and acknowledged exceptions (not snoozed), filtered, highest expected cost first."""
    session = _session(request, runtime)
    bench = _workbench(request, runtime)
    found = bench.inbox(utc_now(), kind or None, severity or None, location or None, supplier or None)
    notice = {"accept": "Accepted.", "reject": "Rejected.", "snooze": "Snoozed."}.get(decided)
    filters = {"kind": kind, "severity": severity, "location": location, "supplier": supplier}
    return HTMLResponse(render("inbox.html", title="Inbox", csrf=session.csrf, exceptions=found, kinds=KIND_NAMES,
                               severities=SEVERITIES, filters=filters, notice=notice))


@router.get("/planner/exceptions/{exception_id}", response_class=HTMLResponse)
@_guarded
def exception_page(request: Request, runtime: RuntimeDep, exception_id: HexId) -> Response:
    """An exception: its reasons, the recommended action and what accepting it does, its figures."""
    session = _session(request, runtime)
    return _exception_page(request, _workbench(request, runtime), runtime, session, exception_id)


def _exception_page(request: Request, bench: Workbench, runtime: Runtime, session: Session, exception_id: str,
                    error: str | None = None, status: int = 200) -> HTMLResponse:
    exception = bench.desk.store.get(exception_id)
    if exception is None:
        return _problem(404, "Unknown exception", f"no exception {exception_id!r}", session.csrf)
    position = None
    if exception["sku_id"] and exception["location_id"]:
        position = bench.live.position(exception["sku_id"], exception["location_id"])
    supply = runtime.components.supply
    demand_plot, eta_plot = exception_plots(
        exception, bench.live, canonical_demand(request), runtime.components.forecaster,
        supply.delays if isinstance(supply, LiveSupply) else None, runtime.clock(),
    )
    page = render(
        "exception.html", title=exception["summary"], csrf=session.csrf, e=exception, error=error,
        reasons=KINDS_BY_NAME[exception["kind"]].reason_codes, move=bench.move(exception, runtime.clock()),
        subjects=SUBJECT_FIELDS, position=position, active=exception["status"] in ACTIVE_STATUSES,
        decisions=bench.decisions.of(exception_id), demand_plot=demand_plot, eta_plot=eta_plot,
    )
    return HTMLResponse(page, status_code=status)


@router.post("/planner/exceptions/{exception_id}/decide")
@_guarded
def decide(
    request: Request,
    runtime: RuntimeDep,
    exception_id: HexId,
    decision: Annotated[Literal[DECISIONS], Form()],  # type: ignore[valid-type]
    comment: Annotated[str, Form(max_length=2000)] = "",
    snooze_hours: Annotated[int, Form(ge=1, le=24 * 14)] = 24,
    csrf: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Accept (send the move to the live state), reject or snooze; audited, then back to the inbox."""
    session = _session(request, runtime)
    _check_form(request, session, csrf)
    bench = _workbench(request, runtime)
    models = {m.name: m.version for m in runtime.components.models.values()}
    try:
        bench.decide(exception_id, decision, key_name(session.caller), comment.strip() or None, utc_now(),
                     runtime.clock(), models, timedelta(hours=snooze_hours))
    except UnknownException as exc:
        return _problem(404, "Unknown exception", str(exc), session.csrf)
    except (InvalidTransition, MoveRefused) as exc:
        return _exception_page(request, bench, runtime, session, exception_id, error=str(exc), status=409)
    if not session.by_cookie:
        return JSONResponse({"exception_id": exception_id, "decision": decision})
    return RedirectResponse(f"/planner?decided={decision}", status_code=303)
