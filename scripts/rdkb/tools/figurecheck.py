"""A check over the built site: every figure about a question the synthesis covers comes from the synthesis.

Synthesis figures are rendered inside an element with a `data-q` attribute (macro `syn` in site_templates/_macros.md.j2).
A record's own stated figure, shown on that record's page, carries `data-record`. Any other text block that names a
covered question (its terms) together with a count ("3 of 22", "2 of the ...") is a page computing its own figure:
`violations()` lists them. Run over site/ by the tests (tests/test_synthesis.py); `python -m rdkb.tools.figurecheck`.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

# The covered questions' words, as pages word them (one place: the synthesis' questions; see questions/*.yaml labels).
TERMS = re.compile(r"parkinson|parkinsonism|corticobasal|spread|walking|tremor|returned|return to running|running again|"
                   r"full recovery|foot or ankle|foot, toes or ankle|sensory trick|delay|invasive procedure|runners? from",
                   re.IGNORECASE)
COUNT = re.compile(r"\b\d+\s+(?:of|out of)\s+(?:the\s+)?\d+\b|\b\d+\s+of\s+the\b|"
                   r"\bof\s+(?:the\s+)?\d+\s+(?:patients|cases|runners|respondents|subjects)\b", re.IGNORECASE)
BLOCKS = {"p", "li", "tr", "td", "th", "caption", "figcaption", "h1", "h2", "h3", "h4", "dd", "dt", "text", "title", "blockquote"}
# data-q: a synthesis figure; data-record: a record's own stated value on its own page; data-filter-panel: the case
# table's figures panel, which kb.js recomputes for the rows the reader's filter leaves (its unfiltered values are the
# case records' counts, tested against the synthesis' case level).
EXEMPT = {"data-q", "data-qs", "data-record", "data-filter-panel"}  # data-qs: a text alternative naming several
SKIP = {"script", "style", "nav", "header", "footer"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "path", "rect", "line", "circle", "use"}


class _Blocks(HTMLParser):
    """Text of each block element, with the text inside data-q / data-record elements left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, exempt, skipped)
        self.blocks: list[str] = []
        self.current: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        exempt = bool(names & EXEMPT)
        skip = tag in SKIP or any(k == "class" and v and "md-sidebar" in v for k, v in attrs)
        if tag in VOID:
            return
        self.stack.append((tag, exempt, skip))
        if tag in BLOCKS:
            self.current.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            t, _, _ = self.stack.pop()
            if t in BLOCKS and self.current:
                self.blocks.append(" ".join(" ".join(self.current.pop()).split()))
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.current or any(ex or sk for _, ex, sk in self.stack):
            return
        for block in self.current:  # a row's text includes its cells'
            block.append(data)


def page_violations(html: str, whole: bool = False) -> list[str]:
    """Blocks naming a covered question with a count outside synthesis elements; whole=True (SVG): the document is one
    block, since a chart's label and its figure are separate text elements."""
    p = _Blocks()
    p.feed(html)
    blocks = [" ".join(p.blocks)] if whole else p.blocks
    return [b for b in blocks if TERMS.search(b) and COUNT.search(b)]


def violations(site: Path) -> dict[str, list[str]]:
    out = {}
    for f in sorted(site.rglob("*.html")) + sorted(site.rglob("*.svg")):
        found = page_violations(f.read_text(encoding="utf-8", errors="replace"), whole=f.suffix == ".svg")
        if found:
            out[str(f.relative_to(site))] = found
    return out


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "site")
    bad = violations(site)
    for page, blocks in bad.items():
        for b in blocks:
            print(f"{page}: {b[:200]}")
    sys.exit(1 if bad else 0)
