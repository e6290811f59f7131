"""The hand-written page kind: clinical pages in content/*.md, written in the project's own words.

A page may start with front matter giving its navigation title and home-page description:

    ---
    nav_title: Red flags
    description: when a runner should see a neurologist
    ---

Citations are Markdown links to references.md#<key>; the keys are checked (E202, in rdkb.kinds.reference).
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from rdkb.kinds import reference
from rdkb.kinds.base import Citation, Context, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue
from rdkb.paths import Layout
from rdkb.rules import declare
from rdkb.safetext import inert_title, terminal_safe
from rdkb.yamlio import E001, E007, E008, E014, E015, SAFE_ID, rel_path, safe_name

E501 = declare("E501", "raw HTML, an attribute list or a non-http(s) link in a hand-written page",
               "hand-written pages are plain Markdown: headings, paragraphs, lists, tables, emphasis, links to pages of this "
               "site or to https:// addresses; no HTML tags, no {: ...} attributes, no javascript:/data: links",
               "content/E501-raw-html.md")
E502 = declare("E502", "a hand-written page's front matter that is not one `---` block of allowed `key: plain text` lines",
               "start the page with one block: a line '---', then only 'nav_title: ...' and 'description: ...' lines of plain "
               "text (no backslash escapes, no < or >), then a line '---'; nothing else may look like front matter",
               "content/E502-front-matter.md")
MAX_PAGE_BYTES = 128 * 1024
MAX_NESTING = 24  # brackets, parentheses and emphasis markers open at once (Python-Markdown is quadratic in the depth)
PAGE_SECONDS = 5.0  # time allowed to parse one page (a pathological page is refused, not waited for)
FRONT_KEYS = ("nav_title", "description")
_FRONT_VALUE = re.compile(r"[^\\<>\x00-\x1f\x7f]*")

# What the parsed page may contain: the tags and attributes Python-Markdown produces for plain Markdown with the
# extensions mkdocs.yml enables (admonition, attr_list, md_in_html, tables, toc, rdkb.mdext), nothing else.
ALLOWED_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "code", "pre",
                          "blockquote", "table", "thead", "tbody", "tr", "th", "td", "caption", "hr", "br", "div", "dl", "dt",
                          "dd", "sup", "sub"})
_ATTR_OK: dict[tuple[str, str], re.Pattern[str]] = {
    ("a", "href"): re.compile(r".*", re.S),  # checked by _safe_href
    ("a", "title"): re.compile(r"[^\x00-\x1f]*"),
    ("ol", "start"): re.compile(r"\d{1,6}"),
    ("th", "style"): re.compile(r"text-align: (?:left|right|center);"),
    ("td", "style"): re.compile(r"text-align: (?:left|right|center);"),
    ("div", "class"): re.compile(r"admonition(?: [a-z-]{1,30})?"),
    ("p", "class"): re.compile(r"admonition-title"),
    **{(f"h{n}", "id"): re.compile(r"[a-z0-9_-]{1,200}") for n in range(1, 7)},
}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def _safe_href(href: str) -> bool:
    """A link target a browser cannot turn into script: no control or space characters at all (browsers drop them,
    so '\\x01javascript:' is javascript:), and a scheme, if any, of http or https."""
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F or ch == "\\" for ch in href):
        return False
    m = _SCHEME.match(href)
    return m is None or m.group(1).lower() in ("http", "https")


class _Walker(HTMLParser):
    """Walks the HTML Python-Markdown made of a page and records every tag, attribute or link outside the allowlist."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []  # (what, a piece of the source to find its line by)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.append((f"raw HTML (<{tag}>)", "<" + tag))
            return
        for name, value in attrs:
            ok = _ATTR_OK.get((tag, name))
            if ok is None or not ok.fullmatch(value or ""):
                self.found.append((f"an attribute ({name}= on <{tag}>)", name))
            elif name == "href" and not _safe_href(value or ""):
                self.found.append(("a link with a scheme other than http(s)", (_SCHEME.match(value.lstrip("\x00- ")
                                                                                       or "") or [""])[0] if value else ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.found.append(("raw HTML (a comment)", "<"))

    def handle_decl(self, decl: str) -> None:
        self.found.append(("raw HTML (a declaration)", "<"))

    def handle_pi(self, data: str) -> None:
        self.found.append(("raw HTML (a processing instruction)", "<"))

    def unknown_decl(self, data: str) -> None:
        self.found.append(("raw HTML (a CDATA section)", "<"))


def _nesting(text: str) -> int:
    """The deepest nesting of brackets, parentheses and emphasis markers, in one linear pass."""
    depth = deepest = 0
    for ch in text:
        if ch in "[(":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "])" and depth:
            depth -= 1
    runs = max((len(m) for m in re.findall(r"[*_]+", text)), default=0)
    return max(deepest, runs)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError after `seconds` of wall time (main thread only; elsewhere the size and nesting limits bound
    the time)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise TimeoutError

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _markdown() -> Any:
    import markdown

    return markdown.Markdown(extensions=["admonition", "attr_list", "md_in_html", "tables", "rdkb.mdext", "toc"],
                             extension_configs={"toc": {"permalink": False}})


def unsafe_markup(text: str, seconds: float = PAGE_SECONDS) -> list[tuple[int, str]]:
    """(line, what) for every construct a hand-written page may not contain, found on the page as Python-Markdown parses
    it (with mkdocs.yml's extensions), not by patterns over the text: every tag, attribute and link target of the
    rendered HTML must be on the allowlist. The line is the page's first line when the parse cannot say."""
    if _nesting(text) > MAX_NESTING:
        return [(1, f"nesting deeper than {MAX_NESTING} brackets or emphasis markers")]
    try:
        with _time_limit(seconds):
            html = _markdown().convert(text)
    except TimeoutError:
        return [(1, f"a page that takes over {seconds:g} s to parse")]
    except (RecursionError, ValueError, IndexError, KeyError, AttributeError) as exc:  # Python-Markdown's own failures
        return [(1, f"a page Python-Markdown cannot parse ({type(exc).__name__})")]
    walker = _Walker()
    walker.feed(html)
    walker.close()
    lower = text.lower()
    return sorted({(_line_of(lower, needle.lower()), what) for what, needle in walker.found})


def _line_of(text: str, needle: str) -> int:
    """The line of the first occurrence of a piece of the source (1 when it cannot be found)."""
    at = text.find(needle) if needle else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def front_matter_problems(text: str) -> list[tuple[int, str]]:
    """(line, what) for front matter the project does not parse itself: a block not closed by '---', a second block,
    a key outside FRONT_KEYS, or a value that is not plain text."""
    lines = text.split("\n")
    out: list[tuple[int, str]] = []
    end = 0
    if lines and lines[0].rstrip() == "---":
        close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
        if close is None or lines[0] != "---" or lines[close] != "---":
            return [(1, "front matter that is not closed by a line '---'")]
        for i in range(1, close):
            key, sep, value = lines[i].partition(":")
            if not lines[i].strip():
                continue
            if not sep or key not in FRONT_KEYS:
                out.append((i + 1, f"front matter line {terminal_safe(lines[i][:40])!r}: only {', '.join(FRONT_KEYS)} are allowed"))
            elif not _FRONT_VALUE.fullmatch(value) or value.strip()[:1] in tuple("[{!&*|>%@"):
                out.append((i + 1, f"front matter {key}: not plain text (no escapes, no < or >, not a YAML structure)"))
        end = close + 1
    rest = next((i for i in range(end, len(lines)) if lines[i].strip()), None)
    if rest is not None and lines[rest].strip() in ("---", "..."):
        out.append((rest + 1, "a second front-matter block (only one, at the top of the page)"))
    return out


def check(ds: Dataset) -> list[Issue]:
    issues = []
    for name, text in sorted(ds.content_pages.items()):
        issues += [E502.at(f"content/{name}", line, what) for line, what in front_matter_problems(text)]
        page = body(text)
        offset = text[: len(text) - len(page)].count("\n")
        issues += [E501.at(f"content/{name}", offset + line, f"{what} is not allowed in a hand-written page")
                   for line, what in unsafe_markup(page)]
    return issues


# Top-level names the build writes itself (pages and folders under build/docs); a test checks this covers them all.
RESERVED_PAGES = frozenset({"index", "summary", "comparison", "claims", "errata", "complaints", "treatments", "references",
                            "downloads", "charts", "cases", "papers", "agents", "causes", "survey", "phenotypes", "data",
                            "records", "schemas", "assets", "search", "404", "executive-summary", "handout", "clinician-summary",
                            "literature", "series"})
FRONT = re.compile(r"\A---\n(.*?\n)?---(?:\n|\Z)", re.S)


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
        for line in (m.group(1) or "").splitlines():
            key, sep, value = line.partition(":")
            if sep and key in FRONT_KEYS:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                out[key] = value
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
