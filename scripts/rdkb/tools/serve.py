"""`make serve`: MkDocs' live server on build/docs plus a watcher that re-renders when a record changes.

Only files whose bytes changed are rewritten, so MkDocs reloads the affected pages.
A record with errors prints its issues and leaves the served pages as they were.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from rdkb.kinds.base import PagePlan
from rdkb.paths import PACKAGE_DIR, Layout
from rdkb.pipeline import render
from rdkb.pipeline.build import build
from rdkb.pipeline.derive import Derived
from rdkb.registry import input_folders


def _snapshot(layout: Layout) -> dict[Path, float]:
    """path -> mtime of every file under the input folders (os.scandir: cheap enough to poll 10,000 records)."""
    snap: dict[Path, float] = {}

    def walk(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    walk(e.path)
                elif e.is_file(follow_symlinks=False):
                    snap[Path(e.path)] = e.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue

    for name in input_folders():
        folder = layout.root / name
        if folder.is_dir() and not folder.is_symlink():
            walk(str(folder))
    return snap


def changed_records(layout: Layout, before: dict[Path, float], now: dict[Path, float]) -> frozenset[str] | None:
    """The case records edited between two snapshots, when that is all that happened (no file added or removed,
    nothing but cases/ touched): then only their pages and the pages made from many records are re-rendered.
    None means "re-render everything"."""
    if before.keys() != now.keys():
        return None
    edited = [p for p in now if now[p] != before[p]]
    rels = []
    for p in edited:
        try:
            rel = p.relative_to(layout.root).as_posix()
        except ValueError:
            return None
        if not (rel.startswith("cases/") and rel.endswith(".yaml")):
            return None
        rels.append(rel)
    return frozenset(rels)


def preview_cases(layout: Layout, last: Derived, rels: frozenset[str]) -> dict[str, PagePlan]:
    """The pages of edited case records, rendered at once from the last good build (its bibliography, vocabulary and
    templates) ahead of the full re-render, which then updates the tables and counts. Only a record that parses and
    passes its schema and whose bib keys all exist is previewed; a later full build that fails puts the last good
    pages back. Returns the last good page plans of the previewed cases (to restore them), by rel."""
    from rdkb.kinds import case, reference
    from rdkb.pipeline.load import load_record
    from rdkb.pipeline.validate import schema_issues

    refs = last.context.view(reference.KIND)
    old = {p.inputs[0]: p for p in last.pages if p.template == "cases/case.md.j2" and p.inputs}
    plans, restore = [], {}
    for rel in sorted(rels):
        rec, issues = load_record(layout.root / rel, case.KIND.name, layout.root)
        if rec is None or rel not in old or any(i.is_error for i in issues) or schema_issues(rec):
            return {}
        if not reference.cited_key_set(rec.data) <= set(refs.by_key):
            return {}
        plans.append(case.case_page(case.case_view(rec, refs, last.context.vocab, last.context.changed.get(rel, ""))))
        restore[rel] = old[rel]
    render.render_pages(layout, plans, last.common)
    return restore


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name


NOTHING, EVERYTHING = _Marker("nothing"), _Marker("everything")


def merge_pending(pending: Any, changed: frozenset[str] | None) -> Any:
    """Changes waiting for the next full pass: a set of edited case records, or EVERYTHING."""
    if changed is None or pending is EVERYTHING:
        return EVERYTHING
    if pending is NOTHING:
        return changed
    return pending | changed


class FullPass(threading.Thread):
    """Our full pass (load, validate, derive, render what changed) in the background, so that an edit saved while it
    runs is previewed at once. One runs at a time; its result is read by the serve loop only."""

    def __init__(self, layout: Layout, changed: frozenset[str] | None, restore: dict[str, PagePlan]) -> None:
        super().__init__(name="rdkb-full-pass", daemon=True)
        self.layout, self.changed, self.restore = layout, changed, restore
        self.result: Any = None
        self.seconds = 0.0

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            self.result = build(self.layout, run_mkdocs=False, in_place=True, changed_inputs=self.changed, keep_derived=True)
        except Exception as exc:  # reported, never a dead preview (text escaped as the CLI's internal errors are)
            from rdkb.safetext import terminal_safe

            print(f"[rdkb serve] internal error in the full pass: {type(exc).__name__}: {terminal_safe(str(exc))}",
                  file=sys.stderr)
        self.seconds = time.perf_counter() - t0


def serve(layout: Layout, address: str = "127.0.0.1:8000", interval: float = 0.3) -> int:
    result = build(layout, run_mkdocs=False, in_place=True, keep_derived=True)
    for issue in result.issues:
        print(issue.format(), file=sys.stderr)
    last = result.derived
    hint = layout.build_dir / "serve-hint.txt"  # the pages just previewed, for MkDocs' quick pages (mkdocs_serve.py)
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent), "RDKB_SERVE_HINT": str(hint)}
    server = subprocess.Popen([sys.executable, "-m", "rdkb.tools.mkdocs_serve", "serve", "--dev-addr", address, "--config-file",
                               str(layout.generated_mkdocs_yml), "--livereload", "--dirty"], cwd=layout.root, env=env)
    before = _snapshot(layout)

    def _stop(signum: int, frame: object) -> None:  # SIGTERM: stop MkDocs too, never leave it orphaned
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    pending: Any = NOTHING  # changes seen but not yet given to a full pass
    restore: dict[str, PagePlan] = {}  # the last good pages of the cases previewed since the last full pass began
    worker: FullPass | None = None
    try:
        while server.poll() is None:
            time.sleep(interval)
            now = _snapshot(layout)
            if now != before:
                changed = changed_records(layout, before, now)
                before = now
                t0 = time.perf_counter()
                previewed = preview_cases(layout, last, changed) if changed and last is not None else {}
                if previewed:
                    restore = {**previewed, **restore}
                    render.write_text_if_changed(hint, f"{time.time_ns()}\n" + "".join(
                        os.path.abspath(layout.build_docs / p.path) + "\n" for p in previewed.values()))
                    print(f"[rdkb serve] previewed {', '.join(sorted(previewed))} in {time.perf_counter() - t0:.2f}s",
                          file=sys.stderr)
                pending = merge_pending(pending, changed)
            if worker is not None and not worker.is_alive():  # a full pass ended: its result, in this thread only
                result = worker.result
                if result is not None:
                    for issue in (i for i in result.issues if i.is_error):
                        print(issue.format(), file=sys.stderr)
                    if result.failed and worker.restore and last is not None:  # back to the last good build
                        render.render_pages(layout, worker.restore.values(), last.common)
                    if not result.failed:
                        last = result.derived
                    if restore and last is not None:  # edited again while that pass ran: it may have written older pages
                        preview_cases(layout, last, frozenset(restore))
                    state = "not re-rendered (fix the errors above)" if result.failed else result.message
                    print(f"[rdkb serve] {state} in {worker.seconds:.2f}s", file=sys.stderr)
                worker = None
            if pending is not NOTHING and worker is None:  # one full pass at a time; edits meanwhile are previewed
                worker = FullPass(layout, None if pending is EVERYTHING else pending, restore)
                worker.start()
                pending, restore = NOTHING, {}
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0
