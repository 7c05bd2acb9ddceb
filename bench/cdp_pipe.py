"""Headless Chromium driven over the DevTools protocol's pipe, with no
DevTools domain enabled but those asked for: what a visitor's page does,
measured without the watcher changing it.

Playwright enables the Network domain on every page, and DevTools then keeps
a copy of responses (those of under ~20 MB: Chromium's per-resource buffer)
and tees response bodies, garbage the page holds until its next collection;
a page reading a 300 MB file in 8 MB ranges looked to hold ~190 MB more.
bench/bigfile.py's kiosk measurements use this instead.

    with PipeBrowser(args) as browser:
        page = browser.open(url)             # a new tab, its session attached
        page.evaluate("1 + 1")               # Runtime.evaluate, promises awaited
        page.collect_garbage()               # the page's and its workers' (--expose-gc)
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time


class CdpError(RuntimeError):
    pass


class PipeBrowser:
    def __init__(self, executable: str, args: list[str]):
        # (fd 3: commands to the browser, fd 4: its answers and events, JSON ended by a NUL)
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        os.set_inheritable(to_browser_r, True)
        os.set_inheritable(from_browser_w, True)

        def fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen([executable, *args, "--remote-debugging-pipe", "about:blank"],
                                     preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next = 0
        self._lock = threading.Lock()
        self._answers: dict[int, dict] = {}
        self._events: list[dict] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._answers[msg["id"]] = msg
                    else:
                        self._events.append(msg)
                    self._cond.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 120.0):
        with self._lock:
            self._next += 1
            ident = self._next
        msg = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CdpError(f"{method}: no answer in {timeout} s")
                self._cond.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise CdpError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def events(self, method: str) -> list[dict]:
        with self._cond:
            return [e for e in self._events if e.get("method") == method]

    def open(self, url: str) -> PipePage:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = PipePage(self, session)
        # (its dedicated workers attached too, to collect their garbage; nothing else enabled)
        self.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True},
                  session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        return page

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (CdpError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PipePage:
    def __init__(self, browser: PipeBrowser, session: str):
        self.browser, self.session = browser, session

    def evaluate(self, expression: str, timeout: float = 120.0, session: str | None = None):
        """The value of a JS expression (a promise awaited), or CdpError with the page's exception."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                        "returnByValue": True}, session=session or self.session,
                                   timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CdpError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60.0, every: float = 0.05):
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except CdpError:
                value = None  # (the page still loading)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpError(f"waited {timeout} s for {expression}")
            time.sleep(every)

    def workers(self) -> list[str]:
        """Sessions of the page's workers attached so far."""
        return [e["params"]["sessionId"] for e in self.browser.events("Target.attachedToTarget")
                if e.get("sessionId") == self.session and e["params"]["targetInfo"]["type"] == "worker"]

    def collect_garbage(self):
        """A full collection in the page and in each of its workers (gc(): --js-flags=--expose-gc)."""
        self.browser.send("HeapProfiler.collectGarbage", session=self.session)
        for worker in self.workers():
            try:
                self.evaluate("gc()", session=worker, timeout=10)
            except CdpError:
                pass  # (a worker gone meanwhile)
