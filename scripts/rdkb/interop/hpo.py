"""HPO phenotypes: the vendored HPO subset, rules E401/E402, the phenotype pages and their downloads.

The one file read is the vendored subset, scripts/rdkb/data/hpo-subset.json, cut from the pinned HPO
release by `make hpo-subset` (rdkb.tools.hpo_subset). Validation is offline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from rdkb import tabular
from rdkb.kinds.base import Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset, Issue, Record, fmt_path
from rdkb.paths import PACKAGE_DIR
from rdkb.rules import declare

E401 = declare("E401", "unknown HPO id in `phenotypes` (not in the vendored HPO subset)",
               "check the id on hpo.jax.org; a correct id not yet in the vendored subset is added by `make hpo-subset`",
               "cases/E401-unknown-hpo-id.yaml")
W403 = declare("W403", "a case record without HPO-coded `phenotypes`",
               "code its findings with HPO (see CONTRIBUTING.md, Phenotypes); the case is shown meanwhile, without phenotype links",
               "cases/W403-no-phenotypes.yaml", warning=True)
E402 = declare("E402", "HPO label is neither the id's label nor one of its exact synonyms", "write the HPO label",
               "cases/E402-hpo-label-mismatch.yaml")

SUBSET_PATH = PACKAGE_DIR / "data" / "hpo-subset.json"
HPO_TERM_URL = "https://hpo.jax.org/browse/term/{}"
HPO_ID_RE = re.compile(r"^HP:\d{7}$")

# Disease terms of the phenopackets. HPO codes phenotypes, not diseases; the disease ids below are checked
# against the HPO annotations (phenotype.hpoa) of the same release, vendored in the subset.
# Runner's dystonia has no disease code: OMIM:611284 ("Dystonia, focal, task-specific", used until 0.7) is a familial
# entry defined on upper-limb (writer's / musician's) dystonia, not an entry for an adult-onset leg dystonia of runners;
# a wrong code is worse than none (issue 23). A phenopacket carries a disease only where a source names one that fits.
YOUNG_ONSET_PD = "ORPHA:2828"  # "Young-onset Parkinson disease", where a source says so
DISEASE_IDS = (YOUNG_ONSET_PD,)

# Why a finding is coded with the nearest term only. Keys are the `gaps` vocabulary of the schemas
# (case.schema.json#/$defs/gap); the HPO-gaps page shows each with the records carrying it.
GAPS: dict[str, dict[str, Any]] = {
    "running-specific-dystonia": {
        "finding": "Dystonia that appears only, or first, in one task: while running (runner's dystonia) or during exercise",
        "coded_as": ["HP:0031959"], "modifiers": ["HP:0025377"], "not_used": [],
        "why": "HPO has no term for a task-specific or running-specific dystonia. The finding is coded as Leg dystonia; "
               "where the source says the dystonia appears during running or exercise, the modifier Triggered by exertion is added. "
               "A source that says only 'task-specific' without naming the task gets no modifier.",
    },
    "foot-posture": {
        "finding": "Foot dystonia: foot inversion, eversion, plantar flexion or dorsiflexion during a movement (a dynamic posture)",
        "coded_as": ["HP:0031959"], "modifiers": [], "not_used": ["HP:0001762", "HP:0008110", "HP:0008112"],
        "why": "HPO has no 'foot dystonia' term and no term for a dynamic foot inversion or other foot posture that appears only "
               "during a movement. The nearest HPO terms for these postures describe deformities or contractures of the foot, "
               "while the sources describe a movement; the finding is coded as Leg dystonia with the source wording kept beside it.",
    },
    "toe-posture": {
        "finding": "Flexion, curling or clawing of the toes during a movement",
        "coded_as": ["HP:0031959"], "modifiers": [], "not_used": ["HP:0034397"],
        "why": "HPO has no term for dystonic toe flexion or clawing during a movement. Claw toe deformity is classed in HPO as a "
               "toe deformity (the shape of the toes), while the sources describe a movement; the finding is coded as Leg "
               "dystonia with the source wording kept beside it.",
    },
    "knee-hip-movement": {
        "finding": "Involuntary knee extension or flexion, hip flexion or abduction during a movement",
        "coded_as": ["HP:0031959"], "modifiers": [], "not_used": ["HP:0002816"],
        "why": "HPO has no term for a dystonic knee or hip movement. Genu recurvatum (knee hyperextension) is a property of the "
               "joint (it can bend backwards), not a movement during running; the finding is coded as Leg dystonia with the source wording kept beside it.",
    },
    "parkinsons-disease": {
        "finding": "Parkinson's disease diagnosed later, or explicitly not developed during follow-up",
        "coded_as": ["HP:0001300"], "modifiers": [], "not_used": [],
        "why": "Parkinson's disease is a diagnosis, not a phenotype; HPO codes its clinical picture as Parkinsonism. The case's "
               "phenopacket lists the disease itself as Young-onset Parkinson disease (ORPHA:2828) where the source says "
               "'young-onset'.",
    },
}
GAP_CANDIDATES = sorted({i for g in GAPS.values() for i in g["coded_as"] + g["modifiers"] + g["not_used"]})

# Things that have no standard code in the material the build can check offline (shown on the HPO-gaps page).
OUTSIDE_HPO = [
    ("Runner's dystonia as a disease",
     "No disease entry names runner's dystonia, so its phenopackets carry no disease code for it. Dystonia, focal, "
     "task-specific (OMIM:611284), used until release 0.7, is a familial entry defined on upper-limb dystonia, not an "
     "adult-onset leg dystonia of runners: none is better than a wrong one. Where a source says the true problem was "
     "young-onset Parkinson's disease, the phenopacket carries Young-onset Parkinson disease (ORPHA:2828)."),
    ("Drugs and responses",
     "Each drug is written with its DrugCentral id from the project's vendored mapping, which records for every id the "
     "address where it was read. A drug the mapping does not hold (it lists each with the reason, e.g. a botulinum toxin "
     "whose type or product the source does not name) is named in words, without a code. The response grades are named with the project's own controlled vocabulary "
     "(prefix rdkb:), a resource of each phenopacket."),
    ("Non-drug interventions",
     "Surgery (such as deep brain stimulation), physiotherapy and retraining are written to the phenopackets as procedures, "
     "coded with the project's intervention kinds (rdkb:intervention-<kind>): no procedure ontology is vendored."),
    ("Ages without timing, and intervals",
     "An age the source gives without saying whether it is at onset or at presentation, and intervals such as 'within 1.5 years', "
     "cannot be placed on a phenopacket's time line; they are left out of the phenopackets (kept in the records and CSVs)."),
]


# ---------------------------------------------------------------- the vendored HPO subset

@cache
def hpo_subset() -> dict[str, Any]:
    return json.loads(SUBSET_PATH.read_text(encoding="utf-8"))


def hpo_version() -> str:
    return str(hpo_subset().get("hpo_version", ""))


def hpo_term(hpo_id: str) -> dict[str, Any] | None:
    return hpo_subset()["terms"].get(hpo_id)


def hpo_url(hpo_id: str) -> str:
    return HPO_TERM_URL.format(hpo_id)


def disease_label(disease_id: str) -> str:
    return hpo_subset()["diseases"][disease_id]["label"]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def label_matches(hpo_id: str, label: str) -> bool:
    t = hpo_term(hpo_id)
    return t is not None and _norm(label) in {_norm(x) for x in [t["label"], *t["synonyms"]]}


# ---------------------------------------------------------------- validation (E401, E402)

def _subjects(ds: Dataset) -> list[tuple[Record, tuple[Any, ...], Any]]:
    """(record, path prefix, mapping) of every case and table row that may carry `phenotypes`."""
    out: list[tuple[Record, tuple[Any, ...], Any]] = [(r, (), r.data) for r in ds.of("case")]
    for t in ds.of("table"):
        rows = t.data.get("rows")
        if isinstance(rows, list):
            out += [(t, ("rows", i), row) for i, row in enumerate(rows)]
    return out


def hpo_issues(ds: Dataset) -> list[Issue]:
    """E401 unknown HPO id; E402 a label that is neither the term's label nor one of its exact synonyms."""
    issues: list[Issue] = []
    subset_note = f"the vendored subset of HPO {hpo_version()} (scripts/rdkb/data/hpo-subset.json)"
    for rec, base, data in _subjects(ds):
        phen = data.get("phenotypes") if isinstance(data, dict) else None
        if not isinstance(phen, list):
            continue
        for i, p in enumerate(phen):
            if not isinstance(p, dict):
                continue
            terms = [((*base, "phenotypes", i), p)]
            mods = p.get("modifiers")
            if isinstance(mods, list):
                terms += [((*base, "phenotypes", i, "modifiers", j), m) for j, m in enumerate(mods) if isinstance(m, dict)]
            for path, t in terms:
                hid, label = t.get("hpo"), t.get("label")
                if not isinstance(hid, str) or not HPO_ID_RE.match(hid):
                    continue  # the schema reports a malformed id
                term = hpo_term(hid)
                if term is None:
                    issues.append(E401.at(rec.rel, rec.line((*path, "hpo")), f"{fmt_path((*path, 'hpo'))}: unknown HPO id {hid!r}",
                                        f"check the id at {hpo_url(hid)}; a correct id not yet in {subset_note} is added "
                                        "by `make hpo-subset`, which reads the records"))
                elif isinstance(label, str) and not label_matches(hid, label):
                    syn = "; exact synonyms: " + ", ".join(repr(s) for s in term["synonyms"]) if term["synonyms"] else ""
                    issues.append(E402.at(rec.rel, rec.line((*path, "label")),
                                        f"{fmt_path((*path, 'label'))}: {label!r} is not the label of {hid} ({term['label']!r})",
                                        f"write the HPO label {term['label']!r}{syn}, or fix the id ({subset_note})"))
    return issues


# ---------------------------------------------------------------- phenotype entries and pages

def entries_of(data: Any) -> list[dict[str, Any]]:
    phen = data.get("phenotypes") if isinstance(data, dict) else None
    return [p for p in phen if isinstance(p, dict)] if isinstance(phen, list) else []


def phenotype_entries(ds: Dataset, case_ids: list[str]) -> list[dict[str, Any]]:
    """Every phenotype entry of the cases (in case_ids order) and of the complaint rows (table order)."""
    by_id = {r.id: r for r in ds.of("case")}
    out: list[dict[str, Any]] = []
    for cid in case_ids:
        rec = by_id[cid]
        for k, p in enumerate(entries_of(rec.data)):
            out.append({"subject_type": "case", "subject_id": cid, "page": f"cases/{cid}.md", "rel": rec.rel, "k": k,
                        "paper": rec.data.get("paper", ""), "in_review": bool(rec.data.get("in_review")), "n": None,
                        "text": "", **_entry(p)})
    table = ds.one("table", "complaints")
    if table is not None:
        for n, row in enumerate(table.data.get("rows") or [], 1):
            for k, p in enumerate(entries_of(row)):
                out.append({"subject_type": "complaint-row", "subject_id": row.get("id", ""), "page": "complaints.md",
                            "rel": table.rel, "k": k, "paper": "", "in_review": None, "n": n, "text": row.get("text", ""),
                            **_entry(p)})
    return out


def _term_ref(hpo_id: str, label: str) -> dict[str, str]:
    """An HPO term as pages show it: id, the HPO label (the record's label if the id is not in the subset), links."""
    return {"hpo": hpo_id, "label": (hpo_term(hpo_id) or {}).get("label", label), "url": hpo_url(hpo_id), "term_page": term_page(hpo_id)}


def _entry(p: dict[str, Any]) -> dict[str, Any]:
    return {**_term_ref(p["hpo"], p["label"]), "record_label": p["label"], "excluded": bool(p.get("excluded")),
            "description": p.get("description", ""),
            "modifiers": [_term_ref(m["hpo"], m["label"]) for m in p.get("modifiers") or []],
            "onset": p.get("onset", ""), "began_at_onset": bool(p.get("began_at_onset")), "gaps": list(p.get("gaps") or []),
            "source": p.get("source") or {}, "note": p.get("note", "")}


def condition_codes() -> dict[str, Any]:
    """The codes of the condition itself, for the home page: the HPO terms the running-specific dystonia is coded with
    (GAPS, the term and its modifier, labels from the vendored subset) and why no disease code is given."""
    gap = GAPS["running-specific-dystonia"]
    terms = [{"id": hid, "label": (hpo_term(hid) or {"label": hid})["label"], "page": hpo_url(hid)}
             for hid in [*gap["coded_as"], *gap["modifiers"]]]
    return {"terms": terms, "no_disease": "no OMIM, Orphanet or MONDO entry fits"}


def term_page(hpo_id: str) -> str:
    return f"phenotypes/{hpo_id.replace(':', '-').lower()}.md"


def phenotype_terms(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One item per HPO term used (as a phenotype or as a modifier), in id order, with the entries using it."""
    ids = {e["hpo"] for e in entries} | {m["hpo"] for e in entries for m in e["modifiers"]}
    out = []
    for hid in sorted(ids):
        t = hpo_term(hid) or {"label": hid, "synonyms": [], "parents": []}
        as_pheno = [e for e in entries if e["hpo"] == hid]
        as_mod = [e for e in entries if any(m["hpo"] == hid for m in e["modifiers"])]
        out.append({"id": hid, "label": t["label"], "synonyms": t["synonyms"], "url": hpo_url(hid), "page": term_page(hid),
                    "parents": [{"id": p, "label": (hpo_term(p) or {}).get("label", p), "url": hpo_url(p),
                                 "page": term_page(p) if p in ids else ""} for p in t["parents"]],
                    "cases": [e for e in as_pheno if e["subject_type"] == "case"],
                    "rows": [e for e in as_pheno if e["subject_type"] == "complaint-row"],
                    "modifies": as_mod,
                    "n_present": len({e["subject_id"] for e in as_pheno if e["subject_type"] == "case" and not e["excluded"]}),
                    "n_excluded": len({e["subject_id"] for e in as_pheno if e["subject_type"] == "case" and e["excluded"]}),
                    "n_rows": len({e["subject_id"] for e in as_pheno if e["subject_type"] == "complaint-row"})})
    return out


def gap_views(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The HPO-gaps page: each gap with its terms (page = the term's page when a record uses the term, else '')."""
    used_ids = {e["hpo"] for e in entries} | {m["hpo"] for e in entries for m in e["modifiers"]}
    out = []
    for key, g in GAPS.items():
        def term(hid: str) -> dict[str, str]:
            return {"id": hid, "label": (hpo_term(hid) or {}).get("label", hid), "url": hpo_url(hid),
                    "page": term_page(hid) if hid in used_ids else ""}
        used = [e for e in entries if key in e["gaps"]]
        out.append({"key": key, "finding": g["finding"], "why": g["why"], "coded_as": [term(i) for i in g["coded_as"]],
                    "modifiers": [term(i) for i in g["modifiers"]], "not_used": [term(i) for i in g["not_used"]], "entries": used})
    return out



PHENOTYPE_LONG_HEADER = ["subject_type", "subject_id", "paper", "in_review", "hpo_id", "hpo_label", "status", "description",
                         "modifiers", "onset", "source_ref", "source_locator"]


def phenotype_long_rows(entries: list[dict[str, Any]], case_ids: list[str], cases: dict[str, Record],
                        row_ids: list[str]) -> list[list[Any]]:
    """One row per subject (case, then complaint row) and HPO term used as a phenotype anywhere:
    present / excluded (one row per entry) or not reported."""
    terms = sorted({e["hpo"] for e in entries})
    labels = {t: (hpo_term(t) or {}).get("label", t) for t in terms}
    by_subject: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for e in entries:
        by_subject.setdefault((e["subject_type"], e["subject_id"]), []).append(e)
    subjects = [("case", cid) for cid in case_ids] + [("complaint-row", rid) for rid in row_ids]
    out = []
    for kind, sid in subjects:
        na = tabular.NOT_APPLICABLE
        paper = tabular.cell(cases[sid].data.get("paper")) if kind == "case" else na
        in_review = tabular.cell(bool(cases[sid].data.get("in_review"))) if kind == "case" else na
        mine = by_subject.get((kind, sid), [])
        for t in terms:
            hits = [e for e in mine if e["hpo"] == t]
            if not hits:
                out.append([kind, sid, paper, in_review, t, labels[t], tabular.NOT_REPORTED, na, na, na, na, na])
            for e in hits:
                out.append([kind, sid, paper, in_review, t, labels[t], "excluded" if e["excluded"] else "present",
                            tabular.cell(e["description"]), tabular.cell("; ".join(f"{m['hpo']} {m['label']}" for m in e["modifiers"])),
                            tabular.cell(e["onset"]), tabular.cell(e["source"].get("ref")), tabular.cell(e["source"].get("locator"))])
    return out



# ---------------------------------------------------------------- the phenotypes view: pages and downloads

@dataclass(frozen=True)
class PhenotypesView:
    entries: tuple[dict[str, Any], ...]
    terms: tuple[dict[str, Any], ...]
    case_ids: tuple[str, ...]
    row_ids: tuple[str, ...]
    records: tuple[str, ...]  # rel paths of the records behind the pages
    long_rows: tuple[tuple[Any, ...], ...]


def derive(ds: Dataset, views: Views) -> PhenotypesView:
    from rdkb.kinds import case

    cases = views.view(case.KIND)
    case_ids = [c.id for c in cases.cases]
    entries = phenotype_entries(ds, case_ids)
    table = ds.one("table", "complaints")
    rows = (table.data.get("rows") or []) if table is not None else []
    row_ids = [r.get("id", "") for r in rows if isinstance(r, dict)]
    rels = [c.rel for c in cases.cases] + ([table.rel] if table is not None else [])
    long_rows = phenotype_long_rows(entries, case_ids, {c.id: c.record for c in cases.cases}, row_ids)
    return PhenotypesView(tuple(entries), tuple(phenotype_terms(entries)), tuple(case_ids), tuple(row_ids), tuple(rels),
                          tuple(tuple(r) for r in long_rows))


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    common = {"version": hpo_version(), "hpo_source": hpo_subset()["source"], "records": list(v.records),
              "changed": ctx.newest(v.records)}
    out = [
        PagePlan("phenotypes/index.md", "phenotypes/index.md.j2",
                 {**common, "terms": list(v.terms), "n_cases": len(v.case_ids),
                  "n_cases_coded": len({e["subject_id"] for e in v.entries if e["subject_type"] == "case"}),
                  "n_rows": len(v.row_ids),
                  "n_rows_coded": len({e["subject_id"] for e in v.entries if e["subject_type"] == "complaint-row"})},
                 Nav("Phenotypes", "Phenotypes (HPO)", "every finding coded with the Human Phenotype Ontology, one page per term"),
                 since="0.3"),
        PagePlan("phenotypes/gaps.md", "phenotypes/gaps.md.j2", {**common, "gaps": gap_views(list(v.entries)), "outside": OUTSIDE_HPO},
                 Nav("Phenotypes", "HPO gaps", "findings HPO has no term for, and how they are coded"), since="0.3"),
    ]
    out += [PagePlan(t["page"], "phenotypes/term.md.j2", {**common, "t": t}, since="0.3") for t in v.terms]
    return out


def _long(ctx: Context) -> list[OutFile]:
    v = ctx.view(KIND)
    return [OutFile("data/phenotypes-long.csv", "csv", (PHENOTYPE_LONG_HEADER, [list(r) for r in v.long_rows]))]


def _subset(ctx: Context) -> list[OutFile]:
    return [OutFile("data/hpo-subset.json", "json", hpo_subset())]


def check(ds: Dataset) -> list[Issue]:
    uncoded = [W403.at(r.rel, 1, "no `phenotypes`: the case's findings are not coded with HPO yet")
               for r in ds.of("case") if not r.data.get("phenotypes")]
    return hpo_issues(ds) + uncoded


KIND: Kind[PhenotypesView] = Kind(
    name="phenotypes", check=check, derive=derive, pages=pages,
    cites=None, description="HPO-coded phenotypes of cases and complaint rows",
    exports=(
        Export("phenotypes-long.csv", "CSV (long format)", "subject (case or complaint row) and HPO term",
               ", ".join(PHENOTYPE_LONG_HEADER) + ". status: present / excluded / not_reported; every subject has one row "
               "for each HPO term used as a phenotype anywhere (a term a source gives twice for one subject has two rows); "
               "modifiers are ;-separated 'id label'; subject_type case or complaint-row", _long, since="0.3"),
        Export("hpo-subset.json", "JSON object", "HPO term",
               "hpo_version / hpo_release_date, source (PyPI package, its version and data files), terms "
               "(id -> label, exact synonyms, parents), diseases (id -> label): the vendored subset the records are checked against",
               _subset, since="0.3"),
    ),
)
