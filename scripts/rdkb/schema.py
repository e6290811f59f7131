"""The JSON Schemas and the controlled vocabulary, as the validator, the field table and the site use them.

Below the stages and the kinds (it imports only the paths): the committed schemas leave every vocabulary-backed enum
out, and `with_vocabulary` fills them from vocabulary.json, so adding a term is a one-file change.
"""

from __future__ import annotations

import json
from typing import Any

from rdkb.paths import SCHEMA_DIR


def vocabulary() -> dict[str, dict[str, str]]:
    return dict(json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8")))


# Schema places whose enum is the list of a vocabulary (so adding a value is a one-file change: vocabulary.json).
VOCABULARY_ENUMS = {
    ("agent",): "agents",
    ("response",): "responses",
    ("bodyRegion",): "body_regions",
    ("intervention", "properties", "kind"): "intervention_kinds",
    ("outcomeFact", "oneOf", 1, "properties", "value"): "outcomes",
    ("relevanceLevel",): "clinical_relevance",  # errata.schema.json
}


def with_vocabulary(schema: dict[str, Any], vocab: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The schema with every vocabulary-backed enum filled from vocabulary.json (the committed schema leaves them out)."""
    defs = schema.get("$defs", {})
    for path, name in VOCABULARY_ENUMS.items():
        node: Any = defs
        try:
            for step in path:
                node = node[step]
        except (KeyError, IndexError, TypeError):
            continue
        node["enum"] = list(vocab[name])
    return schema


def generated_schema(name: str) -> dict[str, Any]:
    """A schema as published on the site (site/schemas/): with the vocabulary's enums, for editors and other tools."""
    return with_vocabulary(json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")), vocabulary())
