"""GA4GH Phenopacket v2 export: one JSON per case (protobuf JSON field names) and a deterministic zip.

Only what the records hold is exported: an unknown sex, age or response is left out, never guessed.
Disease ids are checked against the HPO annotations vendored in the HPO subset (rdkb.interop.hpo).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from typing import Any

from rdkb.interop.hpo import CASE_DEFINITION_DISEASE, YOUNG_ONSET_PD, disease_label, entries_of, hpo_subset, hpo_term, hpo_version
from rdkb.kinds.base import Context, Export, Kind, OutFile
from rdkb.model import Record


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
    """Disease ids of a case: young-onset Parkinson disease where a source says the true problem was that, else the
    case definition (probable runner's dystonia, nearest entry: focal task-specific dystonia)."""
    pd = data.get("parkinsons_disease")
    if isinstance(pd, dict) and pd.get("status") == "reported" and pd.get("value") is True \
            and "young-onset parkinson" in str(pd.get("quote", "")).lower():
        return [YOUNG_ONSET_PD]
    return diagnosis_diseases(_fact(data, "diagnosis"))


def diagnosis_diseases(diagnosis: Any) -> list[str]:
    """The disease code that follows the diagnosis as the source words it: focal / task-specific / runner's dystonia ->
    OMIM:611284; segmental, multifocal or generalised dystonia has no entry in the vendored annotations -> none; no
    diagnosis in the records -> none (never stamped)."""
    text = str(diagnosis or "").lower()
    if not text:
        return []
    if any(w in text for w in ("segmental", "multifocal", "generalized", "generalised", "hemidystonia")):
        return []
    if "young-onset parkinson" in text:
        return [YOUNG_ONSET_PD]
    if "focal" in text or "task-specific" in text or "task specific" in text or "runner's dystonia" in text \
            or "runner’s dystonia" in text:
        return [CASE_DEFINITION_DISEASE]
    return []


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
    features = []
    for p in entries_of(data):
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
    if diseases:
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



_PACKETS: list[tuple[Context, list[tuple[str, str]]]] = []  # the last context's packets (two exports share them)


def _packets(ctx: Context) -> list[tuple[str, str]]:
    if _PACKETS and _PACKETS[0][0] is ctx:
        return _PACKETS[0][1]
    result = _compute_packets(ctx)
    _PACKETS[:] = [(ctx, result)]
    return result


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


def _fields() -> str:
    return ("id; subject: id, sex (FEMALE / MALE), timeAtLastEncounter = age at presentation as an ISO 8601 duration (e.g. P57Y); "
            "phenotypicFeatures: type (HPO id and label), description (the source's wording), excluded (only when true), "
            "modifiers (HPO), onset = age at onset (ISO 8601) for the finding it dates; diseases: OMIM:611284 "
            "(Dystonia, focal, task-specific) or ORPHA:2828 (Young-onset Parkinson disease), with onset; medicalActions: "
            "treatment agent (or therapeuticRegimen for a combination) with responseToTreatment, in the project's rdkb: "
            "vocabulary; metaData: created, createdBy, resources (HPO with its version " + hpo_version() + "), phenopacketSchemaVersion "
            "2.0, externalReferences (PMID / DOI of the paper first, then of every work the record cites). A value the "
            "records do not hold is absent, never guessed.")


KIND: Kind[None] = Kind(
    name="phenopackets", description="GA4GH Phenopacket v2 export of the case records",
    exports=(
        Export("phenopackets/<case-id>.json",
               "GA4GH Phenopacket v2 (schema 2.0; JSON with the protobuf field names, parsed by the phenopackets package)",
               "case", _fields(), _each, since="0.3"),
        Export("phenopackets.zip", "ZIP (deflate; fixed timestamps)", "case (one file <case-id>.json)",
               "the phenopackets above, all cases, sorted by id", _zip, since="0.3"),
    ),
)
