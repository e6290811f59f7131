"""Open data release (issue 23): licences, citation metadata, version, changelog, the reproducible archive,
and the downloads checked with the tools people load them with (jsonschema, frictionless, pandas)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tomllib

import jsonschema
import pytest
import yaml

from rdkb import __version__
from rdkb.paths import PACKAGE_DIR, REPO
from rdkb.pipeline.derive import RELEASES
from rdkb.tools import release

VENDOR = PACKAGE_DIR / "interop" / "vendor"
ROOT = REPO.root


def _vendored(name):
    return json.loads((VENDOR / name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------- licences, citation, version

def test_licence_files_name_their_licences():
    code = (ROOT / "LICENSE").read_text(encoding="utf-8")
    data = (ROOT / "LICENSE-DATA").read_text(encoding="utf-8")
    assert code.startswith("MIT License") and "Permission is hereby granted, free of charge" in code
    assert "SPDX-License-Identifier: CC-BY-4.0" in data and "https://creativecommons.org/licenses/by/4.0/legalcode" in data
    assert "references_cache/" in data  # third-party excerpts keep their own terms
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "LICENSE-DATA" in readme and "CC BY 4.0" in readme and "MIT" in readme


def test_citation_cff_is_valid_citation_file_format_1_2_0():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(_vendored("citation-file-format-1.2.0.schema.json"),
                               format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(cff)
    assert cff["version"] == __version__ and cff["license"] == "CC-BY-4.0"


def test_the_validator_refuses_a_broken_citation_file():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    del cff["authors"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(_vendored("citation-file-format-1.2.0.schema.json")).validate(cff)


# cffconvert 2.0.0 (the newest) needs jsonschema < 4, so it cannot share .venv (jsonschema 4.26): `make test` installs it
# in a venv of its own, build/tools/cffconvert, from tests/tools/cffconvert.lock (pinned with hashes; about 15 s once,
# then offline). Without it (a bare pytest run) the two tests above, on the same schema vendored from its wheel, stand in.
CFFCONVERT = ROOT / "build" / "tools" / "cffconvert" / "bin" / "cffconvert"


def test_cffconvert_validates_citation_cff_and_refuses_a_broken_one(tmp_path):
    import subprocess

    if not CFFCONVERT.is_file():
        pytest.skip("cffconvert is installed by `make test` (build/tools/cffconvert, from tests/tools/cffconvert.lock)")
    ok = subprocess.run([str(CFFCONVERT), "--validate", "-i", str(ROOT / "CITATION.cff")], capture_output=True, text=True,
                        timeout=60)
    assert ok.returncode == 0 and "valid according to schema version 1.2.0" in ok.stdout, ok.stdout + ok.stderr
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    del cff["authors"]
    (tmp_path / "CITATION.cff").write_text(yaml.safe_dump(cff, allow_unicode=True), encoding="utf-8")
    bad = subprocess.run([str(CFFCONVERT), "--validate", "-i", str(tmp_path / "CITATION.cff")], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode != 0 and "'authors' is a required property" in bad.stdout + bad.stderr


def test_zenodo_metadata_matches_the_release():
    z = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    assert z["version"] == __version__ and z["license"] == "cc-by-4.0" and z["upload_type"] == "dataset"
    assert z["creators"] and all(c.get("name") for c in z["creators"])
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert z["title"] == cff["title"] and [c["name"] for c in z["creators"]] == [a["name"] for a in cff["authors"]]


def test_one_version_everywhere():
    assert __version__.rsplit(".", 1)[0] == list(RELEASES)[-1]  # the newest release of the changelog
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == __version__


def test_changelog_md_is_generated_from_the_releases():
    text = release.changelog_markdown(release.derived_changelog(REPO))
    assert (ROOT / "CHANGELOG.md").read_text(encoding="utf-8") == text, "run: python -m rdkb.tools.release --changelog"
    assert f"## {list(RELEASES)[-1]}: {RELEASES[list(RELEASES)[-1]]}" in text


# ---------------------------------------------------------------- the reproducible archive

def _tree(base, order):
    site = base / "site"
    for name in order:
        p = site / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"content of {name}\n", encoding="utf-8")
    return site


def test_release_archive_is_byte_identical_and_carries_checksums(tmp_path):
    names = ["index.html", "data/cases.csv", "data/phenopackets/a.json", "assets/z.css"]
    one = _tree(tmp_path / "one", names)
    two = _tree(tmp_path / "two", list(reversed(names)))
    os.utime(two / "index.html", (1_000_000, 1_000_000))  # other dates and creation order: same bytes
    a, b = release.archive_bytes(one, ROOT, 1_700_000_000), release.archive_bytes(two, ROOT, 1_700_000_000)
    assert a == b and release.archive_bytes(one, ROOT, 1_700_000_000) == a
    with tarfile.open(fileobj=io.BytesIO(a)) as tf:
        members = tf.getmembers()
        files = [m for m in members if m.isfile()]
        assert {m.mtime for m in members} == {1_700_000_000} and {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
        prefix = f"rdkb-{__version__}/"
        names_in = {m.name[len(prefix):] for m in files}
        assert {f"site/{n}" for n in names} | {"LICENSE", "LICENSE-DATA", "CITATION.cff", "SHA256SUMS"} <= names_in
        sums = tf.extractfile(prefix + "SHA256SUMS").read().decode("utf-8").splitlines()
        listed = dict(reversed(line.split("  ", 1)) for line in sums)
        assert set(listed) == names_in - {"SHA256SUMS"}
        for name, digest in listed.items():
            assert hashlib.sha256(tf.extractfile(prefix + name).read()).hexdigest() == digest
    assert a[4:8] == b"\0\0\0\0"  # gzip header without a date
    assert release.archive_bytes(one, ROOT, 1_700_000_001) != a  # the date is the one given, not today's


# ---------------------------------------------------------------- the downloads, with the tools people use

@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The real records rendered once (no MkDocs: the downloads are what render writes) in a private copy."""
    from conftest import copy_kb
    from rdkb.pipeline.build import build

    layout = copy_kb(tmp_path_factory.mktemp("opendata") / "kb")
    result = build(layout, run_mkdocs=False, strict=True)
    assert not result.failed, result.message
    return layout.build_docs / "data"


def _downloads(data, suffix):
    return sorted(p.relative_to(data).as_posix() for p in data.rglob(f"*{suffix}") if p.name != "datapackage.json")


def test_datapackage_describes_every_csv_and_json_download_and_frictionless_validates_it(data):
    import frictionless

    pkg = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    paths = {r["path"] for r in pkg["resources"]}
    assert paths == set(_downloads(data, ".csv")) | set(_downloads(data, ".json")) - {"references/"}
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0" and all(r["licenses"] == pkg["licenses"] for r in pkg["resources"])
    assert pkg["version"] == __version__
    report = frictionless.validate(str(data / "datapackage.json"))
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:20]


def test_frictionless_catches_a_cell_of_the_wrong_type(data, tmp_path):
    import shutil

    import frictionless

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    text = (copy / "cases.csv").read_text(encoding="utf-8").splitlines()
    cells = text[1].split(",")
    cells[fields_index("in_review", text[0])] = "yes"  # the old boolean spelling
    text[1] = ",".join(cells)
    (copy / "cases.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    report = frictionless.validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert {(task.name, e.type) for task in report.tasks for e in task.errors} == {("cases-csv", "type-error")}


def fields_index(name, header):
    return header.split(",").index(name)


def test_every_json_download_has_a_json_schema_and_follows_it(data):
    from rdkb.interop import datapackage

    pkg = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    for r in pkg["resources"]:
        if r["type"] != "json":
            continue
        source = datapackage.schema_source(r["jsonSchema"])
        assert source.is_file(), r["path"]
        assert (data / r["jsonSchema"]).is_file(), r["jsonSchema"]  # published where the package says
        schema = json.loads(source.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        errors = list(cls(schema).iter_errors(json.loads((data / r["path"]).read_text(encoding="utf-8"))))
        assert not errors, (r["path"], [e.message for e in errors[:3]])
    assert (data.parent / "schemas" / "downloads" / "cases.json.schema.json").is_file()  # published beside the record schemas


def test_cases_json_fact_values_are_null_exactly_when_not_reported(data):
    from rdkb import fields

    for o in json.loads((data / "cases.json").read_text(encoding="utf-8")):
        for f in fields.CASE_FIELDS:
            assert (o[f.name] is None) == (o[f"{f.name}_status"] != "reported"), (o["id"], f.name)


def _pandas_types(data, name):
    import pandas as pd

    from rdkb import tabular

    pkg = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    (res,) = [r for r in pkg["resources"] if r["path"] == name]
    status = [f["name"] for f in res["schema"]["fields"] if f.get("missingValues") == []]
    na = {f["name"]: list(tabular.MISSING_VALUES) for f in res["schema"]["fields"] if f["name"] not in status}
    df = pd.read_csv(data / name, na_values=na, keep_default_na=False, dtype_backend="numpy_nullable")
    return df, res["schema"]["fields"]


@pytest.mark.parametrize("name", ["cases.csv", "treatments.csv", "treatments-long.csv", "phenotypes-long.csv"])
def test_each_csv_loads_in_pandas_with_the_declared_types(data, name):
    import pandas as pd

    from rdkb import tabular

    raw = (data / name).read_text(encoding="utf-8")
    rows = list(__import__("csv").reader(io.StringIO(raw)))
    assert all(cell != "" for row in rows for cell in row), "a blank cell: use not_reported / not_applicable"
    assert "not reported" not in {c for row in rows[1:] for c in row}
    df, declared = _pandas_types(data, name)
    for i, f in enumerate(declared):
        if f["type"] == "boolean":
            assert {row[i] for row in rows[1:]} <= {"true", "false", *tabular.MISSING_VALUES}, (name, f["name"])
    assert list(df.columns) == [f["name"] for f in declared]
    for f in declared:
        col = df[f["name"]]
        if f["type"] == "boolean":
            assert pd.api.types.is_bool_dtype(col.dtype) or col.isna().all(), (name, f["name"], col.dtype)
        elif f["type"] == "number":
            assert pd.api.types.is_numeric_dtype(col.dtype), (name, f["name"], col.dtype)
        else:
            assert not pd.api.types.is_bool_dtype(col.dtype), (name, f["name"])
        if f.get("missingValues") == []:
            assert col.notna().all() and set(col) <= set(f["constraints"]["enum"])
    assert set(tabular.MISSING_VALUES) & set(raw.replace("\n", ",").split(","))  # both markers are real, the values are not blank


def test_not_reported_and_not_applicable_stay_apart_in_cases_csv(data):
    import csv

    rows = list(csv.DictReader(io.StringIO((data / "cases.csv").read_text(encoding="utf-8"))))
    cases = {o["id"]: o for o in json.loads((data / "cases.json").read_text(encoding="utf-8"))}
    for row in rows:
        o = cases[row["id"]]
        for h, v in row.items():
            if f"{h}_status" in o and o[f"{h}_status"] in ("not_reported", "not_applicable"):
                assert v == o[f"{h}_status"], (row["id"], h)


def test_downloads_page_shows_the_r_and_pandas_calls_and_the_licence(data):
    from rdkb import tabular

    page = (data.parent / "downloads.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in page and __version__ in page
    for call in (tabular.R_CALL, tabular.PANDAS_CALL):
        assert call.split("(")[0] in page


# ---------------------------------------------------------------- bibliography for the tools people use

def test_csl_json_validates_against_the_csl_schema_and_keeps_the_identifiers(data):
    from rdkb.paths import REPO
    from rdkb.pipeline.load import load

    items = json.loads((data / "references.csl.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(_vendored("csl-data.schema.json")).validate(items)
    refs = load(REPO).references
    assert [i["id"] for i in items] == sorted(refs) or {i["id"] for i in items} == set(refs)
    for i in items:
        ref = refs[i["id"]]
        assert i.get("DOI") == (ref.get("doi") or None) and i.get("PMID") == (ref.get("pmid") or None), i["id"]
        assert ("author" in i) == bool(ref.get("author")) and ("issued" in i) == bool(ref.get("year"))  # nothing invented


def test_ris_puts_pmid_in_an_and_doi_in_do(data):
    from rdkb.paths import REPO
    from rdkb.pipeline.load import load

    text = (data / "references.ris").read_text(encoding="utf-8")
    entries = [e for e in text.split("ER  - ") if e.strip()]
    refs = load(REPO).references
    for e in entries:
        key = next(line[6:] for line in e.strip().splitlines() if line.startswith("ID  - "))
        ref = refs[key]
        assert ("AN  - " + ref.get("pmid") in e) == bool(ref.get("pmid")), key
        assert ("DO  - " + ref.get("doi") in e) == bool(ref.get("doi")), key
        assert not re.search(r"(?m)^N1  - PMID", e), key  # Zotero would file it as a note


def test_bib_download_uses_standard_types_and_parses_whole(data):
    import bibtexparser

    from rdkb.interop.citations import STANDARD_BIBTEX_TYPES
    from rdkb.paths import REPO
    from rdkb.pipeline.load import load

    refs = load(REPO).references
    lib = bibtexparser.parse_string((data / "references.bib").read_text(encoding="utf-8"))
    assert not lib.failed_blocks
    assert sorted(e.key for e in lib.entries) == sorted(refs)
    assert {e.entry_type.lower() for e in lib.entries} <= set(STANDARD_BIBTEX_TYPES)  # bibtexparser v1 keeps them all
    for e in lib.entries:
        if refs[e.key].entry_type == "online":
            assert e.entry_type == "misc" and refs[e.key].get("url") in e.fields_dict["howpublished"].value


def test_a_field_marked_unknown_is_one_the_sources_do_not_give(data):
    """No field is invented to satisfy biblatex: every mandatory field is present, and one the curated entry lacks is
    marked unknown ([title not recorded], EDTF XXXX), with the entry's note saying it is unknown."""
    import bibtexparser

    from rdkb.interop.citations import BIBLATEX_MANDATORY, DATE_UNSPECIFIED, TITLE_NOT_RECORDED
    from rdkb.paths import REPO
    from rdkb.pipeline.load import load

    refs = load(REPO).references
    lib = bibtexparser.parse_string((data / "references.bib").read_text(encoding="utf-8"))
    for e in lib.entries:
        f = {k.lower(): v.value for k, v in ((x.key, x) for x in e.fields)}
        for group in BIBLATEX_MANDATORY.get(e.entry_type.lower(), []):
            assert set(group) & set(f), (e.key, group)
        marked = [k for k, v in (("title", TITLE_NOT_RECORDED), ("date", DATE_UNSPECIFIED)) if f.get(k) == v]
        for k in marked:
            assert not refs[e.key].get(k) and not (k == "date" and refs[e.key].get("year")), (e.key, k)
            note = f.get("note", "").lower()
            assert any(w in note for w in ("unknown", "left out", "not recorded", "no title", "not shown", "not stated")), (e.key, k)
        assert not set(f) & {"access", "provenance", "reviewref", "casepaper", "reviewcases", "pmid", "pmcid"}, e.key
        if refs[e.key].get("pmid"):
            assert (f["eprint"], f["eprinttype"]) == (refs[e.key].get("pmid"), "pubmed"), e.key


def test_biber_reads_the_bib_download_without_a_warning(data, tmp_path):
    """biber's data-model check (biber --tool --validate-datamodel) passes without a warning; skipped without biber
    (Debian: apt-get install biber)."""
    import shutil
    import subprocess

    biber = shutil.which("biber")
    if not biber:
        pytest.skip("biber is not installed (Debian: apt-get install biber)")
    shutil.copy(data / "references.bib", tmp_path / "references.bib")
    run = subprocess.run([biber, "--tool", "--validate-datamodel", "references.bib"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    written = (tmp_path / "references_bibertool.bib").read_text(encoding="utf-8")
    given = (data / "references.bib").read_text(encoding="utf-8")
    assert re.findall(r"(?m)^@\w+\{([^,]+),", written) and \
        sorted(k.lower() for k in re.findall(r"(?m)^@\w+\{([^,]+),", written)) == sorted(re.findall(r"(?m)^@\w+\{([^,]+),", given))
    problems = [line for line in log.splitlines() if line.startswith(("WARN", "ERROR"))]
    assert not problems, "\n".join(problems)


def test_downloads_page_names_every_status_that_occurs_in_cases_json(data):
    from rdkb.kinds import case

    (export,) = [e for e in case.KIND.exports if e.name == "cases.json"]
    occurring = {v for o in json.loads((data / "cases.json").read_text(encoding="utf-8")) for k, v in o.items() if k.endswith("_status")}
    assert occurring and all(s in export.fields for s in occurring), occurring
