"""Causes, survey, comparison, claims, errata, summary: data-bound pages and the review's claims checked."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rdkb.paths import REPO
from rdkb.pipeline.build import build

SHINGLES = Path(__file__).parent / "fixtures" / "review-shingles.txt"


def _data(layout, name):
    return json.loads((layout.build_docs / "data" / name).read_text(encoding="utf-8"))


def test_twelve_causes_with_pages_matrix_and_tests_table(built):
    causes = _data(built, "causes.json")
    assert len(causes) == 12
    from rdkb.kinds.cause import RATINGS

    assert {c["rating"] for c in causes} <= set(RATINGS)
    assert all(c["review_wording"] for c in causes), "each verdict shows the review's own words"
    for c in causes:
        assert (built.build_docs / "causes" / f"{c['id']}.md").exists()
        assert len(c["hallmarks"]) == 8
    matrix = (built.build_docs / "causes" / "hallmarks.md").read_text()
    assert all(c["id"] in matrix for c in causes)
    tests = (built.build_docs / "causes" / "tests.md").read_text()
    assert "Ankle&#45;brachial index" in tests or "Ankle-brachial index" in tests


def test_claims_at_least_25_and_eight_drugs_flagged(built):
    claims = {c["id"]: c for c in _data(built, "claims.json")}
    assert len(claims) >= 25
    assert all({"id", "statement", "source", "stated", "derived", "agrees"} <= set(c) for c in claims.values())
    assert claims["drugs-eight"]["stated"] == 8 and claims["drugs-eight"]["derived"] == 9
    assert claims["drugs-eight"]["state"] == "depends-on-coding" and claims["drugs-eight"]["derived"] == 9
    assert claims["cases-total"]["agrees"] is True and claims["complaints-foot-ankle"]["derived"] == 15


def test_errata_page_lists_each_inconsistency_with_location(built):
    page = (built.build_docs / "errata.md").read_text()
    from rdkb.pipeline.load import load

    errata = load(built).one("erratum").data["errata"]
    assert len(errata) >= 10
    for e in errata:
        assert e["id"] in page
        assert e["quotes"], e["id"]
    ids = {e["id"] for e in errata}
    assert any("eight" in i for i in ids)
    text = json.dumps(errata).lower()
    assert "reference 22" in text or "ref. 22" in text
    assert "leville" in text and "mclinton" in text


def _figure_changes(kb, page: str, edit) -> tuple[str, str]:
    assert not build(kb, run_mkdocs=False).failed
    before = (kb.build_docs / page).read_text()
    edit(kb)
    result = build(kb, run_mkdocs=False)
    assert not result.failed, [i.format() for i in result.issues if i.is_error]
    return before, (kb.build_docs / page).read_text()


def _flip_complaint(kb):
    """Recode one literature complaint row so it no longer involves the foot."""
    p = kb.tables / "complaints.yaml"
    text = p.read_text()
    new, n = re.subn(r"(text: Foot plantar flexion\n(?:\s+.*\n)*?\s+body_regions: )\[foot\]", r"\1[knee]", text, count=1)
    assert n == 1
    p.write_text(new)


def _rows_figure(kb) -> tuple[int, int]:
    syn = _data(kb, "synthesis.json")
    lv = next(lv for q in syn["questions"] for lv in q["levels"] if lv["id"].endswith(":complaint-rows"))
    return lv["k"], lv["n"]


def test_summary_figures_come_from_records(kb):
    """Removing a case record that reports later Parkinson's disease changes the synthesis' case level, and the
    executive summary shows the new figure."""
    assert not build(kb, run_mkdocs=False).failed
    syn = _data(kb, "synthesis.json")
    before = next(lv for q in syn["questions"] for lv in q["levels"] if lv["id"] == "parkinsons:cases")
    page_before = (kb.build_docs / "summary.md").read_text()
    for case_id in before["cases"]:
        saved = (kb.cases / f"{case_id}.yaml").read_text()
        (kb.cases / f"{case_id}.yaml").unlink()
        if not build(kb, run_mkdocs=False).failed:
            break
        (kb.cases / f"{case_id}.yaml").write_text(saved)  # another record needs it: try the next one
    else:
        raise AssertionError("no case record with later Parkinson's disease can be removed alone")
    after = next(lv for q in _data(kb, "synthesis.json")["questions"] for lv in q["levels"] if lv["id"] == "parkinsons:cases")
    assert (after["k"], after["n"]) == (before["k"] - 1, before["n"] - 1)
    page_after = (kb.build_docs / "summary.md").read_text()
    assert f">{before['text']}</span>".replace("(", "&#40;").replace(")", "&#41;").replace(":", "&#58;") in page_before
    assert f">{after['text']}</span>".replace("(", "&#40;").replace(")", "&#41;").replace(":", "&#58;") in page_after


def test_comparison_figures_come_from_records(kb):
    assert not build(kb, run_mkdocs=False).failed
    k, n = _rows_figure(kb)
    before, after = _figure_changes(kb, "comparison.md", _flip_complaint)
    assert f">{k} of {n}</span> complaint rows" in before and f">{k - 1} of {n}</span> complaint rows" in after


def test_new_case_changes_current_figures_but_not_the_review_check(kb):
    src = (kb.cases / "katz2013-4.yaml").read_text().replace("in_review: true", "in_review: false")
    assert not build(kb, run_mkdocs=False).failed
    claims_before = _data(kb, "claims.json")
    n_before = len(_data(kb, "cases.json"))
    n_review = sum(1 for c in _data(kb, "cases.json") if c["in_review"])
    (kb.cases / "katz2013-5.yaml").write_text(src)
    assert not build(kb, run_mkdocs=False).failed
    assert _data(kb, "claims.json") == claims_before
    assert len(_data(kb, "cases.json")) == n_before + 1
    home = (kb.build_docs / "index.md").read_text()
    assert f"{n_before + 1} literature cases" in home
    summary = (kb.build_docs / "summary.md").read_text()
    assert f"**{n_review} runners**" in summary and f"{n_before + 1} case records here" in summary


def _sentences(text: str) -> list[str]:
    words = re.findall(r"[a-z']+", text.lower())
    return [" ".join(words[i:i + 10]) for i in range(len(words) - 9)]


def _hash(run: str) -> str:
    import hashlib

    return hashlib.sha1(run.encode()).hexdigest()[:16]


def test_site_prose_is_not_copied_from_the_review():
    """No 10-word run of the review appears in our hand-written pages or templates (quotes are marked as such).

    The review's runs are stored as hashes (tests/fixtures/review-shingles.txt), not as text."""
    review = {ln for ln in SHINGLES.read_text().splitlines() if ln and not ln.startswith("#")}
    assert len(review) > 10000
    offenders = []
    for path in list((REPO.root / "content").glob("*.md")) + list((REPO.root / "site_templates").rglob("*.j2")):
        text = re.sub(r'"[^"]*"', " ", path.read_text(encoding="utf-8"))  # quoted phrases are citations
        for run in _sentences(text):
            if _hash(run) in review:
                offenders.append(f"{path.name}: {run}")
    assert offenders == []


def test_the_prose_check_would_catch_a_copied_paragraph(tmp_path):
    review = {ln for ln in SHINGLES.read_text().splitlines() if ln and not ln.startswith("#")}
    copied = "Doctors, physical therapists, chiropractors, and any number of other medical professionals seem unable to pin down the problem."
    assert any(_hash(run) in review for run in _sentences(copied))


def test_survey_and_causes_downloads(built):
    survey = _data(built, "survey.json")
    assert len(survey["complaints"]) == 16
    assert {r["number"] for r in survey["respondents"]} == {11, 13, 14, 15, 16}
    assert all("source" in a for a in survey["aggregates"])


def test_search_index_finds_authors_agents_synonyms_and_causes(built):
    index = json.loads((built.site / "search" / "search_index.json").read_text(encoding="utf-8"))
    docs = index["docs"]

    def pages_with(word: str) -> set[str]:
        w = word.lower()
        return {d["location"].split("#")[0] for d in docs if w in (d["title"] + " " + d["text"]).lower()}

    assert "agents/carbamazepine/" in pages_with("carbamazepine")
    assert "agents/levodopa/" in pages_with("L-dopa")
    assert "papers/mcclinton2012/" in pages_with("Heiderscheit")
    assert "papers/bozi2003/" in pages_with("Bozi")
    assert "causes/compartment-syndrome/" in pages_with("compartment syndrome")


def test_serve_rerenders_when_a_record_is_saved(kb):
    """`make serve`: saving a record updates the served page (functional; no timing assertion)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO.root / "scripts")}
    proc = subprocess.Popen([sys.executable, "-m", "rdkb", "--root", str(kb.root), "serve", "--dev-addr", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/cases/wu2006-4/"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                assert time.time() < deadline, "mkdocs serve did not start"
                time.sleep(0.3)
        time.sleep(1.5)
        p = kb.cases / "wu2006-4.yaml"
        p.write_text(p.read_text().replace("in_review: true", "in_review: true\n# edited") .rstrip("\n")
                     + " Edited-in-serve-test.\n")
        deadline = time.time() + 120
        while True:
            try:  # MkDocs may hold a request while it rebuilds (slow on a loaded machine): ask again
                html = urllib.request.urlopen(url, timeout=10).read().decode()
            except OSError:
                html = ""
            if "Edited&#45;in&#45;serve&#45;test" in html or "Edited-in-serve-test" in html:
                break
            assert time.time() < deadline, "the edit never reached the served page"
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", f"mkdocs serve --dev-addr 127.0.0.1:{port}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "stopping `rdkb serve` must stop its MkDocs server too"


def test_each_name_of_the_condition_is_the_wording_of_its_cited_title():
    """The home page's names in the literature: each is in the title of the work cited for it."""
    from rdkb.views.summary import NAMES

    bib = (REPO.root / "bib" / "references.bib").read_text(encoding="utf-8")
    for name, key, _ in NAMES:
        entry = bib[bib.index("{" + key + ","):]
        title = re.search(r"title\s*=\s*\{(.+?)\},\n", entry).group(1)
        assert name.lower() in title.replace("{", "").replace("}", "").lower(), (name, key, title)
