"""Pages beyond the case core: hand-written content pages, causes, survey, claims (filled in by later stages)."""

from __future__ import annotations

from typing import Any

from rdkb.derive import Derived
from rdkb.model import Dataset

# (title, docs path, one-line description) of the sections linked from the home page, in order.
CORE_SECTIONS = [
    ("Literature cases", "cases/index.md", "every case, one row each, linking to a page per case"),
    ("Papers", "papers/index.md", "the nine case papers and their cases"),
    ("Main complaints", "complaints.md", "the review's 19 complaint rows"),
    ("Drug treatments", "treatments.md", "the review's 21 drug/response rows and a per-agent summary"),
    ("Agents", "agents/index.md", "one page per drug"),
    ("References", "references.md", "every cited work, with the pages citing it"),
    ("Downloads", "downloads.md", "data files and records"),
]

CONTENT_TITLES = {
    "definition.md": ("Working definition", "what 'loss of leg coordination while running' means here"),
    "criteria.md": ("Diagnostic criteria", "McClinton & Heiderscheit's eight proposed criteria"),
    "red-flags.md": ("Red flags", "when a runner should see a neurologist"),
    "management.md": ("Management", "strategies and the hypothesised return-to-running progression"),
}


def pages(ds: Dataset, d: Derived) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, Any]]:
    nav: dict[str, Any] = {"sections": [], "home": [], "downloads": [], "changelog": []}
    for name in sorted(ds.content_pages):
        title, desc = CONTENT_TITLES.get(name, (name.removesuffix(".md").replace("-", " ").capitalize(), ""))
        nav["sections"].append((title, name, desc))
    return [], nav


def sections(nav: dict[str, Any]) -> list[tuple[str, str, str]]:
    return CORE_SECTIONS + nav.get("sections", [])


FOOTER = """

---

!!! warning "Medical disclaimer"
    This site summarises published case reports and one non-peer-reviewed review for information only. It is not medical advice and cannot diagnose anyone. See a qualified clinician (a neurologist for suspected dystonia) about symptoms.

<small>Hand-written page: content/{name}. Last changed: {changed}.</small>
"""


def write_extra(writer: Any, ds: Dataset, d: Derived) -> None:
    for name, text in sorted(ds.content_pages.items()):
        changed = ds.changed.get(f"content/{name}", "") or "not yet committed"
        writer.text(name, text.rstrip("\n") + FOOTER.format(name=name, changed=changed))
