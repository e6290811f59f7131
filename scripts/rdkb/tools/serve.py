"""`make serve`: MkDocs' live server on build/docs plus a watcher that re-renders when a record changes.

Only files whose bytes changed are rewritten, so MkDocs reloads the affected pages.
A record with errors prints its issues and leaves the served pages as they were.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rdkb.paths import PACKAGE_DIR, Layout
from rdkb.pipeline.build import build
from rdkb.registry import input_folders


def _snapshot(layout: Layout) -> dict[Path, float]:
    snap: dict[Path, float] = {}
    for name in input_folders():
        folder = layout.root / name
        if folder.is_dir():
            for p in folder.rglob("*"):
                if p.is_file():
                    snap[p] = p.stat().st_mtime
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


def serve(layout: Layout, address: str = "127.0.0.1:8000", interval: float = 0.3) -> int:
    result = build(layout, run_mkdocs=False, in_place=True)
    for issue in result.issues:
        print(issue.format(), file=sys.stderr)
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)}
    server = subprocess.Popen([sys.executable, "-m", "rdkb.tools.mkdocs_serve", "serve", "--dev-addr", address, "--config-file",
                               str(layout.generated_mkdocs_yml), "--livereload", "--dirty"], cwd=layout.root, env=env)
    before = _snapshot(layout)

    def _stop(signum: int, frame: object) -> None:  # SIGTERM: stop MkDocs too, never leave it orphaned
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        while server.poll() is None:
            time.sleep(interval)
            now = _snapshot(layout)
            if now != before:
                changed = changed_records(layout, before, now)
                before = now
                t0 = time.perf_counter()
                result = build(layout, run_mkdocs=False, in_place=True, changed_inputs=changed)
                errors = [i for i in result.issues if i.is_error]
                for issue in errors:
                    print(issue.format(), file=sys.stderr)
                state = "not re-rendered (fix the errors above)" if result.failed else result.message
                print(f"[rdkb serve] {state} in {time.perf_counter() - t0:.2f}s", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return 0
