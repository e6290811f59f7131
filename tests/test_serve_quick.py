"""`make serve` shows an edited page before MkDocs' full rebuild (rdkb.tools.mkdocs_serve.QuickPages).

The quick page must be the page a full build makes, only sooner; the full rebuild still follows."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from conftest import copy_fixture_kb
from rdkb.pipeline.build import build
from rdkb.tools import mkdocs_serve

SERVE_URL = "http://127.0.0.1:8000/"


class _FakeServer:
    """The two fields of MkDocs' LiveReloadServer the quick step announces a reload through."""

    def __init__(self, root: Path | None = None) -> None:
        self.root, self.mount_path = str(root), "/"
        self._epoch_cond = threading.Condition()
        self._wanted_epoch = 5
        self._visible_epoch = 1  # a running rebuild started at epoch 5 (wanted) and has not announced it

    def _inject_js_into_html(self, content: bytes, epoch: int) -> bytes:
        return content + b"<!-- epoch %d -->" % epoch


@pytest.fixture
def hooked(tmp_path, monkeypatch):
    from mkdocs.commands import build as build_mod
    from mkdocs.commands import serve as serve_mod
    from mkdocs.livereload import LiveReloadServer

    for obj, name in ((build_mod, "_populate_page"), (build_mod, "_build_page"), (serve_mod, "build"),
                      (LiveReloadServer, "__init__"), (LiveReloadServer, "watch")):
        monkeypatch.setattr(obj, name, getattr(obj, name))  # restored after the test: the hooks are process-wide
    kb = copy_fixture_kb(tmp_path / "kb")
    assert not build(kb, run_mkdocs=False).failed
    quick = mkdocs_serve.QuickPages()
    assert mkdocs_serve.install_quick_pages(quick)
    return kb, quick, serve_mod


def _config(kb, site: Path):
    from mkdocs.config import load_config

    config = load_config(config_file=str(kb.generated_mkdocs_yml), site_dir=str(site))
    config.site_url = SERVE_URL
    return config


def _age(kb, site: Path) -> None:
    """Date the Markdown and the built pages back (the pages newer), so that an edit is newer than its page whatever
    the clock's step."""
    now = time.time()
    for folder, past in ((kb.build_docs, now - 20), (site, now - 10)):
        for p in folder.rglob("*"):
            os.utime(p, (past, past))


def _edit(md: Path, marker: str) -> None:
    md.write_text(md.read_text(encoding="utf-8") + f"\n\n{marker}\n", encoding="utf-8")


def test_an_edited_page_is_rebuilt_alone_and_equals_the_full_build(hooked, tmp_path):
    kb, quick, serve_mod = hooked
    site = tmp_path / "served"
    serve_mod.build(_config(kb, site), serve_url=SERVE_URL, dirty=True)  # the first full build: its state is kept
    _age(kb, site)
    assert quick.state is not None
    page = site / "cases" / "bozi2003-2" / "index.html"
    other = site / "cases" / "wu2006-1" / "index.html"
    other_before = (other.read_bytes(), other.stat().st_mtime_ns)
    _edit(kb.build_docs / "cases" / "bozi2003-2.md", "Quick-page-marker")
    quick.server = _FakeServer()
    done = quick.run()
    assert done == ["cases/bozi2003-2.md"]
    assert "Quick-page-marker" in page.read_text(encoding="utf-8")
    assert (other.read_bytes(), other.stat().st_mtime_ns) == other_before  # nothing else was rebuilt
    assert quick.server._visible_epoch > 1  # browsers told to reload now
    assert quick.run() == []  # built: nothing left to do
    # the same page from a clean full build of the same Markdown
    clean = tmp_path / "clean"
    from mkdocs.commands.build import build as mkdocs_build

    mkdocs_build(_config(kb, clean), serve_url=SERVE_URL, dirty=False)
    assert page.read_text(encoding="utf-8") == (clean / "cases" / "bozi2003-2" / "index.html").read_text(encoding="utf-8")


def test_many_changed_pages_are_left_to_the_full_rebuild(hooked, tmp_path, monkeypatch):
    kb, quick, serve_mod = hooked
    monkeypatch.setattr(mkdocs_serve, "QUICK_MAX", 5)
    serve_mod.build(_config(kb, tmp_path / "served"), serve_url=SERVE_URL, dirty=True)
    _age(kb, tmp_path / "served")
    mds = sorted(kb.build_docs.rglob("*.md"))
    assert len(mds) > mkdocs_serve.QUICK_MAX, "the fixture has too few pages for this test"
    for md in mds[: mkdocs_serve.QUICK_MAX + 1]:
        _edit(md, "bulk-edit")
    assert quick.changed() == [] and quick.run() == []


def test_the_serve_wrapper_runs_the_quick_step_before_the_full_rebuild(hooked, tmp_path):
    kb, quick, serve_mod = hooked
    site = tmp_path / "served"
    config = _config(kb, site)
    serve_mod.build(config, serve_url=SERVE_URL, dirty=True)
    _age(kb, site)
    _edit(kb.build_docs / "cases" / "bozi2003-2.md", "Wrapper-marker")
    calls: list[str] = []
    real_run = quick.run
    quick.run = lambda: calls.append("quick") or real_run()  # type: ignore[method-assign]
    serve_mod.build(_config(kb, site), serve_url=SERVE_URL, dirty=True)
    assert calls == ["quick"]
    assert "Wrapper-marker" in (site / "cases" / "bozi2003-2" / "index.html").read_text(encoding="utf-8")


def test_a_file_event_rebuilds_that_page_at_once_even_during_a_full_rebuild(hooked, tmp_path):
    """The event thread's path: the page of the written Markdown file, nothing for other files or unknown pages."""
    from types import SimpleNamespace

    kb, quick, serve_mod = hooked
    site = tmp_path / "served"
    serve_mod.build(_config(kb, site), serve_url=SERVE_URL, dirty=True)
    _age(kb, site)
    md = kb.build_docs / "cases" / "bozi2003-2.md"
    _edit(md, "Event-marker")
    quick.server = _FakeServer(site)
    for path in (str(md), str(kb.build_docs / "assets" / "kb.css"), str(kb.build_docs / "cases" / "not-a-page.md")):
        quick.on_event(SimpleNamespace(src_path=path, dest_path="", is_directory=False))
    paths = set()
    while not quick.events.empty():
        paths.add(quick.events.get())
    assert paths == {str(md), str(kb.build_docs / "cases" / "not-a-page.md")}  # Markdown only
    # a request that arrives while MkDocs rebuilds waits, and is answered as soon as the page is quick-built
    early: list[bytes] = []
    waiting = threading.Thread(target=lambda: early.append(b"".join(
        quick.serve_fresh(quick.server, {"PATH_INFO": "/cases/bozi2003-2/"}, lambda *a: None) or [b"none"])))
    waiting.start()
    time.sleep(0.3)
    assert waiting.is_alive()  # held: the rebuild has not ended and the page is not built yet
    assert quick.run_paths(paths) == ["cases/bozi2003-2.md"]
    waiting.join(timeout=30)
    assert early and b"Event-marker" in early[0]
    assert "Event-marker" in (site / "cases" / "bozi2003-2" / "index.html").read_text(encoding="utf-8")
    assert quick.server._visible_epoch > 1
    assert quick.run_paths(paths) == []  # already built
    # while MkDocs' rebuild runs, the quick page is served at once; any other request is left to MkDocs
    replies: list[str] = []
    body = quick.serve_fresh(quick.server, {"PATH_INFO": "/cases/bozi2003-2/"}, lambda status, headers: replies.append(status))
    assert body is not None and b"Event-marker" in b"".join(body) and replies == ["200 OK"]
    quick.server._wanted_epoch = quick.server._visible_epoch  # the rebuild ended: other requests are MkDocs' own
    for other in ("/cases/wu2006-1/", "/", "/cases/bozi2003-2/../../../../etc/", "/assets/kb.css"):
        assert quick.serve_fresh(quick.server, {"PATH_INFO": other}, lambda *a: None) is None, other
    quick.built(started=time.monotonic() - 60)  # a rebuild that began before the quick page: it stays served directly
    assert quick.serve_fresh(quick.server, {"PATH_INFO": "/cases/bozi2003-2/"}, lambda *a: None) is not None
    quick.built(started=time.monotonic())  # a rebuild that began after it ended: MkDocs serves everything again
    assert quick.serve_fresh(quick.server, {"PATH_INFO": "/cases/bozi2003-2/"}, lambda *a: None) is None


def test_changes_seen_during_a_full_pass_wait_for_the_next_one():
    from rdkb.tools.serve import EVERYTHING, NOTHING, merge_pending

    a, b = frozenset({"cases/a.yaml"}), frozenset({"cases/b.yaml"})
    assert merge_pending(NOTHING, a) == a
    assert merge_pending(a, b) == a | b
    assert merge_pending(a, None) is EVERYTHING  # anything but case edits: everything is rendered again
    assert merge_pending(EVERYTHING, a) is EVERYTHING


def test_the_full_pass_runs_in_the_background_and_equals_a_full_build(tmp_path):
    """serve's background pass gives the same pages as a full build, and its result is read after it ends."""
    from rdkb.tools.serve import FullPass

    kb = copy_fixture_kb(tmp_path / "kb")
    assert not build(kb, run_mkdocs=False, in_place=True).failed
    p = kb.cases / "bozi2003-2.yaml"
    p.write_text(p.read_text(encoding="utf-8").rstrip("\n") + "\n# background pass\n", encoding="utf-8")
    worker = FullPass(kb, frozenset({"cases/bozi2003-2.yaml"}), {})
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive() and worker.result is not None and not worker.result.failed
    assert worker.seconds > 0
    served = {q.relative_to(kb.build_docs): q.read_bytes() for q in kb.build_docs.rglob("*") if q.is_file()}
    full = copy_fixture_kb(tmp_path / "full")
    (full.cases / "bozi2003-2.yaml").write_bytes(p.read_bytes())
    assert not build(full, run_mkdocs=False, in_place=True).failed
    fresh = {q.relative_to(full.build_docs): q.read_bytes() for q in full.build_docs.rglob("*") if q.is_file()}
    assert served == fresh


def test_the_hint_file_of_rdkb_serve_queues_the_previewed_pages(tmp_path):
    """rdkb serve names the Markdown it has just previewed in a hint file; MkDocs' side queues those paths at once."""
    quick = mkdocs_serve.QuickPages()
    hint = tmp_path / "serve-hint.txt"
    threading.Thread(target=quick.watch_hint, args=(str(hint), 0.01), daemon=True).start()
    hint.write_text("1\n/kb/build/docs/cases/a.md\n/kb/build/docs/assets/kb.css\n", encoding="utf-8")
    got = quick.events.get(timeout=10)
    assert got == "/kb/build/docs/cases/a.md"
    time.sleep(0.1)
    assert quick.events.empty()  # Markdown only, and once per write
    hint.write_text("2\n/kb/build/docs/cases/b.md\n", encoding="utf-8")
    assert quick.events.get(timeout=10) == "/kb/build/docs/cases/b.md"
