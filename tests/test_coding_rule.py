"""E405's case definition: a dystonia is coded unless the source diagnoses another disorder."""

from __future__ import annotations

from conftest import copy_fixture_kb
from rdkb.pipeline.load import load
from rdkb.pipeline.validate import validate


def _e405(layout) -> list[str]:
    return [i.message for i in validate(load(layout)) if i.rule == "E405"]


def test_leg_dystonia_is_required_unless_the_source_diagnoses_another_disorder(tmp_path):
    layout = copy_fixture_kb(tmp_path / "kb")
    f = layout.cases / "wu2006-1.yaml"
    text = f.read_text(encoding="utf-8")
    # drop the Leg dystonia entry: E405 names the missing case definition
    start = text.index("phenotypes:")
    without = text[:start] + "phenotypes:\n  - hpo: \"HP:0025377\"\n    label: Triggered by exertion\n    excluded: false\n" \
        "    description: \"during long-distance running\"\n    source: {ref: wu2006, locator: abstract}\n"
    f.write_text(without, encoding="utf-8")
    assert any("case definition" in m for m in _e405(layout))
    # a source diagnosis of another disorder: no dystonia is demanded
    lines = without.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith("diagnosis:"))
    j = next(n for n in range(i + 1, len(lines)) if lines[n] and not lines[n].startswith(" "))
    lines[i:j] = ["diagnosis:", "  status: reported", "  value: paroxysmal exertion-induced dyskinesia",
                  "  source: {ref: wu2006, locator: abstract}", "  transcribed: true"]
    f.write_text("\n".join(lines), encoding="utf-8")
    assert not any("case definition" in m for m in _e405(layout))
