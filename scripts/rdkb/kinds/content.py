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
from rdkb.model import Dataset, Issue
from rdkb.paths import Layout
from rdkb.rules import declare
from rdkb.safetext import inert_title
from rdkb.yamlio import E001, E007, E008, E014, E015, SAFE_ID, rel_path, safe_name

E501 = declare("E501", "raw HTML, an attribute list or a non-http(s) link in a hand-written page",
               "hand-written pages are plain Markdown: headings, paragraphs, lists, tables, emphasis, links to pages of this "
               "site or to https:// addresses; no HTML tags, no {: ...} attributes, no javascript:/data: links",
               "content/E501-raw-html.md")
MAX_PAGE_BYTES = 256 * 1024
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_UNSAFE = [
    (re.compile(r"<[A-Za-z!?/]"), "raw HTML"),
    (re.compile(r"\{\s*[:#.][^}\n]*\}|\{\s*[A-Za-z_-]+\s*=[^}\n]*\}"), "an attribute list"),
    (re.compile(r"\]\(\s*<?\s*(?!https?://)[A-Za-z][A-Za-z0-9+.-]*:", re.I), "a link with a scheme other than http(s)"),
    (re.compile(r"(?m)^\s{0,3}\[[^\]]+\]:\s*<?\s*(?!https?://)[A-Za-z][A-Za-z0-9+.-]*:", re.I), "a link definition with a scheme other than http(s)"),
]


def unsafe_markup(text: str) -> list[tuple[int, str]]:
    """(line, what) for every construct a hand-written page may not contain (code spans and blocks are exempt)."""
    out = []
    blanked = _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    for rx, what in _UNSAFE:
        for m in rx.finditer(blanked):
            out.append((blanked[: m.start()].count("\n") + 1, what))
    return sorted(set(out))


def check(ds: Dataset) -> list[Issue]:
    return [E501.at(f"content/{name}", line, f"{what} is not allowed in a hand-written page")
            for name, text in sorted(ds.content_pages.items()) for line, what in unsafe_markup(text)]
# Top-level names the build writes itself (pages and folders under build/docs); a test checks this covers them all.
RESERVED_PAGES = frozenset({"index", "summary", "comparison", "claims", "errata", "complaints", "treatments", "references",
                            "downloads", "charts", "cases", "papers", "agents", "causes", "survey", "phenotypes", "data",
                            "records", "schemas", "assets", "search", "404", "executive-summary", "handout", "clinician-summary",
                            "literature", "series"})
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def load_content(layout: Layout, ds: Dataset, cache: dict[str, Any] | None) -> None:
    """content/<name>.md, top level only. Links are refused (E014), as are unsafe or reserved names (E008, E015)."""
    folder = layout.root / "content"
    if folder.is_symlink():
        ds.issues.append(E014.at("content", 1, "the input folder content/ is a symbolic link and is not read"))
        return
    if not folder.is_dir():
        return
    for p in sorted(folder.rglob("*")):
        rel = rel_path(p, layout.root)
        if p.is_symlink():
            ds.issues.append(E014.at(rel, 1, f"{safe_name(p.name)} is a symbolic link and is not read"))
            continue
        if p.is_dir() or p.name.startswith("."):
            continue
        name = p.relative_to(folder).as_posix()
        if not (SAFE_ID.fullmatch(p.stem) and p.suffix == ".md" and "/" not in name):
            ds.issues.append(E008.at(rel, 1, f"{safe_name(name)} is not a page name (content/<lower-case-name>.md)"))
            continue
        if p.stem in RESERVED_PAGES:
            ds.issues.append(E015.at(rel, 1, f"{name!r} would replace a page the build generates"))
            continue
        raw = p.read_bytes()
        if len(raw) > MAX_PAGE_BYTES:
            ds.issues.append(E007.at(rel, 1, f"file is {len(raw)} bytes, over the {MAX_PAGE_BYTES}-byte limit"))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            ds.issues.append(E001.at(rel, raw[: exc.start].count(b"\n") + 1, f"file is not valid UTF-8 (offset {exc.start})"))
            continue
        ds.content_pages[name] = text.replace("\r\n", "\n")


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
        return inert_title(fm["nav_title"])
    m = re.search(r"(?m)^# (.+)$", text)
    return inert_title(m.group(1)) if m else name.removesuffix(".md").replace("-", " ").capitalize()


def body(text: str) -> str:
    """The page without its front matter (the build writes its own, with an inert title)."""
    return FRONT.sub("", text, count=1).lstrip("\n")


@dataclass(frozen=True)
class ContentView:
    pages: tuple[tuple[str, str, str, str], ...]  # (name, text, nav title, description), sorted by name
    cited: dict[str, tuple[str, ...]]  # name -> keys it cites


def derive(ds: Dataset, views: Views) -> ContentView:
    items = []
    for name, text in sorted(ds.content_pages.items()):
        items.append((name, text, _title(name, text), inert_title(front_matter(text).get("description", ""))))
    return ContentView(tuple(items), {name: tuple(sorted({k for _, k in reference.content_citations(text)}))
                                      for name, text in ds.content_pages.items()})


def cites(v: ContentView) -> list[Citation]:
    return [(key, name, title) for name, _, title, _ in v.pages for key in v.cited[name]]


def pages(ctx: Context) -> list[PagePlan]:
    out = []
    for name, text, title, desc in ctx.view(KIND).pages:
        changed = ctx.changed.get(f"content/{name}", "") or "not yet committed"
        out.append(PagePlan(name, "content.md.j2", {"text": body(text).rstrip("\n"), "name": name, "changed": changed},
                            Nav("Clinical", title, desc), since="0.2"))
    return out


def _records(ctx: Context) -> list[OutFile]:
    return [OutFile(f"records/content/{name}.txt", "text", text) for name, text, _, _ in ctx.view(KIND).pages]


KIND: Kind[ContentView] = Kind(
    name="content", folder="content", load=load_content, check=check, derive=derive, cites=cites, pages=pages, files=_records,
    published=False, description="hand-written clinical pages (Markdown; the raw text is published under records/content/)",
)
