"""The built site in a real browser: Debian's Chromium driven by Playwright.

`make test` builds site/ first; this module serves it on 127.0.0.1 (random port) and checks the table
enhancement (assets/kb.js), links, accessibility (axe-core), that nothing is fetched from another host,
and print output. Screenshots and PDFs go to tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import statistics
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MISSING = {"not reported", "\u2014"}
CASES_TABLE = '.kb-table[data-table="cases"]'

# Pages checked with axe-core (every page type the site has; none is optional).
AXE_PAGES = ["", "cases/", "cases/mcclinton2012-1/", "agents/levodopa/", "references/", "treatments/", "complaints/",
             "claims/", "causes/hallmarks/", "causes/", "summary/", "causes/workup/", "handout/", "clinician-summary/",
             "errata/", "literature/", "series/", "downloads/", "causes/by-sign/", "charts/", "series/wu2006/",
             "literature/since-review/"]
TABLE_PAGES = {"cases/": "cases", "complaints/": "complaints", "treatments/": "treatments"}
# Pages whose tables must be readable at both sizes (tests/artifacts/screenshots/ gets each of them).
LAYOUT_PAGES = ["cases/", "treatments/", "claims/", "causes/", "causes/hallmarks/", "causes/workup/"]
SCREENSHOT_ONLY_PAGES = ["errata/", "summary/", "handout/", "clinician-summary/", "literature/"]  # listed in the README
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PRINT_MIN_PX = 8 * 96 / 72  # 8pt

# Every request any test's page made: (page url, request url). Checked by test_no_request_leaves_the_server.
REQUESTS: list[tuple[str, str]] = []
BAD_RESPONSES: list[tuple[str, int]] = []


def page_exists(path: str) -> bool:
    return (SITE / path / "index.html").is_file()


# ---------------------------------------------------------------- fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE}/index.html is missing: build the site first (make site)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium: apt-get install chromium (or run make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.errors = []  # uncaught JS exceptions
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("request", lambda req: REQUESTS.append((pg.url, req.url)))

    def on_response(resp) -> None:
        if resp.status >= 400:
            BAD_RESPONSES.append((resp.url, resp.status))

    pg.on("response", on_response)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def open_page(browser, server):
    """open_page(path, viewport=..., scheme="light"|"dark"): a page in a fresh context, requests recorded."""
    contexts = []

    def _open(path: str, viewport: dict | None = None, scheme: str = "light"):
        context = browser.new_context(viewport=viewport or VIEWPORTS["desktop"], color_scheme=scheme)
        contexts.append(context)
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        pg.errors = []
        pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
        pg.on("request", lambda req: REQUESTS.append((pg.url, req.url)))
        pg.on("response", lambda resp: resp.status >= 400 and BAD_RESPONSES.append((resp.url, resp.status)))
        pg.goto(server + path)
        settle(pg)
        return pg

    yield _open
    for context in contexts:
        context.close()


def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---------------------------------------------------------------- helpers


def settle(pg) -> None:
    """Wait until kb.js has framed every content table, and one more frame for layout."""
    pg.wait_for_function(
        """() => [...document.querySelectorAll('.md-content .md-typeset table')]
                 .every(t => t.closest('.kb-scroll'))""")
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


# Per table: where its column headers lie relative to the area the reader can see, and its scroll aids.
TABLE_LAYOUT_JS = r"""() => [...document.querySelectorAll('.md-content .md-typeset table')].map((t, i) => {
    const box = t.closest('.md-typeset__scrollwrap') || t;
    const r = box.getBoundingClientRect();
    const left = Math.max(r.left, 0), right = Math.min(r.right, document.documentElement.clientWidth);
    const head = t.tHead.rows[t.tHead.rows.length - 1];
    const headers = [...head.cells].map(th => {
        const b = th.getBoundingClientRect();
        return {text: th.textContent.trim(), left: b.left, right: b.right,
                inside: b.left >= left - 1 && b.right <= right + 1,
                short: th.classList.contains('kb-col-short')};
    });
    const frame = t.closest('.kb-scroll');
    const cue = frame && frame.querySelector('.kb-scroll-cue');
    const cueBox = cue && cue.getBoundingClientRect();
    const firstTd = t.tBodies[0] && t.tBodies[0].rows[0] && t.tBodies[0].rows[0].cells[0];
    const container = t.closest('.kb-table');
    return {
        index: i, caption: t.caption ? t.caption.textContent.trim() : '(no caption)', headers,
        cards: t.hasAttribute('data-kb-cards') && getComputedStyle(t.tBodies[0]).display === 'block',
        cellsOutside: [...t.tBodies[0].querySelectorAll('td')].filter(td => { const b = td.getBoundingClientRect();
            return b.width > 0 && (b.left < -0.5 || b.right > document.documentElement.clientWidth + 0.5); }).length,
        overflows: box.scrollWidth > box.clientWidth + 1,
        filters: container ? (container.getAttribute('data-filters') || '').split('|').filter(Boolean) : [],
        cueVisible: !!cue && getComputedStyle(cue).display !== 'none' && getComputedStyle(cue).visibility !== 'hidden'
            && cueBox.width > 0 && cueBox.height > 0 && cueBox.right <= document.documentElement.clientWidth + 1,
        cueText: cue ? cue.textContent.replace(/\s+/g, ' ').trim() : '',
        cueHidden: !!cue && !!cue.closest('[aria-hidden="true"]'),
        describedBy: box.getAttribute('aria-describedby'), cueId: cue && cue.id,
        focusable: box.tabIndex >= 0,
        stickyTh: getComputedStyle(head.cells[0]).position,
        stickyTd: firstTd ? getComputedStyle(firstTd).position : 'static',
    };
})"""


def first_column_stays(pg, index: int) -> bool:
    """Scroll table `index` to its right end: its first column still starts inside the scroll area."""
    return pg.evaluate(
        """i => {
            const t = [...document.querySelectorAll('.md-content .md-typeset table')][i];
            const box = t.closest('.md-typeset__scrollwrap') || t;
            box.scrollLeft = box.scrollWidth;
            const r = box.getBoundingClientRect(), c = t.tHead.rows[t.tHead.rows.length - 1].cells[0].getBoundingClientRect();
            const ok = box.scrollLeft > 0 && c.left >= r.left - 1 && c.right <= r.right;
            box.scrollLeft = 0;
            return ok;
        }""",
        index,
    )


def visible_first_cells(pg, table: str = CASES_TABLE) -> list[str]:
    return pg.eval_on_selector_all(
        f"{table} tbody tr:not([hidden])",
        "rows => rows.filter(r => r.offsetParent !== null).map(r => r.cells[0].textContent.trim())",
    )


def column_texts(pg, header: str, table: str = CASES_TABLE) -> list[tuple[str, str]]:
    """(first cell, cell of `header`) for each visible row, in display order."""
    return pg.evaluate(
        """([sel, header]) => {
            const t = document.querySelector(sel + ' table');
            const c = [...t.tHead.rows[0].cells].findIndex(th => th.textContent.trim() === header);
            if (c < 0) throw new Error('no column ' + header);
            return [...t.tBodies[0].rows].filter(r => !r.hidden)
                .map(r => [r.cells[0].textContent.trim(), r.cells[c].textContent.replace(/\\s+/g, ' ').trim()]);
        }""",
        [table, header],
    )


def count_text(pg, table: str = CASES_TABLE) -> str:
    return pg.inner_text(f"{table} .kb-count").strip()


def leading_number(text: str) -> float:
    match = re.match(r"[-+]?\d+(?:\.\d+)?", text)
    assert match, f"not a number: {text!r}"
    return float(match.group())


def query(pg) -> dict[str, list[str]]:
    return parse_qs(urlsplit(pg.url).query)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more nodes")
    return "\n".join(lines)


def test_chromium_installed():
    """A plain failure (not an error, never a skip) when the browser is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium: apt-get install chromium (or run make browser-deps)")
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run make browser-deps (npm ci)")


# ---------------------------------------------------------------- the case table


def test_case_table_filter_foot_ankle(page, server):
    records = json.loads((SITE / "data" / "cases.json").read_text(encoding="utf-8"))
    expected = sorted(r["id"] for r in records if r.get("foot_or_ankle") is True)
    assert expected, "cases.json has no foot/ankle case: the test would prove nothing"

    page.goto(server + "cases/")
    assert count_text(page) == f"Showing {len(records)} of {len(records)} rows"
    assert len(visible_first_cells(page)) == len(records)

    page.get_by_label("Foot/ankle involved", exact=True).select_option("yes")
    assert sorted(visible_first_cells(page)) == expected
    assert count_text(page).startswith(f"Showing {len(expected)} of {len(records)} rows")
    assert query(page).get("Foot/ankle involved") == ["yes"], page.url
    assert "Foot%2Fankle+involved=yes" in page.url

    page.reload()
    assert page.get_by_label("Foot/ankle involved", exact=True).input_value() == "yes"
    assert sorted(visible_first_cells(page)) == expected
    assert count_text(page).startswith(f"Showing {len(expected)} of {len(records)} rows")

    page.get_by_role("button", name="Clear filters").click()
    assert len(visible_first_cells(page)) == len(records)
    assert "Foot/ankle involved" not in query(page)
    assert not page.errors, page.errors


def test_case_table_search_box(page, server):
    page.goto(server + "cases/")
    page.get_by_label("Search rows").fill("jankovic")
    rows = visible_first_cells(page)
    assert rows and all(r.startswith("wu2006-") for r in rows), rows
    assert query(page).get("search") == ["jankovic"]
    page.reload()  # restored from the URL, and mkdocs-material's own search dialog stays closed
    assert page.get_by_label("Search rows").input_value() == "jankovic"
    assert visible_first_cells(page) == rows
    assert not page.evaluate("document.querySelector('#__search') && document.querySelector('#__search').checked")


def test_case_table_search_matches_whole_words(page, server):
    """ "male" finds the men only: the row search matches whole words, never a part of "female"."""
    page.goto(server + "cases/")
    sexes = dict(column_texts(page, "Sex"))
    men = sorted(k for k, v in sexes.items() if v == "male")
    assert men and any(v == "female" for v in sexes.values())  # the check means something
    page.get_by_label("Search rows").fill("male")
    shown = visible_first_cells(page)
    assert sorted(shown) == men, shown
    assert all(sexes[r] == "male" for r in shown)


def test_case_table_on_a_phone_is_cards_with_the_key_facts(open_page):
    """At 390x844 every case shows its Parkinson's and foot/ankle facts, each with its label, inside the screen:
    nothing to scroll sideways (issue 24: key columns were 582 px off-screen)."""
    pg = open_page("cases/", VIEWPORTS["phone"])
    info = pg.evaluate(
        """() => {
            const t = document.querySelector('.kb-table[data-table="cases"] table');
            const heads = [...t.tHead.rows[0].cells].map(th => th.textContent.trim());
            const want = ["Parkinson's later", "Foot/ankle involved", "Sex", "Side", "Drugs (case-attributed)"];
            const vw = document.documentElement.clientWidth;
            const rows = [...t.tBodies[0].rows].filter(r => !r.hidden).map(r => {
                const out = {id: r.cells[0].textContent.trim()};
                for (const w of want) {
                    const td = r.cells[heads.indexOf(w)], b = td.getBoundingClientRect();
                    out[w] = {label: td.getAttribute('data-label'), visible: b.width > 0 && b.height > 0,
                              inside: b.left >= 0 && b.right <= vw + 0.5, text: td.textContent.trim()};
                }
                return out;
            });
            return {rows, n: t.tBodies[0].rows.length, docScroll: document.documentElement.scrollWidth - vw};
        }""")
    assert info["rows"] and len(info["rows"]) == info["n"]
    assert info["docScroll"] <= 0, f"the page scrolls sideways by {info['docScroll']} px"
    bad = [(r["id"], k) for r in info["rows"] for k, v in r.items() if k != "id"
           and not (v["visible"] and v["inside"] and v["label"] == k and v["text"])]
    assert not bad, bad[:10]
    shot = artifacts() / "screenshots"
    shot.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(shot / "cases-cards-390x844-light.png"))
    assert not pg.errors, pg.errors


@pytest.mark.parametrize("path", ["causes/hallmarks/", "cases/wu2006-1/"])
def test_wide_tables_are_cards_on_a_phone_with_notes_under_their_row(open_page, path):
    """The hallmark matrix and a case's fact table fit a 390 px screen as cards; no "Note" column remains."""
    if not page_exists(path):
        pytest.skip(f"/{path} is not in this site")
    pg = open_page(path, VIEWPORTS["phone"])
    info = pg.evaluate(
        """() => [...document.querySelectorAll('.md-content .md-typeset table')].map(t => ({
            cards: t.hasAttribute('data-kb-cards'),
            heads: [...t.tHead.rows[0].cells].map(th => th.textContent.trim()),
            overflow: (t.closest('.md-typeset__scrollwrap') || t).scrollWidth
                      - (t.closest('.md-typeset__scrollwrap') || t).clientWidth}))""")
    assert info
    for t in info:
        assert "Note" not in t["heads"], t
        if len(t["heads"]) >= 4:
            assert t["cards"] and t["overflow"] <= 1, t


def test_case_table_sort_by_age(page, server):
    page.goto(server + "cases/")
    original = visible_first_cells(page)
    button = page.locator(f"{CASES_TABLE} th").get_by_role("button", name="Age", exact=True)
    header = page.locator(f"{CASES_TABLE} th").filter(has=page.get_by_role("button", name="Age", exact=True))

    button.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert query(page).get("sort") == ["Age"], page.url
    rows = column_texts(page, "Age")
    assert sorted(r[0] for r in rows) == sorted(original)
    reported = [leading_number(age) for _, age in rows if age.lower() not in MISSING]
    missing = [case for case, age in rows if age.lower() in MISSING]
    assert reported, "no case reports an age"
    assert reported == sorted(reported)
    assert [age.lower() in MISSING for _, age in rows] == [False] * len(reported) + [True] * len(missing), rows
    assert missing == [c for c in original if c in missing], "sort is not stable among 'not reported' rows"

    button.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert query(page).get("dir") == ["desc"]
    rows = column_texts(page, "Age")
    reported_desc = [leading_number(age) for _, age in rows if age.lower() not in MISSING]
    assert reported_desc == sorted(reported, reverse=True)
    assert [age.lower() in MISSING for _, age in rows] == [False] * len(reported) + [True] * len(missing), rows

    page.reload()  # the sort comes back from the URL
    assert header.get_attribute("aria-sort") == "descending"
    assert [leading_number(a) for _, a in column_texts(page, "Age") if a.lower() not in MISSING] == reported_desc


@pytest.mark.parametrize("path", sorted(TABLE_PAGES))
def test_tables_are_enhanced(page, server, path):
    """Every data-filters name is a real column header (else a filter would silently vanish)."""
    name = TABLE_PAGES[path]
    page.goto(server + path)
    sel = f'.kb-table[data-table="{name}"]'
    assert page.locator(sel).count() == 1
    info = page.evaluate(
        """sel => {
            const c = document.querySelector(sel);
            const t = c.querySelector('table');
            return {
                wanted: (c.getAttribute('data-filters') || '').split('|').filter(Boolean),
                headers: [...t.tHead.rows[0].cells].map(th => th.textContent.trim()),
                buttons: [...t.tHead.rows[0].cells].map(th => !!th.querySelector('button')),
                labels: [...c.querySelectorAll('.kb-filterbar select')].map(s => s.labels[0] && s.labels[0].textContent),
                rows: t.tBodies[0].rows.length,
                live: c.querySelector('.kb-count').getAttribute('aria-live'),
            };
        }""",
        sel,
    )
    unmatched = [w for w in info["wanted"] if not any(h == w or h.startswith(w + " (") for h in info["headers"])]
    assert not unmatched, f"data-filters names no column: {unmatched} (headers: {info['headers']})"
    assert info["labels"] == info["wanted"]
    assert all(info["buttons"])
    assert info["live"] == "polite"
    assert count_text(page, sel) == f"Showing {info['rows']} of {info['rows']} rows"
    assert not page.errors, page.errors


def test_treatments_filter_splits_combinations(page, server):
    rows = json.loads((SITE / "data" / "treatments.json").read_text(encoding="utf-8"))
    expected = sorted(int(r["id"].rsplit("-", 1)[1]) for r in rows if "botulinum-toxin" in r["agents"])
    page.goto(server + "treatments/")
    sel = '.kb-table[data-table="treatments"]'
    page.locator(sel).get_by_label("Agents", exact=True).select_option("botulinum toxin")
    assert sorted(int(n) for n in visible_first_cells(page, sel)) == expected
    assert count_text(page, sel).startswith(f"Showing {len(expected)} of {len(rows)} rows")


# ---------------------------------------------------------------- the case table's figures panel (issue 14, item 4)
# The panel (details.kb-figures) is redrawn by kb.js for the visible rows; every figure is checked against a
# computation over data/cases.json for the same case ids, written here independently of the build's.

PANEL = "details.kb-figures"
FIGURES_JS = r"""() => [...document.querySelectorAll('details.kb-figures .kb-fig')].map(f => ({
    name: f.dataset.fig, n: +f.dataset.n, missing: +f.dataset.missing, reported: +f.dataset.reported,
    absent: f.dataset.absent === undefined ? null : +f.dataset.absent,
    unread: f.dataset.unread === undefined ? null : +f.dataset.unread,
    denom: f.querySelector('.kb-fig__denom').textContent,
    stats: (f.querySelector('.kb-fig__stats') || {}).textContent || '',
    rows: [...f.querySelectorAll('.kb-fig__rows > li')].map(li => ({
        label: li.querySelector('.kb-fig__label').textContent, k: +li.dataset.k,
        text: li.querySelector('.kb-fig__k').textContent, missing: li.classList.contains('kb-fig__missing'),
        regimens: li.dataset.regimens === undefined ? null : +li.dataset.regimens,
        noResponse: li.dataset.noResponse === undefined ? null : +li.dataset.noResponse})),
}))"""


def _vocabulary() -> dict:
    return json.loads((ROOT / "scripts" / "rdkb" / "schemas" / "vocabulary.json").read_text(encoding="utf-8"))


def _value_of_label(label: str, vocab: dict):
    """The cases.json value a panel row stands for: yes/no are booleans, vocabulary labels map back to their keys."""
    if label in ("yes", "no"):
        return label == "yes"
    for table in ("outcomes", "body_regions"):
        for key, text in vocab[table].items():
            if text == label:
                return key
    return label  # sex, side: the value itself


def _expected_panel(records: list[dict], ids: set[str], vocab: dict) -> dict[str, dict]:
    """Per figure name: what the panel must say for the cases `ids`, from cases.json alone."""
    from rdkb.kinds.case import years_from_wording  # the wording is read by the build's rule; the counting is ours

    rows = [r for r in records if r["id"] in ids]
    out: dict[str, dict] = {}
    for name in ("sex", "side", "body_regions", "foot_or_ankle", "spread_to_other_activities", "spread_to_walking",
                 "rest_tremor", "parkinsons_disease", "outcome"):
        values = [r[name] for r in rows]
        out[name] = {"missing": sum(v is None for v in values), "count": (
            lambda want, vs=values, n=name: sum(1 for v in vs if v is not None and (
                want in v if n == "body_regions" else v is want if isinstance(want, bool) else v == want)))}
    for name in ("age_at_presentation", "age_at_onset", "duration_at_presentation"):
        raw = [r[name] for r in rows]
        nums = [v if isinstance(v, (int, float)) else years_from_wording(v) for v in raw if v is not None]
        out[name] = {"missing": sum(v is None for v in raw), "values": sorted(v for v in nums if v is not None),
                     "unread": sum(1 for v in nums if v is None)}
    out["treatments"] = {
        "missing": sum(r["treatments_status"] == "not_reported" for r in rows),
        "reported": sum(r["treatments_status"] == "reported" for r in rows),
        "absent": sum(r["treatments_status"] == "absent" for r in rows),
        "agents": {vocab["agents"][a]: {
            "k": sum(any(a in t["agents"] for t in r["treatments"]) for r in rows),
            "regimens": sum(a in t["agents"] for r in rows for t in r["treatments"]),
            "no_response": sum(a in t["agents"] and t["response"] == "not-reported" for r in rows for t in r["treatments"]),
        } for a in vocab["agents"]},
    }
    return out


def _check_panel(figs: list[dict], records: list[dict], ids: set[str], vocab: dict) -> list[str]:
    exp = _expected_panel(records, ids, vocab)
    n = len(ids)
    problems = []
    assert {f["name"] for f in figs} >= set(exp), f"figures missing from the panel: {set(exp) - {f['name'] for f in figs}}"
    for f in figs:
        e = exp.get(f["name"])
        if e is None:
            continue
        where = f"{f['name']} over {n} rows"
        if f["n"] != n or f"n = {n}," not in f["denom"]:
            problems.append(f"{where}: denominator {f['n']} / {f['denom']!r}")
        if f["missing"] != e["missing"] or f"{e['missing']} not reported" not in f["denom"]:
            problems.append(f"{where}: missing {f['missing']} / {f['denom']!r}, expected {e['missing']}")
        if "count" in e:
            for r in f["rows"]:
                want = e["missing"] if r["missing"] else e["count"](_value_of_label(r["label"], vocab))
                if r["k"] != want or r["text"] != f"{want} of {n}":
                    problems.append(f"{where}: row {r['label']!r} says {r['k']} / {r['text']!r}, expected {want} of {n}")
            if not any(r["missing"] for r in f["rows"]):
                problems.append(f"{where}: no 'not reported' row")
        elif "values" in e:
            vals = e["values"]
            if f["reported"] != len(vals) or f["unread"] != e["unread"] or not f["stats"].startswith(f"{len(vals)} of {n} "):
                problems.append(f"{where}: reported {f['reported']} (unread {f['unread']}), {f['stats']!r}; expected {vals}")
            if vals:
                got = [float(x) for x in re.findall(r"(?:min|median|max) ([\d.]+)", f["stats"])]
                want = [min(vals), statistics.median(vals), max(vals)]
                if len(got) != 3 or any(abs(g - w) > 0.05 for g, w in zip(got, want, strict=True)):
                    problems.append(f"{where}: {f['stats']!r}, expected min/median/max {want}")
                if sum(r["k"] for r in f["rows"]) != len(vals):
                    problems.append(f"{where}: the histogram holds {sum(r['k'] for r in f['rows'])} of {len(vals)} values")
                for r in f["rows"]:
                    lo, hi = (int(x) for x in r["label"].split("\u2013"))
                    if r["k"] != sum(lo <= v < hi + 1 for v in vals):
                        problems.append(f"{where}: bin {r['label']} says {r['k']}")
        else:  # drugs
            if (f["reported"], f["absent"]) != (e["reported"], e["absent"]):
                problems.append(f"{where}: reported/absent {f['reported']}/{f['absent']}, expected {e['reported']}/{e['absent']}")
            for r in f["rows"]:
                a = e["agents"].get(r["label"])
                if a is None or (r["k"], r["regimens"], r["noResponse"]) != (a["k"], a["regimens"], a["no_response"]) \
                        or r["text"] != f"{a['k']} of {n}":
                    problems.append(f"{where}: agent {r['label']!r} {r}, expected {a}")
            shown = {r["label"] for r in f["rows"]}
            treated_anywhere = {name for name, a in _expected_panel(records, {x["id"] for x in records}, vocab)
                                ["treatments"]["agents"].items() if a["k"]}
            if shown != treated_anywhere:
                problems.append(f"{where}: agents shown {sorted(shown)}, expected those any case was given {sorted(treated_anywhere)}")
    return problems


def _open_panel(pg) -> None:
    if not pg.eval_on_selector(PANEL, "d => d.open"):
        pg.click(f"{PANEL} > summary")
    assert pg.eval_on_selector(PANEL, "d => d.open")


def _filter_values(pg) -> list[tuple[str, str]]:
    """(label, value) of every value of every case-table filter."""
    out = []
    for select in pg.locator(f"{CASES_TABLE} .kb-filterbar select").all():
        label = select.evaluate("s => s.labels[0].textContent")
        for value in select.evaluate("s => [...s.options].map(o => o.value).filter(Boolean)"):
            out.append((label, value))
    return out


def test_figures_panel_follows_every_filter(open_page):
    records = json.loads((SITE / "data" / "cases.json").read_text(encoding="utf-8"))
    vocab = _vocabulary()
    pg = open_page("cases/")
    _open_panel(pg)
    all_ids = {r["id"] for r in records}
    assert set(visible_first_cells(pg)) == all_ids
    assert not _check_panel(pg.evaluate(FIGURES_JS), records, all_ids, vocab)
    checked = 0
    for label, value in _filter_values(pg):
        pg.get_by_label(label, exact=True).select_option(value)
        ids = set(visible_first_cells(pg))
        if 0 < len(ids) < len(records):
            checked += 1
            assert pg.eval_on_selector(PANEL, "d => +d.dataset.shown") == len(ids)
            assert f"({len(ids)} of {len(records)} cases)" in pg.inner_text(f"{PANEL} > summary")
            problems = _check_panel(pg.evaluate(FIGURES_JS), records, ids, vocab)
            assert not problems, f"filter {label} = {value}:\n" + "\n".join(problems)
        pg.get_by_label(label, exact=True).select_option("")
    assert checked >= 3, "fewer than three filter values leave some rows out: the test would prove little"
    pg.get_by_label("Search rows").fill(records[0]["paper"])  # the search box too
    ids = set(visible_first_cells(pg))
    assert 0 < len(ids) < len(records)
    assert not _check_panel(pg.evaluate(FIGURES_JS), records, ids, vocab)
    pg.get_by_label("Search rows").fill("no row has this text")
    assert not visible_first_cells(pg)
    assert "nothing to count" in pg.inner_text(PANEL)
    pg.get_by_role("button", name="Clear filters").click()
    assert pg.eval_on_selector(PANEL, "d => +d.dataset.shown") == len(records)
    assert not pg.errors, pg.errors


def test_figures_panel_without_js_says_what_js_says(browser, open_page):
    """The build's panel (no JS) and kb.js's redrawing of it for every row read the same, figure for figure."""
    pg = open_page("cases/")
    with_js = pg.eval_on_selector(f"{PANEL} .kb-figures__grid", "g => g.innerHTML")
    context = browser.new_context(java_script_enabled=False)
    try:
        raw = context.new_page()
        raw.goto(pg.url)
        without_js = raw.eval_on_selector(f"{PANEL} .kb-figures__grid", "g => g.innerHTML")
        assert raw.locator(f"{PANEL} .kb-fig").count() > 5
    finally:
        context.close()

    def norm(html: str) -> str:
        return re.sub(r">\s+<", "><", html).strip()

    assert norm(with_js) == norm(without_js)


def test_figures_panel_follows_the_url_filter(open_page):
    records = json.loads((SITE / "data" / "cases.json").read_text(encoding="utf-8"))
    expected = {r["id"] for r in records if r.get("foot_or_ankle") is True}
    pg = open_page("cases/?Foot%2Fankle+involved=yes")
    assert set(visible_first_cells(pg)) == expected
    _open_panel(pg)
    assert not _check_panel(pg.evaluate(FIGURES_JS), records, expected, _vocabulary())


def test_figures_panel_keyboard_and_place(open_page):
    pg = open_page("cases/")
    order = pg.evaluate(
        """() => { const c = document.querySelector('.kb-table[data-table="cases"]');
                   return [...c.children].map(e => e.classList[0] || e.tagName.toLowerCase()); }""")
    assert order.index("kb-filterbar") < order.index("kb-figures") < order.index("kb-scroll"), order
    assert not pg.eval_on_selector(PANEL, "d => d.open"), "the panel must start closed (the table stays in view)"
    pg.focus(f"{PANEL} > summary")
    pg.keyboard.press("Enter")
    assert pg.eval_on_selector(PANEL, "d => d.open")
    pg.keyboard.press("Space")
    assert not pg.eval_on_selector(PANEL, "d => d.open")


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
def test_figures_panel_fits_the_screen(open_page, size):
    pg = open_page("cases/", VIEWPORTS[size])
    _open_panel(pg)
    info = pg.evaluate(
        """() => {
            const d = document.querySelector('details.kb-figures'), width = document.documentElement.clientWidth;
            const out = [...d.querySelectorAll('.kb-fig, .kb-fig__rows > li, .kb-fig__k')]
                .filter(e => e.getBoundingClientRect().right > width + 1 || e.scrollWidth > e.clientWidth + 1)
                .map(e => e.className + ': ' + e.textContent.slice(0, 40));
            const r = d.getBoundingClientRect();
            return {out, visible: r.width > 0 && r.height > 0, left: r.left, right: r.right, width,
                    pageOverflow: document.documentElement.scrollWidth > width + 1, figures: d.querySelectorAll('.kb-fig').length};
        }""")
    assert info["visible"] and info["figures"], info
    assert info["left"] >= 0 and info["right"] <= info["width"] + 1, info
    assert not info["out"], f"panel content beyond the screen at {size}: {info['out']}"
    assert not info["pageOverflow"], f"the page scrolls sideways at {size} with the panel open"
    shots = artifacts() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pg.locator(PANEL).screenshot(path=str(shots / f"cases-figures-{size}.png"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_figures_panel_axe(open_page, scheme):
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run make browser-deps (npm ci)")
    pg = open_page("cases/?Sex=female", VIEWPORTS["desktop"], scheme)
    _open_panel(pg)
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"axe-core on /cases/ with the figures panel open ({scheme}):\n" + format_violations(bad)


def test_figures_panel_prints_open(open_page):
    pg = open_page("cases/")
    pg.emulate_media(media="print")
    pg.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert pg.locator(f"{PANEL} .kb-fig").first.is_visible()
    size = pg.eval_on_selector(f"{PANEL} .kb-fig__k", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= PRINT_MIN_PX - 0.01, f"printed figures are {size}px (< 8pt)"
    pg.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    assert not pg.eval_on_selector(PANEL, "d => d.open")


def test_figures_panel_and_case_rows_are_not_in_the_search_index():
    index = json.loads((SITE / "search" / "search_index.json").read_text(encoding="utf-8"))
    page = [d for d in index["docs"] if d["location"] in ("cases/", "cases/index.html")]
    assert page, "the case table page is not in the search index"
    text = " ".join(d["text"] for d in page)
    html = (SITE / "cases" / "index.html").read_text(encoding="utf-8")
    assert 'data-search-exclude' in html[html.index('<details class="kb-figures"'):][:200]
    for probe in ("Figures for the cases shown", "not reported apart", '"figures"', "case-facts", "kb-fig"):
        assert probe not in text, f"the search index holds the panel ({probe!r})"
    assert "All " in text and "case records" in text  # the page is found by its title and introduction ...
    cases = json.loads((SITE / "data" / "cases.json").read_text(encoding="utf-8"))
    ids = [c["id"] for c in (cases["cases"] if isinstance(cases, dict) else cases)]
    assert ids and not any(f"{i} " in text for i in ids)  # ... but its rows are not: each case page is indexed itself


# ---------------------------------------------------------------- table layout (issue 14)


@pytest.mark.parametrize("size", sorted(VIEWPORTS))
@pytest.mark.parametrize("path", LAYOUT_PAGES)
def test_table_headers_visible_or_scroll_cue(open_page, path, size):
    """Every column header is in view, or the table says it scrolls (visible cue) and keeps its first column."""
    if not page_exists(path):
        pytest.fail(f"/{path} is missing from the site")
    pg = open_page(path, VIEWPORTS[size])
    tables = pg.evaluate(TABLE_LAYOUT_JS)
    assert tables, f"/{path} has no table"
    problems = []
    for t in tables:
        name = f"/{path} table {t['index'] + 1} ({t['caption'][:50]!r}) at {size}"
        if t["cards"]:  # a phone: one card per row, each cell labelled; nothing may need sideways scrolling
            if t["overflows"] or t["cellsOutside"] or t["cueVisible"]:
                problems.append(f"{name}: shown as cards but {t['cellsOutside']} cells lie outside the screen")
            continue
        hidden = [h["text"] for h in t["headers"] if not h["inside"]]
        if t["overflows"] or hidden:
            if not t["cueVisible"]:
                problems.append(f"{name}: headers out of view {hidden} but no visible scroll cue")
            if "Scroll" not in t["cueText"] or t["cueHidden"]:
                problems.append(f"{name}: the cue {t['cueText']!r} is not text a screen reader reads")
            if t["describedBy"] != t["cueId"] or not t["focusable"]:
                problems.append(f"{name}: the scroll area is not focusable or not described by the cue")
            if (t["stickyTh"], t["stickyTd"]) != ("sticky", "sticky"):
                problems.append(f"{name}: first column is {t['stickyTh']}/{t['stickyTd']}, not sticky")
            elif not first_column_stays(pg, t["index"]):
                problems.append(f"{name}: first column scrolls out of view")
        elif t["cueVisible"]:
            problems.append(f"{name}: a scroll cue is shown, but the table fits")
    assert not problems, "\n".join(problems)
    assert not pg.errors, pg.errors


@pytest.mark.parametrize("path", LAYOUT_PAGES)
def test_key_columns_in_view_at_desktop(open_page, path):
    """At 1366x900 the columns a reader filters on and the short figure columns (numbers, yes/no) need no scrolling."""
    pg = open_page(path, VIEWPORTS["desktop"])
    for t in pg.evaluate(TABLE_LAYOUT_JS):
        key = [h for h in t["headers"] if h["short"] or any(h["text"] == f or h["text"].startswith(f + " (")
                                                            for f in t["filters"])]
        out = [h["text"] for h in key if not h["inside"]]
        # Records can grow (a longer value widens a column): then the table must say it scrolls and keep its first column.
        scrolls = t["cueVisible"] and t["stickyTh"] == "sticky"
        assert not out or scrolls, f"/{path} table {t['caption'][:50]!r}: key columns out of view at 1366 without a scroll cue: {out}"


def test_table_pages_use_the_full_width(open_page):
    """The empty table-of-contents sidebar is not shown next to a table (and takes no width)."""
    for path in LAYOUT_PAGES + ["agents/", "complaints/"]:
        pg = open_page(path, VIEWPORTS["desktop"])
        info = pg.evaluate(
            """() => {
                const side = document.querySelector('.md-sidebar--secondary');
                const content = document.querySelector('.md-content').getBoundingClientRect();
                const grid = document.querySelector('.md-main__inner').getBoundingClientRect();
                const primary = document.querySelector('.md-sidebar--primary').getBoundingClientRect();
                return {shown: !!side && side.getBoundingClientRect().width > 0,
                        links: side ? side.querySelectorAll('.md-nav__link').length : 0,
                        gap: grid.right - content.right, primary: primary.width};
            }""")
        assert not info["shown"], f"/{path}: the right sidebar is shown ({info['links']} links)"
        assert info["gap"] < info["primary"] / 2, f"/{path}: content stops {info['gap']:.0f}px short of the grid"


def test_case_caption_follows_filter(open_page):
    pg = open_page("cases/")
    table = f"{CASES_TABLE} table"
    total = pg.eval_on_selector(table, "t => t.tBodies[0].rows.length")

    def shown() -> int:
        return len(visible_first_cells(pg))

    def caption() -> str:
        return pg.eval_on_selector(table, "t => t.caption.textContent.replace(/\\s+/g, ' ').trim()")

    assert shown() == total
    assert f"({total} rows)" in caption() and "showing" not in caption().lower(), caption()
    # The first filter value that leaves some rows out, whichever filter and records that is.
    for select in pg.locator(f"{CASES_TABLE} .kb-filterbar select").all():
        for value in select.evaluate("s => [...s.options].map(o => o.value).filter(Boolean)"):
            select.select_option(value)
            if 0 < shown() < total:
                break
        else:
            select.select_option("")
            continue
        break
    n = shown()
    assert 0 < n < total, "no filter value leaves some rows out: the test would prove nothing"
    assert f"showing {n} of {total} rows" in caption().lower(), caption()
    assert count_text(pg).startswith(f"Showing {n} of {total} rows"), count_text(pg)
    pg.get_by_role("button", name="Clear filters").click()
    assert shown() == total and f"({total} rows)" in caption() and "showing" not in caption().lower(), caption()


@pytest.mark.parametrize("path", LAYOUT_PAGES)
def test_print_tables_readable(open_page, path):
    """Printed (A4 width, 718 CSS px inside the margins): table text >= 8pt, no column beyond the page."""
    pg = open_page(path, {"width": 718, "height": 1000})
    pg.emulate_media(media="print")
    info = pg.evaluate(
        """() => {
            const cells = [...document.querySelectorAll('.md-content .md-typeset table :is(td, th)')];
            const width = document.documentElement.clientWidth;
            return {
                n: cells.length,
                smallest: Math.min(...cells.map(c => parseFloat(getComputedStyle(c).fontSize))),
                cut: [...document.querySelectorAll('.md-content .md-typeset table thead th')]
                    .filter(th => th.getBoundingClientRect().right > width + 1).map(th => th.textContent.trim()),
                cues: [...document.querySelectorAll('.kb-scroll-cue')].filter(c => c.offsetParent !== null).length,
            };
        }""")
    assert info["n"], f"/{path} has no table cells"
    assert info["smallest"] >= PRINT_MIN_PX - 0.01, f"/{path}: printed table text is {info['smallest']}px (< 8pt)"
    assert not info["cut"], f"/{path}: printed columns beyond the page: {info['cut']}"
    assert not info["cues"], f"/{path}: the scroll cue is printed"


def test_table_screenshots(open_page):
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    saved = []
    for path in ["", *LAYOUT_PAGES, *SCREENSHOT_ONLY_PAGES]:
        name = path.strip("/").replace("/", "-") or "home"
        for size, scheme in [("desktop", "light"), ("phone", "light"), ("desktop", "dark")]:
            pg = open_page(path, VIEWPORTS[size], scheme)
            vp = VIEWPORTS[size]
            out = shots / f"{name}-{vp['width']}x{vp['height']}-{scheme}.png"
            pg.screenshot(path=str(out), full_page=True)
            assert out.stat().st_size > 1000
            saved.append(out)
    print("\nscreenshots:\n" + "\n".join(f"  {p}" for p in saved))


# ---------------------------------------------------------------- links, accessibility, network


def test_home_page_links(page, server):
    page.goto(server)
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    internal = sorted({urldefrag(h).url for h in hrefs if h.startswith(server)})
    assert len(internal) > 5, internal
    broken = []
    for url in internal:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            broken.append(f"{status} {url}")
    assert not broken, "broken links on the home page:\n" + "\n".join(broken)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_no_serious_violations(open_page, path, scheme):
    assert page_exists(path), f"/{path} is missing from the site"
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run make browser-deps (npm ci)")
    pg = open_page(path, VIEWPORTS["desktop"], scheme)
    expected = {"light": "default", "dark": "slate"}[scheme]
    assert pg.get_attribute("body", "data-md-color-scheme") == expected, "the palette does not follow the system"
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"axe-core on /{path} ({scheme}):\n" + format_violations(bad)


# ---------------------------------------------------------------- print and screenshots


def test_print_pdf(page, server):
    out = artifacts()
    page.goto(server)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    (out / "home.pdf").write_bytes(pdf)
    page.goto(server + "summary/")
    pdf = page.pdf(format="A4", print_background=True)
    (out / "summary.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and pages == 1, f"summary/ prints on {pages} pages (one allowed)"


def _pdf_pages(pg, path: str, server: str) -> int:
    """Pages of `path` printed as the build prints it (pipeline/pdf.py: A4, 14 mm margins, print media)."""
    pg.goto(server + path)
    pg.emulate_media(media="print")
    pdf = pg.pdf(format="A4", print_background=True, margin={"top": "14mm", "bottom": "14mm", "left": "14mm", "right": "14mm"})
    (artifacts() / f"{path.strip('/') or 'home'}.pdf").write_bytes(pdf)
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_executive_summary_and_handout_print_on_one_page(page, server):
    """The home page calls the executive summary one page: it is; so is the handout, with its 7 mm writing lines."""
    assert _pdf_pages(page, "summary/", server) == 1
    assert _pdf_pages(page, "handout/", server) == 1


def test_handout_writing_lines_are_7mm_apart_with_a_name_and_date_line(page, server):
    page.goto(server + "handout/")
    page.emulate_media(media="print")
    info = page.evaluate(
        """() => {
            const lines = [...document.querySelectorAll('.kb-fillin__line')].map(l => l.getBoundingClientRect().height);
            const who = document.querySelector('.kb-fillin__who');
            return {lines, who: who ? who.textContent.replace(/\\s+/g, ' ').trim() : '',
                    blanks: who ? [...who.querySelectorAll('.kb-fillin__blank')].map(b => b.getBoundingClientRect().width) : []};
        }""")
    mm = 96 / 25.4
    assert info["lines"] and all(abs(h - 7 * mm) < 0.5 for h in info["lines"]), info["lines"]
    assert info["who"].replace(" ", "") == "NameDate" and len(info["blanks"]) == 2 and min(info["blanks"]) > 40 * mm / 2


def test_print_hides_chrome(page, server):
    page.goto(server + "cases/")
    page.emulate_media(media="print")
    for sel in (".md-header", ".md-sidebar--primary", ".md-footer", ".kb-filterbar"):
        loc = page.locator(sel).first
        assert loc.count() == 0 or not loc.is_visible(), f"{sel} is printed"
    assert page.locator(f"{CASES_TABLE} table").is_visible()


def test_screenshots(page, server):
    out = artifacts()
    page.goto(server + "cases/")
    page.locator(CASES_TABLE).screenshot(path=str(out / "cases-table.png"))
    page.goto(server + "cases/mcclinton2012-1/")
    page.screenshot(path=str(out / "case-mcclinton2012-1.png"), full_page=True)
    page.goto(server + "summary/")
    page.screenshot(path=str(out / "summary.png"), full_page=True)
    assert (out / "cases-table.png").stat().st_size > 1000


def test_no_request_leaves_the_server(page, server):
    """Runs last: covers the pages every other test loaded, plus each site page below."""
    for path in ["", "cases/", "cases/mcclinton2012-1/", "papers/", "agents/", "downloads/", "causes/", "summary/"]:
        page.goto(server + path, wait_until="networkidle")
    origin = urlsplit(server).netloc
    foreign = sorted({
        f"{url}  (from {src})" for src, url in REQUESTS
        if not url.startswith(("data:", "blob:", "about:")) and urlsplit(url).netloc != origin
    })
    assert REQUESTS, "no request was recorded"
    assert not foreign, f"requests to hosts other than {origin}:\n" + "\n".join(foreign)
    assert not BAD_RESPONSES, "failed responses:\n" + "\n".join(f"{s} {u}" for u, s in sorted(set(BAD_RESPONSES)))



# ---------------------------------------------------------------- search ranking and first load (issues 14, 15)


def _search(pg, term: str) -> list[str]:
    """Type into Material's own search box; the result links, best first."""
    pg.wait_for_load_state("networkidle")  # the search worker has fetched the index (a query typed earlier is dropped)
    box = pg.locator("input.md-search__input")
    box.click()
    pg.wait_for_function("() => !/Initializing/i.test(document.querySelector('.md-search-result__meta')?.textContent || '')",
                         timeout=60_000)
    box.press_sequentially(term, delay=30)
    last = re.split(r"[\s\-]+", term.lower())[-1]  # results for the whole term carry it in their ?h= highlight
    pg.wait_for_function("(w) => { const a = document.querySelector('.md-search-result__item > a');"
                         " return !!a && decodeURIComponent(a.getAttribute('href')).toLowerCase().includes(w); }",
                         arg=last, timeout=60_000)
    return pg.eval_on_selector_all(".md-search-result__item > a", "els => els.map(a => a.getAttribute('href'))")


@pytest.mark.parametrize(("term", "expected"), [("botox", "agents/botulinum-toxin/"), ("L-dopa", "agents/levodopa/"),
                                                ("levodopa", "agents/levodopa/"), ("botulinum toxin", "agents/botulinum-toxin/")])
def test_search_ranks_the_agent_page_first_for_its_names(open_page, term, expected):
    pg = open_page("")
    links = _search(pg, term)
    assert links and urlsplit(links[0]).path.rstrip("/").endswith(expected.rstrip("/")), (term, links[:5])


def test_search_finds_tendon(open_page):
    assert _search(open_page(""), "tendon")


class _GzipHandler(_QuietHandler):
    """Serves the site as static hosts do: text assets gzip-compressed on the fly (Content-Encoding: gzip)."""

    def send_head(self):  # noqa: D401
        import gzip
        import io
        import mimetypes

        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if not path.is_file() or not (ctype.startswith("text/") or ctype in ("application/javascript", "application/json",
                                                                             "image/svg+xml")):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


FIRST_LOAD_BUDGET_KB = 250


def test_home_page_first_load_is_within_budget_with_gzip(browser):
    """Everything the home page makes the browser fetch on a first visit (search worker and index included),
    as transferred from a gzip-serving server; the figure is kept in tests/artifacts/first-load.json."""
    handler = functools.partial(_GzipHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        pg = context.new_page()
        responses = []
        pg.on("requestfinished", lambda req: responses.append(req))
        pg.goto(f"http://127.0.0.1:{httpd.server_address[1]}/", wait_until="networkidle")
        pg.wait_for_timeout(1500)  # the search worker fetches the index after load
        sizes = {}
        for req in responses:
            s = req.sizes()
            sizes[req.url] = s["responseBodySize"] + s["responseHeadersSize"]
        total_kb = sum(sizes.values()) / 1000
        assert any(u.endswith("search_index.json") for u in sizes), "the search index was not fetched: measure incomplete"
        assert all(u.startswith(f"http://127.0.0.1:{httpd.server_address[1]}/") for u in sizes)
        encoded = [u for u in sizes if u.endswith((".js", ".css", ".json", "/"))]
        assert encoded
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "first-load.json").write_text(json.dumps({"total_kb": round(total_kb, 1), "requests": len(sizes),
                                                               "by_url": {urlsplit(u).path: n for u, n in sorted(sizes.items())}},
                                                              indent=2), encoding="utf-8")
        assert total_kb <= FIRST_LOAD_BUDGET_KB, f"home page first load {total_kb:.0f} KB > {FIRST_LOAD_BUDGET_KB} KB"
    finally:
        context.close()
        httpd.shutdown()
        httpd.server_close()


# ---------------------------------------------------------------- search for clinical queries (issue 24)

# Reference pages weighted down by their purpose (their own front matter): never the first answer to a clinical query.
DEMOTED = ("errata/", "phenotypes/gaps/", "literature/", "references/")
# (query, the page expected first, or None: then the first result must mention the query's words)
CLINICAL_QUERIES = [
    ("botox", "agents/botulinum-toxin/"),
    ("L-dopa", "agents/levodopa/"),
    ("parkinsonism", "phenotypes/hp-0001300/"),
    ("PD", "phenotypes/hp-0001300/"),
    ("DBS", "agents/deep-brain-stimulation/"),
    ("backward running", None),
    ("Parkinson", None),
    ("differential", "causes/workup/"),
    ("work-up", "causes/workup/"),
    ("bedside sign", "causes/by-sign/"),
    ("compartment syndrome", "causes/compartment-syndrome/"),
    ("running backwards", None),
    ("cramp", None),
]


def _search_settled(pg, term: str) -> list[str]:
    """Type into Material's search box and wait until its result list stops changing (the matched word can differ
    from the typed one: "backwards" matches "backward", so _search's highlight wait does not apply)."""
    pg.wait_for_load_state("networkidle")
    box = pg.locator("input.md-search__input")
    box.click()
    pg.wait_for_function("() => !/Initializing/i.test(document.querySelector('.md-search-result__meta')?.textContent || '')",
                         timeout=60_000)
    box.press_sequentially(term, delay=30)
    last: list[str] = []
    same = 0
    for _ in range(80):
        pg.wait_for_timeout(250)
        now = pg.eval_on_selector_all(".md-search-result__item > a", "els => els.map(a => a.getAttribute('href'))")
        same = same + 1 if now and now == last else 0
        if same >= 4:  # unchanged for a second
            return now
        last = now
    return last


@pytest.mark.parametrize(("term", "expected"), CLINICAL_QUERIES)
def test_search_answers_clinical_queries(open_page, server, term, expected):
    """The first result is the page that answers the query (or, where several pages could, one that mentions it),
    and no reference page weighted down by its purpose comes first."""
    links = _search_settled(open_page(""), term)
    assert links, term
    first = urlsplit(links[0]).path.lstrip("/")
    assert not first.startswith(DEMOTED), (term, links[:5])
    if expected is not None:
        assert first == expected, (term, [urlsplit(u).path for u in links[:5]])
    else:
        html = urllib.request.urlopen(server + first).read().decode("utf-8").lower()  # noqa: S310 (our own server)
        words = [w.rstrip("s") for w in re.split(r"[\s\-]+", term.lower())]
        assert all(w in html for w in words), (term, first)


# ---------------------------------------------------------------- find similar published cases (issue 24)

SIMILAR_FACTS = ("sex", "age_at_onset", "side", "body_regions", "main_complaint", "spread_to_walking", "rest_tremor")


def _profile(c: dict) -> tuple:
    agents = sorted({a for t in c.get("treatments") or [] for a in t.get("agents", [])})
    return tuple(str(c.get(k)) for k in SIMILAR_FACTS) + (tuple(agents),)


def _test_patients(n: int = 5) -> list[dict]:
    """Patients built from case records: those with the most facts reported, whose facts no other record repeats."""
    cases = json.loads((SITE / "data" / "cases.json").read_text(encoding="utf-8"))
    profiles = [_profile(c) for c in cases]
    unique = [c for c, p in zip(cases, profiles, strict=True) if profiles.count(p) == 1]
    known = sorted(unique, key=lambda c: -sum(c.get(k) is not None for k in SIMILAR_FACTS))
    return [c for c in known if sum(c.get(k) is not None for k in SIMILAR_FACTS) >= 3][:n]


def _fill_similar(pg, c: dict) -> None:
    if c.get("sex"):
        pg.select_option("#sim-sex", c["sex"])
    if c.get("age_at_onset") is not None:
        pg.fill("#sim-onset", str(c["age_at_onset"]))
    if c.get("side"):
        pg.select_option("#sim-side", c["side"])
    for r in c.get("body_regions") or []:
        pg.check(f'input[name="region"][value="{r}"]')
    if c.get("main_complaint"):
        pg.fill("#sim-words", c["main_complaint"])
    for key, sel in (("spread_to_walking", "#sim-walking"), ("rest_tremor", "#sim-tremor")):
        if c.get(key) is not None:
            pg.select_option(sel, "yes" if c[key] else "no")
    for a in sorted({a for t in c.get("treatments") or [] for a in t.get("agents", [])}):
        pg.check(f'input[name="agent"][value="{a}"]')


def test_similar_cases_ranks_the_source_case_first_for_patients_built_from_records(open_page):
    patients = _test_patients()
    assert len(patients) == 5, [p["id"] for p in patients]
    for c in patients:
        pg = open_page("cases/similar/")
        _fill_similar(pg, c)
        pg.get_by_role("button", name="Find similar cases").click()
        ranked = pg.eval_on_selector_all(".kb-similar__item", "els => els.map(e => e.dataset.case)")
        assert ranked and ranked[0] == c["id"], (c["id"], ranked[:5])
        first = pg.locator(".kb-similar__item").first
        text = first.inner_text()
        assert "Parkinson's later" in text and "What was tried" in text and "Sources:" in text
        assert first.locator(f'a[href="../{c["id"]}/"]').count() == 1
        cited = {c["paper"]} | {s["ref"] for s in (c.get("sources") or {}).values() if isinstance(s, dict) and s.get("ref")}
        cited |= {(t.get("source") or {}).get("ref") for t in c.get("treatments") or []} - {None}
        shown = first.locator('a[href*="references/#"]').evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert sorted(h.split("#", 1)[1] for h in shown) == sorted(cited), (c["id"], shown)  # every work the case cites, once
        assert not pg.errors, pg.errors


def test_similar_cases_keyboard_and_screen_reader(open_page):
    """Every control has a label; the form works from the keyboard alone; the result region takes focus and its
    status is announced (aria-live); nothing is requested from anywhere while ranking."""
    pg = open_page("cases/similar/", VIEWPORTS["phone"])
    unlabelled = pg.evaluate("""() => [...document.querySelectorAll('#kb-similar-form :is(input, select)')]
        .filter(i => !(i.labels && i.labels.length)).map(i => i.name)""")
    assert not unlabelled, unlabelled
    before = len(REQUESTS)
    pg.focus("#sim-sex")
    pg.keyboard.press("ArrowDown")  # a select changes with the arrow keys
    for _ in range(60):
        if pg.evaluate("document.activeElement && document.activeElement.type") == "submit":
            break
        pg.keyboard.press("Tab")
    else:
        raise AssertionError("the submit button is not reachable with Tab")
    pg.keyboard.press("Enter")
    pg.wait_for_function("document.activeElement && document.activeElement.id === 'kb-similar-results'")
    assert pg.get_attribute("#kb-similar-status", "aria-live") == "polite"
    assert pg.inner_text("#kb-similar-status").strip()
    assert pg.locator(".kb-similar__item").count() >= 1
    assert len(REQUESTS) == before, REQUESTS[before:]
    assert not pg.errors, pg.errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_similar_cases_axe_with_results(open_page, scheme):
    if not AXE.is_file():
        pytest.fail("axe-core is missing: npm ci")
    pg = open_page("cases/similar/", scheme=scheme)
    _fill_similar(pg, _test_patients(1)[0])
    pg.get_by_role("button", name="Find similar cases").click()
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, format_violations(serious)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["cases/", "causes/hallmarks/", "cases/wu2006-1/"])
def test_axe_phone_cards(open_page, path, scheme):
    """The phone layout (tables as cards) passes axe-core too."""
    if not page_exists(path):
        pytest.skip(f"/{path} is not in this site")
    pg = open_page(path, VIEWPORTS["phone"], scheme)
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, f"axe-core on /{path} at 390x844 ({scheme}):\n" + format_violations(bad)


# ---------------------------------------------------------------- key facts first (issue 24)

@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_home_page_opens_with_its_key_facts_on_the_first_screen(open_page, size):
    """Definition, names, codes, the key figures (synthesis entries) and the printed pages and work-up all end above
    the first screen's fold, before the disclaimer; the figures are the synthesis' key questions."""
    pg = open_page("", viewport=VIEWPORTS[size])
    got = pg.evaluate("""() => {
      const k = document.querySelector('.kb-keyfacts'), warn = document.querySelector('.admonition.warning');
      return {bottom: k.getBoundingClientRect().bottom, warn: warn.getBoundingClientRect().top, height: innerHeight,
              scroll: document.documentElement.scrollWidth, width: innerWidth,
              figures: [...k.querySelectorAll('[data-q]')].map(e => e.dataset.q),
              links: [...k.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
              text: k.textContent}
    }""")
    assert got["bottom"] <= got["height"], got["bottom"]
    assert got["warn"] >= got["bottom"]  # the disclaimer comes after the key facts
    assert got["scroll"] <= got["width"]
    syn = json.loads((SITE / "data" / "synthesis.json").read_text(encoding="utf-8"))
    key = {q["id"] for q in syn["questions"] if q["key"]}
    assert 4 <= len(key) <= 6 and {f.split(":")[0] for f in got["figures"]} == key
    for target in ("handout/", "clinician-summary/", "summary/", "causes/workup/", "causes/by-sign/", "synthesis/"):
        assert any(h.rstrip("/").endswith(target.rstrip("/")) or h.endswith(target + "index.html") for h in got["links"]), target
    assert "HP:0031959" in got["text"] and "Leg dystonia" in got["text"]
