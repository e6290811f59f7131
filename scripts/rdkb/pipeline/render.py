"""Stage 4: Jinja2 -> Markdown pages and data downloads. The ONLY module that writes files.

Everything else that writes (the cache, `new-case`, the benchmark's synthetic knowledge base, the HPO
subset cutter, the summary PDF) calls the writers below.

Every value a template prints is escaped for Markdown/HTML by default (Jinja's
`finalize`), so a record's text can never become markup, a link or a template:
`<script>`, `*emphasis*`, `[x](javascript:...)` and `{{ 7*7 }}` all reach the
page as literal text. Only links and markup the renderer builds itself are
wrapped in `Safe` and pass through.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from rdkb.paths import Layout
from rdkb.safetext import inert_title
from rdkb.tabular import json_text

if TYPE_CHECKING:
    from rdkb.kinds.base import PagePlan
    from rdkb.pipeline.derive import Derived

_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()<>#!|&~\"'^:"}
_MD_TABLE = str.maketrans(_MD_SPECIAL)
_MD_LEADING = {c: f"&#{ord(c)};" for c in "-+=.0123456789"}  # list/heading/rule markers only matter first
_MD_BLOCK_START = re.compile(r"^(?:[-+=]|\d+\.(?:\s|$))")


Safe = Markup  # markup the renderer built itself (links, anchors, macro output): passed through unescaped


def md(value: Any) -> Markup:
    """Escape any value so Markdown and HTML render it as literal text on one line."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (int, float)):
        return Markup(str(value))
    text = " ".join(str(value).split())
    out = text.translate(_MD_TABLE)
    if _MD_BLOCK_START.match(out):  # would start a list, heading rule or setext underline at a line start
        out = _MD_LEADING[out[0]] + out[1:]
    return Markup(out)


def link(text: Any, target: str) -> Safe:
    """A Markdown link with escaped text. Targets are built by us from ids or checked URLs only."""
    return Safe(f"[{md(text)}]({target})")


def rel(from_page: str, to_page: str) -> str:
    """Relative link from one docs page to another (both paths relative to docs/, with .md)."""
    target, _, anchor = to_page.partition("#")
    return _rel_path(from_page.rpartition("/")[0], target) + (f"#{anchor}" if anchor else "")


@functools.lru_cache(maxsize=65536)
def _rel_path(base: str, target: str) -> str:
    """posixpath.relpath for our clean, relative docs paths, without touching the file system (hot path)."""
    if not target:
        return ""
    b = base.split("/") if base else []
    t = target.split("/")
    i = 0
    while i < len(b) and i < len(t) - 1 and b[i] == t[i]:
        i += 1
    return "../" * (len(b) - i) + "/".join(t[i:])


@jinja2.pass_context
def source_link(ctx: Any, src: Any) -> Markup:
    """'[Wu & Jankovic 2006](../references.md#wu2006), abstract' for a source mapping."""
    if not isinstance(src, dict) or not src.get("ref"):
        return Markup("no source")
    key = src["ref"]
    out = link(ctx["refs_short"].get(key, key), rel(ctx["page"], f"references.md#{key}"))
    if src.get("via"):  # read only in another work: say so
        via = src["via"]
        out = Markup(out + ", as reported by " + link(ctx["refs_short"].get(via, via), rel(ctx["page"], f"references.md#{via}")))
    return Markup(out + (", " + md(src["locator"]) if src.get("locator") else ""))


@jinja2.pass_context
def case_link(ctx: Any, case_id: Any) -> Markup:
    if not case_id:
        return Markup("case not attributed in the source")
    return link(case_id, rel(ctx["page"], f"cases/{case_id}.md"))


@jinja2.pass_context
def agent_links(ctx: Any, agents: Any) -> Markup:
    names = ctx["vocab"]["agents"]
    return Markup(" + ").join(link(names.get(a, a), rel(ctx["page"], f"agents/{a}.md")) for a in agents)


def yn(value: Any) -> str:
    return "not reported" if value is None else ("yes" if value else "no")


FOOTER_LIST_MAX = 12  # a page's footer names at most this many records of one folder; more are counted


def footer_records(records: Iterable[str]) -> list[dict[str, Any]]:
    """The records a page's footer shows, in order: each by its path ({"path"}), except the records of a folder that
    holds more than FOOTER_LIST_MAX of them, counted once where the first was ({"folder", "n"}): at 10,000 cases
    the list of every case record was some 0.7 MB on each of 30 pages (the records are listed on the Downloads
    page and in cases.json)."""
    folders = [(r, r.split("/", 1)[0] if "/" in r else "") for r in records]
    per_folder = Counter(f for _, f in folders if f)
    out: list[dict[str, Any]] = []
    for r, folder in folders:
        if per_folder[folder] <= FOOTER_LIST_MAX:
            out.append({"path": r, "folder": "", "n": 1})
        elif not any(o["folder"] == folder for o in out):
            out.append({"path": "", "folder": folder, "n": per_folder[folder]})
    return out


@functools.lru_cache(maxsize=8)
def make_env(template_dir: Path) -> jinja2.Environment:
    """One environment per template folder for the process: `make serve` does not recompile the templates at every
    save (Jinja reloads a template whose file changed)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        autoescape=True,
        finalize=md,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(link=link, Safe=Safe, rel=rel, source_link=source_link, case_link=case_link,
                       agent_links=agent_links, yn=yn, footer_records=footer_records,
                       footer_list_max=FOOTER_LIST_MAX)
    env.filters["md"] = md
    return env


SAFE_OUTPUT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")  # relative, no '..', no odd characters
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula (OWASP): text starting with = + - @ tab or CR gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Writer:
    """Collects outputs in a staging folder; `publish` swaps it into place at the end."""

    def __init__(self, final_docs: Path, in_place: bool = False) -> None:
        """in_place=True (used by `serve`): write straight into final_docs, touching only files whose
        bytes changed, so MkDocs' watcher rebuilds just what changed."""
        self.final_docs = final_docs
        self.in_place = in_place
        final_docs.parent.mkdir(parents=True, exist_ok=True)
        if in_place:
            final_docs.mkdir(parents=True, exist_ok=True)
            self.stage = final_docs
        else:
            self.stage = Path(tempfile.mkdtemp(prefix=".docs-", dir=final_docs.parent))
        self.written: list[str] = []
        self.changed_files: list[str] = []

    def _put(self, relpath: str, data: bytes) -> None:
        if not SAFE_OUTPUT.fullmatch(relpath) or ".." in relpath.split("/"):
            raise ValueError(f"refusing to write outside the docs folder: {relpath[:80]!r}")
        path = self.stage / relpath
        self.written.append(relpath)
        if self.in_place and path.exists() and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.changed_files.append(relpath)

    def keep(self, relpath: str) -> None:
        """An in-place output left as it is (its inputs did not change): kept by publish."""
        if not SAFE_OUTPUT.fullmatch(relpath) or ".." in relpath.split("/"):
            raise ValueError(f"refusing an output outside the docs folder: {relpath[:80]!r}")
        self.written.append(relpath)

    def text(self, relpath: str, content: str) -> None:
        self._put(relpath, content.encode("utf-8"))

    def json(self, relpath: str, data: Any) -> None:
        self.text(relpath, json_text(data))

    def csv(self, relpath: str, header: list[str], rows: list[list[Any]]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([csv_cell(v) for v in r])
        self.text(relpath, buf.getvalue())

    def copy(self, relpath: str, source: Path) -> None:
        """Copy a file as it is; a symbolic link is never followed (O_NOFOLLOW: OSError)."""
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as fh:
            self._put(relpath, fh.read())

    def bytes_(self, relpath: str, data: bytes) -> None:
        """A binary download (e.g. a zip built deterministically by derive)."""
        self._put(relpath, bytes(data))

    def publish(self) -> None:
        """Replace the docs folder by the staged one (rename: no half-written state is visible)."""
        if self.in_place:
            keep = set(self.written)
            for p in sorted(self.final_docs.rglob("*"), reverse=True):
                r = p.relative_to(self.final_docs).as_posix()
                if p.is_file() and r not in keep:
                    p.unlink()
                    self.changed_files.append(r)
                elif p.is_dir() and not any(p.iterdir()):
                    p.rmdir()
            return
        swap_in(self.stage, self.final_docs)

    def discard(self) -> None:
        if not self.in_place:
            shutil.rmtree(self.stage, ignore_errors=True)



# HTML elements whose text keeps its whitespace (and scripts and styles, left as they are)
_KEEP_SPACE = re.compile(r"(<(pre|textarea|script|style)\b.*?</\2\s*>)", re.S | re.I)
_LINE_SPACE = re.compile(r"[ \t\r]*\n[ \t\r\n]*")


def compact_html_text(html: str) -> str:
    """The page with every run of white space that holds a line break cut to one line break, outside pre, textarea,
    script and style: a browser renders both the same (white space collapses to one space), and the indentation the
    theme's templates leave was about a sixth of a case page."""
    parts = _KEEP_SPACE.split(html)
    out = []
    for i in range(0, len(parts), 3):
        out.append(_LINE_SPACE.sub("\n", parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
    return "".join(out)


def compact_html(site: Path) -> int:
    """compact_html_text on every page of a freshly built site (before it is swapped in); returns the bytes saved."""
    saved = 0
    for path in site.rglob("*.html"):
        if path.is_symlink() or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        small = compact_html_text(text)
        if small != text:
            path.write_text(small, encoding="utf-8", errors="surrogateescape")
            saved += len(text.encode("utf-8", "surrogateescape")) - len(small.encode("utf-8", "surrogateescape"))
    return saved


def swap_in(new: Path, final: Path) -> None:
    """Move a freshly written folder into place (build/docs, site/); the old one is removed only after the new one is in."""
    old = None
    if final.exists():
        old = final.with_name(final.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        final.rename(old)
    new.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


_H1 = re.compile(r"(?m)^# (.+)$")
SEARCH_FRONT = {"boost": "search:\n  boost: 3\n", "exclude": "search:\n  exclude: true\n", "": ""}


def with_title(markdown: str, search: str = "", tags: Iterable[str] = ()) -> str:
    """Prefix a rendered page with front matter: `title:` made inert from its first H1 (MkDocs then uses it as the
    title), Material's search `boost` / `exclude` when the page asks for it, and the search synonyms of the vocabulary
    for the page as tags (a page that writes its own front matter adds them itself: the `front` macro)."""
    if markdown.startswith("---\n"):
        return markdown
    m = _H1.search(markdown)
    if m is None:
        return markdown
    tag_lines = "".join(f"  - {json.dumps(t, ensure_ascii=False)}\n" for t in tags)
    return ("---\ntitle: " + json.dumps(inert_title(m.group(1)), ensure_ascii=False) + "\n" + SEARCH_FRONT[search]
            + ("tags:\n" + tag_lines if tag_lines else "") + "---\n\n" + markdown)


def mkdocs_config(d: Derived, base: str = "../mkdocs.yml") -> str:
    """The generated MkDocs config: the plain mkdocs.yml plus the nav computed in derive (JSON strings are valid YAML)."""
    lines = ["# Generated by the build from rdkb.kinds (nav) and mkdocs.yml (everything else); do not edit.",
             f"INHERIT: {base}", "docs_dir: docs", "nav:"]
    for section, items in d.nav:
        if len(items) == 1:
            lines.append(f"  - {json.dumps(items[0][0])}: {json.dumps(items[0][1])}")
        else:
            lines.append(f"  - {json.dumps(section)}:")
            lines += [f"      - {json.dumps(title)}: {json.dumps(path)}" for title, path in items]
    return "\n".join(lines) + "\n"


def render_pages(layout: Layout, pages: Iterable[PagePlan], common: Mapping[str, Any]) -> list[str]:
    """Write a few pages straight into build/docs (`make serve`'s preview of an edited case, ahead of the full
    re-render); returns the paths whose bytes changed."""
    env = make_env(layout.templates)
    changed = []
    for page in pages:
        if not SAFE_OUTPUT.fullmatch(page.path) or ".." in page.path.split("/"):
            raise ValueError(f"refusing to write outside the docs folder: {page.path[:80]!r}")
        text = with_title(env.get_template(page.template).render(page=page.path, **common, **page.context), page.search,
                          common["search_tags"].get(page.path, ()))
        target = layout.build_docs / page.path
        if not (target.is_file() and target.read_text(encoding="utf-8") == text):
            write_text_if_changed(target, text)
            changed.append(page.path)
    return changed


def render(d: Derived, layout: Layout, in_place: bool = False, progress: Callable[[int], None] | None = None,
           changed_inputs: frozenset[str] | None = None) -> Writer:
    """Stage 4: write every planned page and file of `d` into build/docs (atomically), and the generated MkDocs config.

    changed_inputs (only with in_place, for `make serve`): the input files changed since the last render, when only
    such files changed (no file added or removed, nothing site-wide). A page that declares its inputs and none of them
    changed is left as it is on disk; every other page is rendered."""
    if changed_inputs is not None and not in_place:
        raise ValueError("changed_inputs needs in_place (the pages left alone must already be on disk)")
    env = make_env(layout.templates)
    writer = Writer(layout.build_docs, in_place=in_place)
    try:
        cache: dict[str, jinja2.Template] = {}
        common = dict(d.common)
        for i, page in enumerate(d.pages):
            if changed_inputs is not None and page.inputs is not None and not changed_inputs.intersection(page.inputs) \
                    and (writer.stage / page.path).is_file():
                writer.keep(page.path)
                continue
            if not page.template:  # a hand-written page: its text as written
                writer.text(page.path, str(page.context["text"]))
                continue
            tpl = cache.get(page.template)
            if tpl is None:
                tpl = cache[page.template] = env.get_template(page.template)
            writer.text(page.path, with_title(tpl.render(page=page.path, **common, **page.context), page.search,
                                              common["search_tags"].get(page.path, ())))
            if progress and i % 1000 == 0:
                progress(i)
        for f in d.files:
            if f.kind == "text":
                writer.text(f.path, f.data)
            elif f.kind == "bytes":
                writer.bytes_(f.path, f.data)
            elif f.kind == "json":
                writer.json(f.path, f.data)
            elif f.kind == "csv":
                writer.csv(f.path, *f.data)
            elif f.kind == "copy":
                writer.copy(f.path, f.data)
            elif f.kind == "print":  # a page printed to PDF after mkdocs (pipeline/build.py, pipeline/pdf.py)
                continue
            elif f.kind == "schema":  # as editors and other tools need it: vocabulary enums filled in
                from rdkb.schema import generated_schema, vocabulary  # here: a replayed check imports render

                writer.json(f.path, generated_schema(f.data) if f.data != "vocabulary.json" else vocabulary())
            else:
                raise ValueError(f"unknown file kind {f.kind!r} for {f.path}")
        writer.publish()
    except BaseException:
        writer.discard()
        raise
    write_text_if_changed(layout.generated_mkdocs_yml, mkdocs_config(d))
    return writer


def write_text_if_changed(path: Path, text: str) -> None:
    """Write a text file atomically, leaving it untouched (mtime included) when the bytes are the same."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_new_record(path: Path, text: str) -> None:
    """Used by `new-case`: create a record file (never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_cache(path: Path, cache: dict[str, Any]) -> None:
    """Persist the content-addressed parse/validation cache atomically (only when something new was added)."""
    if not cache.pop("dirty", False):
        return
    from rdkb.pipeline.memo import sign_cache

    # plain data built by the loader and validator, never cyclic: no cycle check (~10 % of the dump at 10,000 records)
    body = json.dumps(cache, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    write_text_if_changed(path, sign_cache(body) + "\n" + body)  # the signature's line, then the JSON body


def write_check_memo(path: Path, memo: dict[str, Any]) -> None:
    """The result of a whole `make check` (memo.new_memo), signed like the cache."""
    from rdkb.pipeline.memo import sign_cache

    body = json.dumps(memo, ensure_ascii=False)
    write_text_if_changed(path, sign_cache(body) + "\n" + body)


def write_bytes(path: Path, data: bytes) -> None:
    """Write a binary artefact (the summary PDF) atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
