"""Open data release (issue 23): licences, citation metadata, version, changelog, the reproducible archive,
and the downloads checked with the tools people load them with (jsonschema, frictionless, pandas)."""

from __future__ import annotations

import hashlib
import io
import json
import os
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
