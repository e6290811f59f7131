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

    def __init__(self) -> None:
        self._epoch_cond = threading.Condition()
        self._wanted_epoch = 5
        self._visible_epoch = 1


@pytest.fixture
def hooked(tmp_path, monkeypatch):
    from mkdocs.commands import build as build_mod
    from mkdocs.commands import serve as serve_mod
    from mkdocs.livereload import LiveReloadServer

    for obj, name in ((build_mod, "_populate_page"), (build_mod, "_build_page"), (serve_mod, "build"),
                      (LiveReloadServer, "__init__")):
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
    assert quick.server._visible_epoch == quick.server._wanted_epoch  # browsers told to reload now
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
