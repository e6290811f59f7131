"""Rule E405: a case's HPO codes agree with its recorded facts.

These were demands a test made of the real records (tests/test_interop.py) that `make check` did not enforce, so a
valid contribution could pass the check and fail the suite. They are a rule now, checked on every case that carries
`phenotypes` (an uncoded case gets W403 instead):

- the case definition is coded: Leg dystonia (HP:0031959), present (unless the source's diagnosis is another
  disorder, e.g. a paroxysmal dyskinesia: then coding a dystonia would say more than the source);
- a reported rest tremor is coded (Rest tremor, HP:0002322), and Parkinson's disease reported later is coded as
  Parkinsonism (HP:0001300, the gap 'parkinsons-disease'); Parkinsonism is never coded otherwise, and never as
  excluded ("no Parkinson's disease after two years" does not exclude parkinsonism);
- Abnormal gait (HP:0001288) is coded only where spread to walking is reported;
- a Left / Right modifier only where the case's side is reported;
- a complaint row of the review's table keeps the row's own text as the description of each of its codes.

A case's main complaint need not be one of its phenotype descriptions (a test used to demand it word for word: it was
a habit of the first curation, not a rule, and is dropped).
"""

from __future__ import annotations

from typing import Any

from rdkb.kinds.base import Kind
from rdkb.model import Dataset, Issue, Record
from rdkb.rules import declare

E405 = declare("E405", "HPO codes that disagree with the record they code (a case's definition, rest tremor, Parkinson's "
               "disease, walking, side; a complaint row's text)", "code what the facts say, and only that (CONTRIBUTING.md, Phenotypes)",
               "cases/E405-codes-disagree-with-facts.yaml")

LEG_DYSTONIA = "HP:0031959"
REST_TREMOR = "HP:0002322"
PARKINSONISM = "HP:0001300"
ABNORMAL_GAIT = "HP:0001288"
SIDES = ("HP:0012834", "HP:0012835")  # Right, Left


def _reported(data: dict[str, Any], key: str) -> Any:
    f = data.get(key)
    return f.get("value") if isinstance(f, dict) and f.get("status") == "reported" else None


def check(ds: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    for rec in ds.of("case"):
        phen = rec.data.get("phenotypes")
        if not isinstance(phen, list) or not phen:
            continue
        entries = [(i, p) for i, p in enumerate(phen) if isinstance(p, dict)]
        codes = {(p.get("hpo"), bool(p.get("excluded"))) for _, p in entries}

        def at(i: int | None, message: str, rec: Record = rec) -> None:
            path: tuple[Any, ...] = ("phenotypes",) if i is None else ("phenotypes", i, "hpo")
            issues.append(E405.at(rec.rel, rec.line(path), message))

        diagnosis = rec.data.get("diagnosis")
        other_diagnosis = (isinstance(diagnosis, dict) and diagnosis.get("status") == "reported"
                           and "dystonia" not in str(diagnosis.get("value", "")).lower())
        if (LEG_DYSTONIA, False) not in codes and not other_diagnosis:
            at(None, f"phenotypes: the case definition, Leg dystonia ({LEG_DYSTONIA}), is not coded as present")
        if _reported(rec.data, "rest_tremor") is True and (REST_TREMOR, False) not in codes:
            at(None, f"phenotypes: rest_tremor is reported, but Rest tremor ({REST_TREMOR}) is not coded")
        pd = _reported(rec.data, "parkinsons_disease")
        if pd is True and (PARKINSONISM, False) not in codes:
            at(None, f"phenotypes: parkinsons_disease is reported, but Parkinsonism ({PARKINSONISM}) is not coded")
        for i, p in entries:
            hid = p.get("hpo")
            if hid == PARKINSONISM and (pd is not True or p.get("excluded")):
                at(i, f"phenotypes[{i}]: Parkinsonism ({PARKINSONISM}) is coded"
                      f"{' as excluded' if p.get('excluded') else ''}, but parkinsons_disease is not reported as true")
            if hid == ABNORMAL_GAIT and not p.get("excluded") and _reported(rec.data, "spread_to_walking") is not True:
                at(i, f"phenotypes[{i}]: Abnormal gait ({ABNORMAL_GAIT}) is coded, but spread_to_walking is not reported as true")
            mods = [m for m in p.get("modifiers") or [] if isinstance(m, dict)]
            if _reported(rec.data, "side") is None and any(m.get("hpo") in SIDES for m in mods):
                at(i, f"phenotypes[{i}]: a Left/Right modifier is coded, but the case's side is not reported")
    for t in ds.of("table"):
        rows = t.data.get("rows")
        for i, row in enumerate(rows if isinstance(rows, list) else []):
            if not isinstance(row, dict) or not isinstance(row.get("phenotypes"), list):
                continue
            for j, p in enumerate(row["phenotypes"]):
                if isinstance(p, dict) and p.get("description") != row.get("text"):
                    issues.append(E405.at(t.rel, t.line(("rows", i, "phenotypes", j, "description")),
                                          f"rows[{i}].phenotypes[{j}].description: not the row's text {row.get('text')!r}",
                                          "a complaint row's codes keep the row's own wording as their description"))
    return issues


KIND: Kind[None] = Kind(name="coding", check=check, description="HPO codes agree with the recorded facts (E405)")
