"""The structure that keeps the build linear (no timing assertions: machines are noisy)."""

from __future__ import annotations

from pathlib import Path

from rdkb.kinds import reference as load_mod
from rdkb.pipeline.build import build
from rdkb.tools.bench import bench_one, make_kb, targets


def test_bibliography_is_parsed_once_per_build_then_cached(kb):
    before = load_mod.BIB_PARSES
    assert not build(kb, run_mkdocs=False).failed
    assert load_mod.BIB_PARSES - before == 1
    assert not build(kb, run_mkdocs=False).failed
    assert load_mod.BIB_PARSES - before == 1  # unchanged file: served from the content-addressed cache


def test_cache_is_invalidated_by_content_not_by_time(kb):
    assert not build(kb, run_mkdocs=False).failed
    p = kb.cases / "wu2006-4.yaml"
    p.write_text(p.read_text().replace("in_review: true", "in_review: maybe"))
    result = build(kb, run_mkdocs=False)
    assert result.failed and any(i.rule == "E102" and i.path == "cases/wu2006-4.yaml" for i in result.issues)


# Growth of the search index per added case (its page, and its share of paper, reference and agent pages):
# 10,000 cases -> at most 10 MB raw and 1.5 MB gzip on top of the fixed pages (target: 2 MB gzip at 10,000).
# 0.8: 1,200 raw (was 1,000): the evidence synthesis page lists each series' regimens, and reports carry their screening
# and ledger entries; the gzip bound, which the 2 MB target is about, is unchanged.
MAX_INDEX_BYTES_PER_CASE = 1200
MAX_INDEX_GZIP_BYTES_PER_CASE = 150


def test_case_page_size_and_search_index_per_case_do_not_grow_with_the_number_of_cases(tmp_path):
    import gzip
    import json

    sizes, index = {}, {}
    for n in (8, 80):
        layout = make_kb(tmp_path / f"kb{n}", n)
        result = build(layout, run_mkdocs=True)
        assert not result.failed, result.message
        page = layout.site / "cases" / "synth00000-1" / "index.html"
        sizes[n] = page.stat().st_size
        nav_pages = (layout.site / "index.html").read_text().count("synth000")
        assert nav_pages == 0  # case pages are not in the global navigation
        raw = (layout.site / "search" / "search_index.json").read_bytes()
        index[n] = (len(raw), len(gzip.compress(raw)))
        docs = json.loads(raw)["docs"]
        case_entries = [d for d in docs if d["location"].startswith("cases/synth")]
        # one entry per case page (title and key facts); the fact tables and treatments are not indexed
        assert sorted(d["location"] for d in case_entries) == sorted(f"cases/{p.parent.name}/" for p in
                                                                     (layout.site / "cases").glob("synth*/index.html"))
        assert all("Key facts" in d["text"] and "<table" not in d["text"] for d in case_entries)
    assert abs(sizes[80] - sizes[8]) / sizes[8] < 0.02, sizes
    per_case = (index[80][0] - index[8][0]) / 72
    per_case_gzip = (index[80][1] - index[8][1]) / 72
    assert 0 < per_case <= MAX_INDEX_BYTES_PER_CASE, index
    assert 0 < per_case_gzip <= MAX_INDEX_GZIP_BYTES_PER_CASE, index


def test_templates_are_compiled_once_per_build(kb, monkeypatch):
    import jinja2

    calls = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, *a, **k):
        calls.append(name)
        return original(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    assert not build(kb, run_mkdocs=False).failed
    assert calls.count("cases/case.md.j2") == 1 and len(calls) == len(set(calls)), calls


def test_benchmark_runs_at_small_n_and_reports_every_measure():
    from rdkb.tools.bench import format_report, median_row

    row = bench_one(12, bare=True)
    for key in ("load_s", "validate_s", "derive_s", "render_s", "mkdocs_s", "bare_mkdocs_s", "check_cold_s", "check_warm_s",
                "peak_rss_ours_mb", "peak_rss_mkdocs_mb", "check_peak_mb", "output_mb", "case_page_kb", "search_index_mb",
                "search_index_gzip_mb", "render_ms_per_case"):
        assert key in row and row[key] >= 0, key
    assert row["check_exit"] == 0 and row["bare_rc"] == 0
    assert row["edit_to_visible_s"] > 0  # the edit really reached the served page (-1 if it never did)
    assert row["search_index_gzip_mb"] < row["search_index_mb"]
    # medians: three runs, one of them slow, give the middle value
    runs = [dict(row, render_s=1.0), dict(row, render_s=9.0), dict(row, render_s=2.0)]
    assert median_row(runs)["render_s"] == 2.0 and median_row(runs)["runs"] == 3
    rows = [dict(row, cases=1000), dict(row, cases=10000)]
    names = [t[0] for t in targets(rows, {"search_index_gzip_mb": 0.1, "first_load_gzip_kb": 200})]
    for expected in ("make check at 10,000 < 3 s (cold cache)", "make check at 10,000 < 1 s (warm cache)",
                     "render linear: time per case at 10,000 <= 1.25 x at 1,000", "search index at 10,000 <= 2 MB gzip",
                     "edit to visible under make serve at 10,000 <= 2 s", "peak memory < 1 GB (10^9 bytes, 953.7 MiB) at 10,000",
                     "search index at real size <= 150 KB gzip", "home page first load at real size <= 250 KB gzip"):
        assert expected in names, expected
    assert all(isinstance(t[1], bool) for t in targets(rows))
    memory = {mib: {t[0]: t[1] for t in targets([dict(row, cases=10000, peak_rss_ours_mb=mib, check_peak_mb=1, peak_rss_mkdocs_mb=1)])}
              for mib in (950.0, 960.0)}  # 1 GB is 953.7 MiB: 960 MiB (1,007 MB) is over it
    key = "peak memory < 1 GB (10^9 bytes, 953.7 MiB) at 10,000"
    assert memory[950.0][key] is True and memory[960.0][key] is False
    assert "| 10000 |" in format_report(rows)


def test_first_load_counts_the_page_its_assets_and_the_search_index(tmp_path):
    import gzip

    from rdkb.tools.bench import first_load_gzip_kb

    site = tmp_path / "site"
    (site / "assets").mkdir(parents=True)
    (site / "search").mkdir()
    (site / "index.html").write_text('<link href="assets/a.css"><script src="assets/b.js"></script>'
                                     '<a href="https://example.org/x.css">x</a>')
    (site / "assets" / "a.css").write_text("body{background:url(c.svg)}" * 50)
    (site / "assets" / "b.js").write_text("var x=1;" * 200)
    (site / "assets" / "c.svg").write_text("<svg></svg>" * 30)
    (site / "search" / "search_index.json").write_text('{"docs":[]}' * 100)
    files = ["index.html", "assets/a.css", "assets/b.js", "assets/c.svg", "search/search_index.json"]
    expected = sum(len(gzip.compress((site / f).read_bytes(), 6)) for f in files) / 1e3
    assert first_load_gzip_kb(site) == expected


def test_synthetic_records_are_schema_valid(tmp_path: Path):
    from rdkb.pipeline.load import load
    from rdkb.pipeline.validate import validate

    layout = make_kb(tmp_path / "kb", 40)
    assert [i for i in validate(load(layout)) if i.is_error] == []


def test_synthetic_bibliography_stays_under_its_limit_at_any_size(tmp_path):
    """30,000 synthetic cases once failed E309 (bibliography over 1 MiB): papers are capped, cases per paper grow."""
    from rdkb.tools import bench

    layout = make_kb(tmp_path / "kb", 40)
    small = (layout.bib / "references.bib").stat().st_size
    per_entry = (small - (Path(__file__).resolve().parent.parent / "bib" / "references.bib").stat().st_size) / 10
    assert per_entry * bench.MAX_SYNTHETIC_PAPERS + small < 1024 * 1024


def test_synthetic_reports_fit_the_literature_files_under_the_record_size_limit(tmp_path):
    """At 10,000 cases the synthetic reports' screening and access-ledger entries once went over the record size limit
    (E007, so the bench's strict build failed): the reports are capped by the room left in each file, cases per report
    grow. Each entry is at most the size the cap assumes."""
    from rdkb.tools import bench
    from rdkb.yamlio import MAX_RECORD_BYTES

    root = Path(__file__).resolve().parent.parent
    layout = make_kb(tmp_path / "kb", 40)  # 4 cases a report: 10 reports
    for name, size in (("candidates.yaml", bench._CANDIDATE_BYTES), ("access.yaml", bench._LEDGER_BYTES)):
        grown = (layout.root / "literature" / name).stat().st_size - (root / "literature" / name).stat().st_size
        assert 0 < grown <= 10 * size
        assert (layout.root / "literature" / name).stat().st_size < MAX_RECORD_BYTES
