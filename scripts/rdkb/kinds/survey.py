"""The survey kind: the review's informal runner survey (survey/survey.yaml), aggregates as stated.

Per-respondent data are not available, so nothing is recomputed: figures are shown as the review states them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdkb.kinds import case, reference
from rdkb.kinds.base import Citation, Context, Export, Kind, Nav, OutFile, PagePlan, Views
from rdkb.model import Dataset

FOOT_REGIONS = case.FOOT_REGIONS


def survey_rows(survey: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for i, row in enumerate(survey.get("complaints", []), 1):
        regions = row.get("body_regions") or []
        rows.append({"n": i, "id": row["id"], "text": row.get("text", ""), "regions": regions,
                     "foot_or_ankle": bool(FOOT_REGIONS & set(regions)), "toes": "toes" in regions,
                     "hip_or_thigh": bool({"hip", "thigh"} & set(regions)), "note": row.get("note", "")})
    return rows



@dataclass(frozen=True)
class SurveyView:
    data: dict[str, Any]  # the record as written ({} when there is none)
    rows: tuple[dict[str, Any], ...]  # the complaints, coded
    rel: str
    cited: tuple[str, ...]

    @property
    def aggregates(self) -> dict[str, dict[str, Any]]:
        return {a["id"]: a for a in self.data.get("aggregates", [])}


def derive(ds: Dataset, views: Views) -> SurveyView:
    rec = ds.one(KIND.name)
    data = rec.data if rec else {}
    return SurveyView(data, tuple(survey_rows(data)), rec.rel if rec else "",
                      tuple(sorted(reference.cited_key_set(data))) if rec else ())


def cites(v: SurveyView) -> list[Citation]:
    return [(k, "survey/index.md", "Runner survey") for k in v.cited]


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.data:
        return []
    changed = ctx.changed.get(v.rel, "")
    return [
        PagePlan("survey/index.md", "survey/index.md.j2", {"s": v.data, "rows": list(v.rows), "rel_": v.rel, "changed": changed},
                 Nav("Runner survey", "Survey", "the review's informal survey of runners", "Runner survey"), since="0.2"),
        PagePlan("survey/questionnaire.md", "survey/questionnaire.md.j2",
                 {"q": v.data.get("questionnaire", {}), "rel_": v.rel, "changed": changed},
                 Nav("Runner survey", "Questionnaire", "the questions the survey asked"), since="0.2"),
    ]


def _json(ctx: Context) -> list[OutFile]:
    v = ctx.view(KIND)
    if not v.data:
        return []
    return [OutFile("data/survey.json", "json", {**v.data, "complaints": [{"id": r["id"], "text": r["text"], "body_regions": r["regions"],
                                                                          "foot_or_ankle": r["foot_or_ankle"]} for r in v.rows]})]


KIND: Kind[SurveyView] = Kind(
    name="survey", folder="survey", single="survey", schema="survey.schema.json", derive=derive, cites=cites, pages=pages,
    description="the review's runner survey",
    exports=(Export("survey.json", "JSON object", "survey",
                    "aggregates (id, statement, stated, unit, denominator, source), complaints (id, text, body_regions, foot_or_ankle), "
                    "respondents, questionnaire", _json, since="0.2"),),
)
