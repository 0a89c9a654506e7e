"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`), standard library only.

`--dump-dom` with a virtual-time budget never returns on the page of a running workflow: the Web UI long-polls
its history, and virtual time does not advance while a request is pending. So we load the page, poll its
text until what we expect appears (or a deadline passes), and take the screenshot then.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Self

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1600,1000",
    "--remote-debugging-pipe",
)

# The body's text, then each iframe's: its document's text where readable, else its `srcdoc` HTML.
PAGE_TEXT = """
[document.body.innerText, ...Array.from(document.querySelectorAll('iframe')).map((frame) => {
  try { return frame.contentDocument.body.innerText; } catch (error) { return frame.srcdoc || ''; }
})].join('\\n')
"""


class Chromium:
    """One headless browser with one page; use as a context manager."""

    def __init__(self, profile: Path) -> None:
        binary = shutil.which("chromium")
        if binary is None:
            msg = "Chromium is not installed. Fix: `make chromium` (run by `make test`) installs Debian's chromium"
            raise RuntimeError(msg)
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # the browser reads commands on fd 3 and writes answers on fd 4
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire_pipes,  # noqa: PLW1509 - no threads start between fork and exec here
            pass_fds=(3, 4),  # keep the two wired pipes open across exec
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._ids = 0
        page = next(t for t in self._call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self._session = self._call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._call("Browser.close")
        except (OSError, TimeoutError, RuntimeError):
            self._process.kill()
        self._process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)

    def open(self, url: str, *, until: str, within: float = 30) -> str:
        """Load `url` and return the page's text once it contains `until` (or whatever it shows after `within` s)."""
        self._call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + within
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if until in text:
                time.sleep(0.5)  # let the rest of the page settle for the screenshot
                return self.text()
            time.sleep(0.3)
        return text

    def text(self) -> str:
        """The page's text, with the text of its frames (the Web UI renders Markdown in sandboxed iframes)."""
        result = self._call("Runtime.evaluate", session=True, expression=PAGE_TEXT, returnByValue=True)
        return str(result["result"].get("value", ""))

    def screenshot(self, path: Path) -> Path:
        data = self._call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def _call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        self._ids += 1
        message: dict[str, Any] = {"id": self._ids, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read(timeout=60)
            if answer.get("id") == self._ids:
                if "error" in answer:
                    msg = f"Chromium refused {method}: {answer['error']}"
                    raise RuntimeError(msg)
                result: dict[str, Any] = answer.get("result", {})
                return result

    def _read(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], timeout)
            if not ready:
                msg = f"Chromium did not answer within {timeout:.0f} s"
                raise TimeoutError(msg)
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                msg = "Chromium closed its DevTools pipe"
                raise RuntimeError(msg)
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        parsed: dict[str, Any] = json.loads(message)
        return parsed
