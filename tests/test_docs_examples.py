"""Every documented example validates: the YAML and BibTeX examples of README.md and CONTRIBUTING.md, and every
commented block of the `make new-case` scaffold, uncommented.

Examples are checked in a copy of the fixture knowledge base (tests/fixtures/kb), with `make check`'s own loader and
validator. A quote written as a placeholder (`quote: <the review's exact words>`) is not an example of a value and is
left out; every other quote is checked against the excerpt store like a record's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, copy_fixture_kb
from rdkb.paths import REPO, Layout
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate
from rdkb.tools.scaffold import case_template, commented_blocks

DOCS = ("README.md", "CONTRIBUTING.md")
BASE_CASE = FIXTURES / "valid" / "cases" / "all-not-reported.yaml"
# A work the examples cite that the fixture bibliography lacks (smith2024 is CONTRIBUTING's running example).
EXTRA_BIB = """
@article{smith2024,
  access  = {abstract},
  author  = {Smith, Sam},
  title   = {A documented example},
  journal = {Example Journal},
  year    = {2024},
  doi     = {10.1234/smith.2024}
}
"""
# ... and its abstract in the excerpt store, so the example quotes are checked like any record's.
EXTRA_EXCERPT = ("DOI_10.1234_smith.2024.md", """---
reference_id: DOI:10.1234/smith.2024
content_type: abstract_only
title: A documented example
bibkey: smith2024
source_url: https://doi.org/10.1234/smith.2024
retrieved: '2026-12-01'
access_level: abstract
---

# A documented example

## Content

We report a 34-year-old woman with dystonia of the left foot while running. She had no rest tremor.
""")


def _blocks(lang: str) -> list[tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        text = (REPO.root / doc).read_text(encoding="utf-8")
        for m in re.finditer(r"(?m)^( *)```" + lang + r"\n(.*?)^\1```", text, re.S):
            body = "\n".join(line[len(m.group(1)):] for line in m.group(2).splitlines())
            out.append((doc, text.count("\n", 0, m.start()) + 1, body + "\n"))
    return out


YAML_EXAMPLES = _blocks("yaml")
BIBTEX_EXAMPLES = _blocks("bibtex")


@pytest.fixture(scope="module")
def base_kb(tmp_path_factory) -> Layout:
    kb = copy_fixture_kb(tmp_path_factory.mktemp("docs") / "kb")
    bib = kb.bib / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + EXTRA_BIB, encoding="utf-8")
    (kb.root / "references_cache" / EXTRA_EXCERPT[0]).write_text(EXTRA_EXCERPT[1], encoding="utf-8")
    return kb


def _errors_of(kb: Layout, rel: str) -> list[str]:
    return [i.format() for i in validate(load(kb, use_cache=False)) if i.is_error and i.path == rel]


def _without_placeholder_quotes(node):
    if isinstance(node, dict):
        return {k: _without_placeholder_quotes(v) for k, v in node.items()
                if not (k == "quote" and isinstance(v, str) and v.startswith("<") and v.endswith(">"))}
    if isinstance(node, list):
        return [_without_placeholder_quotes(v) for v in node]
    return node


def test_the_docs_have_examples_to_check():
    assert YAML_EXAMPLES and BIBTEX_EXAMPLES


@pytest.mark.parametrize("doc,line,body", YAML_EXAMPLES, ids=[f"{d}:{n}" for d, n, _ in YAML_EXAMPLES])
def test_yaml_example_validates(base_kb, doc, line, body):
    data = _without_placeholder_quotes(yaml.safe_load(body))
    assert isinstance(data, dict), f"{doc}:{line}: not a mapping"
    if "design" in data:  # a series record
        rel = "series/doc-example.yaml"
        record = data
    elif "question" in data:  # a clinical question record
        rel = "questions/doc-example.yaml"
        record = data
    elif isinstance(data.get("treatments"), list) or "facts" in data:  # part of a series record: put into a complete one
        rel = "series/doc-example.yaml"
        record = yaml.safe_load((base_kb.root / "series" / "wu2006.yaml").read_text(encoding="utf-8"))
        record.update(data)
    else:  # facts of a case record: put into a complete case
        rel = "cases/doc-example-1.yaml"
        record = yaml.safe_load(BASE_CASE.read_text(encoding="utf-8"))
        record.update(data)
    path = base_kb.root / rel
    path.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        assert _errors_of(base_kb, rel) == [], f"{doc}:{line}: the example does not validate"
    finally:
        path.unlink()


@pytest.mark.parametrize("doc,line,body", BIBTEX_EXAMPLES, ids=[f"{d}:{n}" for d, n, _ in BIBTEX_EXAMPLES])
def test_bibtex_example_validates(base_kb, tmp_path, doc, line, body):
    kb = copy_fixture_kb(tmp_path / "kb")
    bib = kb.bib / "references.bib"
    entry = re.sub(r"^(@\w+\{)([^,]+),", r"\1docexample,", body.strip(), count=1)  # a key of its own (no E302)
    bib.write_text(bib.read_text(encoding="utf-8") + "\n" + entry + "\n", encoding="utf-8")
    assert _errors_of(kb, "bib/references.bib") == [], f"{doc}:{line}: the example does not validate"


SCAFFOLD_PAPER = "wu2006"
SCAFFOLD_BLOCKS = commented_blocks(case_template(SCAFFOLD_PAPER))


def test_the_scaffold_has_commented_blocks_for_the_optional_fields():
    names = {n for n, _ in SCAFFOLD_BLOCKS}
    assert {"treatments", "other_interventions", "phenotypes", "series", "notes", "diagnosis"} <= names


@pytest.mark.parametrize("name,block", SCAFFOLD_BLOCKS, ids=[n for n, _ in SCAFFOLD_BLOCKS])
def test_each_commented_block_of_the_scaffold_validates_uncommented(base_kb, name, block):
    text = case_template(SCAFFOLD_PAPER)
    data = yaml.safe_load(text)
    data.update(yaml.safe_load(block))
    rel = "cases/scaffold-example-1.yaml"
    path: Path = base_kb.root / rel
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        assert _errors_of(base_kb, rel) == [], f"the scaffold's commented `{name}` block does not validate uncommented"
    finally:
        path.unlink()


def test_the_scaffold_itself_validates(base_kb):
    rel = "cases/scaffold-example-1.yaml"
    path = base_kb.root / rel
    path.write_text(case_template(SCAFFOLD_PAPER), encoding="utf-8")
    try:
        assert _errors_of(base_kb, rel) == []
    finally:
        path.unlink()
