"""The warm-check memo and the signed cache are keyed on every input: a change of any kind of input changes the key.

Kinds of input: the code, the schemas, the vocabulary and the vendored HPO subset (the package: `code_digest`, which
keys both build/cache/records.json and build/cache/check.json), and the records, bibliography, excerpt store,
templates and MkDocs config (the input folders: `inputs_digest`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import copy_fixture_kb
from rdkb.paths import PACKAGE_DIR
from rdkb.pipeline import memo
from rdkb.registry import input_folders

PACKAGE_INPUTS = {
    "code": "pipeline/validate.py",
    "schema": "schemas/case.schema.json",
    "vocabulary": "schemas/vocabulary.json",
    "HPO subset": "data/hpo-subset.json",
}


@pytest.mark.parametrize("kind", sorted(PACKAGE_INPUTS))
def test_a_change_to_the_package_changes_the_code_key(tmp_path, kind):
    pkg = tmp_path / "rdkb"
    shutil.copytree(PACKAGE_DIR, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    before = memo.code_digest(pkg)
    assert memo.code_digest(pkg) == before  # stable
    path = pkg / PACKAGE_INPUTS[kind]
    assert path.is_file(), path
    path.write_bytes(path.read_bytes().replace(b"{", b"{ ", 1) if path.suffix == ".json" else path.read_bytes() + b"\n# x\n")
    assert memo.code_digest(pkg) != before, kind


def test_the_code_key_is_the_key_of_the_installed_package():
    assert memo.cache_version() == memo.code_digest(PACKAGE_DIR)


def _first_file(folder: Path) -> Path:
    return next(p for p in sorted(folder.rglob("*")) if p.is_file())


KB_INPUTS = {
    "case record": "cases",
    "series record": "series",
    "bibliography": "bib",
    "excerpt store": "references_cache",
    "templates": "site_templates",
    "hand-written page": "content",
}


@pytest.fixture(scope="module")
def fixture_kb(tmp_path_factory) -> Path:
    return copy_fixture_kb(tmp_path_factory.mktemp("keys") / "kb").root


@pytest.mark.parametrize("kind", sorted(KB_INPUTS) + ["mkdocs.yml", "a new excerpt file"])
def test_a_change_to_any_input_file_changes_the_content_key(fixture_kb, tmp_path, kind):
    root = tmp_path / "kb"
    shutil.copytree(fixture_kb, root)
    folders = sorted(input_folders())
    assert set(KB_INPUTS.values()) <= set(folders)
    before = memo.inputs_digest(root, folders, root / "mkdocs.yml")
    if kind == "mkdocs.yml":
        path = root / "mkdocs.yml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# x\n", encoding="utf-8")
    elif kind == "a new excerpt file":
        (root / "references_cache" / "PMID_1.md").write_text("---\nreference_id: PMID:1\n---\n", encoding="utf-8")
    else:
        path = _first_file(root / KB_INPUTS[kind])
        path.write_bytes(path.read_bytes() + b"\n")
    assert memo.inputs_digest(root, folders, root / "mkdocs.yml") != before, kind
