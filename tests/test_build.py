"""The whole pipeline on the real records: counts, downloads, strictness, determinism, failure safety."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter

import pytest

from rdkb.pipeline.build import build


def _json(layout, name):
    return json.loads((layout.site / "data" / name).read_text(encoding="utf-8"))


def _records(layout):
    from rdkb.pipeline.load import load

    return load(layout)


def test_cases_json_has_one_item_per_case_record_and_the_reviews_per_paper_counts(built):
    cases = _json(built, "cases.json")
    ds = _records(built)
    assert sorted(c["id"] for c in cases) == sorted(r.id for r in ds.of("case"))
    stated = {k: int(r.get("reviewcases")) for k, r in ds.references.items() if r.get("reviewcases").isdigit()}
    assert Counter(c["paper"] for c in cases if c["in_review"]) == stated
    assert all({"id", "paper", "adequately_described"} <= set(c) for c in cases)
    described = [c for c in cases if c["adequately_described"] is True]
    assert all(c["in_review"] for c in described), "adequately_described is the review's own judgement"


def test_complaints_json_is_the_complaint_table_row_by_row(built):
    rows = _json(built, "complaints.json")
    table = _records(built).one("table", "complaints").data["rows"]
    assert [r["id"] for r in rows] == [r["id"] for r in table]
    foot = {"toes", "foot", "ankle"}
    assert [r["foot_or_ankle"] for r in rows] == [bool(foot & set(t.get("body_regions") or [])) for t in table]
    assert all({"text", "foot_or_ankle", "case", "source"} <= set(r) for r in rows)


def test_treatments_json_is_the_drug_table_with_controlled_agents(built):
    rows = _json(built, "treatments.json")
    table = _records(built).one("table", "treatments").data["rows"]
    assert [r["id"] for r in rows] == [t["id"] for t in table]
    vocab = json.loads((built.site / "schemas" / "vocabulary.json").read_text())
    assert all(set(r["agents"]) <= set(vocab["agents"]) for r in rows)
    assert all(r["response"] in vocab["responses"] for r in rows)
    assert Counter(a for r in rows for a in r["agents"]) == Counter(a for t in table for a in t["agents"])


def test_no_row_is_linked_to_a_case_without_a_cited_attribution(built):
    from rdkb.pipeline.load import load

    ds = load(built)
    for table in ds.of("table"):
        for row in table.data["rows"]:
            if row["case"] is not None:
                assert row["attribution"]["source"]["ref"] in ds.references


def test_csv_downloads_parse(built):
    with open(built.site / "data" / "cases.csv", encoding="utf-8") as fh:
        assert [r["id"] for r in csv.DictReader(fh)] == [c["id"] for c in _json(built, "cases.json")]
    with open(built.site / "data" / "treatments.csv", encoding="utf-8") as fh:
        assert [r["id"] for r in csv.DictReader(fh)] == [t["id"] for t in _json(built, "treatments.json")]


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


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    """One successful strict build, shared: each failure test below breaks a copy of it."""
    from conftest import copy_kb

    kb = copy_kb(tmp_path_factory.mktemp("good") / "kb")
    assert not build(kb, run_mkdocs=True).failed
    return kb


def _copy_of(layout, dest):
    from rdkb.paths import Layout

    shutil.copytree(layout.root, dest, symlinks=True)  # copy2: the site's files keep their modification times
    return Layout(dest)


def test_failed_validation_leaves_site_unchanged(good_build, tmp_path):
    kb = _copy_of(good_build, tmp_path / "kb")
    before = {p.relative_to(kb.site): p.stat().st_mtime_ns for p in kb.site.rglob("*")}
    (kb.cases / "wu2006-1.yaml").write_text("paper: [unclosed\n", encoding="utf-8")
    result = build(kb, run_mkdocs=True)
    assert result.failed and any(i.rule == "E003" for i in result.issues)
    assert {p.relative_to(kb.site): p.stat().st_mtime_ns for p in kb.site.rglob("*")} == before


def test_failed_mkdocs_build_leaves_site_unchanged(good_build, tmp_path):
    kb = _copy_of(good_build, tmp_path / "kb")
    before = sorted(p.relative_to(kb.site) for p in kb.site.rglob("*"))
    (kb.content / "broken.md").write_text("# Broken\n\n[dangling](no-such-page.md)\n", encoding="utf-8")
    result = build(kb, run_mkdocs=True, strict=True)
    assert result.failed
    assert sorted(p.relative_to(kb.site) for p in kb.site.rglob("*")) == before
    assert not list((kb.root / "build").glob(".site-new-*"))


def test_case_pages_stay_out_of_the_navigation(built):
    html = (built.site / "index.html").read_text(encoding="utf-8")
    assert 'href="cases/"' in html
    assert not any(f"cases/{c.stem}" in html for c in built.cases.glob("*.yaml"))


def test_references_list_the_pages_citing_them(built):
    html = (built.site / "references" / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="lenka2021"'):]
    section = section[: section.index("<h2")]
    assert "wu2006-1" in section


def test_no_private_file_or_machine_path_reaches_the_site_or_the_records(built):
    """The curators' notes are not a source: never named; and no machine path is published."""
    import subprocess

    bad = ("primary-papers", "/work/", "shared/sources", "/tmp/", "/root/")
    for p in built.site.rglob("*"):
        theme = p.relative_to(built.site).parts[:2] in (("assets", "javascripts"), ("assets", "stylesheets"))
        if p.is_file() and not theme and p.suffix in (".html", ".json", ".csv", ".bib", ".ris", ".txt", ".yaml", ".md", ".xml"):
            text = p.read_text(encoding="utf-8", errors="replace")
            assert not [b for b in bad if b in text], p.relative_to(built.site)
    from rdkb.paths import REPO

    tracked = subprocess.run(["git", "ls-files"], cwd=REPO.root, capture_output=True, text=True, check=False).stdout.split()
    for rel in tracked:
        if rel.startswith(("tests/", ".github/")) or rel.endswith((".py", ".ngrams", ".lock")):
            continue
        text = (REPO.root / rel).read_text(encoding="utf-8", errors="replace")
        assert "primary-papers" not in text and "/work/" not in text, rel


def _visible(html: str) -> str:
    """What a reader sees of a page, as a browser collapses it: text outside tags, white space runs as one space
    (pre, textarea, script and style kept byte for byte)."""
    import re

    keep = re.findall(r"<(pre|textarea|script|style)\b.*?</\1\s*>", html, re.S | re.I)
    text = re.sub(r"<(pre|textarea|script|style)\b.*?</\1\s*>", "\0", html, flags=re.S | re.I)
    return re.sub(r"\s+", " ", text).strip() + "\0".join(keep)


def test_every_built_page_is_compacted_and_reads_the_same(built):
    """The build cuts the theme's indentation (white space holding a line break becomes one line break) on every
    page: no page keeps an indented line outside pre/textarea/script/style, and compacting is what a browser
    would show anyway (the visible text, collapsed, is unchanged)."""
    import re

    from rdkb.pipeline.render import compact_html_text

    pages = sorted(built.site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        html = page.read_text(encoding="utf-8")
        outside = re.sub(r"<(pre|textarea|script|style)\b.*?</\1\s*>", "", html, flags=re.S | re.I)
        assert not re.search(r"\n[ \t]", outside), page
        assert compact_html_text(html) == html, page  # idempotent: the built page is already compact
    sample = ('<div>\n    <p>a\n      b</p>\n  <pre><code>x\n    y  \n</code></pre>\n'
              '<script>var s = "a\n    b";</script>\n<textarea>\n  t\n</textarea> <span>c</span>\n\n   <b>d</b></div>')
    small = compact_html_text(sample)
    assert "<pre><code>x\n    y  \n</code></pre>" in small and 'var s = "a\n    b";' in small and "<textarea>\n  t\n</textarea>" in small
    assert _visible(small) == _visible(sample) and len(small) < len(sample)


def test_json_downloads_are_compact_with_one_record_per_line(built):
    """Every JSON download parses, has no indentation, and a top-level list has one item per line (a diff or `head`
    shows records), the same for the phenopackets inside the zip."""
    import zipfile

    from rdkb.tabular import json_text

    files = sorted((built.site / "data").rglob("*.json"))
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        data = json.loads(text)
        assert not any(line.startswith(" ") for line in text.splitlines()), f
        assert text == json_text(data), f
        if isinstance(data, list) and data:
            assert len(text.splitlines()) == len(data) + 2, f
    with zipfile.ZipFile(built.site / "data" / "phenopackets.zip") as z:
        name = z.namelist()[0]
        inside = z.read(name).decode("utf-8")
    assert inside == json_text(json.loads(inside)) == (built.site / "data" / "phenopackets" / name).read_text(encoding="utf-8")



def test_footers_count_the_records_of_a_large_folder_and_name_the_others(built):
    """A page made from many records of one folder counts them (linked to where the records are listed) instead of
    naming each one; a page made from a few names each. The count is the page's own number of records."""
    import re

    from rdkb.pipeline.render import FOOTER_LIST_MAX, footer_records

    cases = json.loads((built.site / "data" / "cases.json").read_text(encoding="utf-8"))
    assert len(cases) > FOOTER_LIST_MAX  # (the real knowledge base is large enough for the folded form)
    table = (built.build_docs / "cases" / "index.md").read_text(encoding="utf-8")
    footer = table.split("Records behind this page:")[1].split("</small>")[0]
    assert f"{len(cases)} records in [cases/](../downloads.md#the-records-themselves)" in footer
    assert "cases/" + cases[0]["id"] + ".yaml" not in footer
    page = (built.build_docs / "cases" / f"{cases[0]['id']}.md").read_text(encoding="utf-8")
    assert f"[cases/{cases[0]['id']}.yaml](../records/cases/{cases[0]['id']}.yaml)" in page.split("Records behind this page:")[1]
    html = (built.site / "downloads" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'id="the-records-themselves"', html)
    folded = footer_records([f"cases/c{i}.yaml" for i in range(FOOTER_LIST_MAX + 1)] + ["tables/t.yaml", "survey/s.yaml"])
    assert folded == [{"path": "", "folder": "cases", "n": FOOTER_LIST_MAX + 1},
                      {"path": "tables/t.yaml", "folder": "", "n": 1}, {"path": "survey/s.yaml", "folder": "", "n": 1}]
    assert [r["path"] for r in footer_records([f"cases/c{i}.yaml" for i in range(FOOTER_LIST_MAX)])] == \
        [f"cases/c{i}.yaml" for i in range(FOOTER_LIST_MAX)]


def test_the_similar_cases_page_carries_each_cases_cited_works_once(built):
    """The page's embedded data keeps, of each case's sources, only the works cited besides its paper (the ranking
    and the results need no more): exactly those of cases.json."""
    import re

    cases = {c["id"]: c for c in json.loads((built.site / "data" / "cases.json").read_text(encoding="utf-8"))}
    md = (built.build_docs / "cases" / "similar.md").read_text(encoding="utf-8")
    blob = re.search(r'<script type="application/json" id="kb-similar-data">(.*?)</script>', md, re.S).group(1)
    data = json.loads(blob.replace("\\u003c", "<"))
    assert len(data["cases"]) == len(cases)
    for c in data["cases"]:
        full = cases[c["id"]]
        cited = {s["ref"] for s in full["sources"].values() if isinstance(s, dict) and s.get("ref")}
        cited |= {(t.get("source") or {}).get("ref") for t in full.get("treatments") or []} - {None}
        assert c["cited"] == sorted(cited - {full["paper"]}) and "sources" not in c
        assert all(set(t) == {"agents", "response"} for t in c["treatments"])
        assert set(c["cited"]) | {c["paper"]} <= set(data["refs"])
