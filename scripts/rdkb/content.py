"""Pages beyond the case core: causes, survey, comparison, claims, errata, executive summary, hand-written pages.

Page models are computed here (pure); rdkb.render writes them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from rdkb.build_support import case_export
from rdkb.derive import HALLMARKS, Derived, add_backlink, cause_views, derive_claims, survey_rows
from rdkb.model import Dataset

# (title, docs path, one-line description) of the sections linked from the home page, in order.
CORE_SECTIONS = [
    ("Executive summary", "summary.md", "one printable page to hand to a doctor"),
    ("Literature cases", "cases/index.md", "every case, one row each, linking to a page per case"),
    ("Papers", "papers/index.md", "the nine case papers and their cases"),
    ("Main complaints", "complaints.md", "the review's complaint rows"),
    ("Drug treatments", "treatments.md", "the review's drug/response rows and a per-agent summary"),
    ("Agents", "agents/index.md", "one page per drug"),
    ("Proposed causes", "causes/index.md", "the twelve explanations the review examines, with verdicts"),
    ("Hallmark matrix", "causes/hallmarks.md", "which cause explains which feature of the syndrome"),
    ("Diagnostic tests", "causes/tests.md", "what each test rules in or out, and when to do it"),
    ("Runner survey", "survey/index.md", "the review's informal survey of runners"),
    ("Literature vs survey", "comparison.md", "published cases against surveyed runners, side by side"),
    ("Claims check", "claims.md", "the review's figures recomputed from the records"),
    ("Errata", "errata.md", "inconsistencies found in the review"),
    ("References", "references.md", "every cited work, with the pages citing it"),
    ("Downloads", "downloads.md", "data files and records"),
]

CONTENT_TITLES = {
    "definition.md": ("Working definition", "what 'loss of leg coordination while running' means here"),
    "criteria.md": ("Diagnostic criteria", "McClinton & Heiderscheit's eight proposed criteria"),
    "red-flags.md": ("Red flags", "when a runner should see a neurologist"),
    "management.md": ("Management", "strategies and the hypothesised return-to-running progression"),
}

EXTRA_DOWNLOADS = [
    {"name": "causes.json", "path": "data/causes.json", "format": "JSON array", "item": "proposed cause",
     "fields": "id, name, category, rating, summary, hallmarks (key -> explains/contradicts/not-addressed), citations"},
    {"name": "survey.json", "path": "data/survey.json", "format": "JSON object", "item": "survey",
     "fields": "aggregates (id, statement, stated, unit, denominator, source), complaints (id, text, body_regions, foot_or_ankle), respondents, questionnaire"},
    {"name": "claims.json", "path": "data/claims.json", "format": "JSON array", "item": "claim of the review",
     "fields": "id, statement, source (ref, locator, quote), stated, derived, agrees (true / false / null = records too incomplete to check), not_reported"},
]


def _count(values: list[Any]) -> dict[str, int]:
    return {"yes": sum(1 for v in values if v is True), "no": sum(1 for v in values if v is False),
            "unknown": sum(1 for v in values if v is None), "total": len(values)}


def _agg(survey: dict[str, Any]) -> dict[str, Any]:
    return {a["id"]: a for a in survey.get("aggregates", [])}


def comparison(d: Derived, srows: list[dict[str, Any]], survey: dict[str, Any], claims: list[dict[str, Any]]) -> dict[str, Any]:
    """Side-by-side figures, each with its denominator. Survey figures the data cannot recompute are shown as stated."""
    agg = _agg(survey)
    lit_rows = d.complaint_rows
    review_cases = [c for c in d.cases if c.in_review]
    cl = {c["id"]: c for c in claims}

    def stated(key: str) -> dict[str, Any] | None:
        a = agg.get(key)
        return None if a is None else {"value": a["stated"], "of": a.get("denominator"), "source": a["source"]}

    return {
        "lit_complaints": len(lit_rows),
        "lit_foot": sum(1 for r in lit_rows if r["foot_or_ankle"]),
        "lit_hip_thigh": sum(1 for r in lit_rows if {"hip", "thigh"} & set(r["regions"])),
        "lit_toes": sum(1 for r in lit_rows if r["toes"]),
        "survey_complaints": len(srows),
        "survey_foot": sum(1 for r in srows if r["foot_or_ankle"]),
        "survey_hip_thigh": sum(1 for r in srows if r["hip_or_thigh"]),
        "survey_toes": sum(1 for r in srows if r["toes"]),
        "survey_foot_stated": stated("complaints-foot-ankle"),
        "lit_cases": len(review_cases),
        "lit_walk": _count([c.spread_walking for c in review_cases]),
        "lit_walk_stated": cl.get("spread-walking"),
        "lit_outcome": sorted(Counter(c.outcome or "not reported" for c in review_cases).items()),
        "survey_walk_triggered": stated("walking-triggered"),
        "survey_walk_severe": stated("walking-severely-impaired"),
        "survey_returned": stated("returned-without-issues"),
        "survey_continuing": stated("continuing-issues"),
        "survey_full_recovery": stated("full-recovery"),
    }


def pages(ds: Dataset, d: Derived) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Any]]:
    """Pages and page models beyond the case core. Returns (pages, extras for the home/downloads pages)."""
    nav: dict[str, Any] = {"sections": [], "home": [], "downloads": list(EXTRA_DOWNLOADS), "changelog": [
        "Proposed causes (12 records), hallmark matrix, diagnostic tests, the runner survey, a literature-vs-survey comparison, "
        "a claims check of the review's figures, an errata page, clinical pages and a printable executive summary.",
        "Downloads: data/causes.json, data/survey.json, data/claims.json."]}
    out: list[tuple[str, str, dict[str, Any]]] = []
    for name in sorted(ds.content_pages):
        title, desc = CONTENT_TITLES.get(name, (name.removesuffix(".md").replace("-", " ").capitalize(), ""))
        nav["sections"].append((title, name, desc))
    causes = cause_views(ds.causes)
    survey = ds.survey.data if ds.survey else {}
    srows = survey_rows(survey)
    _backlinks(ds, d, causes)
    case_objs = case_export(d)
    claims = derive_claims(ds.claims.data.get("claims", []) if ds.claims else [], case_objs, d, srows)
    errata = ds.errata.data.get("errata", []) if ds.errata else []
    comp = comparison(d, srows, survey, claims)
    d.extra.update({"causes": causes, "survey": survey, "survey_rows": srows, "claims": claims, "errata": errata,
                    "comparison": comp, "case_objs": case_objs})
    cause_rels = [c["rel"] for c in causes]
    changed = ds.changed
    newest = lambda rels: max([changed.get(r, "") for r in rels] or [""])  # noqa: E731
    if causes:
        out.append(("causes/index.md", "causes/index.md.j2", {"causes": causes, "records": cause_rels, "changed": newest(cause_rels)}))
        out.append(("causes/hallmarks.md", "causes/hallmarks.md.j2", {"causes": causes, "hallmarks": HALLMARKS,
                                                                      "records": cause_rels, "changed": newest(cause_rels)}))
        out.append(("causes/tests.md", "causes/tests.md.j2", {"causes": causes, "records": cause_rels, "changed": newest(cause_rels)}))
        for c in causes:
            out.append((f"causes/{c['id']}.md", "causes/cause.md.j2", {"c": c, "changed": changed.get(c["rel"], "")}))
    if survey:
        srel = ds.survey.rel if ds.survey else ""
        out.append(("survey/index.md", "survey/index.md.j2", {"s": survey, "rows": srows, "rel_": srel, "changed": changed.get(srel, "")}))
        out.append(("survey/questionnaire.md", "survey/questionnaire.md.j2", {"q": survey.get("questionnaire", {}), "rel_": srel,
                                                                             "changed": changed.get(srel, "")}))
    base_rels = [c.rel for c in d.cases] + [t.rel for t in ds.tables.values()] + ([ds.survey.rel] if ds.survey else [])
    out.append(("comparison.md", "comparison.md.j2", {"c": comp, "records": base_rels, "changed": newest(base_rels)}))
    if ds.claims:
        crels = base_rels + [ds.claims.rel]
        out.append(("claims.md", "claims.md.j2", {"claims": claims, "records": crels, "changed": newest(crels),
                                                   "n_agree": sum(1 for c in claims if c["agrees"] is True),
                                                   "n_disagree": sum(1 for c in claims if c["agrees"] is False),
                                                   "n_unknown": sum(1 for c in claims if c["agrees"] is None)}))
    if ds.errata:
        out.append(("errata.md", "errata.md.j2", {"errata": errata, "rel_": ds.errata.rel, "changed": changed.get(ds.errata.rel, "")}))
    agg = _agg(survey)
    out.append(("summary.md", "summary.md.j2", {
        "c": comp, "agg": agg, "claims": {c["id"]: c for c in claims}, "causes": causes,
        "leading": [c for c in causes if c["rating"] == "leading-candidate"],
        "records": base_rels + cause_rels, "changed": newest(base_rels + cause_rels)}))
    # Interoperability (rdkb.interop): a page per HPO term used, the HPO-gaps page, and their downloads.
    from rdkb import interop

    ipages, isections, idownloads, ichangelog = interop.site_pages(ds, d)
    out += ipages
    nav["sections"] += isections
    nav["downloads"] += idownloads
    nav["changelog"] += ichangelog
    return out, nav


def _backlinks(ds: Dataset, d: Derived, causes: list[dict[str, Any]]) -> None:
    """The references page lists every page citing a work: cause pages, survey, claims, errata, hand-written pages."""
    from rdkb.validate import cited_key_set, content_citations

    by_id = {r.id: r for r in ds.causes}
    for c in causes:
        for key in sorted(set(c["citations"]) | cited_key_set(by_id[c["id"]].data)):
            add_backlink(d, key, f"causes/{c['id']}.md", f"Cause: {c['name']}")
    for rec, page, title in ((ds.survey, "survey/index.md", "Runner survey"), (ds.claims, "claims.md", "Claims check"),
                             (ds.errata, "errata.md", "Errata")):
        if rec is not None:
            for key in sorted(cited_key_set(rec.data)):
                add_backlink(d, key, page, title)
    for name, text in sorted(ds.content_pages.items()):
        title = CONTENT_TITLES.get(name, (name, ""))[0]
        for key in sorted({k for _, k in content_citations(text)}):
            add_backlink(d, key, name, title)


def sections(nav: dict[str, Any]) -> list[tuple[str, str, str]]:
    return CORE_SECTIONS + nav.get("sections", [])


FOOTER = """

---

!!! warning "Medical disclaimer"
    This site summarises published case reports and one non-peer-reviewed review for information only. It is not medical advice and cannot diagnose anyone. See a qualified clinician (a neurologist for suspected dystonia) about symptoms.

<small>Hand-written page: [content/{name}](records/content/{name}.txt). Last changed: {changed}.</small>
"""


def write_extra(writer: Any, ds: Dataset, d: Derived) -> None:
    for name, text in sorted(ds.content_pages.items()):
        changed = ds.changed.get(f"content/{name}", "") or "not yet committed"
        writer.text(name, text.rstrip("\n") + FOOTER.format(name=name, changed=changed))
        writer.text(f"records/content/{name}.txt", text)
    causes = d.extra.get("causes", [])
    writer.json("data/causes.json", [{"id": c["id"], "name": c["name"], "category": c["category"], "rating": c["rating"],
                                      "summary": c["verdict"].get("summary", ""),
                                      "hallmarks": {m["key"]: m["effect"] for m in c["hallmarks"]},
                                      "citations": c["citations"], "record": f"records/{c['rel']}"} for c in causes])
    survey = d.extra.get("survey", {})
    if survey:
        writer.json("data/survey.json", {**survey, "complaints": [{"id": r["id"], "text": r["text"], "body_regions": r["regions"],
                                                                   "foot_or_ankle": r["foot_or_ankle"]} for r in d.extra["survey_rows"]]})
    writer.json("data/claims.json", [{k: c[k] for k in ("id", "statement", "source", "stated", "derived", "agrees", "not_reported")}
                                     for c in d.extra.get("claims", [])])
    # Interoperability exports (computed by rdkb.interop): phenopackets, long CSVs, citations to import, the HPO subset.
    from rdkb import interop

    ex = interop.export_files(ds, d)
    for name, text in ex["phenopackets"]:
        writer.text(f"data/phenopackets/{name}", text)
    writer.bytes_("data/phenopackets.zip", ex["zip"])
    writer.csv("data/phenotypes-long.csv", *ex["phenotypes_long"])
    writer.csv("data/treatments-long.csv", *ex["treatments_long"])
    for key, text in ex["bib"]:
        writer.text(f"data/references/{key}.bib", text)
    for key, text in ex["ris"]:
        writer.text(f"data/references/{key}.ris", text)
    writer.text("data/references.ris", "\n".join(text for _, text in ex["ris"]))
    writer.json("data/hpo-subset.json", ex["subset"])
