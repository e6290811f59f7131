"""The living review: the search's flow, the reports download and the all-literature figures, as relations."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from conftest import copy_kb
from rdkb.pipeline.build import build
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate


@pytest.fixture(scope="module")
def lit_kb(tmp_path_factory):
    kb = copy_kb(tmp_path_factory.mktemp("living") / "kb")
    result = build(kb, run_mkdocs=False)
    assert not result.failed, result.message
    return kb


def _data(kb, name):
    return json.loads((kb.build_docs / "data" / name).read_text(encoding="utf-8"))


def test_flow_is_computed_from_the_decisions(lit_kb):
    rep = _data(lit_kb, "reports.json")
    decisions = Counter(r["decision"] for r in rep["reports"])
    flow = rep["flow"]
    assert flow["identified"] == len(rep["reports"])
    assert flow["screened"] == flow["identified"] - flow["duplicates"]
    assert flow["screened"] == flow["excluded"] + flow["background"] + flow["included"]
    assert flow["included"] == decisions["include"] and flow["background"] == decisions["background"]
    assert sum(n for _, n in flow["excluded_by_reason"]) == flow["excluded"]
    page = (lit_kb.build_docs / "literature" / "index.md").read_text()
    assert f"| **Included** | **{flow['included']}** |" in page


def test_background_items_are_never_counted_as_cases_or_series(lit_kb):
    rep = _data(lit_kb, "reports.json")
    background = {r["key"] for r in rep["reports"] if r["decision"] == "background"}
    assert not background & {c["paper"] for c in _data(lit_kb, "cases.json")}
    assert not background & {s["paper"] for s in _data(lit_kb, "series.json")}


def test_all_literature_figures_do_not_double_count_overlap(lit_kb):
    """The runner range (rdkb.kinds.question.runner_bounds): at most adds every report's patients; at least counts each
    group of reports suspected to share patients once, by its largest number of confirmed, individually described runners."""
    from rdkb.kinds import literature, question
    from rdkb.pipeline.derive import derive
    from rdkb.pipeline.validate import vocabulary

    ds = load(lit_kb)
    d = derive(ds, vocabulary(), lit_kb)
    r = d.context.view(question.KIND).runners
    per = r["per_report"]
    assert 0 < r["at_least"] <= r["at_most"]
    assert r["at_most"] == sum(x["described"] or 0 for x in per.values())
    groups = {k: {k} for k in per}
    for a, b, _ in d.context.view(literature.KIND).overlaps:
        if a in groups and b in groups and groups[a] is not groups[b]:
            merged = groups[a] | groups[b]
            for k in merged:
                groups[k] = merged
    distinct = {id(g): g for g in groups.values()}.values()
    assert r["at_least"] == sum(max(per[k]["confirmed_runners"] for k in g) for g in distinct)
    for page in ("index.md", "summary.md"):
        text = (lit_kb.build_docs / page).read_text()
        assert f'data-q="runners&#58;at&#95;least">{r["at_least"]}<' in text
        assert f'data-q="runners&#58;at&#95;most">{r["at_most"]}<' in text
        assert f"runners from {r['n_reports']} reports" in text


def test_review_figures_stay_over_the_reviews_own_cases(lit_kb):
    claims = {c["id"]: c for c in _data(lit_kb, "claims.json")}
    cases = _data(lit_kb, "cases.json")
    assert claims["cases-total"]["derived"] == sum(1 for c in cases if c["in_review"])


def test_stale_search_warns_only_after_twelve_months(kb, monkeypatch):
    proto = kb.root / "literature" / "protocol.yaml"
    import re

    text = re.sub(r'(?m)^date_of_search: .*$', 'date_of_search: "2025-01-01"', proto.read_text())
    proto.write_text(text, encoding="utf-8")
    monkeypatch.setenv("RDKB_TODAY", "2025-12-31")
    assert not [i for i in validate(load(kb)) if i.rule == "W701"]
    monkeypatch.setenv("RDKB_TODAY", "2026-01-02")
    (w,) = [i for i in validate(load(kb)) if i.rule == "W701"]
    assert w.path == "literature/protocol.yaml" and not w.is_error


def test_every_page_shows_the_date_of_the_last_search(lit_kb):
    searched = _data(lit_kb, "reports.json")["date_of_search"]
    for page in ("index.md", "cases/index.md", "treatments.md", "red-flags.md"):
        assert f"Literature searched up to {searched}." in (lit_kb.build_docs / page).read_text(), page


def test_one_report_added_between_searches_keeps_its_own_date(kb):
    """A single date_of_search cannot date one added report: a candidate's own `searched` date does, in reports.json."""
    cands = kb.root / "literature" / "candidates.yaml"
    assert not build(kb, run_mkdocs=False).failed
    before = {r["key"]: r["searched"] for r in _data(kb, "reports.json")["reports"]}
    text = cands.read_text(encoding="utf-8")
    entries = list(re.finditer(r"(?m)^- key: (\S+)\n", text))
    # the first report entry that carries no date of its own (a contributor's entry may already have one)
    first = next(m for i, m in enumerate(entries) if m.group(1) in before
                 and not re.search(r"(?m)^  searched:", text[m.end():entries[i + 1].start() if i + 1 < len(entries) else len(text)]))
    cands.write_text(text.replace(first.group(0), first.group(0) + '  searched: "2027-02-03"\n', 1), encoding="utf-8")
    result = build(kb, run_mkdocs=False)
    assert not result.failed, [i.format() for i in result.issues if i.is_error]
    rep = _data(kb, "reports.json")
    dated = {r["key"]: r["searched"] for r in rep["reports"]}
    assert dated[first.group(1)] == "2027-02-03"
    assert all(d == before[k] for k, d in dated.items() if k != first.group(1))
    cands.write_text(cands.read_text(encoding="utf-8").replace('searched: "2027-02-03"', "searched: 3 Feb 2027"), encoding="utf-8")
    assert any(i.rule == "E105" and i.path == "literature/candidates.yaml" for i in validate(load(kb)))
