"""The case table's figures panel, derive side: the JSON /cases/ embeds for kb.js, its escaping, and the figures
the build renders for every case (the browser side is in tests/test_browser.py, "figures panel")."""

from __future__ import annotations

import html
import json
import re

import pytest

from conftest import copy_fixture_kb
from rdkb import fields
from rdkb.kinds import case
from rdkb.paths import REPO
from rdkb.pipeline.build import build
from rdkb.pipeline.derive import derive
from rdkb.pipeline.load import load
from rdkb.pipeline.render import make_env
from rdkb.pipeline.validate import validate, vocabulary

HOSTILE = "</script><img src=x onerror=alert(1)>"
EMBED = re.compile(r'<script type="application/json" id="case-facts">(.*?)</script>', re.DOTALL)


@pytest.fixture(scope="module")
def fixture_view(tmp_path_factory: pytest.TempPathFactory):
    layout = copy_fixture_kb(tmp_path_factory.mktemp("panel") / "kb")
    ds = load(layout)
    assert not [i for i in validate(ds) if i.is_error]
    return derive(ds, vocabulary(), layout).context.view(case.KIND), ds


def _expected_value(name: str, fact: dict | None):
    """A record's fact as the panel must hold it, written out from the record format (CONTRIBUTING.md)."""
    fact = fact or {"status": "not_reported"}
    if fact["status"] == "absent":
        return False if fields.BY_NAME[name].fact_type == "boolFact" else None
    if fact["status"] != "reported":
        return None
    value = fact["value"]
    if fields.BY_NAME[name].fact_type == "textFact":  # a duration: a number of years, or the wording as is
        m = re.fullmatch(r"(\d+|three|five) years?( .*)?", value)
        return (float(m.group(1)) if m.group(1).isdigit() else {"three": 3, "five": 5}[m.group(1)]) if m else value
    return value


def test_embedded_values_equal_the_records(fixture_view):
    view, ds = fixture_view
    data = view.panel
    records = {r.id: r.data for r in ds.of("case")}
    assert set(data["cases"]) == set(records)
    shown = [f.name for f in fields.CASE_FIELDS if f.panel]
    assert [f["name"] for f in data["figures"] if f["name"] != "foot_or_ankle"] == shown
    for cid, rec in records.items():
        got = data["cases"][cid]
        for name in shown:
            assert got.get(name) == _expected_value(name, rec.get(name)), (cid, name)
            assert name not in got or got[name] is not None  # not reported: no key
        regions = rec["body_regions"].get("value") if rec["body_regions"]["status"] == "reported" else None
        assert got.get("foot_or_ankle") == (None if regions is None else bool({"toes", "foot", "ankle"} & set(regions)))
        tr = rec["treatments"]
        assert got["treatments"]["status"] == tr["status"]
        assert got["treatments"]["items"] == [{"agents": t["agents"], "response": t["response"]}
                                              for t in (tr.get("items") or [])]
    # Only facts of single cases: no series figure is a row here.
    assert set(data) == {"figures", "agents", "responses", "no_response", "cases"}


def test_not_reported_is_never_counted_as_no(fixture_view):
    view, _ = fixture_view
    ids = list(view.panel["cases"])
    result = case.panel_figures(view.panel, ids)
    for fig in result["figures"]:
        assert fig["n"] == len(ids)
        values = [view.panel["cases"][i].get(fig["name"]) for i in ids]
        assert fig["missing"] == sum(v is None for v in values), fig["name"]
        if fig["kind"] == "share":
            assert sum(r["k"] for r in fig["rows"]) + fig["missing"] == fig["n"], fig["name"]
            if values.count(False) == 0:  # no case says "no": the "no" row (if any) must be empty
                assert all(r["k"] == 0 for r in fig["rows"] if r["label"] == "no"), fig["name"]


def test_figures_follow_a_subset(fixture_view):
    view, _ = fixture_view
    ids = sorted(view.panel["cases"])
    for k in range(len(ids) + 1):
        sub = ids[:k]
        result = case.panel_figures(view.panel, sub)
        assert result["n"] == len(sub) and result["drugs"]["n"] == len(sub)
        for fig in result["figures"]:
            assert fig["n"] == len(sub)
        treated = {a: sum(any(a in it["agents"] for it in view.panel["cases"][i]["treatments"]["items"]) for i in sub)
                   for a, _ in view.panel["agents"]}
        assert [a["k"] for a in result["drugs"]["agents"]] == [treated[a] for a, _ in view.panel["agents"]]


def test_panel_renders_for_no_case_and_for_facts_nobody_reports(fixture_view):
    """The build's panel renders whatever the records hold: here over no case at all (every figure empty)."""
    view, _ = fixture_view
    env = make_env(REPO.templates)
    empty = case.panel_figures(view.panel, [])
    assert empty["n"] == 0 and all(f["n"] == 0 and f["missing"] == 0 for f in empty["figures"])
    out = env.get_template("cases/_figures.html.j2").render(panel=empty, panel_json=case.script_json(view.panel))
    assert out.count('class="kb-fig') >= len(empty["figures"]) and "n = 0, 0 not reported" in out


@pytest.mark.parametrize(("wording", "years"), [
    ("three years", 3), ("3 years", 3), ("5 years of progressive gait impairment", 5), ("a year", 1),
    ("18 months", 1.5), ("2.5 years", 2.5),
    ("about 3 years", None), ("since childhood", None), ("several years", None), ("years", None), (HOSTILE, None),
])
def test_years_from_wording(wording, years):
    assert case.years_from_wording(wording) == years


def test_script_json_cannot_close_its_element():
    payload = {"x": HOSTILE, "y": "a & b <!-- c -->", "z": "\u2028"}
    text = case.script_json(payload)
    assert not set(text) & set("<>&\u2028")
    assert json.loads(text) == payload


def test_hostile_wording_stays_inert_on_the_built_page(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    path = layout.cases / "wu2006-1.yaml"
    text = path.read_text(encoding="utf-8")
    before = "duration_at_presentation:\n  status: not_reported\n  note: Not stated for this patient; the abstract gives only the series' mean duration (7.2 years).\n"
    assert before in text
    path.write_text(text.replace(before, "duration_at_presentation:\n  status: reported\n  value: '" + HOSTILE
                                 + "'\n  source: {ref: wu2006, locator: abstract}\n"), encoding="utf-8")
    result = build(layout, run_mkdocs=True, strict=False)  # the fixture's content pages link pages it leaves out
    assert not result.failed, result.message
    page = (layout.site / "cases" / "index.html").read_text(encoding="utf-8")
    embedded = EMBED.findall(page)
    assert len(embedded) == 1
    data = json.loads(embedded[0])
    assert data["cases"]["wu2006-1"]["duration_at_presentation"] == HOSTILE  # kept as the wording, read back intact
    assert "<img" not in page and not re.search(r"<[^>]*onerror", page)  # text only, never an element
    assert page.count("</script>") == page.count("<script")
    panel = page[page.index('<details class="kb-figures"'):page.index("</details>")]
    words = html.unescape(re.sub(r"<[^>]+>", "", panel))
    assert "Reported in words not read as years (1): \u201c" + HOSTILE + "\u201d" in words
    assert 'data-search-exclude' in panel[:200]


# ---------------------------------------------------------------- charts: legends whose swatches never collide

def test_every_chart_legend_has_its_own_colour_and_pattern_per_entry(tmp_path):
    """Each legend entry of every chart (wide and narrow drawing) differs from every other entry of that legend
    in colour AND in pattern, and "not reported" is the grey swatch wherever it appears."""
    from rdkb.views import charts

    layout = copy_fixture_kb(tmp_path / "kb")
    d = derive(load(layout), vocabulary(), layout)
    drawn = d.context.view(charts.KIND).charts
    assert drawn
    for ch in drawn:
        for svg in (ch["svg"], ch["narrow"]):
            entries = charts.legend_swatches(svg)
            assert entries or ch["file"] == "charts/age-at-onset.svg", ch["file"]  # one colour, no legend
            fills = [e[1] for e in entries]
            patterns = [e[2] for e in entries]
            assert len(set(fills)) == len(fills), (ch["file"], entries)
            assert len(set(patterns)) == len(patterns), (ch["file"], entries)
            for label, fill, pattern in entries:
                if label.lower() in {"not reported", "no region coded"}:
                    assert (fill, pattern) == charts.NOT_REPORTED, (ch["file"], label)
                else:
                    assert (fill, pattern) != charts.NOT_REPORTED, (ch["file"], label)
    resp = next(ch for ch in drawn if ch["file"] == "charts/responses-by-agent.svg")
    assert len(charts.legend_swatches(resp["svg"])) == len(vocabulary()["responses"])  # every grade in the legend


def test_swatches_are_distinct_and_not_reported_is_grey_in_any_position():
    from rdkb.views import charts

    assert len(set(f for f, _ in charts.SWATCHES)) == len(charts.SWATCHES)
    assert len(set(p for _, p in charts.SWATCHES)) == len(charts.SWATCHES)
    assert charts.NOT_REPORTED not in charts.SWATCHES
    for i in range(len(charts.SWATCHES)):
        assert charts.swatch(i, "not reported") == charts.NOT_REPORTED
    svg = charts.stacked_bars("T", [("a", [1, 1])], ["not reported", "marked"], "n")
    assert charts.legend_swatches(svg)[0][1:] == charts.NOT_REPORTED
