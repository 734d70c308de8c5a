"""The BentoML service: HTTP parsing, auth, error bodies and the prediction log; scoring elsewhere.

Routes are a FastAPI app mounted on the ``@bentoml.service`` class (so path parameters, bearer
auth and field-level 422 bodies appear in the OpenAPI spec at ``/openapi.json``, docs at
``/docs``). BentoML itself serves ``/healthz`` and Prometheus ``/metrics``; ``/readyz`` is the
``ReadinessProbe`` middleware's JSON answer (``serving.middleware``). Run: ``make serve`` or
``bentoml serve serving.service:RiskService``.
"""

from __future__ import annotations

import functools
import gc
import logging
import sys
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import bentoml
import numpy as np
import redis
from fastapi import Depends, FastAPI, Path
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, ValidationError

from serving.alerts_api import router as alerts_router
from serving.batch_body import BATCH_BODY_OPENAPI, BatchBody
from serving.errors import OPENAPI_ERRORS, ServiceError, register_error_handlers
from serving.forecast import RECENT_MEAN_DEMAND, HorizonTooLong
from serving.lifecycle import ReloadRefused, ReloadTimedOut, reload_runtime
from serving.live_routes import router as live_router
from serving.middleware import (
    BodySizeLimit,
    ControlCharacterGuard,
    ErrorBodies,
    KeyGate,
    ReadinessProbe,
    RequestDeadline,
)
from serving.planner_web import router as planner_router
from serving.reload_broadcast import ReloadBroadcast
from serving.reports import ReportNotFound, report_file
from serving.reserving import reserve_lines, reserved_keys
from serving.responses import batch_json, line_scores, log_rows, score_outs
from serving.roles import RequireRole, route_role
from serving.runtime import Runtime, build_runtime, production_components
from serving.schemas import (
    ID_PATTERN,
    BatchOut,
    EtaOut,
    ForecastIn,
    ForecastOut,
    ForecastPoint,
    LineScore,
    ModelStatus,
    OrderIn,
    Recommendation,
    RecommendationsOut,
    ScoreOut,
    StatusOut,
)
from serving.scoring import FeatureStoreUnavailable, InvalidLines, line_columns
from settings import Settings, load_settings
from settings.third_party_output import quiet_third_party_output

quiet_third_party_output()  # the service process is an entry point of its own (`bentoml serve`)
logger = logging.getLogger(__name__)


def _exit_on_invalid_settings() -> None:
    """Load the settings when this module is imported: ``bentoml serve`` imports it before it
    starts any worker, so invalid settings end the command once, with their message, instead of
    failing (and being restarted) in every worker."""
    try:
        load_settings()
    except FileNotFoundError as exc:
        raise SystemExit(f"backorder: the service does not start: {exc}") from None
    except ValidationError as exc:
        problems = [
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"].removeprefix("Value error, ")
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise SystemExit("backorder: invalid settings, the service does not start:\n" + "\n".join(problems)) from None


_exit_on_invalid_settings()

app = FastAPI(
    title="Backorder Radar",
    version="1",
    description="Backorder risk, promise dates and actions for order lines (docs/serving.md).",
    responses=OPENAPI_ERRORS,
)
app.include_router(live_router)
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). A request
# hands the GIL back and forth between the event loop, a route's pool thread and the TreeSHAP
# threads; with the default interval each hand-over could add up to 5 ms to the request.
GIL_SWITCH_SECONDS = 0.0005
# A request not answered by then is cancelled with a 504 in the documented body; BentoML's own
# timeout (which answers in its own shape) is set a second later, as the backstop.
REQUEST_TIMEOUT_SECONDS = 30



def _body_limit() -> int:
    """The running service's ``settings.max_body_bytes`` (the settings' default before start-up)."""
    runtime = getattr(app.state, "runtime", None)
    return runtime.max_body_bytes if runtime is not None else Settings.model_fields["max_body_bytes"].default


register_error_handlers(app)


def _score(
    runtime: Runtime, orders: list[dict], batch: bool, reserve: bool = False
) -> tuple[dict[str, Any], str, list[LineScore]]:
    """Score (reserving the orders that ask, when ``reserve``) and log; maps component failures
    to 422 / 503 bodies."""
    if runtime.scorer is None:
        problem = "models or feature store not loaded; see GET /v1/status"
        raise ServiceError(503, "not ready", [("service", problem)])
    reserving = reserve and any(o["reserve"] for o in orders)
    if reserving and runtime.components.live is None:
        problem = "reserve needs the live state, which is not loaded; see GET /v1/status"
        raise ServiceError(503, "live state unavailable", [("reserve", problem)])
    request_id = uuid.uuid4().hex
    try:
        scored = runtime.scorer.score(line_columns(orders, batch), runtime.clock())
        if reserving:
            asked = [o["reserve"] for o in orders for _ in o["lines"]]
            c = runtime.components
            scored = reserve_lines(c.live, c.supply, runtime.clock, scored, asked)
            runtime.touch(reserved_keys(scored))
    except InvalidLines as exc:
        raise ServiceError(422, "invalid request", exc.errors) from exc
    except FeatureStoreUnavailable as exc:
        raise runtime.store_unavailable(exc) from exc
    version = runtime.scorer.model_version
    lines = line_scores(scored)
    runtime.log.append(log_rows(scored, lines, request_id, version))
    runtime.count("scored_lines", len(lines))
    return scored, request_id, lines


def _json(answer: BaseModel) -> Response:
    """The answer serialized once, by pydantic's own JSON encoder.

    Returned as a ``Response``, FastAPI skips re-validating the already validated model against
    ``response_model`` (which still documents the route); on the scoring routes that second pass
    and its pure-Python JSON encoding cost more than the model did.
    """
    return Response(answer.model_dump_json(), media_type="application/json")


def _report(runtime: Runtime, path: str) -> FileResponse:
    if runtime.reports_dir is None:
        raise ServiceError(404, "no report", [("path", "no reports directory")])
    try:
        return FileResponse(report_file(runtime.reports_dir / "latest", path))
    except ReportNotFound as exc:
        raise ServiceError(404, "no report", [("path", str(exc))]) from exc


def _announce_reload() -> None:
    """Tell the service's other workers to reload too (where they share Redis)."""
    broadcast: ReloadBroadcast | None = getattr(app.state, "reload_broadcast", None)
    if broadcast is None:
        return
    try:
        broadcast.announce()
    except redis.RedisError as exc:
        logger.warning("reload done here but not announced to the other workers: %r", exc)


def _reload_broadcast(settings: Settings, factory: Callable[[], Runtime]) -> ReloadBroadcast | None:
    """The listener that reloads this worker when another announces a reload; None unless the
    live state is in Redis (the workers share nothing else to announce it through)."""
    if settings.live_store != "redis":
        return None

    def reload_here() -> None:
        try:
            reload_runtime(app.state, factory).start_background()
        except (ReloadRefused, ReloadTimedOut) as exc:
            logger.warning("a reload announced by another worker was not done here: %s", exc)

    return ReloadBroadcast(settings.live.redis_url, f"{settings.live.key_prefix}:reload", reload_here)


def _default_runtime() -> Runtime:
    settings = load_settings()
    return build_runtime(settings, production_components(settings))


@bentoml.service(
    name="backorder_radar", workers=load_settings().workers, traffic={"timeout": REQUEST_TIMEOUT_SECONDS + 1}
)
@bentoml.asgi_app(app, path="/")
class RiskService:
    """Loads the runtime once per worker into ``app.state``, where every route reads it."""

    # Start-up: the production wiring; tests and the pipelines swap in their own.
    runtime_factory: Callable[[], Runtime] = staticmethod(_default_runtime)

    def __init__(self) -> None:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        app.state.runtime = type(self).runtime_factory()
        app.state.runtime.start_background()
        app.state.reload_broadcast = _reload_broadcast(load_settings(), type(self).runtime_factory)
        if app.state.reload_broadcast is not None:
            app.state.reload_broadcast.start()
        # What start-up loaded (models, Feast registry, framework: hundreds of thousands of objects)
        # lives as long as the process; frozen, the collector stops scanning it, so a full
        # collection no longer pauses the request that triggers it.
        gc.collect()
        gc.freeze()

    @property
    def runtime(self) -> Runtime:
        return app.state.runtime

    def __is_ready__(self) -> bool:
        return self.runtime.ready

    def __metrics__(self, content: str) -> str:
        """BentoML's Prometheus text plus this service's counters (see Runtime.metrics_text)."""
        return content + self.runtime.metrics_text()

    # A plain ``def``: FastAPI runs it on its thread pool, so a slow store read or model call
    # never holds the event loop (health, readiness and the other routes keep answering).
    @app.post("/v1/score", response_model=ScoreOut, tags=["oms"])
    def score(self, order: OrderIn, runtime: Annotated[Runtime, Depends(RequireRole("oms"))]) -> Response:
        """Backorder risk, promise date, reasons and recommended action for each line."""
        scored, request_id, lines = _score(runtime, [order.model_dump()], batch=False, reserve=True)
        return _json(score_outs(scored, request_id, runtime.scorer.model_version, lines)[0])

    @app.post("/v1/score/batch", response_model=BatchOut, tags=["oms"], openapi_extra=BATCH_BODY_OPENAPI)
    def score_batch(self, batch: BatchBody, runtime: Annotated[Runtime, Depends(RequireRole("oms"))]):
        """Many orders in one call; one prediction-log transaction for all of them."""
        scored, request_id, lines = _score(
            runtime, [o.model_dump() for o in batch.orders], batch=True, reserve=True
        )
        version = runtime.scorer.model_version
        outs = score_outs(scored, request_id, version, lines)
        return Response(batch_json(request_id, version, outs), media_type="application/json")

    @app.post(
        "/v1/recommendations", response_model=RecommendationsOut, tags=["planner"], openapi_extra=BATCH_BODY_OPENAPI
    )
    def recommendations(
        self, batch: BatchBody, runtime: Annotated[Runtime, Depends(RequireRole("planner"))]
    ):
        """Lines of the given orders that need an action, most expected units saved first."""
        scored, request_id, lines = _score(
            runtime, [o.model_dump() for o in batch.orders], batch=True
        )
        keep = np.flatnonzero(scored["action"] != "none").tolist()
        keep = sorted(keep, key=lambda i: -lines[i].action.expected_units_saved)
        order_ids = scored["order_id"]
        recs = [
            Recommendation(
                order_id=order_ids[i],
                line_id=lines[i].line_id,
                sku_id=lines[i].sku_id,
                location_id=lines[i].location_id,
                backorder_probability=lines[i].backorder_probability,
                action=lines[i].action,
            )
            for i in keep
        ]
        return RecommendationsOut(
            request_id=request_id, model_version=runtime.scorer.model_version, recommendations=recs
        )

    @app.post("/v1/forecast", response_model=ForecastOut, tags=["planner"])
    def forecast(self, body: ForecastIn, runtime: Annotated[Runtime, Depends(RequireRole("planner"))]):
        """Daily demand quantiles (p10/p50/p90) for one SKU-location: the demand champion's, else
        the recent-demand quantiles (``model_version`` names which)."""
        forecaster = runtime.components.forecaster or runtime.components.demand_fallback
        if forecaster is None:
            raise ServiceError(503, "demand forecasts not loaded")
        try:
            frame = forecaster(body.sku_id, body.location_id, body.horizon_days)
        except HorizonTooLong as exc:
            raise ServiceError(422, "invalid request", [("horizon_days", str(exc))]) from exc
        if frame is None or frame.empty:
            problem = f"no demand history for {body.sku_id!r} at {body.location_id!r}"
            raise ServiceError(404, "unknown SKU-location", [("sku_id", problem)])
        points = [
            ForecastPoint(ds=r["ds"], p10=r["p10"], p50=r["p50"], p90=r["p90"])
            for r in frame.to_dict("records")
        ]
        return ForecastOut(
            request_id=uuid.uuid4().hex,
            sku_id=body.sku_id,
            location_id=body.location_id,
            model_version=runtime.model_version("demand") if runtime.components.forecaster else RECENT_MEAN_DEMAND,
            points=points,
        )

    @app.get("/v1/eta/{po_id}", response_model=EtaOut, tags=["planner"])
    def eta(
        self,
        po_id: Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)],
        runtime: Annotated[Runtime, Depends(RequireRole("planner"))],
    ) -> EtaOut:
        """Arrival-date quantiles of an open purchase order."""
        lookup = runtime.components.eta
        if lookup is None:
            raise ServiceError(503, "open purchase orders not loaded")
        found = lookup(po_id)
        if found is None:
            raise ServiceError(404, "unknown PO", [("po_id", f"no open PO {po_id!r}")])
        return EtaOut(
            request_id=uuid.uuid4().hex,
            po_id=po_id,
            model_version=lookup.without_champion or runtime.model_version("lead_time"),
            **found,
        )

    @app.get("/v1/reports/latest", tags=["planner"], response_class=FileResponse)
    def report_index(self, runtime: Annotated[Runtime, Depends(RequireRole("planner"))]) -> FileResponse:
        """The latest planner report (HTML); its plots and tables are under the same path."""
        return _report(runtime, "index.html")

    @app.get("/v1/reports/latest/{path:path}", tags=["planner"], response_class=FileResponse)
    def report_asset(
        self, path: str, runtime: Annotated[Runtime, Depends(RequireRole("planner"))]
    ) -> FileResponse:
        """A file beside the latest report (plot, CSV); paths outside the report are refused."""
        return _report(runtime, path)

    @app.post("/v1/admin/reload", response_model=StatusOut, tags=["admin"])
    def reload(self, runtime: Annotated[Runtime, Depends(RequireRole("admin"))]) -> StatusOut:
        """Load the champions again (after a promotion) and swap them in; requests in flight
        finish on the old ones. Refused (503) while the registry does not answer; 504 when the
        new models are not loaded within ``reload_timeout_seconds`` (nothing is swapped)."""
        try:
            reload_runtime(app.state, type(self).runtime_factory).start_background()
        except ReloadTimedOut as exc:
            raise ServiceError(504, "reload timed out", exc.problems) from exc
        except ReloadRefused as exc:
            raise ServiceError(503, "reload refused", exc.problems) from exc
        _announce_reload()
        return self.status()

    @app.get("/v1/status", response_model=StatusOut, tags=["ops"])
    def status(self) -> StatusOut:
        """What /readyz decides on: model versions and their source, feature store, notes."""
        c = self.runtime.components
        return StatusOut(
            ready=self.runtime.ready,
            models=[
                ModelStatus(name=m.name, version=m.version, source=m.source)
                for m in c.models.values()
            ],
            feature_store="connected" if c.reader is not None and self.runtime.store_health.ok() else "unavailable",
            notes=c.notes,
        )


app.include_router(alerts_router)
app.include_router(planner_router)

# In front of the routes, outermost first: the deadline, the key (before any body is read), then
# the body-size limit (before the route parses the body).
app.add_middleware(BodySizeLimit, limit=_body_limit)
app.add_middleware(KeyGate, routes=app, role_of=functools.partial(route_role, app))
app.add_middleware(RequestDeadline, seconds=REQUEST_TIMEOUT_SECONDS)
RiskService.add_asgi_middleware(ErrorBodies)
RiskService.add_asgi_middleware(ReadinessProbe, routes=app)
RiskService.add_asgi_middleware(ControlCharacterGuard)


@functools.cache
def in_process_app() -> Any:
    """The whole service as an ASGI app, built once per process.

    For in-process callers (the demo's replay, tests, the benchmark): BentoML registers the
    service's Prometheus metrics when the app is built, and a second build in one process fails.
    The app calls ``RiskService.runtime_factory`` at each start-up (``with TestClient(app)``).
    Start it once at a time: a second start while one is open replaces the open one's service
    instance, which then never closes its BentoML client.
    """
    return RiskService.to_asgi()
