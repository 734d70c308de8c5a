"""A reload while clients score: every answer is a 200 and every answered line is logged."""

from __future__ import annotations

import threading

from serving_helpers import TODAY, auth, order

from serving.prediction_log import read_prediction_log
from serving.runtime import build_runtime

CLIENTS, REQUESTS, RELOADS = 4, 25, 6


def test_reloads_while_clients_score_lose_no_answer_and_no_log_line(
    client, runtime, service_settings, components, monkeypatch
):
    from serving.service import RiskService, app

    built = [runtime]

    def fresh_runtime():
        built.append(build_runtime(service_settings, components, today=lambda: TODAY))
        return built[-1]

    monkeypatch.setattr(RiskService.inner, "runtime_factory", staticmethod(fresh_runtime))
    answers: list[tuple[int, dict]] = []
    done = threading.Event()

    def score(worker: int) -> None:
        for i in range(REQUESTS):
            r = client.post("/v1/score", json=order(3, order_id=f"W{worker}-{i}"), headers=auth("oms-key"))
            answers.append((r.status_code, r.json()))

    workers = [threading.Thread(target=score, args=(w,)) for w in range(CLIENTS)]
    for w in workers:
        w.start()
    reloads = []
    for _ in range(RELOADS):
        reloads.append(client.post("/v1/admin/reload", headers=auth("admin-key")).status_code)
    for w in workers:
        w.join()
    done.set()

    assert reloads == [200] * RELOADS
    assert [status for status, _ in answers] == [200] * (CLIENTS * REQUESTS), [b for s, b in answers if s != 200][:3]
    logged = read_prediction_log(service_settings.prediction_log_dir)
    answered = {(b["request_id"], line["line_id"]) for _, b in answers for line in b["lines"]}
    assert answered == set(zip(logged["request_id"], logged["line_id"], strict=True))
    for old in built[:-1]:  # every swapped-out runtime was closed once its requests were done
        assert old.leases.acquire() is False
    app.state.runtime.close()


def test_metrics_counters_survive_a_reload(client, runtime, service_settings, components, monkeypatch):
    from serving.service import RiskService, app

    monkeypatch.setattr(
        RiskService.inner,
        "runtime_factory",
        staticmethod(lambda: build_runtime(service_settings, components, today=lambda: TODAY)),
    )
    assert client.post("/v1/score", json=order(3), headers=auth("oms-key")).status_code == 200
    assert client.post("/v1/admin/reload", headers=auth("admin-key")).status_code == 200
    assert client.post("/v1/score", json=order(2, order_id="O2"), headers=auth("oms-key")).status_code == 200
    metrics = app.state.runtime.metrics_text()
    assert "backorder_scored_lines_total 5" in metrics
    assert "backorder_reloads_total 1" in metrics
    app.state.runtime.close()
