"""One contribution of every kind, as CONTRIBUTING.md describes it, made to a copy of a knowledge base.

Used by the contributor-path test (tests/test_contrib.py) and runnable by hand on a scratch copy:

    python tests/contribution.py <copy-of-the-working-tree>

It adds a bib entry with a PMID and its excerpt file in references_cache/, a series record, a case written by
`rdkb new-case` with reported facts and an HPO-coded phenotype, a screening entry in literature/candidates.yaml and a
new vocabulary term (an agent); the case's phenotype uses an HPO term the vendored subset lacks, which
`make hpo-subset` (rdkb.tools.hpo_subset) then adds. Every text is a rehearsal text, not a real paper.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

KEY = "contrib2025"
PMID = "99999901"
CASE_ID = f"{KEY}-1"
AGENT = "contribamide"
ABSTRACT = ("A 41-year-old woman developed involuntary inversion of the right foot while running. "
            "Walking was normal. Her symptoms improved with contribamide.")

BIB = f"""
@article{{{KEY},
  access  = {{abstract}},
  author  = {{Contributor, Carla and Second, Sam}},
  title   = {{A runner with task-specific foot dystonia}},
  journal = {{Example Journal of Movement Disorders}},
  year    = {{2025}},
  pmid    = {{{PMID}}}
}}
"""

EXCERPT = f"""---
reference_id: PMID:{PMID}
content_type: abstract_only
title: A runner with task-specific foot dystonia
bibkey: {KEY}
pmid: '{PMID}'
source_url: https://pubmed.ncbi.nlm.nih.gov/{PMID}/
retrieved: '2026-12-01'
access_level: abstract
---

# A runner with task-specific foot dystonia

## Content

{ABSTRACT}
"""

SERIES = f"""# yaml-language-server: $schema=../scripts/rdkb/schemas/series.schema.json
paper: {KEY}
design: case-report
patients: {{status: reported, value: 1, source: {{ref: {KEY}, locator: abstract}}, quote: A 41-year-old woman}}
runners: {{status: reported, value: 1, source: {{ref: {KEY}, locator: abstract}}, quote: while running}}
facts:
  - id: improved
    statement: The patient improved on the new agent
    numerator: 1
    denominator: 1
    unit: patients
    source: {{ref: {KEY}, locator: abstract}}
    quote: Her symptoms improved with contribamide
treatments:
  - agent: {AGENT}
    improved: 1
    treated: 1
    grade_wording: improved
    unit: patients
    source: {{ref: {KEY}, locator: abstract}}
    quote: Her symptoms improved with contribamide
"""

CANDIDATE = f"""
- key: {KEY}
  already_in_kb: false
  citation: "Contributor C, Second S. A runner with task-specific foot dystonia. Example J Mov Disord. 2025."
  identifiers:
    pmid: "{PMID}"
  publication_type: case report
  peer_reviewed: true
  n_patients: 1
  n_runners: 1
  decision: include
  reason: One runner with running-triggered foot dystonia (rehearsal entry).
  urls:
    - https://pubmed.ncbi.nlm.nih.gov/{PMID}/
  suspected_overlap: []
"""

LEDGER = f"""- key: {KEY}
  role: included report
  access: abstract
  read:
  - level: abstract
    url: https://pubmed.ncbi.nlm.nih.gov/{PMID}/
    date: '2026-12-01'
  not_reachable: []
"""


def add_ledger_entry(root: Path, entry: str) -> None:
    """Where the knowledge base keeps an access ledger (literature/access.yaml), an included report has its entry."""
    ledger = root / "literature" / "access.yaml"
    if ledger.is_file():
        ledger.write_text(ledger.read_text(encoding="utf-8").rstrip("\n") + "\n" + entry, encoding="utf-8")


FACTS = {
    "sex": f"sex:\n  status: reported\n  value: female\n  source: {{ref: {KEY}, locator: abstract}}\n  quote: A 41-year-old woman\n",
    "side": f"side:\n  status: reported\n  value: right\n  source: {{ref: {KEY}, locator: abstract}}\n"
            "  quote: involuntary inversion of the right foot\n",
    "main_complaint": f"main_complaint:\n  status: reported\n  value: involuntary inversion of the right foot while running\n"
                      f"  source: {{ref: {KEY}, locator: abstract}}\n  quote: involuntary inversion of the right foot while running\n",
    "spread_to_walking": f"spread_to_walking:\n  status: reported\n  value: false\n  source: {{ref: {KEY}, locator: abstract}}\n"
                         "  quote: Walking was normal\n",
    "treatments": f"treatments:\n  status: reported\n  items:\n    - agents: [{AGENT}]\n      response: \"yes\"\n"
                  f"      response_wording: improved\n      source: {{ref: {KEY}, locator: abstract}}\n",
}

PHENOTYPES = f"""phenotypes:
  - hpo: "HP:0031959"
    label: Leg dystonia
    excluded: false
    description: "involuntary inversion of the right foot while running"
    modifiers:
      - {{hpo: "HP:0025377", label: Triggered by exertion}}
      - {{hpo: "HP:0012834", label: Right}}
    gaps: [running-specific-dystonia, foot-posture]
    source: {{ref: {KEY}, locator: abstract}}
"""


def _replace_block(text: str, name: str, block: str) -> str:
    """Replace the scaffold's `name:\\n  status: not_reported\\n` (and the comment lines that follow it) with block."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"{name}:\n")
    end = start + 1
    while end < len(lines) and (lines[end].startswith("  ") or lines[end].startswith("#   ") or lines[end].startswith("#     ")
                                or lines[end].startswith("  # ")):
        end += 1
    return "".join(lines[:start]) + block + "".join(lines[end:])


def contribute(root: Path, python: str = sys.executable, env: dict[str, str] | None = None) -> None:
    """Make the contribution in the knowledge base at root (a copy of the working tree)."""
    bib = root / "bib" / "references.bib"
    bib.write_text(bib.read_text(encoding="utf-8") + BIB, encoding="utf-8")
    (root / "references_cache" / f"PMID_{PMID}.md").write_text(EXCERPT, encoding="utf-8")
    vocab_path = root / "scripts" / "rdkb" / "schemas" / "vocabulary.json"
    vocab = json.loads(vocab_path.read_text(encoding="utf-8"))
    vocab["agents"] = dict(sorted({**vocab["agents"], AGENT: AGENT}.items()))
    vocab_path.write_text(json.dumps(vocab, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (root / "series" / f"{KEY}.yaml").write_text(SERIES, encoding="utf-8")
    cands = root / "literature" / "candidates.yaml"
    text = cands.read_text(encoding="utf-8")
    marker = "candidates:\n"
    text = text.replace(marker, marker + CANDIDATE, 1)
    cands.write_text(text, encoding="utf-8")
    add_ledger_entry(root, LEDGER)
    run_env = env or {**os.environ, "PYTHONPATH": str(root / "scripts")}
    proc = subprocess.run([python, "-m", "rdkb", "new-case", "--paper", KEY], cwd=root, env=run_env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    case = root / "cases" / f"{CASE_ID}.yaml"
    text = case.read_text(encoding="utf-8")
    for name, block in FACTS.items():
        text = _replace_block(text, name, block)
    text = text.replace("# series:\n#   status: not_reported\n", "")
    text = text.replace("in_review: false\n", f"in_review: false\nseries: {KEY}\n", 1)
    case.write_text(text.rstrip("\n") + "\n" + PHENOTYPES, encoding="utf-8")
    # a new HPO term (Right) joins the vendored subset with one command (`make hpo-subset`)
    proc = subprocess.run([python, "-m", "rdkb.tools.hpo_subset"], cwd=root, env=run_env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)


if __name__ == "__main__":
    contribute(Path(sys.argv[1]).resolve())
