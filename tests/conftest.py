from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rdkb.paths import REPO, Layout
from rdkb.pipeline.build import build
from rdkb.registry import input_folders

INPUTS = input_folders()
FIXTURES = Path(__file__).parent / "fixtures"


def copy_kb(dest: Path) -> Layout:
    """A private copy of the knowledge base's inputs, so tests can break records safely."""
    for name in INPUTS:
        src = REPO.root / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
    shutil.copyfile(REPO.mkdocs_yml, dest / "mkdocs.yml")
    return Layout(dest)


@pytest.fixture
def kb(tmp_path: Path) -> Layout:
    return copy_kb(tmp_path / "kb")


@pytest.fixture(scope="session")
def real_kb_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, frozenset]:
    """The real records checked once per session: their signed parse/quote cache (content-addressed, so valid in any
    copy) and the issues they give (paths are relative, so equal in every copy)."""
    from rdkb.pipeline.load import load
    from rdkb.pipeline.render import write_cache
    from rdkb.pipeline.validate import validate

    layout = copy_kb(tmp_path_factory.mktemp("warm") / "kb")
    ds = load(layout)
    issues = frozenset(validate(ds))
    write_cache(layout.cache_file, ds.cache)
    return layout.cache_file, issues


@pytest.fixture
def warm_kb(tmp_path: Path, real_kb_cache: tuple[Path, frozenset]) -> Layout:
    """A private copy of the real records with a warm cache: a test that changes one file re-checks only that file."""
    layout = copy_kb(tmp_path / "kb")
    if real_kb_cache[0].is_file():
        layout.cache_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_kb_cache[0], layout.cache_file)
    return layout


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The real records built once (strict MkDocs) in a temporary copy."""
    layout = copy_kb(tmp_path_factory.mktemp("built") / "kb")
    result = build(layout, run_mkdocs=True, strict=True, pdf=True)
    assert not result.failed, result.message
    return layout


FIXTURE_KB = FIXTURES / "kb"


def copy_fixture_kb(dest: Path) -> Layout:
    """The small fixture knowledge base (tests/fixtures/kb) with the repo's templates and MkDocs config.

    Self-contained: its own bibliography, excerpt store (tests/fixtures/kb/references_cache) and records, so a new
    record, bib entry or excerpt file in the real knowledge base changes nothing here. Code, templates, schemas,
    vocabulary and the vendored HPO subset are the repository's (a change to them is a change of behaviour)."""
    shutil.copytree(FIXTURE_KB, dest)
    shutil.copytree(REPO.templates, dest / "site_templates")
    shutil.copyfile(REPO.mkdocs_yml, dest / "mkdocs.yml")
    return Layout(dest)


@pytest.fixture(scope="session")
def fixture_built(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The fixture knowledge base rendered once (Markdown only): the source of the golden pages."""
    layout = copy_fixture_kb(tmp_path_factory.mktemp("fixture") / "kb")
    result = build(layout, run_mkdocs=False)
    assert not result.failed, result.message + "\n" + "\n".join(i.format() for i in result.issues if i.is_error)
    return layout
