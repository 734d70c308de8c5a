"""The planner workbench as a planner uses it: the service on a real port, headless Chromium driven
over the DevTools protocol typing and clicking (mouse events at the elements' positions). Log in,
open an exception (its demand plot drawn), accept its transfer (the live stock moves, an audit row
is written), reject another (its PO plot drawn; audited, gone from the inbox). The screenshot is
kept as a test artifact."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from chromium_page import TIMEOUT, chromium_page, screenshot, visible
from planner_world import SHORT_SKU, record_exceptions, seeded_live_state, write_recent_orders

from alerts.decisions import DecisionLog
from tests.conftest import free_port


@pytest.fixture
def served(runtime, tmp_path, service_settings):
    """The service's routes on a free port, on this test's runtime, live state and canonical orders."""
    from serving.service import app

    live = seeded_live_state(tmp_path)
    write_recent_orders(service_settings.canonical_dir)
    before = getattr(app.state, "runtime", None), getattr(app.state, "planner_live", None)
    app.state.runtime, app.state.planner_live, app.state.planner_demand = runtime, live, None
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", live
    server.should_exit = True
    thread.join(TIMEOUT)
    app.state.runtime, app.state.planner_live = before
    app.state.planner_demand = None
    live.close()


@pytest.fixture
def page(tmp_path):
    with chromium_page(tmp_path) as tab:
        yield tab


@pytest.mark.slow
def test_a_planner_logs_in_accepts_a_transfer_and_rejects_a_late_po(served, page, runtime):
    base, live = served
    world = record_exceptions(runtime, live)
    stockout, late = world["stockout_within_lead_time"], world["po_late"]
    log = DecisionLog(runtime.alerts.store.engine)

    page.send("Page.navigate", url=f"{base}/planner")
    page.wait_for("location.pathname === '/planner/login' && document.querySelector('#key')")
    page.type("#key", "planner-key")
    page.click("#login")
    page.wait_for("location.pathname === '/planner' && document.querySelector('#inbox')")
    assert page.eval("document.cookie") == ""  # HttpOnly: the page's scripts cannot read the key

    page.click(f'a[href="/planner/exceptions/{stockout["id"]}"]')
    page.wait_for("document.querySelector('#decide')")
    assert "transfer 48 units" in page.eval("document.querySelector('#move').textContent")
    assert visible(page, "#forecast-plot") and visible(page, "#forecast-plot rect.actual[data-ds='2026-02-20']")
    assert page.eval("document.querySelectorAll('#forecast-plot circle.p50-point').length") == 5
    screenshot(page, "planner-exception.png")
    page.type("#comment", "cover DC1 from DC2")
    page.click("#accept")
    page.wait_for("document.querySelector('#notice')")
    assert (live.position(SHORT_SKU, "DC1").in_transit, live.position(SHORT_SKU, "DC2").on_hand) == (48, 2)
    [accepted] = log.of(stockout["id"])
    assert (accepted["decision"], accepted["action_kind"], accepted["comment"]) == (
        "accept", "transfer", "cover DC1 from DC2")

    page.click(f'a[href="/planner/exceptions/{late["id"]}"]')
    page.wait_for("document.querySelector('#decide')")
    assert visible(page, "#eta-plot g.po[data-po='PO-1']")
    page.click("#reject")
    page.wait_for("document.querySelector('#notice')")
    assert [d["decision"] for d in log.of(late["id"])] == ["reject"]
    assert page.eval(f"document.querySelector('tr[data-id=\"{late['id']}\"]') === null")
    assert page.eval(f"document.querySelector('tr[data-id=\"{stockout['id']}\"]') === null")

    screenshot(page, "planner-inbox.png")
