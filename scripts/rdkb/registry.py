"""The kind registry (rdkb.kinds.* and the site-wide views in rdkb.views.*, rdkb.interop.*). The pipeline loops over KINDS in this order (each kind's view may read the views before it).

Record kinds (with an input folder and a schema) come first; site-wide views (no folder) follow.
To add a kind: write its module (folder, schema, rules, derive, pages, exports), add its schema and
templates, and list it here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdkb.interop import datapackage, hpo, phenopackets
from rdkb.kinds import (
    case,
    cause,
    claim,
    coding,
    content,
    erratum,
    excerpt,
    literature,
    question,
    reference,
    series,
    survey,
    table,
)
from rdkb.kinds.base import Kind
from rdkb.paths import Layout
from rdkb.views import charts, handout, summary

KINDS: tuple[Kind[Any], ...] = (
    reference.KIND,
    excerpt.KIND,
    series.KIND,
    case.KIND,
    table.KIND,
    cause.KIND,
    survey.KIND,
    claim.KIND,
    erratum.KIND,
    content.KIND,
    literature.PROTOCOL,
    literature.KIND,
    literature.ACCESS,
    question.KIND,
    hpo.KIND,
    coding.KIND,
    phenopackets.KIND,
    datapackage.KIND,
    summary.KIND,
    handout.KIND,
    charts.KIND,
)

# Navigation sections, in the order the site shows them. Pages say which section they belong to
# (PagePlan.nav); a section with one page is a single nav entry. Derive refuses an unknown section.
NAV_SECTIONS = ("Home", "Executive summary", "Literature", "Causes", "Runner survey", "Clinical", "Phenotypes",
                "The review, checked", "Charts", "References", "Downloads")

# Inputs that are not records of a kind but change the site (make serve watches them; tests copy them).
OTHER_INPUTS = ("site_templates",)


def folder(layout: Layout, kind: str) -> Path:
    """The input folder of a kind in a knowledge base."""
    for k in KINDS:
        if k.name == kind and k.folder:
            return layout.root / k.folder
    raise KeyError(f"kind {kind!r} has no input folder")


def input_folders() -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for k in KINDS for p in k.inputs)) + OTHER_INPUTS
