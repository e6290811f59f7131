"""Rendering: escaping of record text, links, and golden pages reviewed as diffs."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import pytest

from rdkb.pipeline.build import build
from rdkb.pipeline.render import link, md, rel

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "**bold** _em_ `code`",
    "{{ 7*7 }} {% if true %}jinja{% endif %}",
    "# not a heading",
    "| not | a | cell |",
    "<https://evil.example/>",
    "&amp; &lt;b&gt;",
    "- not a list",
]


def test_md_escapes_every_markup_character():
    out = md("<b>*x*</b> [a](b) `c` {{ d }} | e")
    for ch in "<>*[]()`{}|":
        assert ch not in out


def test_md_keeps_text_readable_after_html_decoding():
    for text in HOSTILE:
        assert html.unescape(md(text)) == " ".join(text.split())


def test_link_escapes_text_but_not_target():
    assert link("a*b", "cases/x.md") == "[a&#42;b](cases/x.md)"


def test_rel_links_between_pages():
    assert rel("cases/a.md", "papers/b.md") == "../papers/b.md"
    assert rel("index.md", "references.md#wu2006") == "references.md#wu2006"


def _set_hostile(layout, case_id: str) -> None:
    path = layout.cases / f"{case_id}.yaml"
    text = path.read_text(encoding="utf-8")
    notes = " ".join(HOSTILE)
    text = re.sub(r"(?m)^notes:.*$", "", text)
    text = text.replace("main_complaint:\n  status: not_reported\n",
                        "main_complaint:\n  status: reported\n  value: " + _yaml_str(notes) + "\n  source: {ref: wu2006}\n")
    path.write_text(text + "notes: " + _yaml_str(notes) + "\n", encoding="utf-8")


def _yaml_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@pytest.mark.slow  # a strict MkDocs build of the real records
def test_hostile_text_is_inert_on_the_built_page(kb):
    _set_hostile(kb, "wu2006-4")
    result = build(kb, run_mkdocs=True, strict=True)
    assert not result.failed, result.message
    page = (kb.site / "cases" / "wu2006-4" / "index.html").read_text(encoding="utf-8")
    main = page[page.index('<article'):page.index('</article>')]
    assert "<script>alert" not in main and "onerror=" not in main.replace("onerror=&", "")
    assert 'href="javascript' not in main
    assert "<strong>bold" not in main and "<em>em" not in main and "<code>code" not in main
    assert "<h1>not a heading" not in main and "<li>not a list" not in main
    assert 'href="https://evil' not in main
    text = html.unescape(re.sub(r"<[^>]+>", "", main))
    for h in HOSTILE:
        assert " ".join(h.split()) in text, h
    assert "49" not in text


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run UPDATE_GOLDEN=1 pytest tests/test_render.py"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file; review the diff and refresh with UPDATE_GOLDEN=1"


GOLDEN_PAGES = ["cases/mcclinton2012-1.md", "cases/bozi2003-2.md", "complaints.md", "treatments.md", "agents/levodopa.md",
                "papers/wu2006.md", "claims.md", "errata.md", "causes/hallmarks.md", "causes/workup.md", "index.md", "downloads.md",
                "references.md", "red-flags.md", "handout.md", "clinician-summary.md", "synthesis.md"]


@pytest.mark.parametrize("page", GOLDEN_PAGES)
def test_golden_pages_of_the_fixture_kb(fixture_built, page):
    """Rendered from tests/fixtures/kb, so they change when behaviour changes, not when the real records grow."""
    _golden(page.replace("/", "__"), (fixture_built.build_docs / page).read_text(encoding="utf-8"))


def test_every_golden_file_is_checked():
    assert {p.name for p in GOLDEN.iterdir()} == {p.replace("/", "__") for p in GOLDEN_PAGES}


def test_rel_matches_posixpath_relpath_for_clean_paths():
    import posixpath

    from hypothesis import given, settings
    from hypothesis import strategies as st

    seg = st.sampled_from(["cases", "papers", "a", "b", "agents"])
    page = st.lists(seg, max_size=3).map(lambda p: "/".join(p + ["x.md"]))

    @settings(deadline=None)  # a busy machine is not a failure
    @given(page, page)
    def check(src, dst):
        expected = posixpath.relpath(dst, posixpath.dirname(src) or ".")
        assert rel(src, dst) == expected

    check()
