"""`build` is the four stages in a row: load -> validate -> derive -> render, then mkdocs (and the printed PDFs).

This module only calls the stages in order; it neither computes page content nor writes files itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdkb.model import Issue
from rdkb.paths import PACKAGE_DIR, Layout
from rdkb.pipeline import render
from rdkb.pipeline.derive import Derived, derive
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate, vocabulary
from rdkb.safetext import terminal_safe


@dataclass
class BuildResult:
    failed: bool
    message: str
    issues: list[Issue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    pages: int = 0
    derived: Derived | None = field(default=None, repr=False)  # what was rendered (`make serve` previews from it)


def build(layout: Layout, run_mkdocs: bool = True, strict: bool = True,
          progress: Callable[[str], None] | None = None, in_place: bool = False, pdf: bool = False,
          changed_inputs: frozenset[str] | None = None, keep_derived: bool = False) -> BuildResult:
    """changed_inputs: see render.render (`make serve` after an edit of existing case records only).
    keep_derived: return what was rendered (`make serve` previews from it; otherwise it is freed with the build)."""
    with build_lock(layout):
        result = _build(layout, run_mkdocs, strict, in_place, pdf, changed_inputs)
    if not keep_derived:
        result.derived = None
    return result


def _build(layout: Layout, run_mkdocs: bool, strict: bool, in_place: bool, pdf: bool,
           changed_inputs: frozenset[str] | None = None) -> BuildResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = load(layout)
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    issues = validate(ds)
    render.write_cache(layout.cache_file, ds.cache)
    timings["validate"] = time.perf_counter() - t0
    if any(i.is_error for i in issues):
        n = sum(1 for i in issues if i.is_error)
        return BuildResult(True, f"{n} validation error(s)", issues, timings)
    # The records live for the whole build: moved out of the collector's sight, they are not rescanned by every
    # collection while derive and render allocate (which made the time per case grow with the number of cases).
    gc.freeze()
    try:
        t0 = time.perf_counter()
        d = derive(ds, vocabulary(), layout)
        timings["derive"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        writer = render.render(d, layout, in_place=in_place, changed_inputs=changed_inputs)
        timings["render"] = time.perf_counter() - t0
    finally:
        gc.unfreeze()
    msg = f"rendered {len(d.pages)} pages into {layout.build_docs} ({len(writer.changed_files)} files changed)"
    if run_mkdocs:
        t0 = time.perf_counter()
        prints = [(f.path, str(f.data)) for f in d.files if f.kind == "print"]  # planned in derive (exports)
        ok, out = run_mkdocs_build(layout, strict, pdf, date=d.context.newest(ds.changed), prints=prints)
        timings["mkdocs"] = time.perf_counter() - t0
        if not ok:
            return BuildResult(True, "mkdocs build failed:\n" + out, issues, timings, len(d.pages))
        msg += f"; built site into {layout.site}"
        if "warning: " in out and pdf:
            msg += "\n" + "\n".join(ln for ln in out.splitlines() if ln.startswith(("warning: ", "  hint: ")))
    return BuildResult(False, msg, issues, timings, len(d.pages), d)


MAX_TOOL_LINE = 1000


def tool_output(text: str) -> str:
    """What MkDocs (or any tool the build runs) printed, made terminal- and CI-safe line by line like the project's own
    messages: control, bidi and line-separator characters escaped (terminal_safe), and no line starting with '::' (a
    GitHub Actions workflow command); each line cut to MAX_TOOL_LINE characters."""
    return "".join(terminal_safe(line, MAX_TOOL_LINE) + "\n" for line in text.splitlines())


SITE_URL_ENV = "RDKB_SITE_URL"


def site_url(layout: Layout) -> str:
    """The published address the PDFs name and link to (empty when unknown): the environment variable RDKB_SITE_URL
    when set (for a deploy), else mkdocs.yml's site_url. The one place it is read."""
    env = os.environ.get(SITE_URL_ENV, "").strip()
    if env:
        return env
    m = re.search(r"(?m)^site_url:\s*['\"]?(https?://[^\s'\"]+)", layout.mkdocs_yml.read_text(encoding="utf-8"))
    return m.group(1) if m else ""


@contextlib.contextmanager
def build_lock(layout: Layout) -> Iterator[None]:
    """One build at a time per knowledge base (a second `make site` waits); leftovers of interrupted builds are removed."""
    layout.build_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.build_dir / ".build.lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            for stale in list(layout.build_dir.glob(".docs-*")) + list(layout.build_dir.glob(".site-new-*")):
                render.remove_tree(stale)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_mkdocs_build(layout: Layout, strict: bool = True, pdf: bool = False, date: str = "",
                     prints: list[tuple[str, str]] | None = None) -> tuple[bool, str]:
    """mkdocs build into a fresh per-build folder, then swap it in: a failed build leaves site/ as it was.

    With `pdf`, each planned (pdf name, page) of `prints` is printed from the fresh site and written beside it."""
    new_site = Path(tempfile.mkdtemp(prefix=".site-new-", dir=layout.build_dir))
    cmd = [sys.executable, "-m", "mkdocs", "build", "--config-file", str(layout.generated_mkdocs_yml), "--site-dir", str(new_site)]
    if strict:
        cmd.append("--strict")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH", "")]))}
    proc = subprocess.run(cmd, cwd=layout.root, capture_output=True, text=True, check=False, env=env, errors="replace")
    if proc.returncode != 0:
        render.remove_tree(new_site)
        return False, tool_output(proc.stdout + proc.stderr)
    note = tool_output(proc.stderr)
    render.compact_html(new_site)
    if pdf and prints:
        from rdkb.pipeline import pdf as pdf_stage

        try:
            pdf_stage.chromium_path()
        except pdf_stage.PdfError as exc:  # no Chromium: the site is built, only the PDFs are skipped
            note += "".join(f"warning: {name} was not printed: {exc}\n" for name, _ in prints)
            note += "  hint: install Debian's chromium (apt-get install chromium, as root) or run `make browser-deps`\n"
        else:
            try:
                printed = pdf_stage.print_pages(new_site, prints, site_url=site_url(layout), date=date)
            except Exception as exc:  # Chromium present but failing: the build fails, site/ stays as it was
                render.remove_tree(new_site)
                return False, f"printing the pages to PDF failed: {terminal_safe(str(exc))}"
            for name, data in printed.items():
                render.write_bytes(new_site / name, data)
    render.swap_in(new_site, layout.site)
    return True, note
