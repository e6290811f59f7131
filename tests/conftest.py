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
