"""GA4GH Phenopacket v2 export: one JSON per case (protobuf JSON field names) and a deterministic zip.

Only what the records hold is exported: an unknown sex, age or response is left out, never guessed.
Disease ids are checked against the HPO annotations vendored in the HPO subset (rdkb.interop.hpo); runner's dystonia
itself has none that fits (see rdkb.interop.hpo.DISEASE_IDS), so only a source's young-onset Parkinson's disease is coded.

phenopacket-tools' rules that apply here are kept, and pinned by tests (tests/test_interop.py) and by the download's JSON
Schema (schemas/downloads/phenopackets.json.schema.json): schema version 2.0.2; every resource has an iriPrefix; every
prefix used has a resource; an HPO term is listed once (two entries of one term are merged); every therapeutic regimen
has a regimenStatus. Drugs get their DrugCentral id from the vendored mapping (vendor/drug-ids.json: each id with the
address where it was read); a drug it does not map is a therapeutic regimen named in words, never a private code. Surgery
and other non-drug interventions are procedures. The licence (CC BY 4.0) is an external reference.

Also here: the cohort in phenopacket-store's layout (data/phenopacket-store.zip: <cohort>/<case-id>.json) and HPO
annotation rows in the phenotype.hpoa format (data/runners-dystonia.hpoa).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import weakref
import zipfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from rdkb.interop.hpo import YOUNG_ONSET_PD, disease_label, entries_of, hpo_subset, hpo_term, hpo_version
from rdkb.kinds.base import Context, Export, Kind, OutFile
from rdkb.model import Record
from rdkb.tabular import json_text


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


def vocabulary_version(vocab: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps({k: dict(v) for k, v in vocab.items()}, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]


def external_references(keys: list[str], refs: Mapping[str, dict[str, Any]]) -> list[dict[str, str]]:
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
    """Disease ids of a case: young-onset Parkinson disease where a source says the true problem was that (in the
    Parkinson's fact or in the diagnosis); otherwise none (runner's dystonia has no fitting code; never stamped)."""
    pd = data.get("parkinsons_disease")
    if isinstance(pd, dict) and pd.get("status") == "reported" and pd.get("value") is True \
            and "young-onset parkinson" in str(pd.get("quote", "")).lower():
        return [YOUNG_ONSET_PD]
    return diagnosis_diseases(_fact(data, "diagnosis"))


def diagnosis_diseases(diagnosis: Any) -> list[str]:
    """The disease code that follows the diagnosis as the source words it: young-onset Parkinson's disease -> ORPHA:2828;
    any dystonia (focal, task-specific, runner's, segmental, ...) -> none; no diagnosis -> none."""
    return [YOUNG_ONSET_PD] if "young-onset parkinson" in str(diagnosis or "").lower() else []


SCHEMA_VERSION = "2.0.2"
LICENSE_REFERENCE = {"reference": "https://creativecommons.org/licenses/by/4.0/",
                     "description": "Licence of this phenopacket: Creative Commons Attribution 4.0 International (CC BY 4.0)"}
VOCABULARY_URL = "schemas/vocabulary.json"
# Facts whose reported `false` states the absence of a phenotype: written as an excluded feature (unless coded already).
EXCLUDED_BY_FACT = {"rest_tremor": "HP:0002322"}
DRUG_IDS_PATH = Path(__file__).resolve().parent / "vendor" / "drug-ids.json"


@cache
def drug_mapping() -> dict[str, Any]:
    """The vendored mapping (vendor/drug-ids.json): agents with a checked id, the resource of each prefix, the unmapped."""
    return dict(json.loads(DRUG_IDS_PATH.read_text(encoding="utf-8")))


def drug_ids() -> dict[str, dict[str, str]]:
    """agent -> {id, label, source, row}: standard ids read on the page recorded in `source`."""
    return dict(drug_mapping()["agents"])


def agent_class(agent: str) -> dict[str, str] | None:
    """The agent's standard id and label, or None for a drug agent without one (never a private id)."""
    std = drug_ids().get(agent)
    return {"id": std["id"], "label": std["label"]} if std else None


def agent_label(agent: str, vocab: Mapping[str, Any]) -> str:
    return str(vocab["agents"].get(agent, agent))


def agent_words(agent: str, vocab: Mapping[str, Any]) -> str:
    """An agent in words for an external reference: 'levodopa (DrugCentral:1567)', or the name and that it has no id."""
    std = agent_class(agent)
    return f"{std['label']} ({std['id']})" if std else f"{agent_label(agent, vocab)} (no standard drug identifier)"


def single_action(agent: str, vocab: Mapping[str, Any]) -> dict[str, Any]:
    """One agent given alone: a procedure for an agent the vocabulary calls a procedure (deep brain stimulation,
    surgery, physical therapy: vocabulary.json agent_kinds); a treatment with the standard id for a mapped drug; a drug
    without a standard id is a therapeutic regimen named in words (a treatment's agent needs an ontology id, and a
    private one would pass for a code it is not)."""
    if vocab.get("agent_kinds", {}).get(agent) == "procedure":
        return {"procedure": {"code": {"id": f"rdkb:{agent}", "label": agent_label(agent, vocab)}}}
    std = agent_class(agent)
    if std:
        return {"treatment": {"agent": std}}
    return {"therapeuticRegimen": {"externalReference": {"description": agent_words(agent, vocab)}, "regimenStatus": "UNKNOWN_STATUS"}}


def drug_prefixes(agents: list[str]) -> list[str]:
    """The standard-id prefixes the agents use (their resource goes into metaData.resources), in first-use order."""
    out: list[str] = []
    for a in agents:
        std = drug_ids().get(a)
        if std and std["id"].split(":")[0] not in out:
            out.append(std["id"].split(":")[0])
    return out


def drug_resource(prefix: str) -> dict[str, str]:
    r = drug_mapping()["resources"][prefix]
    return {k: r[k] for k in ("id", "name", "url", "version", "namespacePrefix", "iriPrefix")}


def merged_features(data: dict[str, Any], onset_age: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One feature per HPO term (phenopacket-tools refuses a term listed twice): entries of one term are merged, their
    descriptions joined with ' | ' and their modifiers united; an entry present wins over an excluded one. Then an
    excluded feature for each fact in EXCLUDED_BY_FACT the source reports as false."""
    by_term: dict[str, dict[str, Any]] = {}
    for p in entries_of(data):
        t = hpo_term(p["hpo"]) or {"label": p["label"]}
        feat = by_term.get(p["hpo"])
        if feat is None:
            feat = by_term[p["hpo"]] = {"type": {"id": p["hpo"], "label": t["label"]}, "_desc": [], "_mods": {}, "_excluded": True,
                                        "_onset": False}
        if p.get("description") and p["description"] not in feat["_desc"]:
            feat["_desc"].append(p["description"])
        if not p.get("excluded"):
            feat["_excluded"] = False
            feat["_onset"] = feat["_onset"] or bool(p.get("began_at_onset"))
        for m in p.get("modifiers") or []:
            feat["_mods"].setdefault(m["hpo"], (hpo_term(m["hpo"]) or {"label": m["label"]})["label"])
    for fact, term in EXCLUDED_BY_FACT.items():
        f = data.get(fact)
        if term not in by_term and isinstance(f, dict) and f.get("status") == "reported" and f.get("value") is False:
            by_term[term] = {"type": {"id": term, "label": (hpo_term(term) or {"label": term})["label"]},
                             "_desc": [str(f.get("quote", "")).strip()] if f.get("quote") else [], "_mods": {}, "_excluded": True,
                             "_onset": False}
    out: list[dict[str, Any]] = []
    for feat in by_term.values():
        feature: dict[str, Any] = {"type": feat["type"]}
        if feat["_desc"]:
            feature["description"] = " | ".join(feat["_desc"])
        if feat["_excluded"]:
            feature["excluded"] = True
        if feat["_mods"]:
            feature["modifiers"] = [{"id": k, "label": v} for k, v in feat["_mods"].items()]
        if feat["_onset"] and onset_age and not feat["_excluded"]:
            feature["onset"] = onset_age
        out.append(feature)
    return out


def phenopacket(rec: Record, refs: Mapping[str, dict[str, Any]], cites: list[str], vocab: Mapping[str, Any],
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
    features = merged_features(data, onset_age)
    diseases = []
    for did in case_diseases(data):
        diseases.append({"term": {"id": did, "label": disease_label(did)}})
    actions: list[dict[str, Any]] = []
    given: list[str] = []  # every agent of the treatments, for the resources of their standard ids
    tr = data.get("treatments")
    if isinstance(tr, dict) and tr.get("status") == "reported":
        for item in tr.get("items") or []:
            agents = list(item.get("agents") or [])
            given += agents
            action: dict[str, Any]
            if len(agents) == 1:
                action = single_action(agents[0], vocab)
            else:  # given together: one regimen; its status is not in the records
                action = {"therapeuticRegimen": {"externalReference": {"description": " + ".join(agent_words(a, vocab) for a in agents)},
                                                 "regimenStatus": "UNKNOWN_STATUS"}}
            resp = item.get("response")
            if resp and resp != "not-reported":
                action["responseToTreatment"] = {"id": f"rdkb:response-{resp}", "label": vocab["responses"].get(resp, resp)}
            actions.append(action)
    oi = data.get("other_interventions")
    if isinstance(oi, dict) and oi.get("status") == "reported":
        for item in oi.get("items") or []:
            kind = item.get("kind", "other")
            actions.append({"procedure": {"code": {"id": f"rdkb:intervention-{kind}",
                                                   "label": vocab.get("intervention_kinds", {}).get(kind, kind)}}})
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
    resources += [drug_resource(p) for p in drug_prefixes(given)]
    if '"rdkb:' in json.dumps(actions):
        resources.append({"id": "rdkb", "name": "runner's dystonia knowledge base vocabulary (agents, response grades, intervention kinds)",
                          "url": VOCABULARY_URL, "version": vocabulary_version(vocab), "namespacePrefix": "rdkb",
                          "iriPrefix": VOCABULARY_URL + "#"})
    paper = data.get("paper", "")
    meta: dict[str, Any] = {}
    if re.match(r"^\d{4}-\d{2}-\d{2}$", created or ""):
        meta["created"] = f"{created}T00:00:00Z"
    meta.update({"createdBy": "rdkb build (runner's dystonia knowledge base)", "resources": resources,
                 "phenopacketSchemaVersion": SCHEMA_VERSION,
                 "externalReferences": external_references([paper] + [k for k in cites if k != paper], refs) + [LICENSE_REFERENCE]})
    out: dict[str, Any] = {"id": rec.id, "subject": subject}
    if features:
        out["phenotypicFeatures"] = features
    if diseases:
        out["diseases"] = diseases
    if actions:
        out["medicalActions"] = actions
    out["metaData"] = meta
    return out


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



# The last context's packets (two exports share them), held by a weak reference: when the build that made the context
# ends, its packets go too (a strong one kept a whole build's views alive through the next build: 250 MiB at 10,000).
_PACKETS: list[tuple[weakref.ref[Context], list[tuple[str, str]]]] = []


def _packets(ctx: Context) -> list[tuple[str, str]]:
    if _PACKETS and _PACKETS[0][0]() is ctx:
        return _PACKETS[0][1]
    result = _compute_packets(ctx)
    _PACKETS[:] = [(weakref.ref(ctx, _forget), result)]
    return result


def _forget(ref: weakref.ref[Context]) -> None:
    if _PACKETS and _PACKETS[0][0] is ref:  # (a newer context's packets stay)
        _PACKETS.clear()


def _compute_packets(ctx: Context) -> list[tuple[str, str]]:
    from rdkb.kinds import case, reference

    cases = ctx.view(case.KIND)
    refs = ctx.view(reference.KIND).by_key
    return [(f"{c.id}.json", json_text(phenopacket(c.record, refs, list(c.cites), ctx.vocab, ctx.changed.get(c.rel, ""))))
            for c in cases.cases]


def _each(ctx: Context) -> list[OutFile]:
    return [OutFile(f"data/phenopackets/{name}", "text", text) for name, text in _packets(ctx)]


def _zip(ctx: Context) -> list[OutFile]:
    return [OutFile("data/phenopackets.zip", "bytes", zip_bytes(_packets(ctx)))]


COHORT = "runners-dystonia"


def _store(ctx: Context) -> list[OutFile]:
    """The cohort as phenopacket-store lays out a cohort folder: <cohort>/<phenopacket id>.json."""
    return [OutFile("data/phenopacket-store.zip", "bytes", zip_bytes([(f"{COHORT}/{name}", text) for name, text in _packets(ctx)]))]


HPOA_HEADER = ["database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence", "onset", "frequency", "sex",
               "modifier", "aspect", "biocuration"]
HPOA_DATABASE_ID = "rdkb:runners-dystonia"  # no OMIM / ORPHA / MONDO entry fits (rdkb.interop.hpo.DISEASE_IDS)


def hpoa_rows(packets: list[dict[str, Any]], paper_of: Mapping[str, str], refs: Mapping[str, dict[str, Any]],
              date: str) -> list[list[str]]:
    """phenotype.hpoa-style rows for the condition: one per (paper, HPO term, present / NOT), the frequency k/n over
    the paper's cases with any coded phenotype. A paper with neither PMID nor DOI gives no rows (the reference column
    needs one). Modifiers are the union over the paper's cases, ;-separated."""
    by_paper: dict[str, list[dict[str, Any]]] = {}
    for pp in packets:
        if pp.get("phenotypicFeatures"):
            by_paper.setdefault(paper_of[pp["id"]], []).append(pp)
    rows = []
    for paper, pps in sorted(by_paper.items()):
        r = refs.get(paper)
        ref = r["ref"] if r else None
        cite = (f"PMID:{ref.get('pmid')}" if ref.get("pmid") else f"DOI:{ref.get('doi')}" if ref.get("doi") else "") if ref else ""
        if not cite:
            continue
        counts: dict[tuple[str, bool], list[dict[str, Any]]] = {}
        for pp in pps:
            for f in pp["phenotypicFeatures"]:
                counts.setdefault((f["type"]["id"], bool(f.get("excluded"))), []).append(f)
        for (term, excluded), feats in sorted(counts.items()):
            mods = sorted({m["id"] for f in feats for m in f.get("modifiers", [])})
            rows.append([HPOA_DATABASE_ID, "Runner's dystonia (task-specific lower-limb dystonia while running)", "NOT" if excluded else "",
                         term, cite, "PCS", "", f"{len(feats)}/{len(pps)}", "", ";".join(mods), "P", f"rdkb[{date}]"])
    return rows


def _hpoa(ctx: Context) -> list[OutFile]:
    from rdkb.kinds import case, reference

    cases = ctx.view(case.KIND).cases
    packets = [json.loads(text) for _, text in _packets(ctx)]
    date = ctx.newest([c.rel for c in cases]) or "unknown"
    rows = hpoa_rows(packets, {c.id: c.record.data.get("paper", "") for c in cases}, ctx.view(reference.KIND).by_key, date)
    head = ["#description: \"HPO annotations of runner's dystonia from the published cases (runner's dystonia knowledge base)\"",
            f"#date: {date}", f"#hpo-version: {hpo_version()}", "#license: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
            "\t".join(HPOA_HEADER)]
    return [OutFile("data/runners-dystonia.hpoa", "text", "\n".join(head + ["\t".join(r) for r in rows]) + "\n")]


def _fields() -> str:
    return ("id; subject: id, sex (FEMALE / MALE), timeAtLastEncounter = age at presentation as an ISO 8601 duration (e.g. P57Y); "
            "phenotypicFeatures: one per HPO term: type (HPO id and label), description (the source's wording; ' | ' between "
            "entries of one term), excluded (only when true: a coded absence, or a fact the source reports as absent), modifiers "
            "(HPO), onset = age at onset (ISO 8601) for the finding it dates; diseases: ORPHA:2828 (Young-onset Parkinson disease) "
            "where a source says so, otherwise none (runner's dystonia has no fitting code; OMIM:611284 is an upper-limb entry and "
            "is no longer used); medicalActions: treatment agent with its DrugCentral id (vendored mapping, each id with the "
            "address where it was read), therapeuticRegimen for a combination (regimenStatus UNKNOWN_STATUS; its external "
            "reference names each agent with its id) and for a drug without a checked standard id (named in words, no private "
            "code: " + ", ".join(a.replace("-", " ") for a in sorted(drug_mapping()["unmapped"])) + "), procedure for "
            "surgery such as DBS and other non-drug interventions (rdkb:intervention-<kind>), responseToTreatment (rdkb: "
            "grades); metaData: created, createdBy, resources (each with iriPrefix; HPO " + hpo_version() + "), "
            "phenopacketSchemaVersion " + SCHEMA_VERSION + ", externalReferences (PMID / DOI of the paper first, then of every "
            "work the record cites, then the licence, CC BY 4.0). A value the records do not hold is absent, never guessed.")


KIND: Kind[None] = Kind(
    name="phenopackets", description="GA4GH Phenopacket v2 export of the case records",
    exports=(
        Export("phenopackets/<case-id>.json",
               "GA4GH Phenopacket v2 (schema " + SCHEMA_VERSION + "; JSON with the protobuf field names, parsed by the phenopackets package)",
               "case", _fields(), _each, since="0.3"),
        Export("phenopackets.zip", "ZIP (deflate; fixed timestamps)", "case (one file <case-id>.json)",
               "the phenopackets above, all cases, sorted by id", _zip, since="0.3"),
        Export("phenopacket-store.zip", "ZIP (phenopacket-store's cohort layout)", "case (" + COHORT + "/<case-id>.json)",
               "the phenopackets above as one phenopacket-store cohort folder", _store, since="0.8"),
        Export("runners-dystonia.hpoa", "TSV (HPO annotation format, phenotype.hpoa)", "paper and HPO term",
               ", ".join(HPOA_HEADER) + "; database_id " + HPOA_DATABASE_ID + " (no OMIM / ORPHA / MONDO entry fits); frequency "
               "k/n over the paper's coded cases; qualifier NOT for an excluded feature; evidence PCS; reference PMID or DOI",
               _hpoa, since="0.8"),
    ),
)
