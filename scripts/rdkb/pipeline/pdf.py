"""The printable pages as PDFs, printed by Debian's Chromium through Playwright.

The built site is served on 127.0.0.1 (no other host is contacted) and each planned page (an OutFile of kind
"print": the PDF's name and the page to print, declared as an export by the view that owns the page) is printed
with the site's print stylesheet, all in one browser session. The bytes are handed to rdkb.render, which writes them.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

from rdkb.safetext import public_host

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
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


def print_pages(site: Path, pages: Sequence[tuple[str, str]], site_url: str = "", date: str = "") -> dict[str, bytes]:
    """Serve `site` on 127.0.0.1 and print each (pdf name, page) to PDF (A4, print stylesheet) in one browser session;
    deterministic for the same site. Returns pdf name -> bytes."""
    from playwright.sync_api import sync_playwright

    base = checked_site_url(site_url, "site_url") if site_url else ""
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out: dict[str, bytes] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                for name, page in pages:
                    tab = browser.new_page(color_scheme="light")
                    try:
                        url = f"http://127.0.0.1:{server.server_address[1]}/{page}"
                        response = tab.goto(url, wait_until="networkidle")
                        if response is None or response.status != 200:
                            raise PdfError(f"could not load {page} from the built site")
                        tab.emulate_media(media="print")
                        tab.evaluate(_REWRITE_LINKS, [base, NOT_CONFIGURED])
                        data = tab.pdf(format="A4", print_background=True,
                                       margin={"top": "14mm", "bottom": "14mm", "left": "14mm", "right": "14mm"})
                        out[name] = fixed_dates(data, date)
                    finally:
                        tab.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out
