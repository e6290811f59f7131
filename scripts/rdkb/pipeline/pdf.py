"""The printable pages as PDFs, printed by Debian's Chromium over its DevTools pipe (no Python package needed).

The built site is served on 127.0.0.1 (no other host is contacted) and each planned page (an OutFile of kind
"print": the PDF's name and the page to print, declared as an export by the view that owns the page) is printed
with the site's print stylesheet, all in one browser session. The bytes are handed to rdkb.render, which writes them.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdkb.safetext import public_host

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# What Playwright adds when it launches a headless Chromium and that can change a printed page (colour profile,
# scrollbars, hover and pointer media features), so the PDFs are the same as when the tests' Playwright prints them.
DRIVER_ARGS = ["--force-color-profile=srgb", "--hide-scrollbars", "--mute-audio", "--disable-extensions",
               "--disable-dev-shm-usage", "--no-default-browser-check", "--disable-default-apps",
               "--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4"]
# A4 with 14 mm margins, in inches as the DevTools protocol takes them (Playwright's conversion: 3.78 px per mm).
A4 = {"paperWidth": 8.27, "paperHeight": 11.7}
MARGIN_IN = 14 * 3.78 / 96
PAGE_TIMEOUT = 120.0
SUMMARY_PDF = "executive-summary.pdf"
# Printed where a page marks the place (an element with data-kb-online) when no published address is configured.
NOT_CONFIGURED = "Online version: the address of the published site is not configured in this build."


class PdfError(Exception):
    pass


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise PdfError("Chromium not found: install Debian's chromium (apt-get install chromium, or `make browser-deps`)")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


# Links to the site's own pages: absolute to the published site when a site URL is configured, else plain text
# (a PDF must never point at the print server on 127.0.0.1). Elements marked data-kb-online then say where the page is
# published, or that no address is configured; their text is set as text, never as markup.
_REWRITE_LINKS = """([base, missing]) => {
  for (const a of document.querySelectorAll('a[href]')) {
    const abs = new URL(a.getAttribute('href'), location.href);
    if (abs.origin !== location.origin) continue;
    if (base) a.setAttribute('href', new URL(abs.pathname.replace(/^\\//, '') + abs.hash, base).href);
    else a.removeAttribute('href');
  }
  for (const el of document.querySelectorAll('[data-kb-online]')) {
    el.replaceChildren();
    if (base) {
      const here = new URL(location.pathname.replace(/^\\//, ''), base).href;
      const a = document.createElement('a');
      a.href = here;
      a.textContent = here;
      el.append('Online version: ', a);
    } else {
      el.textContent = missing;
    }
  }
}"""
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")
_SITE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?(/[A-Za-z0-9._~%/-]*)?")


def fixed_dates(data: bytes, date: str) -> bytes:
    """Replace the PDF's creation and modification times by `date` (YYYY-MM-DD, the newest record date), same length,
    so the same records print to the same bytes."""
    digits = (re.sub(r"\D", "", date or "") + "00000000")[:8] + "000000"
    return _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:" + digits.encode("ascii"), data)


def checked_site_url(url: str, where: str) -> str:
    """An http(s) address of a site (no query, fragment, spaces or quotes), ending in '/'; '' stays ''."""
    url = url.strip()
    if not url:
        return ""
    if not _SITE_URL.fullmatch(url) or not public_host(urllib.parse.urlsplit(url).hostname or ""):
        raise PdfError(f"{where}: {url[:80]!r} is not the http(s) address of a published site")
    return url.rstrip("/") + "/"


def _high_fd(fd: int) -> int:
    """fd moved to a number above 9 (close-on-exec), so the child's dup2 onto 3 and 4 never overwrites the other."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class Chromium:
    """Chromium driven over its DevTools pipe (--remote-debugging-pipe): commands go in on its fd 3 and replies and
    events come out on its fd 4, each a JSON message ended by a NUL byte. One browser, pages opened one at a time."""

    def __init__(self, executable: str, args: Sequence[str], profile: str) -> None:
        cmd_r, cmd_w = (_high_fd(fd) for fd in os.pipe())
        out_r, out_w = (_high_fd(fd) for fd in os.pipe())

        def child_fds() -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        self.proc = subprocess.Popen([executable, *args, f"--user-data-dir={profile}", "--remote-debugging-pipe",
                                      "--no-startup-window"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=child_fds)
        os.close(cmd_r)
        os.close(out_w)
        self._w, self._r = cmd_w, out_r
        self._buf = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise PdfError("Chromium did not answer in time")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise PdfError("Chromium closed its DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return dict(json.loads(raw))

    def send(self, method: str, session: str = "", timeout: float = PAGE_TIMEOUT, **params: Any) -> dict[str, Any]:
        """One command; its result. Events read meanwhile are kept in self.events."""
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode("utf-8") + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise PdfError(f"Chromium: {method}: {reply['error'].get('message', reply['error'])}")
                return dict(reply.get("result", {}))
            if "method" in reply:
                self.events.append(reply)

    def event(self, deadline: float) -> dict[str, Any] | None:
        """The next event (kept ones first), or None when none comes before the deadline."""
        if self.events:
            return self.events.pop(0)
        try:
            while True:
                msg = self._message(deadline)
                if "method" in msg:
                    return msg
        except PdfError:
            if time.monotonic() >= deadline and self.proc.poll() is None:
                return None
            raise

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.send("Browser.close", timeout=10)
        except (PdfError, OSError):
            pass
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            os.close(self._w)
            os.close(self._r)


def _load(browser: Chromium, session: str, url: str) -> None:
    """Navigate and wait for the load event and Chromium's own "networkIdle" lifecycle event (no request in flight for
    500 ms), as wait_until="networkidle" does. The page itself must answer 200."""
    nav = browser.send("Page.navigate", session, url=url)
    if nav.get("errorText"):
        raise PdfError(f"could not load {url}: {nav['errorText']}")
    loader, status = nav.get("loaderId"), 0
    seen: set[str] = set()
    deadline = time.monotonic() + PAGE_TIMEOUT
    while not {"load", "networkIdle"} <= seen:
        ev = browser.event(deadline)
        if ev is None:
            raise PdfError(f"{url} did not finish loading")
        params = ev.get("params", {})
        if ev.get("sessionId") != session:
            continue
        if ev["method"] == "Network.responseReceived" and params.get("requestId") == loader:
            status = int(params["response"]["status"])
        elif ev["method"] == "Page.lifecycleEvent" and params.get("loaderId") == loader:
            seen.add(params["name"])
    if status != 200:
        raise PdfError(f"could not load {url} from the built site (HTTP {status})")


def print_pages(site: Path, pages: Sequence[tuple[str, str]], site_url: str = "", date: str = "") -> dict[str, bytes]:
    """Serve `site` on 127.0.0.1 and print each (pdf name, page) to PDF (A4, print stylesheet) in one browser session;
    deterministic for the same site. Returns pdf name -> bytes."""
    base = checked_site_url(site_url, "site_url") if site_url else ""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out: dict[str, bytes] = {}
    light = [{"name": "prefers-color-scheme", "value": "light"}]
    rewrite = f"({_REWRITE_LINKS})({json.dumps([base, NOT_CONFIGURED])})"
    try:
        with tempfile.TemporaryDirectory(prefix="rdkb-chromium-") as profile:
            browser = Chromium(chromium_path(), CHROMIUM_ARGS + DRIVER_ARGS, profile)
            try:
                context = browser.send("Target.createBrowserContext")["browserContextId"]
                for name, page in pages:
                    target = browser.send("Target.createTarget", url="about:blank", browserContextId=context)["targetId"]
                    session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
                    try:
                        for method, params in (("Page.enable", {}), ("Page.setLifecycleEventsEnabled", {"enabled": True}),
                                               ("Network.enable", {}), ("Runtime.enable", {}),
                                               ("Emulation.setDeviceMetricsOverride",
                                                {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False,
                                                 "screenWidth": 1280, "screenHeight": 720}),
                                               ("Emulation.setEmulatedMedia", {"media": "", "features": light})):
                            browser.send(method, session, **params)
                        _load(browser, session, f"http://127.0.0.1:{server.server_address[1]}/{page}")
                        browser.send("Emulation.setEmulatedMedia", session, media="print", features=light)
                        result = browser.send("Runtime.evaluate", session, expression=rewrite, returnByValue=True,
                                              awaitPromise=True)
                        if "exceptionDetails" in result:
                            raise PdfError(f"{page}: the links could not be rewritten for print")
                        printed = browser.send("Page.printToPDF", session, landscape=False, displayHeaderFooter=False,
                                               headerTemplate="", footerTemplate="", printBackground=True, scale=1,
                                               **A4, marginTop=MARGIN_IN, marginBottom=MARGIN_IN, marginLeft=MARGIN_IN,
                                               marginRight=MARGIN_IN, pageRanges="", preferCSSPageSize=False,
                                               generateTaggedPDF=False, generateDocumentOutline=False)
                        out[name] = fixed_dates(base64.b64decode(printed["data"]), date)
                    finally:
                        browser.send("Target.closeTarget", targetId=target)
                        browser.events = [e for e in browser.events if e.get("sessionId") != session]
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out
