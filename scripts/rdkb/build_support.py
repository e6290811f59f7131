"""Export shapes shared by the build and the content pages (pure)."""

from __future__ import annotations

from typing import Any

from rdkb.derive import Derived, fact_status, fact_value

FACT_FIELDS = ["label", "sex", "age_at_presentation", "age_at_onset", "age_timing_unstated", "duration_at_presentation",
               "side", "body_regions", "main_complaint", "adequately_described", "spread_to_other_activities",
               "spread_to_walking", "spread_delay", "rest_tremor", "parkinsons_disease", "parkinsons_delay", "outcome"]


def case_export(d: Derived) -> list[dict[str, Any]]:
    out = []
    for c in d.cases:
        data = c.record.data
        obj: dict[str, Any] = {"id": c.id, "paper": c.paper, "in_review": c.in_review}
        for f in FACT_FIELDS:
            fact = data.get(f)
            st = fact_status(fact)
            obj[f] = fact_value(fact) if st == "reported" else (False if st == "absent" else None)
            obj[f + "_status"] = st
        obj["foot_or_ankle"] = c.foot_or_ankle
        obj["treatments"] = [{"agents": t["agents"], "response": t["response"], "source": t["source"]} for t in c.treatments]
        obj["sources"] = {f: data[f]["source"] for f in FACT_FIELDS if isinstance(data.get(f), dict) and "source" in data[f]}
        obj["record"] = f"records/{c.rel}"
        out.append(obj)
    return out


