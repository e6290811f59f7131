"""Stage 2: JSON Schema + cross-record checks -> a list of Issues.

Rule ids (each has a failing fixture in tests/fixtures/invalid/):
  E001-E009  file-level problems found by the loader (encoding, tabs, YAML, duplicates, anchors, tags, size, id)
  E101 unknown field          E102 wrong type            E103 value not in the vocabulary
  E104 missing field          E105 other schema rule     E106 fact without a source (status/value mismatch)
  E201 duplicate row id       E202 unknown bib key       E203 unknown case id
  E204 row linked to a case without an attribution source
  E301 unparsable BibTeX      E302 duplicate BibTeX key  E303 duplicate work (same DOI or title+year)
  E304 missing required BibTeX field                     E305 malformed DOI   E306 malformed PMID
  E307 journal article without DOI, PMID, URL or note    W301 reference cited nowhere
  E401 unknown HPO id (not in the vendored HPO subset)    E402 HPO label is not the id's label or an exact synonym
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from rdkb.model import SEVERITY_WARNING, Dataset, Issue, Record
from rdkb.paths import SCHEMA_DIR

SCHEMA_FILES = {
    "case": "case.schema.json",
    "table": "review-table.schema.json",
    "cause": "cause.schema.json",
    "survey": "survey.schema.json",
    "errata": "errata.schema.json",
    "claims": "claims.schema.json",
}

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_RE = re.compile(r"^[1-9]\d{0,8}$")
CITE_RE = re.compile(r"\]\((?:\.\./)*references\.md#([a-z][a-z0-9_-]*)\)")

REQUIRED_BIB_FIELDS = {
    "article": ("author", "title", "journal", "year"),
    "inproceedings": ("author", "title", "booktitle", "year"),
    "online": ("author", "title", "year", "url"),
    "book": ("author", "title", "publisher", "year"),
    "misc": ("title", "year"),
}


@cache
def _schemas() -> tuple[Registry, dict[str, dict[str, Any]]]:
    registry: Registry = Registry()
    schemas: dict[str, dict[str, Any]] = {}
    for kind, name in SCHEMA_FILES.items():
        path = SCHEMA_DIR / name
        if not path.exists():
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        schemas[kind] = schema
        resource = Resource.from_contents(schema)
        registry = registry.with_resources([(schema["$id"], resource), (name, resource)])
    return registry, schemas


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator | None:
    registry, schemas = _schemas()
    if kind not in schemas:
        return None
    return jsonschema.Draft202012Validator(schemas[kind], registry=registry)


@cache
def _fast_gate(kind: str) -> Any:
    """A compiled validator (fastjsonschema, ~25x faster) used only to answer "valid?".

    Invalid records are always re-checked by jsonschema (draft 2020-12), which produces the messages;
    tests check that both agree on every fixture. Falls back to None if the schema cannot be compiled."""
    try:
        import copy

        import fastjsonschema
    except ImportError:
        return None
    registry, schemas = _schemas()
    if kind not in schemas:
        return None
    by_url = {}
    for sch in schemas.values():
        c = copy.deepcopy(sch)
        c["$schema"] = "http://json-schema.org/draft-07/schema#"
        by_url[sch["$id"]] = c

    def handler(uri: str) -> dict[str, Any]:
        return by_url[uri.split("#")[0]]

    try:
        return fastjsonschema.compile(by_url[schemas[kind]["$id"]], handlers={"https": handler})
    except Exception:
        return None


def vocabulary() -> dict[str, dict[str, str]]:
    return json.loads((SCHEMA_DIR / "vocabulary.json").read_text(encoding="utf-8"))


def _leaf_errors(error: jsonschema.ValidationError, base: tuple[Any, ...] | None = None
                 ) -> Iterator[tuple[list[Any], jsonschema.ValidationError]]:
    """Flatten oneOf/anyOf: keep the errors of the branch the author evidently meant.

    Yields (absolute path in the document, error)."""
    path = list(error.absolute_path) if base is None else list(base) + list(error.relative_path)
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield path, error
        return
    instance = error.instance
    status = instance.get("status") if isinstance(instance, dict) else None
    if isinstance(instance, dict) and status is None:
        yield path, jsonschema.ValidationError("missing 'status'", validator="required", instance=instance,
                                               validator_value=["status"])
        return
    branches: dict[Any, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def meant(errs: list[jsonschema.ValidationError]) -> bool:
        # the branch whose `status` const the record satisfies
        return not any(e.validator == "const" and list(e.relative_path) == ["status"] for e in errs)

    candidates = [errs for errs in branches.values() if meant(errs)]
    chosen = min(candidates or list(branches.values()), key=len)
    for sub in chosen:
        yield from _leaf_errors(sub, tuple(path))


def _enum_hint(value: Any, allowed: Iterable[Any]) -> str:
    allowed = [a for a in allowed]
    if isinstance(value, bool) and ("yes" in allowed or "no" in allowed):
        return "write \"yes\" in quotes: unquoted yes/no/on/off are read as true/false"
    synonyms = vocabulary().get("agent_synonyms", {})
    if isinstance(value, str) and value.lower() in synonyms and synonyms[value.lower()] in allowed:
        return f"use {synonyms[value.lower()]!r} (the controlled vocabulary; see scripts/rdkb/schemas/vocabulary.json)"
    close = difflib.get_close_matches(str(value), [str(a) for a in allowed], n=1)
    listed = ", ".join(repr(a) for a in allowed)
    return (f"did you mean {close[0]!r}? " if close else "") + f"allowed: {listed}"


def _fmt_path(path: Iterable[Any]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def schema_issues(record: Record) -> list[Issue]:
    validator = _validator(record.kind)
    if validator is None:
        return []
    gate = _fast_gate(record.kind)
    if gate is not None:
        try:
            gate(record.data)
            return []
        except Exception:  # invalid, or a construct the fast validator does not handle: ask jsonschema
            pass
    issues: list[Issue] = []
    for top in validator.iter_errors(record.data):
        for path, err in _leaf_errors(top):
            where = _fmt_path(path)
            line = record.line(tuple(path))
            v = err.validator
            if v == "additionalProperties":
                extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
                for key in extra:
                    known = sorted(err.schema.get("properties", {}))
                    close = difflib.get_close_matches(key, known, n=1)
                    issues.append(Issue(record.rel, record.line(tuple(path) + (key,)), "E101",
                                        f"{_fmt_path(path + [key])}: unknown field {key!r}",
                                        (f"did you mean {close[0]!r}? " if close else "") + "fields are listed in the schema: "
                                        f"scripts/rdkb/schemas/{SCHEMA_FILES[record.kind]}"))
            elif v == "type":
                issues.append(Issue(record.rel, line, "E102",
                                    f"{where}: expected {err.validator_value}, got {type(err.instance).__name__} {err.instance!r}",
                                    "quote text values; write numbers without quotes; booleans are true/false"))
            elif v in ("enum", "const"):
                allowed = err.validator_value if v == "enum" else [err.validator_value]
                issues.append(Issue(record.rel, line, "E103", f"{where}: {err.instance!r} is not in the vocabulary",
                                    _enum_hint(err.instance, allowed)))
            elif v == "required":
                missing = [m for m in err.validator_value if not isinstance(err.instance, dict) or m not in err.instance]
                for m in missing:
                    rule = "E106" if m in ("source", "value") else "E104"
                    hint = ("every reported fact names its source: add `source: {ref: <bibkey>, locator: ...}`"
                            if m == "source" else "a reported fact needs a value; use `status: not_reported` if the sources are silent"
                            if m == "value" else "every field is present in every record; use `status: not_reported` when the sources are silent")
                    issues.append(Issue(record.rel, line, rule, f"{where}: missing {m!r}", hint))
            else:
                issues.append(Issue(record.rel, line, "E105", f"{where}: {err.message}",
                                    f"see scripts/rdkb/schemas/{SCHEMA_FILES[record.kind]}"))
    return sorted(set(issues), key=lambda i: (i.line, i.rule, i.message))


def _walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, path + (i,))


def cited_key_set(data: Any) -> set[str]:
    """Every bib key a record cites, without paths (fast path; paths are computed only for unknown keys)."""
    out: set[str] = set()
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            for k, v in x.items():
                if isinstance(v, str):
                    if k in ("ref", "paper"):
                        out.add(v)
                elif k == "citations" and isinstance(v, list):
                    out.update(c for c in v if isinstance(c, str))
                else:
                    stack.append(v)
        elif isinstance(x, list):
            stack.extend(x)
    return out


def cited_keys(record: Record) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every bib key a record cites: `ref` of sources, `paper`, `citations` lists."""
    for path, value in _walk(record.data):
        if not path or not isinstance(value, str):
            continue
        last = path[-1]
        parent = path[-2] if len(path) > 1 else None
        if last in ("ref", "paper") or parent == "citations":
            yield path, value


def content_citations(text: str) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(text.splitlines(), 1):
        for m in CITE_RE.finditer(line):
            yield n, m.group(1)


def cross_issues(ds: Dataset) -> list[Issue]:
    issues: list[Issue] = []
    keys = set(ds.references)
    case_ids = {c.id for c in ds.cases}
    records = list(ds.cases) + list(ds.tables.values()) + list(ds.causes) + [r for r in (ds.survey, ds.errata, ds.claims) if r]
    cited: set[str] = set()
    for rec in records:
        found = cited_key_set(rec.data)
        cited |= found
        if found <= keys:
            continue
        for path, key in cited_keys(rec):
            if key not in keys:
                close = difflib.get_close_matches(key, sorted(keys), n=1)
                issues.append(Issue(rec.rel, rec.line(path), "E202", f"{_fmt_path(path)}: unknown bib key {key!r}",
                                    (f"did you mean {close[0]!r}? " if close else "") + f"add the work to {ds.bib_path} first"))
    for name, text in ds.content_pages.items():
        for line, key in content_citations(text):
            cited.add(key)
            if key not in keys:
                issues.append(Issue(f"content/{name}", line, "E202", f"link to unknown reference {key!r}",
                                    f"add the work to {ds.bib_path} or fix the key"))
    for table in ds.tables.values():
        seen: dict[str, int] = {}
        for i, row in enumerate(table.data.get("rows", []) if isinstance(table.data.get("rows"), list) else []):
            if not isinstance(row, dict):
                continue
            rid, line = row.get("id"), table.line(("rows", i))
            if isinstance(rid, str):
                if rid in seen:
                    issues.append(Issue(table.rel, line, "E201", f"rows[{i}].id: duplicate row id {rid!r} (also line {seen[rid]})",
                                        "give every row its own id"))
                seen.setdefault(rid, line)
            case = row.get("case")
            if isinstance(case, str):
                if case not in case_ids:
                    close = difflib.get_close_matches(case, sorted(case_ids), n=1)
                    issues.append(Issue(table.rel, table.line(("rows", i, "case")), "E203", f"rows[{i}].case: unknown case {case!r}",
                                        (f"did you mean {close[0]!r}? " if close else "") + "case ids are file names in cases/"))
                if "attribution" not in row:
                    issues.append(Issue(table.rel, table.line(("rows", i, "case")), "E204",
                                        f"rows[{i}].case: row linked to {case!r} without an attribution",
                                        "link a row to a case only when a source says so; add `attribution: {source: ..., quote: ...}` or set `case: null`"))
    issues += bib_issues(ds, cited)
    return issues


def _norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def bib_issues(ds: Dataset, cited: set[str]) -> list[Issue]:
    issues: list[Issue] = []
    rel = ds.bib_path
    by_doi: dict[str, str] = {}
    by_title: dict[tuple[str, str], str] = {}
    for ref in sorted(ds.references.values(), key=lambda r: r.line):
        for fld in REQUIRED_BIB_FIELDS.get(ref.entry_type, ("title", "year")):
            if not ref.get(fld):
                issues.append(Issue(rel, ref.line, "E304", f"@{ref.entry_type}{{{ref.key}}}: missing field {fld!r}",
                                    f"an @{ref.entry_type} needs: {', '.join(REQUIRED_BIB_FIELDS.get(ref.entry_type, ('title', 'year')))}"))
        doi = ref.get("doi")
        if doi:
            if not DOI_RE.match(doi):
                issues.append(Issue(rel, ref.line, "E305", f"@{ref.entry_type}{{{ref.key}}}: malformed DOI {doi!r}",
                                    "a DOI looks like 10.1234/abc (no https://doi.org/ prefix)"))
            elif doi.lower() in by_doi:
                issues.append(Issue(rel, ref.line, "E303", f"{ref.key}: same DOI as {by_doi[doi.lower()]!r}",
                                    "one entry per work: cite the existing key"))
            by_doi.setdefault(doi.lower(), ref.key)
        pmid = ref.get("pmid")
        if pmid and not PMID_RE.match(pmid):
            issues.append(Issue(rel, ref.line, "E306", f"@{ref.entry_type}{{{ref.key}}}: malformed PMID {pmid!r}", "a PMID is digits only"))
        tkey = (_norm_title(ref.get("title")), ref.get("year"))
        if tkey[0]:
            if tkey in by_title:
                issues.append(Issue(rel, ref.line, "E303", f"{ref.key}: same title and year as {by_title[tkey]!r}",
                                    "one entry per work: cite the existing key"))
            by_title.setdefault(tkey, ref.key)
        if ref.entry_type == "article" and not (doi or pmid or ref.get("url") or ref.get("note")):
            issues.append(Issue(rel, ref.line, "E307", f"@article{{{ref.key}}}: no DOI, PMID or URL",
                                "add one, or a `note` saying why none is available"))
        if ref.key not in cited:
            issues.append(Issue(rel, ref.line, "W301", f"{ref.key}: cited by no record or page", "cite it or remove it",
                                SEVERITY_WARNING))
    return issues


def _schema_digest() -> str:
    import hashlib

    h = hashlib.sha1()
    for name in sorted(SCHEMA_FILES.values()):
        p = SCHEMA_DIR / name
        if p.exists():
            h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def validate(ds: Dataset) -> list[Issue]:
    """All issues: the loader's, schema issues of every record, cross-record and bibliography checks.

    Schema results are cached per (schema version, kind, file content); cross-record checks always run."""
    issues = list(ds.issues)
    version = _schema_digest() if ds.cache else ""
    for rec in list(ds.cases) + list(ds.tables.values()) + list(ds.causes) + [r for r in (ds.survey, ds.errata, ds.claims) if r]:
        key = f"schema:{version}:{rec.kind}:{rec.digest}"
        hit = ds.cache.get(key) if ds.cache and rec.digest else None
        if hit is not None:
            issues += [Issue(rec.rel, *i) for i in hit]
            continue
        found = schema_issues(rec)
        if ds.cache and rec.digest:
            ds.cache[key] = [(i.line, i.rule, i.message, i.hint, i.severity) for i in found]
            ds.cache["dirty"] = True
        issues += found
    issues += cross_issues(ds)
    from rdkb.interop import hpo_issues  # HPO ids and labels, offline against the vendored subset

    issues += hpo_issues(ds)
    return sorted(set(issues), key=lambda i: (i.path, i.line, i.rule, i.message))
