"""The hand-written page kind: clinical pages in content/*.md, written in the project's own words.

A page may start with front matter giving its navigation title and home-page description:

    ---
    nav_title: Red flags
    description: when a runner should see a neurologist
    ---

Citations are Markdown links to references.md#<key>; the keys are checked (E202, in rdkb.kinds.reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rdkb.kinds import reference
from rdkb.kinds.base import Citation, Context, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset
from rdkb.paths import Layout

FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def load_content(layout: Layout, ds: Dataset, cache: dict[str, Any] | None) -> None:
    folder = layout.root / "content"
    if folder.is_dir():
        for p in sorted(folder.rglob("*.md")):
            ds.content_pages[p.relative_to(folder).as_posix()] = p.read_text(encoding="utf-8")


def front_matter(text: str) -> dict[str, str]:
    """`key: value` lines of the front matter (plain text values only)."""
    m = FRONT.match(text)
    out: dict[str, str] = {}
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and re.match(r"^[a-z_]+$", key.strip()):
                out[key.strip()] = value.strip().strip("'\"")
    return out


def _title(name: str, text: str) -> str:
    fm = front_matter(text)
    if fm.get("nav_title"):
        return fm["nav_title"]
    m = re.search(r"(?m)^# (.+)$", text)
    return m.group(1).strip() if m else name.removesuffix(".md").replace("-", " ").capitalize()


@dataclass(frozen=True)
class ContentView:
    pages: tuple[tuple[str, str, str, str], ...]  # (name, text, nav title, description), sorted by name
    cited: dict[str, tuple[str, ...]]  # name -> keys it cites


def derive(ds: Dataset, views: Views) -> ContentView:
    items = []
    for name, text in sorted(ds.content_pages.items()):
        items.append((name, text, _title(name, text), front_matter(text).get("description", "")))
    return ContentView(tuple(items), {name: tuple(sorted({k for _, k in reference.content_citations(text)}))
                                      for name, text in ds.content_pages.items()})


def cites(v: ContentView) -> list[Citation]:
    return [(key, name, title) for name, _, title, _ in v.pages for key in v.cited[name]]


def pages(ctx: Context) -> list[PagePlan]:
    out = []
    for name, text, title, desc in ctx.view(KIND).pages:
        changed = ctx.changed.get(f"content/{name}", "") or "not yet committed"
        out.append(PagePlan(name, "content.md.j2", {"text": text.rstrip("\n"), "name": name, "changed": changed},
                            Nav("Clinical", title, desc), since="0.2"))
    return out


def _records(ctx: Context) -> list[OutFile]:
    return [OutFile(f"records/content/{name}.txt", "text", text) for name, text, _, _ in ctx.view(KIND).pages]


KIND: Kind[ContentView] = Kind(
    name="content", folder="content", load=load_content, derive=derive, cites=cites, pages=pages, files=_records,
    published=False, description="hand-written clinical pages (Markdown; the raw text is published under records/content/)",
)
