"""Link check of the built site: every internal link and anchor resolves (including links inside generated
tables and data pages, and raw-HTML links that `mkdocs --strict` does not see); external links are well formed.
Reads site/ only; nothing is fetched from the network."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

EXTERNAL_OK = re.compile(r"^(https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/[^\s<>\"]*)?|mailto:[^\s@]+@[^\s@]+)$")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"] or "")
        for attr in ("href", "src"):
            if a.get(attr) and tag in ("a", "img", "link", "script"):
                self.links.append((tag, a[attr] or ""))


def check_site(site: Path) -> list[str]:
    """Problems as 'page: message' strings; empty when every link resolves."""
    pages: dict[str, _Links] = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(path.read_text(encoding="utf-8"))
        pages["/" + path.relative_to(site).as_posix()] = parser
    problems = []
    for page, parser in pages.items():
        for _tag, href in parser.links:
            if href.startswith(("javascript:", "data:")) or href.lower().startswith("javascript"):
                problems.append(f"{page}: forbidden link scheme in {href[:40]!r}")
                continue
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                if not EXTERNAL_OK.match(href):
                    problems.append(f"{page}: malformed external link {href!r}")
                continue
            if parts.scheme:
                problems.append(f"{page}: unexpected link scheme {href!r}")
                continue
            target = urljoin(page, parts.path) if parts.path else page
            target = unquote(target)
            if target.endswith("/"):
                target += "index.html"
            file = site / target.lstrip("/")
            if not file.exists():
                if not (file.is_dir() and (file / "index.html").exists()):
                    problems.append(f"{page}: broken link {href!r} (no {target})")
                    continue
            if parts.fragment and target.endswith(".html"):
                ids = pages.get(target)
                if ids is not None and parts.fragment not in ids.ids:
                    problems.append(f"{page}: broken anchor {href!r}")
    return problems
