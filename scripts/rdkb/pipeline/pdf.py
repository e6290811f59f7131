"""The printable executive summary as a PDF, printed by Debian's Chromium through Playwright.

The built site is served on 127.0.0.1 (no other host is contacted) and the summary page is printed
with the site's print stylesheet. The bytes are handed to rdkb.render, which writes them.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SUMMARY_PDF = "executive-summary.pdf"


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


# Links to the site's own pages: absolute to the published site when mkdocs.yml sets site_url, else plain text
# (a PDF must never point at the print server on 127.0.0.1).
_REWRITE_LINKS = """(base) => {
  for (const a of document.querySelectorAll('a[href]')) {
    const abs = new URL(a.getAttribute('href'), location.href);
    if (abs.origin !== location.origin) continue;
    if (base) a.setAttribute('href', new URL(abs.pathname.replace(/^\\//, '') + abs.hash, base).href);
    else a.removeAttribute('href');
  }
}"""
_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def fixed_dates(data: bytes, date: str) -> bytes:
    """Replace the PDF's creation and modification times by `date` (YYYY-MM-DD, the newest record date), same length,
    so the same records print to the same bytes."""
    digits = (re.sub(r"\D", "", date or "") + "00000000")[:8] + "000000"
    return _PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:" + digits.encode("ascii"), data)


def print_page(site: Path, page: str = "summary/", site_url: str = "", date: str = "") -> bytes:
    """Serve `site` on 127.0.0.1 and print `page` to PDF (A4, print stylesheet); deterministic for the same site."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                tab = browser.new_page()
                url = f"http://127.0.0.1:{server.server_address[1]}/{page}"
                response = tab.goto(url, wait_until="networkidle")
                if response is None or response.status != 200:
                    raise PdfError(f"could not load {page} from the built site")
                tab.emulate_media(media="print")
                tab.evaluate(_REWRITE_LINKS, site_url.rstrip("/") + "/" if site_url else "")
                data = tab.pdf(format="A4", print_background=True,
                               margin={"top": "14mm", "bottom": "14mm", "left": "14mm", "right": "14mm"})
                return fixed_dates(data, date)
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()


