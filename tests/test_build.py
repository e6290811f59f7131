"""The whole pipeline on the real records: counts, downloads, strictness, determinism, failure safety."""

from __future__ import annotations

import csv
import json
from collections import Counter

from rdkb.pipeline.build import build

REVIEW_PER_PAPER = {"wu2006": 5, "leveille2008": 2, "ramdhani2013": 3, "rana2013": 1, "chang2013": 3,
                    "mcclinton2012": 1, "katz2013": 4, "schneider2006": 1, "bozi2003": 2}


def _json(layout, name):
    return json.loads((layout.site / "data" / name).read_text(encoding="utf-8"))


def test_cases_json_reproduces_the_reviews_counts(built):
    cases = _json(built, "cases.json")
    assert len(cases) == 22
    assert Counter(c["paper"] for c in cases) == REVIEW_PER_PAPER
    assert all({"id", "paper", "adequately_described"} <= set(c) for c in cases)
    assert sum(1 for c in cases if c["adequately_described"] is True) == 19


def test_per_paper_counts_match_the_bibliography_statement(built):
    from rdkb.pipeline.load import load

    refs = load(built).references
    for key, n in REVIEW_PER_PAPER.items():
        assert refs[key].get("reviewcases") == str(n)


def test_complaints_json_has_19_rows_15_foot_or_ankle(built):
    rows = _json(built, "complaints.json")
    assert len(rows) == 19
    assert sum(1 for r in rows if r["foot_or_ankle"]) == 15
    assert all({"text", "foot_or_ankle", "case", "source"} <= set(r) for r in rows)


def test_treatments_json_has_21_rows_with_controlled_agents(built):
    rows = _json(built, "treatments.json")
    assert len(rows) == 21
    vocab = json.loads((built.site / "schemas" / "vocabulary.json").read_text())
    assert all(set(r["agents"]) <= set(vocab["agents"]) for r in rows)
    assert all(r["response"] in vocab["responses"] for r in rows)
    assert Counter(a for r in rows for a in r["agents"])["levodopa"] == 7


def test_no_row_is_linked_to_a_case_without_a_cited_attribution(built):
    from rdkb.pipeline.load import load

    ds = load(built)
    for table in ds.of("table"):
        for row in table.data["rows"]:
            if row["case"] is not None:
                assert row["attribution"]["source"]["ref"] in ds.references


def test_csv_downloads_parse(built):
    with open(built.site / "data" / "cases.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 22
    with open(built.site / "data" / "treatments.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 21


def test_every_page_is_reachable_from_the_home_page(built):
    import re
    from urllib.parse import urljoin

    site = built.site
    seen, todo = set(), ["index.html"]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        html = (site / page).read_text(encoding="utf-8")
        for href in re.findall(r'href="([^"#?]+)', html):
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target = urljoin("/" + page, href).lstrip("/")
            if target.endswith("/") or target == "":
                target += "index.html"
            if target.endswith(".html") and (site / target).exists():
                todo.append(target)
    all_pages = {p.relative_to(site).as_posix() for p in site.rglob("index.html")} - {"404.html"}
    assert all_pages - seen == set()


def test_rebuild_is_byte_identical(kb):
    assert not build(kb, run_mkdocs=False).failed
    first = {p.relative_to(kb.build_docs): p.read_bytes() for p in kb.build_docs.rglob("*") if p.is_file()}
    assert not build(kb, run_mkdocs=False).failed
    second = {p.relative_to(kb.build_docs): p.read_bytes() for p in kb.build_docs.rglob("*") if p.is_file()}
    assert first == second


def test_failed_validation_leaves_site_unchanged(kb):
    assert not build(kb, run_mkdocs=True).failed
    before = {p: p.stat().st_mtime_ns for p in kb.site.rglob("*")}
    (kb.cases / "wu2006-1.yaml").write_text("paper: [unclosed\n", encoding="utf-8")
    result = build(kb, run_mkdocs=True)
    assert result.failed and any(i.rule == "E003" for i in result.issues)
    assert {p: p.stat().st_mtime_ns for p in kb.site.rglob("*")} == before


def test_failed_mkdocs_build_leaves_site_unchanged(kb):
    assert not build(kb, run_mkdocs=True).failed
    before = sorted(p.relative_to(kb.site) for p in kb.site.rglob("*"))
    (kb.content / "broken.md").write_text("# Broken\n\n[dangling](no-such-page.md)\n", encoding="utf-8")
    result = build(kb, run_mkdocs=True, strict=True)
    assert result.failed
    assert sorted(p.relative_to(kb.site) for p in kb.site.rglob("*")) == before
    assert not (kb.root / "build" / "site-new").exists()


def test_case_pages_stay_out_of_the_navigation(built):
    html = (built.site / "index.html").read_text(encoding="utf-8")
    assert 'href="cases/"' in html
    assert not any(f"cases/{c.stem}" in html for c in built.cases.glob("*.yaml"))


def test_references_list_the_pages_citing_them(built):
    html = (built.site / "references" / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="lenka2021"'):]
    section = section[: section.index("<h2")]
    assert "wu2006-1" in section
