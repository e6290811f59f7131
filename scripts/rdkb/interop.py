"""Interoperability: HPO phenotypes, GA4GH Phenopackets, long-format CSVs, BibTeX/RIS per reference.

Pure functions (no file is written here; rdkb.render writes). The one file read is the vendored HPO
subset, scripts/rdkb/data/hpo-subset.json, cut from the pinned HPO release by `python -m rdkb.hpo_subset`.

- `hpo_issues(ds)`: rules E401 (unknown HPO id) and E402 (label is not the term's label or an exact synonym)
  over the `phenotypes` of cases and table rows, modifiers included. Validation is offline.
- `phenopacket(...)`: one GA4GH Phenopacket v2 (JSON field names) per case. Only what the records hold is
  exported: an unknown sex, age or response is left out, never guessed.
- `phenotype_long_rows` / `treatment_long_rows`: analyst CSVs, one row per subject and phenotype / agent.
- `bibtex_entry` / `ris_entry`: a reference as BibTeX (the curated entry) and as RIS.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from functools import cache
from typing import Any

from rdkb.model import Dataset, Issue, Record
from rdkb.paths import PACKAGE_DIR

SUBSET_PATH = PACKAGE_DIR / "data" / "hpo-subset.json"
HPO_TERM_URL = "https://hpo.jax.org/browse/term/{}"
HPO_ID_RE = re.compile(r"^HP:\d{7}$")

# Disease terms of the phenopackets. HPO codes phenotypes, not diseases; the disease ids below are checked
# against the HPO annotations (phenotype.hpoa) of the same release, vendored in the subset.
CASE_DEFINITION_DISEASE = "OMIM:611284"  # "Dystonia, focal, task-specific": nearest entry for runner's dystonia
YOUNG_ONSET_PD = "ORPHA:2828"  # "Young-onset Parkinson disease", where a source says so
DISEASE_IDS = (CASE_DEFINITION_DISEASE, YOUNG_ONSET_PD)

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
     "No disease entry names runner's dystonia. The phenopackets use the nearest entry in the HPO annotations, "
     "Dystonia, focal, task-specific (OMIM:611284), for every case the review counts as probable runner's dystonia, "
     "except where a source says the true problem was Parkinson's disease (then Young-onset Parkinson disease, ORPHA:2828)."),
    ("Drugs and responses",
     "No drug or response ontology is vendored, so the phenopackets name agents and response grades with the project's own "
     "controlled vocabulary (prefix rdkb:, scripts/rdkb/schemas/vocabulary.json), listed as a resource in each phenopacket."),
    ("Non-drug interventions",
     "Surgery and retraining have no code here and are not exported to the phenopackets; they stay in the records and in cases.json."),
    ("Ages without timing, and intervals",
     "An age the source gives without saying whether it is at onset or at presentation, and intervals such as 'within 1.5 years', "
     "cannot be placed on a phenopacket's time line; they are left out of the phenopackets (kept in the records and CSVs)."),
]

RIS_TYPES = {"article": "JOUR", "inproceedings": "CONF", "online": "ELEC", "book": "BOOK", "misc": "GEN"}
MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


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
    out: list[tuple[Record, tuple[Any, ...], Any]] = [(r, (), r.data) for r in ds.cases]
    for t in ds.tables.values():
        rows = t.data.get("rows")
        if isinstance(rows, list):
            out += [(t, ("rows", i), row) for i, row in enumerate(rows)]
    return out


def _fmt(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
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
                    issues.append(Issue(rec.rel, rec.line((*path, "hpo")), "E401", f"{_fmt((*path, 'hpo'))}: unknown HPO id {hid!r}",
                                        f"check the id at {hpo_url(hid)}; a correct id not yet in {subset_note} is added "
                                        "by `make hpo-subset`, which reads the records"))
                elif isinstance(label, str) and not label_matches(hid, label):
                    syn = "; exact synonyms: " + ", ".join(repr(s) for s in term["synonyms"]) if term["synonyms"] else ""
                    issues.append(Issue(rec.rel, rec.line((*path, "label")), "E402",
                                        f"{_fmt((*path, 'label'))}: {label!r} is not the label of {hid} ({term['label']!r})",
                                        f"write the HPO label {term['label']!r}{syn}, or fix the id ({subset_note})"))
    return issues


# ---------------------------------------------------------------- phenotype entries and pages

def _entries_of(data: Any) -> list[dict[str, Any]]:
    phen = data.get("phenotypes") if isinstance(data, dict) else None
    return [p for p in phen if isinstance(p, dict)] if isinstance(phen, list) else []


def phenotype_entries(ds: Dataset, case_ids: list[str]) -> list[dict[str, Any]]:
    """Every phenotype entry of the cases (in case_ids order) and of the complaint rows (table order)."""
    by_id = {r.id: r for r in ds.cases}
    out: list[dict[str, Any]] = []
    for cid in case_ids:
        rec = by_id[cid]
        for k, p in enumerate(_entries_of(rec.data)):
            out.append({"subject_type": "case", "subject_id": cid, "page": f"cases/{cid}.md", "rel": rec.rel, "k": k,
                        "paper": rec.data.get("paper", ""), "in_review": bool(rec.data.get("in_review")), "n": None,
                        "text": "", **_entry(p)})
    table = ds.tables.get("complaints")
    if table is not None:
        for n, row in enumerate(table.data.get("rows") or [], 1):
            for k, p in enumerate(_entries_of(row)):
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


# ---------------------------------------------------------------- phenopackets

def iso_age(years: Any) -> str | None:
    """ISO 8601 duration for an age in years ('P37Y', 'P37Y6M'); None unless exact in whole months."""
    if years is None or isinstance(years, bool) or not isinstance(years, (int, float)) or years < 0:
        return None
    months = years * 12
    if abs(months - round(months)) > 1e-9:
        return None
    y, m = divmod(int(round(months)), 12)
    return f"P{y}Y{m}M" if y and m else (f"P{m}M" if m else f"P{y}Y")


def _fact(data: dict[str, Any], key: str) -> Any:
    f = data.get(key)
    return f.get("value") if isinstance(f, dict) and f.get("status") == "reported" else None


def _age_element(years: Any) -> dict[str, Any] | None:
    iso = iso_age(years)
    return {"age": {"iso8601duration": iso}} if iso else None


def vocabulary_version(vocab: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(vocab, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]


def external_references(keys: list[str], refs: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """PMID / DOI references (the paper first), or the citation alone when a work has neither."""
    out: list[dict[str, str]] = []
    for key in keys:
        r = refs.get(key)
        if r is None:
            continue
        ref = r["ref"]
        pmid, doi = ref.get("pmid"), ref.get("doi")
        if pmid and r.get("pmid_url"):
            out.append({"id": f"PMID:{pmid}", "reference": r["pmid_url"], "description": r["text"]})
        if doi and r.get("doi_url"):
            out.append({"id": f"DOI:{doi}", "reference": r["doi_url"], "description": r["text"]})
        if not (pmid and r.get("pmid_url")) and not (doi and r.get("doi_url")):
            item = {"reference": r["url"]} if r.get("url") else {}
            out.append({**item, "description": r["text"]})
    return out


def case_diseases(data: dict[str, Any]) -> list[str]:
    """Disease ids of a case: young-onset Parkinson disease where a source says the true problem was that, else the
    case definition (probable runner's dystonia, nearest entry: focal task-specific dystonia)."""
    pd = data.get("parkinsons_disease")
    if isinstance(pd, dict) and pd.get("status") == "reported" and pd.get("value") is True \
            and "young-onset parkinson" in str(pd.get("quote", "")).lower():
        return [YOUNG_ONSET_PD]
    return [CASE_DEFINITION_DISEASE]


def phenopacket(rec: Record, refs: dict[str, dict[str, Any]], cites: list[str], vocab: dict[str, Any],
                created: str = "") -> dict[str, Any]:
    """A GA4GH Phenopacket v2 (protobuf JSON field names) for one case record. Unknown values are left out."""
    data = rec.data
    subject: dict[str, Any] = {"id": rec.id}
    age = _age_element(_fact(data, "age_at_presentation"))
    if age:
        subject["timeAtLastEncounter"] = age
    sex = _fact(data, "sex")
    if sex in ("female", "male"):
        subject["sex"] = sex.upper()
    onset_age = _age_element(_fact(data, "age_at_onset"))
    features = []
    for p in _entries_of(data):
        t = hpo_term(p["hpo"]) or {"label": p["label"]}
        feat: dict[str, Any] = {"type": {"id": p["hpo"], "label": t["label"]}}
        if p.get("description"):
            feat["description"] = p["description"]
        if p.get("excluded"):
            feat["excluded"] = True
        mods = [{"id": m["hpo"], "label": (hpo_term(m["hpo"]) or {"label": m["label"]})["label"]} for m in p.get("modifiers") or []]
        if mods:
            feat["modifiers"] = mods
        if p.get("began_at_onset") and onset_age and not p.get("excluded"):
            feat["onset"] = onset_age
        features.append(feat)
    diseases = []
    for did in case_diseases(data):
        dis: dict[str, Any] = {"term": {"id": did, "label": disease_label(did)}}
        if did == CASE_DEFINITION_DISEASE and onset_age:
            dis["onset"] = onset_age
        diseases.append(dis)
    actions = []
    tr = data.get("treatments")
    if isinstance(tr, dict) and tr.get("status") == "reported":
        for item in tr.get("items") or []:
            agents = list(item.get("agents") or [])
            names = [vocab["agents"].get(a, a) for a in agents]
            action: dict[str, Any]
            if len(agents) == 1:
                action = {"treatment": {"agent": {"id": f"rdkb:{agents[0]}", "label": names[0]}}}
            else:
                action = {"therapeuticRegimen": {"externalReference": {"description": " + ".join(names)}}}
            resp = item.get("response")
            if resp and resp != "not-reported":
                action["responseToTreatment"] = {"id": f"rdkb:response-{resp}", "label": vocab["responses"].get(resp, resp)}
            actions.append(action)
    ver = hpo_version()
    sub = hpo_subset()
    resources = [{"id": "hp", "name": "human phenotype ontology", "url": "http://purl.obolibrary.org/obo/hp.owl",
                  "version": ver, "namespacePrefix": "HP", "iriPrefix": "http://purl.obolibrary.org/obo/HP_"}]
    ann = f"as in the HPO annotations {sub['source']['annotations_version']}"
    prefixes = {d["term"]["id"].split(":")[0] for d in diseases}
    if "OMIM" in prefixes:
        resources.append({"id": "omim", "name": "Online Mendelian Inheritance in Man", "url": "https://www.omim.org",
                          "version": ann, "namespacePrefix": "OMIM", "iriPrefix": "https://omim.org/entry/"})
    if "ORPHA" in prefixes:
        resources.append({"id": "ordo", "name": "Orphanet Rare Disease Ontology", "url": "https://www.orpha.net",
                          "version": ann, "namespacePrefix": "ORPHA", "iriPrefix": "http://www.orpha.net/ORDO/Orphanet_"})
    if actions:
        resources.append({"id": "rdkb", "name": "runner's dystonia knowledge base vocabulary (agents, response grades)",
                          "url": "schemas/vocabulary.json", "version": vocabulary_version(vocab), "namespacePrefix": "rdkb"})
    paper = data.get("paper", "")
    meta: dict[str, Any] = {}
    if re.match(r"^\d{4}-\d{2}-\d{2}$", created or ""):
        meta["created"] = f"{created}T00:00:00Z"
    meta.update({"createdBy": "rdkb build (runner's dystonia knowledge base)", "resources": resources,
                 "phenopacketSchemaVersion": "2.0",
                 "externalReferences": external_references([paper] + [k for k in cites if k != paper], refs)})
    out: dict[str, Any] = {"id": rec.id, "subject": subject}
    if features:
        out["phenotypicFeatures"] = features
    out["diseases"] = diseases
    if actions:
        out["medicalActions"] = actions
    out["metaData"] = meta
    return out


def json_text(data: Any) -> str:
    """The same bytes rdkb.render.Writer.json writes."""
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def zip_bytes(files: list[tuple[str, str]]) -> bytes:
    """A deterministic zip: sorted names, fixed timestamps and permissions."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, text in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


# ---------------------------------------------------------------- analyst CSVs (long format)

PHENOTYPE_LONG_HEADER = ["subject_type", "subject_id", "paper", "in_review", "hpo_id", "hpo_label", "status", "description",
                         "modifiers", "onset", "source_ref", "source_locator"]
TREATMENT_LONG_HEADER = ["case_id", "paper", "in_review", "agent", "agent_name", "status", "regimen", "response",
                         "response_wording", "source_ref", "source_locator"]


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
        paper = cases[sid].data.get("paper", "") if kind == "case" else ""
        in_review = ("yes" if cases[sid].data.get("in_review") else "no") if kind == "case" else ""
        mine = by_subject.get((kind, sid), [])
        for t in terms:
            hits = [e for e in mine if e["hpo"] == t]
            if not hits:
                out.append([kind, sid, paper, in_review, t, labels[t], "not reported", "", "", "", "", ""])
            for e in hits:
                out.append([kind, sid, paper, in_review, t, labels[t], "excluded" if e["excluded"] else "present", e["description"],
                            "; ".join(f"{m['hpo']} {m['label']}" for m in e["modifiers"]),
                            e["onset"], e["source"].get("ref", ""), e["source"].get("locator", "")])
    return out


def treatment_long_rows(case_recs: list[Record], vocab: dict[str, Any]) -> list[list[Any]]:
    """One row per case and agent of the vocabulary: given (with the response) / absent / not reported."""
    agents = list(vocab["agents"])
    out = []
    for rec in case_recs:
        data = rec.data
        paper, in_review = data.get("paper", ""), "yes" if data.get("in_review") else "no"
        tr = data.get("treatments") if isinstance(data.get("treatments"), dict) else {}
        status = tr.get("status", "not_reported")
        items = (tr.get("items") or []) if status == "reported" else []
        for a in agents:
            hits = [it for it in items if a in (it.get("agents") or [])]
            if not hits:
                st = "absent" if status == "absent" else "not reported"
                src = (tr.get("source") or {}) if status == "absent" else {}
                out.append([rec.id, paper, in_review, a, vocab["agents"][a], st, "", "", "", src.get("ref", ""), src.get("locator", "")])
            for it in hits:
                regimen = " + ".join(it.get("agents") or [])
                src = it.get("source") or {}
                out.append([rec.id, paper, in_review, a, vocab["agents"][a], "given", regimen, it.get("response", "not-reported"),
                            it.get("response_wording", ""), src.get("ref", ""), src.get("locator", "")])
    return out


# ---------------------------------------------------------------- citations to import

def bibtex_entry(ref: Any) -> str:
    """The curated BibTeX entry, as it stands in bib/references.bib."""
    return ref.raw.strip() + "\n"


def _ris_line(tag: str, value: Any) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def ris_entry(ref: Any) -> str:
    """The entry as RIS (decoded text, one tag per line, ending with ER)."""
    f = ref.fields
    lines = [_ris_line("TY", RIS_TYPES.get(ref.entry_type, "GEN")), _ris_line("ID", ref.key)]
    for a in re.split(r"\s+and\s+", f.get("author", "")):
        if a.strip():
            lines.append(_ris_line("AU", a.strip()))
    if f.get("title"):
        lines.append(_ris_line("TI", f["title"]))
    venue = f.get("journal") or f.get("booktitle")
    if venue:
        lines.append(_ris_line("T2", venue))
    if f.get("organization") or f.get("publisher"):
        lines.append(_ris_line("PB", f.get("organization") or f.get("publisher")))
    if f.get("year"):
        lines.append(_ris_line("PY", f["year"]))
        month = MONTHS.get(f.get("month", "").strip().lower()[:3])
        if month:
            lines.append(_ris_line("DA", f"{f['year']}/{month:02d}//"))
    for tag, name in (("VL", "volume"), ("IS", "number")):
        if f.get(name):
            lines.append(_ris_line(tag, f[name]))
    pages = f.get("pages", "")
    if pages:
        parts = [p for p in re.split(r"\s*(?:--|–|-)\s*", pages) if p]
        lines.append(_ris_line("SP", parts[0]))
        if len(parts) > 1:
            lines.append(_ris_line("EP", parts[1]))
    if f.get("doi"):
        lines.append(_ris_line("DO", f["doi"]))
    if f.get("url"):
        lines.append(_ris_line("UR", f["url"]))
    if f.get("pmid"):
        lines.append(_ris_line("N1", f"PMID: {f['pmid']}"))
    if f.get("note"):
        lines.append(_ris_line("N1", f["note"]))
    lines.append("ER  - ")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- site pages and downloads (page models only)

def downloads(first_case: str, first_ref: str) -> list[dict[str, str]]:
    """Rows of the Downloads page for the exports of this module (format and fields of each)."""
    ver = hpo_version()
    return [
        {"name": "phenopackets/<case-id>.json", "path": f"data/phenopackets/{first_case}.json",
         "format": "GA4GH Phenopacket v2 (schema 2.0; JSON with the protobuf field names, parsed by the phenopackets package)",
         "item": "case",
         "fields": "id; subject: id, sex (FEMALE / MALE), timeAtLastEncounter = age at presentation as an ISO 8601 duration (e.g. P57Y); "
                   "phenotypicFeatures: type (HPO id and label), description (the source's wording), excluded (only when true), "
                   "modifiers (HPO), onset = age at onset (ISO 8601) for the finding it dates; diseases: OMIM:611284 "
                   "(Dystonia, focal, task-specific) or ORPHA:2828 (Young-onset Parkinson disease), with onset; medicalActions: "
                   "treatment agent (or therapeuticRegimen for a combination) with responseToTreatment, in the project's rdkb: "
                   "vocabulary; metaData: created, createdBy, resources (HPO with its version " + ver + "), phenopacketSchemaVersion "
                   "2.0, externalReferences (PMID / DOI of the paper first, then of every work the record cites). A value the "
                   "records do not hold is absent, never guessed."},
        {"name": "phenopackets.zip", "path": "data/phenopackets.zip", "format": "ZIP (deflate; fixed timestamps)",
         "item": "case (one file <case-id>.json)", "fields": "the phenopackets above, all cases, sorted by id"},
        {"name": "phenotypes-long.csv", "path": "data/phenotypes-long.csv", "format": "CSV (long format)",
         "item": "subject (case or complaint row) and HPO term",
         "fields": ", ".join(PHENOTYPE_LONG_HEADER) + ". status: present / excluded / not reported; every subject has one row "
                   "for each HPO term used as a phenotype anywhere (a term a source gives twice for one subject has two rows); "
                   "modifiers are ;-separated 'id label'; subject_type case or complaint-row"},
        {"name": "treatments-long.csv", "path": "data/treatments-long.csv", "format": "CSV (long format)",
         "item": "case and agent of the vocabulary",
         "fields": ", ".join(TREATMENT_LONG_HEADER) + ". status: given / absent / not reported; regimen: the agents given together "
                   "(+-separated); response from the controlled vocabulary (not-reported when the source gives none)"},
        {"name": "hpo-subset.json", "path": "data/hpo-subset.json", "format": "JSON object",
         "item": "HPO term",
         "fields": "hpo_version / hpo_release_date (" + ver + "), source (PyPI package, its version and data files), terms "
                   "(id -> label, exact synonyms, parents), diseases (id -> label): the vendored subset the records are checked against"},
        {"name": "references.ris", "path": "data/references.ris", "format": "RIS", "item": "work",
         "fields": "TY, ID (BibTeX key), AU, TI, T2, PB, PY, DA, VL, IS, SP, EP, DO, UR, N1 (PMID; note), ER"},
        {"name": "references/<key>.bib", "path": f"data/references/{first_ref}.bib", "format": "BibTeX", "item": "work (one file each)",
         "fields": "the curated entry, as in references.bib"},
        {"name": "references/<key>.ris", "path": f"data/references/{first_ref}.ris", "format": "RIS", "item": "work (one file each)",
         "fields": "as references.ris"},
    ]


def site_pages(ds: Dataset, d: Any) -> tuple[list[tuple[str, str, dict[str, Any]]], list[tuple[str, str, str]],
                                            list[dict[str, str]], list[str]]:
    """(pages, home sections, download rows, changelog lines) for the phenotype and HPO-gaps pages."""
    case_ids = [c.id for c in d.cases]
    entries = phenotype_entries(ds, case_ids)
    terms = phenotype_terms(entries)
    table = ds.tables.get("complaints")
    rels = [c.rel for c in d.cases] + ([table.rel] if table is not None else [])
    newest = max([ds.changed.get(r, "") for r in rels] or [""])
    sub = hpo_subset()
    common = {"version": hpo_version(), "hpo_source": sub["source"], "records": rels, "changed": newest}
    pages: list[tuple[str, str, dict[str, Any]]] = [
        ("phenotypes/index.md", "phenotypes/index.md.j2", {**common, "terms": terms,
                                                            "n_cases": len(case_ids),
                                                            "n_cases_coded": len({e["subject_id"] for e in entries if e["subject_type"] == "case"}),
                                                            "n_rows": len((table.data.get("rows") or []) if table is not None else []),
                                                            "n_rows_coded": len({e["subject_id"] for e in entries if e["subject_type"] == "complaint-row"})}),
        ("phenotypes/gaps.md", "phenotypes/gaps.md.j2", {**common, "gaps": gap_views(entries), "outside": OUTSIDE_HPO}),
    ]
    for t in terms:
        pages.append((t["page"], "phenotypes/term.md.j2", {**common, "t": t}))
    sections = [("Phenotypes (HPO)", "phenotypes/index.md", "every finding coded with the Human Phenotype Ontology, one page per term"),
                ("HPO gaps", "phenotypes/gaps.md", "findings HPO has no term for, and how they are coded")]
    first_ref = d.references[0]["key"] if d.references else ""
    changelog = [f"Interoperability: HPO-coded phenotypes on every case and complaint row (HPO {hpo_version()}, checked offline: "
                 "rules E401, E402), a page per HPO term and an HPO-gaps page; GA4GH Phenopacket v2 export (one JSON per case and a "
                 "zip), long-format analyst CSVs, BibTeX and RIS for each reference and RIS for the whole bibliography."]
    return pages, sections, downloads(case_ids[0] if case_ids else "", first_ref), changelog


def export_files(ds: Dataset, d: Any) -> dict[str, Any]:
    """Everything the export writes, computed (pure): phenopackets, zip, CSV rows, BibTeX and RIS texts."""
    refs = {r["key"]: r for r in d.references}
    packets = []
    for c in d.cases:
        pp = phenopacket(c.record, refs, list(c.cites), d.vocab, ds.changed.get(c.rel, ""))
        packets.append((f"{c.id}.json", json_text(pp)))
    case_ids = [c.id for c in d.cases]
    entries = phenotype_entries(ds, case_ids)
    table = ds.tables.get("complaints")
    row_ids = [r.get("id", "") for r in ((table.data.get("rows") or []) if table is not None else []) if isinstance(r, dict)]
    return {
        "phenopackets": packets,
        "zip": zip_bytes(packets),
        "phenotypes_long": (PHENOTYPE_LONG_HEADER, phenotype_long_rows(entries, case_ids, {c.id: c.record for c in d.cases}, row_ids)),
        "treatments_long": (TREATMENT_LONG_HEADER, treatment_long_rows([c.record for c in d.cases], d.vocab)),
        "bib": [(r["key"], bibtex_entry(r["ref"])) for r in d.references],
        "ris": [(r["key"], ris_entry(r["ref"])) for r in d.references],
        "subset": hpo_subset(),
    }
