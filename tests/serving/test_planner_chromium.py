"""The planner workbench as a planner uses it: the service on a real port, headless Chromium driven
over the DevTools protocol typing and clicking (mouse events at the elements' positions). Log in,
open an exception, accept its transfer (the live stock moves, an audit row is written), reject
another (audited, gone from the inbox). The screenshot is kept as a test artifact."""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import uvicorn
from planner_world import SHORT_SKU, record_exceptions, seeded_live_state
from websockets.sync.client import connect

from alerts.decisions import DecisionLog
from tests.conftest import chromium_path, free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 20.0


class Page:
    """One Chromium tab driven over the DevTools protocol."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    def send(self, method: str, **params) -> dict:
        sent = next(self.ids)
        self.ws.send(json.dumps({"id": sent, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=TIMEOUT))
            if message.get("id") == sent:
                assert "error" not in message, message
                return message["result"]

    def eval(self, expression: str):
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not self.eval(f"document.readyState === 'complete' && !!({expression})"):
            assert time.monotonic() < deadline, f"timed out waiting for {expression}; at {self.eval('location.href')}"
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        # the first box of the element: a link wrapped over two lines has a gap at its bounding box's centre
        box = self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView();"
                        " const r = e.getClientRects()[0]; return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        self.click(selector)
        self.send("Input.insertText", text=text)


@pytest.fixture
def served(runtime, tmp_path):
    """The service's routes on a free port, on this test's runtime and live state."""
    from serving.service import app

    live = seeded_live_state(tmp_path)
    before = getattr(app.state, "runtime", None), getattr(app.state, "planner_live", None)
    app.state.runtime, app.state.planner_live = runtime, live
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
    live.close()


@pytest.fixture
def page(tmp_path):
    port = free_port()
    browser = subprocess.Popen(
        [chromium_path(), "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
         f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1280,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as answer:
                    targets = json.load(answer)
                break
            except OSError:
                assert time.monotonic() < deadline and browser.poll() is None, "chromium did not start"
                time.sleep(0.1)
        url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(url, max_size=None, open_timeout=TIMEOUT) as ws:
            yield Page(ws)
    finally:
        browser.terminate()
        browser.wait(TIMEOUT)


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
    _screenshot(page, "planner-exception.png")
    page.type("#comment", "cover DC1 from DC2")
    page.click("#accept")
    page.wait_for("document.querySelector('#notice')")
    assert (live.position(SHORT_SKU, "DC1").in_transit, live.position(SHORT_SKU, "DC2").on_hand) == (48, 2)
    [accepted] = log.of(stockout["id"])
    assert (accepted["decision"], accepted["action_kind"], accepted["comment"]) == (
        "accept", "transfer", "cover DC1 from DC2")

    page.click(f'a[href="/planner/exceptions/{late["id"]}"]')
    page.wait_for("document.querySelector('#decide')")
    page.click("#reject")
    page.wait_for("document.querySelector('#notice')")
    assert [d["decision"] for d in log.of(late["id"])] == ["reject"]
    assert page.eval(f"document.querySelector('tr[data-id=\"{late['id']}\"]') === null")
    assert page.eval(f"document.querySelector('tr[data-id=\"{stockout['id']}\"]') === null")

    _screenshot(page, "planner-inbox.png")


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = page.send("Page.captureScreenshot", format="png")["data"]
    (ARTIFACTS / name).write_bytes(base64.b64decode(shot))
