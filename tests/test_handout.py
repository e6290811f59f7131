"""The patient handout and the clinician summary: pages, PDFs, the site address and the figures they print.

The PDFs are built from a copy of the repository's records, once with a site_url set (https://kb.example.org/) and
once without (the `built` fixture). Figures are compared with the summary view's own computations, never with
numbers typed here.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_fixture_kb, copy_kb
from rdkb.kinds import question, reference, series, table
from rdkb.paths import Layout
from rdkb.pipeline import pdf as pdf_stage
from rdkb.pipeline.build import SITE_URL_ENV, build, site_url
from rdkb.pipeline.derive import Derived, derive
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import vocabulary
from rdkb.registry import KINDS
from rdkb.views import handout, summary

SITE_URL = "https://kb.example.org/"
PRINTED = ("handout.pdf", "clinician-summary.pdf", "executive-summary.pdf")
PAGE_OF = {"handout.pdf": "handout/", "clinician-summary.pdf": "clinician-summary/", "executive-summary.pdf": "summary/"}
FILL_IN_LABELS = ("Side affected", "Age and date at onset", "Triggers", "What helps", "What was tried",
                  "Other activities affected")


def _derived(layout: Layout) -> Derived:
    return derive(load(layout), vocabulary(), layout)


def _pdf(path: Path) -> tuple[int, str, list[str]]:
    """(pages, text, link URIs) of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    uris = []
    for p in reader.pages:
        for annot in p.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return len(reader.pages), text, uris


def _flat(text: str) -> str:
    return " ".join(text.split())


def _ref_urls(d: Derived) -> set[str]:
    refs = d.context.view(reference.KIND).items
    return {u for r in refs for u in (r["doi_url"], r["url"], r["pmid_url"]) if u}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    """The real records built with a published address set in (a copy of) mkdocs.yml."""
    layout = copy_kb(tmp_path_factory.mktemp("handout") / "kb")
    layout.mkdocs_yml.write_text(layout.mkdocs_yml.read_text(encoding="utf-8") + f"\nsite_url: {SITE_URL}\n", encoding="utf-8")
    result = build(layout, run_mkdocs=True, strict=True, pdf=True)
    assert not result.failed, result.message
    return layout


# ---------------------------------------------------------------- without Chromium


def test_site_url_is_read_in_one_place_and_the_environment_overrides_it(kb, monkeypatch):
    monkeypatch.delenv(SITE_URL_ENV, raising=False)
    assert site_url(kb) == ""
    kb.mkdocs_yml.write_text(kb.mkdocs_yml.read_text() + "\nsite_url: https://example.org/rdkb/\n", encoding="utf-8")
    assert site_url(kb) == "https://example.org/rdkb/"
    monkeypatch.setenv(SITE_URL_ENV, "https://deploy.example.net/kb")
    assert site_url(kb) == "https://deploy.example.net/kb"


@pytest.mark.parametrize("bad", ["http://127.0.0.1:8000/", "http://localhost/", "javascript:alert(1)", "https://x.org/a b",
                                 "https://x.org/\"><script>", "ftp://x.org/", "https://x.org/?q=1"])
def test_a_site_url_that_is_not_a_published_http_address_is_refused(bad):
    with pytest.raises(pdf_stage.PdfError):
        pdf_stage.checked_site_url(bad, SITE_URL_ENV)


def test_site_url_is_normalised_to_end_in_a_slash():
    assert pdf_stage.checked_site_url("https://kb.example.org/rdkb", "site_url") == "https://kb.example.org/rdkb/"
    assert pdf_stage.checked_site_url("", "site_url") == ""


def test_printed_pages_are_declared_as_exports_and_listed_on_downloads(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    d = _derived(layout)
    planned = {f.path: f.data for f in d.files if f.kind == "print"}
    declared = {e.name for k in KINDS for e in k.exports if e.name.endswith(".pdf")}
    assert set(planned) == declared == set(PRINTED)
    pages = {p.path for p in d.pages}
    for url in planned.values():  # each PDF prints a page the build plans
        assert url.endswith("/") and url[:-1] + ".md" in pages
    downloads = next(p for p in d.pages if p.path == "downloads.md").context["downloads"]
    assert set(PRINTED) <= {row["path"] for row in downloads}


def test_printed_page_urls():
    assert summary.printed("a.pdf", "summary.md").data == "summary/"
    assert summary.printed("a.pdf", "causes/index.md").data == "causes/"
    assert summary.printed("a.pdf", "index.md").data == ""


def test_clinician_treatments_keep_their_units_apart(tmp_path):
    """Per treatment, the synthesis' levels: the review's table counts regimens (rows), case records count regimens in
    cases, series outcomes are one per series statement, never summed; [n] is that series' report in the references."""
    layout = copy_fixture_kb(tmp_path / "kb")
    d = _derived(layout)
    v = d.context.view(handout.KIND)
    agents = {a["id"]: a for a in d.context.view(table.KIND).agents}
    by_agent = d.context.view(series.KIND).by_agent
    assert {t["agent"] for t in v.treatments} == set(agents)
    for t in v.treatments:
        a = agents[t["agent"]]
        table_lv, cases_lv, *series_lv = t["levels"]
        assert (table_lv["unit"], cases_lv["unit"]) == ("regimens", "regimens")
        assert table_lv["text"] == "none" if not a["n_rows"] else table_lv["text"].startswith(f"{a['n_rows']}: ")
        cts = a["case_treatments"]
        n_cases = len({c.id for c, _ in cts})
        assert cases_lv["text"] == "none" if not cts else cases_lv["text"].startswith(f"{len(cts)} in {n_cases} case")
        assert len(series_lv) == len(by_agent.get(t["agent"], ()))
        own = [lv for lv in series_lv if not (t["kind"] == "procedure" and lv.get("with"))]
        assert t["shown"] == own[:handout.SERIES_PRINTED] and t["more"] == len(own) - len(t["shown"])
        for lv in t["shown"]:
            assert lv["paper"] in v.clinician_refs
    build(layout, run_mkdocs=False)
    page = (layout.build_docs / "clinician-summary.md").read_text(encoding="utf-8")
    for t in v.treatments:
        for lv in t["shown"]:
            assert f"[{v.clinician_refs.index(lv['paper']) + 1}] <span class=\"syn\"" in page


def test_the_clinician_summary_prints_a_bounded_number_of_series_outcomes_per_treatment():
    """As reports are added, each treatment prints at most SERIES_PRINTED series outcomes and counts the rest."""
    levels = [{"level": "table"}, {"level": "cases"}] + [{"level": "series", "paper": f"p{i}", "with": []} for i in range(7)]
    got = handout.shown_series({"agent": "a", "kind": "drug", "levels": levels})
    assert [lv["paper"] for lv in got["shown"]] == ["p0", "p1", "p2"][:handout.SERIES_PRINTED]
    assert got["more"] == 7 - handout.SERIES_PRINTED


# ---------------------------------------------------------------- the built pages and PDFs


def _page_html(layout: Layout, page: str) -> str:
    return (layout.site / page / "index.html").read_text(encoding="utf-8")


@pytest.mark.browser
def test_handout_and_executive_summary_are_one_page_and_the_clinician_summary_at_most_two(published):
    assert _pdf(published.site / "handout.pdf")[0] == 1
    assert 1 <= _pdf(published.site / "clinician-summary.pdf")[0] <= 2
    assert _pdf(published.site / "executive-summary.pdf")[0] == 1


@pytest.mark.browser
@pytest.mark.parametrize("name", PRINTED)
def test_pdfs_name_the_site_and_link_only_to_it_or_outside(published, name):
    data = (published.site / name).read_bytes()
    _, text, uris = _pdf(published.site / name)
    for local in ("127.0.0.1", "localhost"):
        assert local.encode() not in data and local not in text and not any(local in u for u in uris)
    assert uris, f"{name} has no links"
    assert all(u.startswith(("https://", "http://")) for u in uris), uris
    own = [u for u in uris if u.startswith(SITE_URL)]
    external = {u for u in uris if not u.startswith(SITE_URL)}
    assert own, f"{name}: no link to the published site"
    assert "kb.example.org" not in " ".join(external)  # the site's own links all start with site_url
    page = PAGE_OF[name]
    assert f"Online version: {SITE_URL}{page}" in _flat(text)
    assert SITE_URL + page in uris
    assert external <= _ref_urls(_derived(published)), "an external link that is not a reference's address"
    assert "not configured" not in text


@pytest.mark.browser
@pytest.mark.parametrize("name", PRINTED)
def test_pdfs_list_no_record_files(published, name):
    _, text, _ = _pdf(published.site / name)
    assert ".yaml" not in text and "Records behind this page" not in text and "records/" not in text


@pytest.mark.browser
def test_every_figure_on_the_handout_is_the_summary_views_value(published):
    d = _derived(published)
    sv = d.context.view(summary.KIND)
    f, c = sv.figures, sv.comparison
    expected: dict[str, Any] = {
        "review_cases": f["review"]["n_cases"], "review_papers": f["review"]["n_papers"],
        "survey_hip_thigh": c["survey_hip_thigh"], "survey_runners": c["survey_complaints"],
    }
    shown = re.findall(r'<span class="kb-value" data-fig="([^"]+)">([^<]*)</span>', _page_html(published, "handout"))
    assert {html.unescape(k) for k, _ in shown} == set(expected)
    for key, value in shown:
        assert html.unescape(value) == str(expected[html.unescape(key)]), key
    text = _flat(_pdf(published.site / "handout.pdf")[1])
    assert f"collects {expected['review_cases']} runners" in text


@pytest.mark.browser
def test_the_printed_pages_carry_the_synthesis_lines_with_their_sources(published):
    """Parkinson's risk and prognosis (the questions marked for the handout) on the handout, every key question on the
    clinician summary: each evidence level's figure, as the synthesis gives it, with its source in the references."""
    d = _derived(published)
    v = d.context.view(question.KIND)
    refs = d.context.view(reference.KIND)
    for pdf, wanted in (("handout.pdf", [q for q in v.questions if q["handout"]]),
                        ("clinician-summary.pdf", [q for q in v.questions if q["key"]])):
        text = _flat(_pdf(published.site / pdf)[1])
        assert wanted, pdf
        for q in wanted:
            for lv in q["levels"]:
                if lv.get("secondary") or (lv["level"] == "cases" and lv["not_reported"] == lv["n"]):
                    continue  # recounts and levels with no information stay on the site
                assert _flat(lv["text"]) in text, (pdf, lv["id"])
                if lv.get("source") and pdf == "clinician-summary.pdf":
                    assert refs.short(lv["source"]["ref"]) in text, (pdf, lv["id"])


@pytest.mark.browser
def test_handout_has_the_fill_in_section(published):
    text = _flat(_pdf(published.site / "handout.pdf")[1])
    for label in FILL_IN_LABELS:
        assert label in text, label
    page = _page_html(published, "handout")
    assert page.count('class="kb-fillin__line"') >= len(FILL_IN_LABELS) - 1  # every item but the tick boxes has lines


@pytest.mark.browser
@pytest.mark.parametrize("page,cited_attr", [("handout", "handout_refs"), ("clinician-summary", "clinician_refs")])
def test_each_work_cited_is_in_the_full_reference_list(published, page, cited_attr):
    d = _derived(published)
    refs = d.context.view(reference.KIND).by_key
    listed = getattr(d.context.view(handout.KIND), cited_attr)
    body = _page_html(published, page).split("Records behind this page")[0]  # before the (screen-only) records footer
    cited = set(re.findall(r'href="\.\./references/#([a-z0-9_-]+)"', body))
    assert cited and cited <= set(listed)
    text = _flat(_pdf(published.site / f"{page}.pdf")[1])
    for key in listed:  # full citation: authors, title, venue and year, and the DOI or web address
        r = refs[key]
        assert _flat(r["text"])[:60] in text, key
        ident = r["ref"].get("doi") or r["url"] or r["pmid_url"]
        if ident:
            assert _flat(ident)[:30] in text.replace(" ", ""), key
        else:  # the bibliography holds none: said, not left blank
            assert _flat(r["text"])[-40:] + " No DOI or web address." in text, key


@pytest.mark.browser
def test_without_site_url_the_pdfs_say_so_and_keep_no_internal_link(built):
    d = _derived(built)
    if site_url(built):
        pytest.skip("a site URL is configured for this run")
    for name in PRINTED:
        _, text, uris = _pdf(built.site / name)
        assert all(u.startswith(("https://", "http://")) and "127.0.0.1" not in u and "localhost" not in u for u in uris)
        assert set(uris) <= _ref_urls(d), f"{name}: an internal link was kept"
        assert pdf_stage.NOT_CONFIGURED in _flat(text)


@pytest.mark.browser
def test_printed_pdfs_are_the_same_bytes_on_a_rebuild(published):
    first = {n: (published.site / n).read_bytes() for n in PRINTED}
    assert not build(published, run_mkdocs=True, strict=True, pdf=True).failed
    assert {n: (published.site / n).read_bytes() for n in PRINTED} == first


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_handout_prints_black_on_white_with_visible_lines(published, scheme):
    """In print, whatever the screen's scheme: white page, base font >= 9pt, fill-in lines drawn in a dark colour."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(published.site))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=pdf_stage.chromium_path(), args=pdf_stage.CHROMIUM_ARGS)
            try:
                tab = browser.new_page(color_scheme=scheme)  # type: ignore[arg-type]
                tab.goto(f"http://127.0.0.1:{httpd.server_address[1]}/handout/", wait_until="networkidle")
                tab.emulate_media(media="print", color_scheme=scheme)  # type: ignore[arg-type]
                got = tab.evaluate("""() => {
                  const line = getComputedStyle(document.querySelector('.kb-fillin__line'));
                  const box = getComputedStyle(document.querySelector('.kb-fillin'));
                  return {bg: getComputedStyle(document.body).backgroundColor,
                          text: getComputedStyle(document.querySelector('.kb-handout p')).color,
                          size: parseFloat(getComputedStyle(document.querySelector('.kb-handout')).fontSize),
                          line: [line.borderBottomStyle, parseFloat(line.borderBottomWidth), line.borderBottomColor],
                          box: [box.borderTopStyle, box.borderTopColor],
                          online: getComputedStyle(document.querySelector('[data-kb-online]')).display};
                }""")
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()

    def rgb(css: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", css)[:3])

    assert rgb(got["bg"]) == (255, 255, 255), got
    assert max(rgb(got["text"])) <= 80, got  # dark text
    assert got["size"] >= 12, got  # 9pt = 12 CSS px
    assert got["line"][0] == "solid" and got["line"][1] >= 1 and max(rgb(got["line"][2])) <= 100, got
    assert got["box"][0] == "solid" and max(rgb(got["box"][1])) <= 100, got
    assert got["online"] == "block", got
