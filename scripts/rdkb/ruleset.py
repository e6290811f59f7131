"""Every rule of the package, for `python -m rdkb rules` and CONTRIBUTING.md's table.

At the top of the package, beside the CLI: it imports every module that declares rules (the YAML reader, the
validator, every registered kind), so the rule registry below (rdkb.rules) never has to import upward.
"""

from __future__ import annotations

import rdkb.pipeline.load  # noqa: F401  (the loader; the file-level rules are in rdkb.yamlio, which it imports)
import rdkb.pipeline.validate  # noqa: F401  (schema rules)
import rdkb.registry  # noqa: F401  (each kind declares its rules on import)
from rdkb.model import SEVERITY_WARNING
from rdkb.rules import Rule, declared


def all_rules() -> list[Rule]:
    """Every declared rule, sorted by id."""
    return declared()


def markdown_table() -> str:
    rows = ["| rule | meaning | fixture |", "|---|---|---|"]
    for r in all_rules():
        rows.append(f"| {r.id} | {r.title}{' (warning)' if r.severity == SEVERITY_WARNING else ''} | `{r.fixture}` |")
    return "\n".join(rows) + "\n"
