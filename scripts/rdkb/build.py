"""`build` is the four stages in a row: load -> validate -> derive -> render, then mkdocs.

This module only wires the stages together and plans which pages exist; all
file writing goes through rdkb.render.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rdkb import render
from rdkb.build_support import case_export
from rdkb.derive import Derived, derive, fact_status
from rdkb.load import load
from rdkb.model import Dataset, Issue
from rdkb.paths import PACKAGE_DIR, SCHEMA_DIR, Layout
from rdkb.validate import SCHEMA_FILES, validate, vocabulary

CHANGELOG = [
    "Case records for the 22 literature cases of the review, the review's complaint (19 rows) and drug-response (21 rows) tables, and the bibliography.",
    "Downloads: cases, treatments, complaints, references (BibTeX and JSON), the raw YAML records and their JSON Schemas.",
    "Site: sortable, filterable tables with shareable filtered views; charts drawn at build time (SVG, with denominators and "
    "missing-data counts); executive-summary.pdf printed during the build; the date the records behind each page last changed.",
    "Contributors: `make new-case`, citation and link checks, hostile-input rules (anchors/aliases, tags, duplicate keys, size, ids).",
]


@dataclass
class BuildResult:
    failed: bool
    message: str
    issues: list[Issue] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    pages: int = 0


def _newest(dates: list[str]) -> str:
    dates = [d for d in dates if d]
    return max(dates) if dates else ""


def plan(ds: Dataset, d: Derived, extra_pages: list[tuple[str, str, dict[str, Any]]] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    vocab = d.vocab
    synonyms: dict[str, list[str]] = {}
    for written, canonical in vocab.get("agent_synonyms", {}).items():
        synonyms.setdefault(canonical, []).append(written)
    for row in d.treatment_rows:
        for part in row["agents_as_written"].split(","):
            part = part.strip()
            for a in row["agents"]:
                if part.lower() in vocab.get("agent_synonyms", {}) and vocab["agent_synonyms"][part.lower()] == a:
                    synonyms.setdefault(a, [])
                    if part not in synonyms[a]:
                        synonyms[a].append(part)
    pages: list[tuple[str, str, dict[str, Any]]] = []
    case_records = [c.rel for c in d.cases]
    pages.append(("cases/index.md", "cases/index.md.j2", {"case_records": case_records,
                                                           "changed": _newest([c.changed for c in d.cases])}))
    for c in d.cases:
        tstat = c.record.data.get("treatments", {})
        istat = c.record.data.get("other_interventions", {})
        pages.append((f"cases/{c.id}.md", "cases/case.md.j2", {
            "c": c, "notes": c.record.data.get("notes", ""), "changed": c.changed,
            "treatments_status": _status_sentence(tstat, "drug treatment"),
            "interventions_status": _status_sentence(istat, "other intervention")}))
    pages.append(("papers/index.md", "papers/index.md.j2", {"changed": _newest([c.changed for c in d.cases])}))
    ref_views = {r["key"]: r for r in d.references}  # one index, not a scan per paper
    for p in d.papers:
        ref = p["ref"]
        view = ref_views.get(p["key"])
        ext = []
        if view is not None:
            if view["doi_url"]:
                ext.append((f"DOI {ref.get('doi')}", view["doi_url"]))
            if view["pmid_url"]:
                ext.append((f"PubMed {ref.get('pmid')}", view["pmid_url"]))
        pages.append((f"papers/{p['key']}.md", "papers/paper.md.j2", {
            "p": p, "citation": view["text"] if view is not None else p["key"], "ext_links": ext,
            "paper_notes": ref.get("note") if ref is not None else "",
            "changed": _newest([c.changed for c in p["cases"]])}))
    ctab, ttab = d.complaints_table, d.treatments_table
    pages.append(("complaints.md", "complaints.md.j2", {"table": ctab, "rows": d.complaint_rows,
                                                        "changed": ds.changed.get(ctab.get("rel", ""), "")}))
    pages.append(("treatments.md", "treatments.md.j2", {"table": ttab, "rows": d.treatment_rows,
                                                        "response_names": list(vocab["responses"].values()),
                                                        "case_treatments": [(c, t) for c in d.cases for t in c.treatments],
                                                        "changed": ds.changed.get(ttab.get("rel", ""), "")}))
    pages.append(("agents/index.md", "agents/index.md.j2", {"changed": ds.changed.get(ttab.get("rel", ""), "")}))
    for a in d.agents:
        pages.append((f"agents/{a['id']}.md", "agents/agent.md.j2", {
            "a": a, "synonyms": sorted(synonyms.get(a["id"], [])), "treatments_rel": ttab.get("rel", ""),
            "changed": _newest([ds.changed.get(ttab.get("rel", ""), "")] + [ct[0].changed for ct in a["case_treatments"]])}))
    pages.append(("references.md", "references.md.j2", {"changed": ds.changed.get("bib/references.bib", "")}))
    pages += extra_pages or []
    return pages


def _status_sentence(fact: Any, what: str) -> str:
    st = fact_status(fact)
    note = fact.get("note", "") if isinstance(fact, dict) else ""
    base = {"absent": f"The source says there was no {what}.",
            "not_reported": f"Not reported: no source attributes a {what} to this case."}.get(st, "")
    return f"{base} {note}".strip()


DOWNLOADS = [
    {"name": "cases.json", "path": "data/cases.json", "format": "JSON array", "item": "case",
     "fields": "id, paper, in_review, each fact (value or null) with <fact>_status (reported / absent / not_reported), foot_or_ankle, treatments, sources, record"},
    {"name": "cases.csv", "path": "data/cases.csv", "format": "CSV", "item": "case",
     "fields": "id, paper, in_review, adequately_described, sex, ages, side, body_regions (;-separated), foot_or_ankle, spread, tremor, Parkinson's, outcome"},
    {"name": "treatments.json", "path": "data/treatments.json", "format": "JSON array", "item": "row of the review's drug table",
     "fields": "id, agents (list), agents_as_written, response, response_as_written, case (id or null), source"},
    {"name": "treatments.csv", "path": "data/treatments.csv", "format": "CSV", "item": "row of the review's drug table",
     "fields": "as treatments.json; agents ;-separated"},
    {"name": "complaints.json", "path": "data/complaints.json", "format": "JSON array", "item": "row of the review's complaint table",
     "fields": "id, text, body_regions, foot_or_ankle (bool), case (id or null), source"},
    {"name": "references.bib", "path": "data/references.bib", "format": "BibTeX", "item": "work", "fields": "the bibliography as curated"},
    {"name": "references.json", "path": "data/references.json", "format": "JSON array", "item": "work",
     "fields": "key, type, citation, and every BibTeX field (LaTeX decoded)"},
]


def write_data(writer: render.Writer, ds: Dataset, d: Derived) -> None:
    cases = case_export(d)
    writer.json("data/cases.json", cases)
    header = ["id", "paper", "in_review", "adequately_described", "sex", "age_at_presentation", "age_at_onset",
              "age_timing_unstated", "side", "body_regions", "foot_or_ankle", "main_complaint", "spread_to_other_activities",
              "spread_to_walking", "spread_delay", "rest_tremor", "parkinsons_disease", "parkinsons_delay", "outcome"]
    rows = []
    for c in cases:
        rows.append([";".join(c[h]) if isinstance(c.get(h), list) else c.get(h) for h in header])
    writer.csv("data/cases.csv", header, rows)
    treatments = [{"id": r["id"], "agents": r["agents"], "agents_as_written": r["agents_as_written"], "response": r["response"],
                   "response_as_written": r["response_as_written"], "case": r["case"], "source": r["source"]}
                  for r in d.treatment_rows]
    writer.json("data/treatments.json", treatments)
    writer.csv("data/treatments.csv", ["id", "agents", "agents_as_written", "response", "response_as_written", "case", "source"],
               [[t["id"], ";".join(t["agents"]), t["agents_as_written"], t["response"], t["response_as_written"], t["case"],
                 t["source"].get("ref", "")] for t in treatments])
    writer.json("data/complaints.json", [{"id": r["id"], "text": r["text"], "body_regions": r["regions"],
                                          "foot_or_ankle": r["foot_or_ankle"], "case": r["case"], "source": r["source"]}
                                         for r in d.complaint_rows])
    writer.text("data/references.bib", ds.bib_text)
    writer.json("data/references.json", [{"key": r["key"], "type": r["ref"].entry_type, "citation": r["text"],
                                          **dict(sorted(r["ref"].fields.items()))} for r in d.references])


def build(layout: Layout, run_mkdocs: bool = True, strict: bool = True,
          progress: Callable[[str], None] | None = None, in_place: bool = False, pdf: bool = False) -> BuildResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ds = load(layout)
    timings["load"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    issues = validate(ds)
    render.write_cache(layout.cache_file, ds.cache)
    timings["validate"] = time.perf_counter() - t0
    if any(i.is_error for i in issues):
        n = sum(1 for i in issues if i.is_error)
        return BuildResult(True, f"{n} validation error(s)", issues, timings)
    t0 = time.perf_counter()
    vocab = vocabulary()
    d = derive(ds, vocab)
    from rdkb import content as content_stage
    from rdkb.charts import build_charts

    extra_pages, extra_nav = content_stage.pages(ds, d)
    charts = build_charts(d, d.extra.get("survey_rows", []))
    all_rels = [c.rel for c in d.cases] + [t.rel for t in ds.tables.values()] + ([ds.survey.rel] if ds.survey else [])
    extra_pages.append(("charts.md", "charts.md.j2", {"charts": charts, "records": all_rels,
                                                      "changed": _newest([ds.changed.get(r, "") for r in all_rels])}))
    pages = plan(ds, d, extra_pages)
    timings["derive"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    env = render.make_env(layout.templates)
    writer = render.Writer(layout.build_docs, in_place=in_place)
    try:
        common = {"vocab": vocab, "f": d.figures, "cases": d.cases, "papers": d.papers, "agents": d.agents,
                  "references": d.references, "backlinks": d.backlinks,
                  "refs_short": {r["key"]: r["short"] for r in d.references}}
        home_ctx = {"n_references": len(d.references), "extra_home": extra_nav.get("home", []),
                    "sections": content_stage.sections(extra_nav) + [
                        ("Charts", "charts.md", "complaint regions, responses by agent, age at onset, outcomes")],
                    "changed": _newest(list(ds.changed.values()))}
        pages.append(("index.md", "index.md.j2", home_ctx))
        pages.append(("downloads.md", "downloads.md.j2", {
            "downloads": DOWNLOADS + extra_nav.get("downloads", []), "first_case": d.cases[0].id if d.cases else "",
            "schemas": sorted(n for n in SCHEMA_FILES.values() if (SCHEMA_DIR / n).exists()),
            "changelog": CHANGELOG + extra_nav.get("changelog", []), "changed": _newest(list(ds.changed.values()))}))
        render.render_pages(env, writer, pages, common)
        write_data(writer, ds, d)
        for ch in charts:
            writer.text(ch["file"], ch["svg"])
        content_stage.write_extra(writer, ds, d)
        for rec in ds.cases + list(ds.tables.values()) + ds.causes + [r for r in (ds.survey, ds.errata, ds.claims) if r]:
            writer.copy(f"records/{rec.rel}", rec.path)
        writer.copy("records/bib/references.bib", layout.bib / "references.bib")
        for name in sorted(set(SCHEMA_FILES.values()) | {"vocabulary.json"}):
            if (SCHEMA_DIR / name).exists():
                writer.copy(f"schemas/{name}", SCHEMA_DIR / name)
        assets = layout.templates / "assets"
        if assets.is_dir():
            for p in sorted(assets.iterdir()):
                writer.copy(f"assets/{p.name}", p)
        writer.publish()
    except Exception:
        writer.discard()
        raise
    timings["render"] = time.perf_counter() - t0
    msg = f"rendered {len(pages)} pages into {layout.build_docs} ({len(writer.changed_files)} files changed)"
    if run_mkdocs:
        t0 = time.perf_counter()
        ok, out = run_mkdocs_build(layout, strict, pdf)
        timings["mkdocs"] = time.perf_counter() - t0
        if not ok:
            return BuildResult(True, "mkdocs build failed:\n" + out, issues, timings, len(pages))
        msg += f"; built site into {layout.site}"
    return BuildResult(False, msg, issues, timings, len(pages))


def run_mkdocs_build(layout: Layout, strict: bool = True, pdf: bool = False) -> tuple[bool, str]:
    """mkdocs build into a fresh folder, then swap it in: a failed build leaves site/ as it was."""
    new_site = layout.root / "build" / "site-new"
    render.remove_tree(new_site)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--config-file", str(layout.mkdocs_yml), "--site-dir", str(new_site)]
    if strict:
        cmd.append("--strict")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH", "")]))}
    proc = subprocess.run(cmd, cwd=layout.root, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        render.remove_tree(new_site)
        return False, proc.stdout + proc.stderr
    if pdf:
        from rdkb import pdf as pdf_stage

        try:
            data = pdf_stage.print_page(new_site, "summary/")
        except Exception as exc:  # Chromium missing or failing: the build fails, site/ stays as it was
            render.remove_tree(new_site)
            return False, f"printing the executive summary to PDF failed: {exc}"
        render.write_bytes(new_site / pdf_stage.SUMMARY_PDF, data)
    render.swap_site(new_site, layout.site)
    return True, proc.stderr
