"""The errata page: clinical relevance (our assessment), a summary table in relevance order, followable locators (E604)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from conftest import FIXTURE_KB, copy_fixture_kb, copy_kb
from rdkb.kinds.erratum import LINE_LOCATOR
from rdkb.paths import REPO, SCHEMA_DIR
from rdkb.pipeline.build import build
from rdkb.pipeline.load import load
from rdkb.pipeline.render import md as _md
from rdkb.pipeline.validate import validate
from rdkb.schema import generated_schema, vocabulary

LEVELS = list(vocabulary()["clinical_relevance"])
ROW = re.compile(r"^\| \[(?P<title>[^\]]*)\]\(#(?P<id>[a-z0-9-]+)\) \| [^|]* \| (?P<level>[a-z]+) \|", re.M)
HEADING = re.compile(r"^### (?P<title>.*) \{#(?P<id>[a-z0-9-]+)\}$", re.M)
PRIVATE_LINE = re.compile(r"line \d+ of the source")


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real records rendered to Markdown once (no MkDocs): the errata page and the errata as loaded."""
    layout = copy_kb(tmp_path_factory.mktemp("errata") / "kb")
    result = build(layout, run_mkdocs=False)
    assert not result.failed, result.message
    return (layout.build_docs / "errata.md").read_text(encoding="utf-8"), load(layout).one("erratum").data["errata"]


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory):
    layout = copy_fixture_kb(tmp_path_factory.mktemp("errata-fixture") / "kb")
    result = build(layout, run_mkdocs=False)
    assert not result.failed, result.message
    return (layout.build_docs / "errata.md").read_text(encoding="utf-8"), load(layout).one("erratum").data["errata"]


def _expected_order(errata):
    """Relevance order (the vocabulary's), the file's order within a level."""
    return [e["id"] for e in sorted(errata, key=lambda e: LEVELS.index(e["clinical_relevance"]["level"]))]


def test_every_erratum_has_a_clinical_relevance_level_and_reason(real):
    _, errata = real
    for e in errata:
        rel = e["clinical_relevance"]
        assert rel["level"] in LEVELS, e["id"]
        assert rel["reason"].strip(), e["id"]
        assert e["title"].strip() and e["title"] != e["id"], e["id"]


@pytest.mark.parametrize("which", ["real", "fixture_page"])
def test_summary_table_lists_every_erratum_once_in_relevance_order(which, request):
    page, errata = request.getfixturevalue(which)
    table = page.split("| Erratum |", 1)[1].split("\n\n", 1)[0]
    rows = ROW.findall(table)
    assert [r[1] for r in rows] == _expected_order(errata)  # each id once, most relevant first
    by_id = {e["id"]: e for e in errata}
    assert [r[2] for r in rows] == [by_id[r[1]]["clinical_relevance"]["level"] for r in rows]
    # the items below follow the table's order, each under its id as anchor and its title as heading
    assert [h[1] for h in HEADING.findall(page)] == [r[1] for r in rows]
    for title, eid in HEADING.findall(page):
        assert "#" + eid + ")" in table and title == next(r[0] for r in rows if r[1] == eid)


def test_fixture_is_not_already_in_relevance_order(fixture_page):
    """Otherwise the order test above could not fail on the fixture."""
    _, errata = fixture_page
    assert [e["id"] for e in errata] != _expected_order(errata)


def test_relevance_is_shown_as_our_assessment_with_its_reason(real):
    page, errata = real
    caption = next(ln for ln in page.splitlines() if ln.startswith("Table: Errata at a glance"))
    header = next(ln for ln in page.splitlines() if ln.startswith("| Erratum |"))
    assert "clinical relevance is our assessment" in caption and "Clinical relevance" in header
    sections = re.split(r"^### ", page, flags=re.M)[1:]
    by_id = {e["id"]: e for e in errata}
    for s in sections:
        eid = re.search(r"\{#([a-z0-9-]+)\}", s.split("\n", 1)[0]).group(1)
        level = by_id[eid]["clinical_relevance"]["level"]
        assert f"**Clinical relevance (our assessment): {level}.** {_md(by_id[eid]['clinical_relevance']['reason'])}" in s, eid


def test_raising_an_erratum_moves_it_to_the_top(tmp_path):
    kb = copy_fixture_kb(tmp_path / "kb")
    path = kb.root / "errata" / "review-errata.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    last = _expected_order(data["errata"])[-1]
    text = path.read_text(encoding="utf-8")
    block = text.split(f"  - id: {last}\n", 1)[1].split("\n  - id: ", 1)[0]
    new_block = re.sub(r"(clinical_relevance:\n      level: )\w+", r"\1high", block, count=1)
    path.write_text(text.replace(block, new_block), encoding="utf-8")
    assert not build(kb, run_mkdocs=False).failed
    page = (kb.build_docs / "errata.md").read_text(encoding="utf-8")
    rows = [r[1] for r in ROW.findall(page)]
    highs = [e["id"] for e in data["errata"] if e["clinical_relevance"]["level"] == "high" or e["id"] == last]
    assert rows[:len(highs)] == highs  # now among the high ones, in the file's order


def test_no_locator_on_the_errata_page_gives_a_line_of_the_private_copy(real, fixture_page):
    for page, errata in (real, fixture_page):
        assert not PRIVATE_LINE.search(page)
        for e in errata:
            for q in e["quotes"]:
                assert not PRIVATE_LINE.search(q["locator"]), (e["id"], q["locator"])
                assert f'"{_md_light(q["text"])}" (' in _md_light(page), (e["id"], q["text"])


def _md_light(s: str) -> str:
    """Undo the renderer's escaping enough to compare texts (entities back to characters, spaces collapsed)."""
    import html

    return " ".join(html.unescape(s).split())


def test_no_record_has_a_line_locator(tmp_path):
    """The real records, every kind: E604 would say so, but the sweep states the relation directly."""
    ds = load(copy_kb(tmp_path / "kb"))
    assert ds.all_records()
    for rec in ds.all_records():
        for value in _all_locators(rec.data):
            assert not LINE_LOCATOR.search(value), (rec.rel, value)


def _all_locators(data):
    out = []
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            out += [v for k, v in x.items() if k == "locator" and isinstance(v, str)]
            stack += [v for v in x.values() if isinstance(v, (dict, list))]
        elif isinstance(x, list):
            stack += x
    return out


@pytest.mark.parametrize("locator, refused", [
    ("line 241 of the source text", True),
    ("Line 9 of the source text", True),
    ("lines 122-123 of the source text", True),
    ("The bottom line: What should you do if you have loss of leg coordination?", False),
    ("Literature-based treatments", False),
    ("drug table in 'Literature-based treatments', row 8 of 21 (Botox)", False),
    ("line 12", False),  # narrow: only the private copy's "of the source text" form
])
def test_e604_is_narrow(locator, refused):
    assert bool(LINE_LOCATOR.search(locator)) is refused


def test_e604_points_at_an_errata_quote_locator(tmp_path):
    kb = copy_fixture_kb(tmp_path / "kb")
    path = kb.root / "errata" / "review-errata.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    n = next(i for i, ln in enumerate(lines) if "locator:" in ln and "{text:" in ln)
    lines[n] = re.sub(r'locator: "[^"]*"', "locator: line 6 of the source text", lines[n])
    path.write_text("\n".join(lines), encoding="utf-8")
    issues = [i for i in validate(load(kb)) if i.is_error]
    assert [(i.rule, i.path, i.line) for i in issues] == [("E604", "errata/review-errata.yaml", n + 1)]
    assert "line 6 of the source text" in issues[0].message and issues[0].hint


def test_relevance_levels_come_from_the_vocabulary(tmp_path):
    committed = json.loads((SCHEMA_DIR / "errata.schema.json").read_text(encoding="utf-8"))["$defs"]
    assert "enum" not in committed["relevanceLevel"], "the levels live in vocabulary.json only"
    assert generated_schema("errata.schema.json")["$defs"]["relevanceLevel"]["enum"] == LEVELS
    kb = _fixture_with_errata_edit(tmp_path, r"(clinical_relevance:\n      level: )\w+", r"\1critical")
    issues = [i for i in validate(load(kb)) if i.is_error]
    assert [i.rule for i in issues] == ["E103"] and "critical" in issues[0].message


def test_an_erratum_without_relevance_is_refused(tmp_path):
    kb = _fixture_with_errata_edit(tmp_path, r"    clinical_relevance:\n      level: \w+\n      reason: .*\n", "")
    issues = [i for i in validate(load(kb)) if i.is_error]
    assert [i.rule for i in issues] == ["E104"] and "clinical_relevance" in issues[0].message


def test_hostile_title_is_inert(tmp_path):
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) {#evil}"
    kb = _fixture_with_errata_edit(tmp_path, r"^    title: .*$", "    title: '" + hostile + "'", re.M)
    assert not build(kb, run_mkdocs=False).failed
    page = (kb.build_docs / "errata.md").read_text(encoding="utf-8")
    assert "<script>" not in page and "](javascript" not in page and "{#evil}" not in page
    assert hostile in _md_light(page)


def test_fixture_errata_file_is_a_subset_of_the_real_one():
    """The fixture's errata are cut from the real file: same ids, same quotes (so the golden page shows real data)."""
    real = {e["id"]: e for e in yaml.safe_load((REPO.root / "errata" / "review-errata.yaml").read_text())["errata"]}
    fixture = yaml.safe_load((FIXTURE_KB / "errata" / "review-errata.yaml").read_text())["errata"]
    for e in fixture:
        assert e["id"] in real
        assert e["quotes"] == real[e["id"]]["quotes"], e["id"]
        assert e["clinical_relevance"] == real[e["id"]]["clinical_relevance"], e["id"]


# ---------------------------------------------------------------- in the browser (the built site/, like tests/test_browser.py)

from test_browser import AXE, VIEWPORTS, browser, format_violations, open_page, page_exists, server  # noqa: E402,F401


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_errata_page_has_no_serious_axe_violations(open_page, scheme):  # noqa: F811
    assert page_exists("errata/") and AXE.is_file()
    pg = open_page("errata/", VIEWPORTS["desktop"], scheme)
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, format_violations(bad)


@pytest.mark.browser
def test_summary_table_links_reach_the_items(open_page):  # noqa: F811
    """Every row links to its item: an h3 whose id is the erratum's slug and whose text is the row's title."""
    pg = open_page("errata/", VIEWPORTS["desktop"])
    rows = pg.evaluate("""() => [...document.querySelector('article table').querySelectorAll('tbody tr')].map(tr => {
        const a = tr.querySelector('td a'); const id = a.getAttribute('href').slice(1); const h = document.getElementById(id);
        return {id, text: a.textContent.trim(), tag: h && h.tagName, heading: h && h.textContent.trim()};
    })""")
    assert rows and all(r["tag"] == "H3" and r["heading"] == r["text"] for r in rows), [r for r in rows if r["tag"] != "H3"]
    last = rows[-1]["id"]
    pg.click(f'article table a[href="#{last}"]')
    pg.wait_for_timeout(300)
    top = pg.evaluate(f"() => document.getElementById('{last}').getBoundingClientRect().top")
    assert 0 <= top < VIEWPORTS["desktop"]["height"] / 2
    assert not pg.errors, pg.errors


def _fixture_with_errata_edit(tmp_path, pattern: str, replacement: str, flags: int = 0):
    """The fixture knowledge base with the first match of `pattern` in its errata file replaced."""
    kb = copy_fixture_kb(tmp_path / "kb")
    path = kb.root / "errata" / "review-errata.yaml"
    path.write_text(re.sub(pattern, replacement, path.read_text(encoding="utf-8"), count=1, flags=flags), encoding="utf-8")
    return kb
