"""Clinician-facing pages (issue 24), derive and Markdown side: series pages link their case records, dated lists
sort newest first with undated reports last, and the pages carry no developer text. Relations, never record counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import copy_fixture_kb, copy_kb
from rdkb.paths import Layout
from rdkb.pipeline.build import build
from rdkb.pipeline.load import load


def _build(layout: Layout) -> Layout:
    result = build(layout, run_mkdocs=False)
    assert not result.failed, result.message + "\n" + "\n".join(i.format() for i in result.issues if i.is_error)
    return layout


def _row_cells(page: str, first_cell_contains: str) -> list[str]:
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and first_cell_contains in cells[0]:
            return cells
    raise AssertionError(f"no row for {first_cell_contains!r}")


def test_a_series_page_lists_and_links_the_case_records_of_its_paper(fixture_built):
    """The case records of the series' paper are its patients (the paper has this one series), linked from the series
    page and counted on the index, whether or not the case names the series."""
    ds = load(fixture_built)
    for s in ds.of("series"):
        cases = [c.id for c in ds.of("case") if c.data.get("paper") == s.data["paper"] or c.data.get("series") == s.id]
        assert cases, "the fixture's series has case records"
        page = (fixture_built.build_docs / "series" / f"{s.id}.md").read_text(encoding="utf-8")
        for cid in cases:
            assert f"](../cases/{cid}.md)" in page, cid
        row = _row_cells((fixture_built.build_docs / "series" / "index.md").read_text(encoding="utf-8"), f"]({s.id}.md)")
        assert row[-1].startswith(f"{len(cases)}: "), row


def test_series_index_is_newest_first_with_undated_last_and_marked(tmp_path: Path):
    layout = copy_fixture_kb(tmp_path / "kb")
    base = yaml.safe_load((layout.root / "series" / "wu2006.yaml").read_text(encoding="utf-8"))
    # two more cohorts: one of a newer paper, one of a work whose year is not stated
    bib = (layout.root / "bib" / "references.bib").read_text(encoding="utf-8")
    bib += ("\n@article{newer2024,\n  access = {abstract},\n  author = {Newer, A.},\n  title = {A newer report},\n"
            "  journal = {J},\n  year = {2024},\n  note = {Test entry.}\n}\n"
            "\n@misc{undated-web,\n  access = {abstract},\n  title = {An undated web page},\n"
            "  note = {Year not shown on the page.}\n}\n")
    (layout.root / "bib" / "references.bib").write_text(bib, encoding="utf-8")
    for key in ("newer2024", "undated-web"):
        rec = {**base, "paper": key, "facts": [], "treatments": []}
        for k in ("patients", "runners"):
            rec[k] = {"status": "not_reported"}
        (layout.root / "series" / f"{key}.yaml").write_text(yaml.safe_dump(rec, sort_keys=False), encoding="utf-8")
    _build(layout)
    page = (layout.build_docs / "series" / "index.md").read_text(encoding="utf-8")
    order = re.findall(r"^\| \[[^\]]+\]\(([a-z0-9-]+)\.md\) \| ([^|]+) \|", page, re.M)
    assert [o[0] for o in order] == ["newer2024", "wu2006", "undated-web"], order
    assert order[-1][1].strip() == "year not stated"


@pytest.fixture(scope="module")
def real_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real records rendered to Markdown once (no MkDocs): for relations that need the literature records."""
    return _build(copy_kb(tmp_path_factory.mktemp("real") / "kb")).build_docs


def _years(cells: list[str]) -> list[int | None]:
    return [None if c == "year not stated" else int(c) for c in cells]


def _newest_first(years: list[int | None]) -> bool:
    dated = [y for y in years if y is not None]
    first_undated = years.index(None) if None in years else len(years)
    return dated == sorted(dated, reverse=True) and all(y is None for y in years[first_undated:])


def test_literature_tables_show_the_year_newest_first_undated_last(real_docs: Path):
    page = (real_docs / "literature" / "index.md").read_text(encoding="utf-8")
    for caption in ("Included reports", "Excluded reports"):
        block = page.split(f"Table: {caption}", 1)[1].split("\n\n", 2)[1]
        years = _years([line.split(" | ")[1].strip() for line in block.splitlines()[2:] if line.startswith("|")])
        assert len(years) > 1 and _newest_first(years), (caption, years)


def test_since_the_review_lists_newer_reports_newest_first(real_docs: Path):
    page = (real_docs / "literature" / "since-review.md").read_text(encoding="utf-8")
    heads = re.findall(r"^### (\d{4}|Year not stated): ", page, re.M)
    assert len(heads) > 1
    assert _newest_first(_years([h.lower() for h in heads]))


def test_protocol_lists_are_lists(real_docs: Path):
    """A bold label followed by its items: a blank line in between, or Markdown runs them into one paragraph."""
    page = (real_docs / "literature" / "index.md").read_text(encoding="utf-8")
    for label in ("**Inclusion:**", "**Exclusion:**", "**Rules:**", "**Sources searched:**"):
        after = page.split(label, 1)[1]
        assert after.startswith("\n\n- "), label


DEVELOPER_TEXT = [re.compile(p) for p in (r"do not edit", r"references(&#95;|_)cache", r"\b[EW]\d{3}\b", r"OWASP",
                                          r"RDKB(&#95;|_)", r"site(&#95;|_)url", r"\bmake (check|site|serve|test)\b",
                                          r"scripts/rdkb", r"\.py\b")]


def test_no_developer_text_on_any_page(real_docs: Path):
    """Build hints, file paths of the code, rule ids and security notes live in README/CONTRIBUTING, not on the pages.
    The literature protocol's own record text (its "Protocol" section, shown verbatim) is the one exception."""
    hits = []
    for path in sorted(real_docs.rglob("*.md")):
        rel = path.relative_to(real_docs).as_posix()
        if rel.startswith(("records/", "data/")):
            continue
        text = path.read_text(encoding="utf-8")
        if rel == "literature/index.md":
            text = text.split("\n## Protocol\n", 1)[0]
        hits += [f"{rel}: {m.group(0)!r}" for rx in DEVELOPER_TEXT for m in [rx.search(text)] if m]
    assert not hits, hits


def test_errata_table_names_pages_not_record_paths(real_docs: Path):
    page = (real_docs / "errata.md").read_text(encoding="utf-8")
    table = page.split("Table: Errata at a glance", 1)[1].split("\n\n", 2)[1]
    assert re.search(r"\| (claims check|runner survey|case |proposed cause)", table)
    assert not re.search(r"(claims|survey|causes|cases)/[a-z0-9-]+", table)


def test_standard_differential_is_on_the_workup_with_its_sources(real_docs: Path):
    from rdkb.kinds import cause as cause_kind

    text = (real_docs / "causes" / "workup.md").read_text(encoding="utf-8")
    assert cause_kind.STANDARD_DIFFERENTIAL
    for item in cause_kind.STANDARD_DIFFERENTIAL:
        name = item.name.replace("'", "&#39;").replace("(", "&#40;").replace(")", "&#41;")
        line = next(line for line in text.splitlines() if line.startswith(f"- **{name}.**"))
        for ev in item.evidence:
            assert f"../references.md#{ev.ref}" in line, (item.id, ev.ref)
