"""The case field table: every case fact, declared once.

The JSON Schema (schemas/case.schema.json) says what a fact may hold (its type, via the `$ref` of the
property, its vocabulary and its description); this table says how the site shows and exports it.
Case pages, cases.json / cases.csv, the phenopacket mapping notes, the `new-case` scaffold and the
benchmark's synthetic cases all read this table. `check_against_schema()` (run by the validator and by
a test) refuses a table and a schema that disagree, so a new fact is: one schema property + one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from rdkb.schema import generated_schema


@dataclass(frozen=True)
class CaseField:
    name: str  # the record key
    label: str  # row title on the case page
    csv: bool = True  # a column of data/cases.csv (all facts are in cases.json)
    phenopacket: str = ""  # where the phenopacket export puts it ("" = not exported there)
    review_only: bool = False  # meaningful only for the review's own cases
    search: bool = False  # one of the key facts the site search indexes (the rest of a case page is not indexed)
    panel: bool = False  # a figure of the case table's figures panel (its shape follows the fact type; rdkb.kinds.case)

    @property
    def fact_type(self) -> str:
        """The schema's fact type ($defs name), e.g. 'boolFact'."""
        return fact_types()[self.name]

    @property
    def description(self) -> str:
        return str(case_schema()["properties"][self.name].get("description", ""))

    @property
    def vocabulary(self) -> str | None:
        """Name of the vocabulary.json list the value comes from, if any."""
        return VOCABULARY_OF_TYPE.get(self.fact_type)


CASE_FIELDS: tuple[CaseField, ...] = (
    CaseField("label", "Label in the paper", csv=False),
    CaseField("sex", "Sex", search=True, phenopacket="subject.sex (FEMALE / MALE)", panel=True),
    CaseField("age_at_presentation", "Age at presentation", phenopacket="subject.timeAtLastEncounter (ISO 8601)", panel=True),
    CaseField("age_at_onset", "Age at onset", search=True, phenopacket="phenotypicFeatures[].onset and diseases[].onset (ISO 8601)", panel=True),
    CaseField("age_timing_unstated", "Age (timing not stated)"),
    CaseField("duration_at_presentation", "Duration at presentation", csv=False, panel=True),
    CaseField("side", "Side", search=True, panel=True),
    CaseField("body_regions", "Body regions", search=True, panel=True),
    CaseField("main_complaint", "Main complaint", search=True),
    CaseField("adequately_described", "Adequately described (review)", review_only=True),
    CaseField("spread_to_other_activities", "Spread to other activities", panel=True),
    CaseField("spread_to_walking", "Spread to walking", panel=True),
    CaseField("spread_delay", "Delay of spread"),
    CaseField("rest_tremor", "Rest tremor", panel=True),
    CaseField("parkinsons_disease", "Parkinson's disease later", phenopacket="diseases[] (ORPHA:2828 where the source says young-onset)", panel=True),
    CaseField("parkinsons_delay", "Time to Parkinson's disease"),
    CaseField("outcome", "Outcome", panel=True),
    CaseField("diagnosis", "Diagnosis (source's words)", search=True, phenopacket="diseases[] (the code following this diagnosis)"),
    CaseField("investigations", "Investigations"),
    CaseField("botulinum_toxin_details", "Botulinum toxin: dose and muscles"),
    CaseField("adverse_effects", "Adverse effects"),
    CaseField("training_volume", "Training volume"),
    CaseField("symptom_locus", "Where the symptom shows"),
    CaseField("symptom_origin", "Where it arises"),
    CaseField("onset_wording", "Onset (source's words, approximate)"),
    CaseField("tremor", "Tremor (type as the source words it)"),
    CaseField("activity_after_onset", "Running or exercise after onset"),
    CaseField("non_motor_signs", "Non-motor and other signs"),
    CaseField("parkinsons_onset", "Parkinson's disease: onset group",
              phenopacket="diseases[] (ORPHA:2828 young-onset Parkinson disease for young-onset; otherwise the general Parkinson disease code)"),
)
BY_NAME = {f.name: f for f in CASE_FIELDS}

# Schema properties of a case that are not single facts (shown and exported by their own code).
OTHER_PROPERTIES = ("paper", "in_review", "treatments", "other_interventions", "notes", "phenotypes", "series",
                    "same_patient_as")

VOCABULARY_OF_TYPE = {"regionsFact": "body_regions", "outcomeFact": "outcomes"}


@cache
def case_schema() -> dict[str, Any]:
    """The case schema with its vocabulary enums filled in (as the validator uses it)."""
    return generated_schema("case.schema.json")


@cache
def fact_types() -> dict[str, str]:
    """property -> $defs name, for every property of the case schema that is a `$ref`."""
    out = {}
    for name, spec in case_schema()["properties"].items():
        ref = spec.get("$ref", "")
        if ref.startswith("#/$defs/"):
            out[name] = ref.removeprefix("#/$defs/")
    return out


def check_against_schema() -> list[str]:
    """Disagreements between this table and the case schema (empty when they agree)."""
    props = set(case_schema()["properties"])
    declared = {f.name for f in CASE_FIELDS}
    problems = [f"case field {n!r} is not a property of case.schema.json" for n in sorted(declared - props)]
    problems += [f"case.schema.json property {n!r} is neither in CASE_FIELDS nor in OTHER_PROPERTIES (rdkb/fields.py)"
                 for n in sorted(props - declared - set(OTHER_PROPERTIES))]
    problems += [f"case field {f.name!r} is not a fact ($ref to a *Fact definition)" for f in CASE_FIELDS
                 if f.name in props and not fact_types().get(f.name, "").endswith("Fact")]
    return problems


def csv_header() -> list[str]:
    """cases.csv: id, paper, in_review, then the facts in table order (foot_or_ankle, derived, after body_regions)."""
    out = ["id", "paper", "in_review"]
    for f in CASE_FIELDS:
        if f.csv:
            out.append(f.name)
            if f.name == "body_regions":
                out.append("foot_or_ankle")
    return out
