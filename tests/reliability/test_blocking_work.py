"""Slow work stays off the event loop: health answers during a slow store read, and a single
order is not held up by a large batch."""

from __future__ import annotations

import os
import threading
import time

import pytest
from serving_helpers import SKUS, TODAY, auth, order

from serving.registry import LoadedModel
from serving.runtime import RISK, build_runtime
from serving.scoring import FrameFeatureReader

STORE_SECONDS = 1.5
EXPLAIN_SECONDS = 3.0


class SlowReader(FrameFeatureReader):
    """An online store whose every read takes ``STORE_SECONDS`` (a locked or distant store)."""

    def read_values(self, entity_rows):
        time.sleep(STORE_SECONDS)
        return super().read_values(entity_rows)


def _timed(call) -> float:
    started = time.perf_counter()
    answer = call()
    assert answer.status_code == 200, answer.text
    return time.perf_counter() - started


def test_health_readiness_status_and_eta_answer_while_a_score_waits_on_the_store(
    client, service_settings, components, online_table
):
    from serving.service import app

    components.reader = SlowReader(online_table)
    app.state.runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    scoring = threading.Thread(
        target=lambda: client.post("/v1/score", json=order(2), headers=auth("oms-key"))
    )
    scoring.start()
    time.sleep(0.2)  # the score is now waiting on the store
    waits = {path: _timed(lambda p=path: client.get(p)) for path in ("/healthz", "/readyz", "/v1/status")}
    waits["/v1/eta"] = _timed(lambda: client.get("/v1/eta/PO1", headers=auth("planner-key")))
    scoring.join()
    assert max(waits.values()) < 0.5, waits
    app.state.runtime.close()


class SlowToExplain:
    """The risk model, whose explanation of a request of more than one order's lines takes
    ``EXPLAIN_SECONDS`` (TreeSHAP on a full batch of a production model takes seconds)."""

    def __init__(self, model) -> None:
        self.model = model
        self.feature_names_in_ = model.feature_names_in_

    def predict_proba(self, frame):
        return self.model.predict_proba(frame)

    def contributions(self, frame):
        if len(frame) > 200:
            time.sleep(EXPLAIN_SECONDS)
        return self.model.predict(frame, pred_contrib=True)


def _batch(n_orders: int, n_lines: int) -> dict:
    orders = []
    for o in range(n_orders):
        body = order(n_lines, order_id=f"B{o}")
        for i, line in enumerate(body["lines"]):
            line["sku_id"] = SKUS[(o + i) % len(SKUS)]
        orders.append(body)
    return {"orders": orders}


def test_a_single_order_is_not_held_up_by_a_large_batch(client, service_settings, components, risk_model):
    from serving.service import app

    components.models = {RISK: LoadedModel(RISK, "9", "registry", SlowToExplain(risk_model))}
    app.state.runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    batch_done = []
    running = threading.Thread(
        target=lambda: batch_done.append(
            client.post("/v1/score/batch", json=_batch(10, 200), headers=auth("oms-key"))
        )
    )
    running.start()
    time.sleep(0.7)  # the batch is being explained
    singles = [_timed(lambda: client.post("/v1/score", json=order(10), headers=auth("oms-key"))) for _ in range(3)]
    assert running.is_alive(), "the batch ended before the single orders: the test measures nothing"
    running.join()
    assert batch_done[0].status_code == 200
    assert max(singles) < 1.0, singles
    app.state.runtime.close()


def test_health_answers_while_a_full_batch_is_validated(client):
    """A full batch (20,000 lines, the last one invalid: validated whole, never scored) is
    validated off the event loop, one order at a time: /healthz keeps answering meanwhile."""
    body = _batch(100, 200)
    body["orders"][-1]["lines"][-1]["quantity"] = -1
    answers = []
    posting = threading.Thread(
        target=lambda: answers.append(client.post("/v1/score/batch", json=body, headers=auth("oms-key")))
    )
    posting.start()
    waits = []
    while posting.is_alive():
        waits.append(_timed(lambda: client.get("/healthz")))
    posting.join()
    assert answers[0].status_code == 422
    assert answers[0].json()["detail"][0]["field"] == "orders.99.lines.199.quantity"
    assert len(waits) >= 3, "the batch was validated before /healthz was asked: the test measures nothing"
    # Validated on the event loop, every /healthz asked meanwhile waits for the whole validation;
    # off it, a typical one answers at once (the median: one may still wait out a busy core).
    assert sorted(waits)[len(waits) // 2] < 0.1, sorted(waits)


class RecordsPriority:
    """The risk model, noting the CPU priority (nice value) of each thread that runs it, by
    whether the request was a batch."""

    def __init__(self, model) -> None:
        self.model = model
        self.feature_names_in_ = model.feature_names_in_
        self.niceness: dict[bool, set[int]] = {True: set(), False: set()}

    def _note(self, frame) -> None:
        self.niceness[len(frame) > 200].add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    def predict_proba(self, frame):
        self._note(frame)
        return self.model.predict_proba(frame)

    def contributions(self, frame):
        self._note(frame)
        return self.model.predict(frame, pred_contrib=True)


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="needs per-thread CPU priorities (Linux)")
def test_a_batch_is_scored_at_a_lower_cpu_priority_than_single_orders(client, service_settings, components, risk_model):
    from serving.service import app

    model = RecordsPriority(risk_model)
    components.models = {RISK: LoadedModel(RISK, "9", "registry", model)}
    app.state.runtime = build_runtime(service_settings, components, today=lambda: TODAY)
    assert client.post("/v1/score", json=order(10), headers=auth("oms-key")).status_code == 200
    assert client.post("/v1/score/batch", json=_batch(3, 200), headers=auth("oms-key")).status_code == 200
    assert client.post("/v1/score", json=order(10), headers=auth("oms-key")).status_code == 200
    assert model.niceness[True] and model.niceness[False]
    assert min(model.niceness[True]) > max(model.niceness[False]), model.niceness
    app.state.runtime.close()
