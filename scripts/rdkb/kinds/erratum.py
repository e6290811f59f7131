"""The erratum kind: inconsistencies found in the review (errata/review-errata.yaml), each with quotes and locations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdkb.kinds import reference
from rdkb.kinds.base import Citation, Context, Kind, Nav, PagePlan, Views
from rdkb.model import Dataset


@dataclass(frozen=True)
class ErrataView:
    errata: tuple[dict[str, Any], ...]
    rel: str
    cited: tuple[str, ...]


def derive(ds: Dataset, views: Views) -> ErrataView:
    rec = ds.one(KIND.name)
    if rec is None:
        return ErrataView((), "", ())
    return ErrataView(tuple(rec.data.get("errata", [])), rec.rel, tuple(sorted(reference.cited_key_set(rec.data))))


def cites(v: ErrataView) -> list[Citation]:
    return [(k, "errata.md", "Errata") for k in v.cited]


def pages(ctx: Context) -> list[PagePlan]:
    v = ctx.view(KIND)
    if not v.rel:
        return []
    return [PagePlan("errata.md", "errata.md.j2", {"errata": list(v.errata), "rel_": v.rel, "changed": ctx.changed.get(v.rel, "")},
                     Nav("The review, checked", "Errata", "inconsistencies found in the review"), since="0.2")]


KIND: Kind[ErrataView] = Kind(
    name="erratum", folder="errata", single="review-errata", schema="errata.schema.json", derive=derive, cites=cites, pages=pages,
    description="inconsistencies found in the review",
)
