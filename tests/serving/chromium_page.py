"""Headless Chromium driven over the DevTools protocol, for the planner workbench's browser tests
(imported by name; tests have no packages): a tab that types and clicks with mouse events at the
elements' positions, and its screenshots as test artifacts."""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from websockets.sync.client import connect

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


@contextmanager
def chromium_page(folder: Path) -> Iterator[Page]:
    """A headless Chromium (profile in ``folder``) and its first tab; the browser ends with the block."""
    port = free_port()
    browser = subprocess.Popen(
        [chromium_path(), "--headless=new", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={port}",
         f"--user-data-dir={folder / 'chromium'}", "--window-size=1280,900", "about:blank"],
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


def visible(page: Page, selector: str) -> bool:
    """The element is laid out with an area and not hidden by its style."""
    return page.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return false;"
                     " const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
                     " return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; })()")


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = page.send("Page.captureScreenshot", format="png")["data"]
    (ARTIFACTS / name).write_bytes(base64.b64decode(shot))
