"""Stage 2: JSON Schema + each kind's cross-record rules -> a list of Issues.

Schema rules (E101-E106) are declared here; file-level rules in rdkb.yamlio; the schemas with their vocabulary
enums come from rdkb.schema (below the stages, so the field table and the kinds can read them); cross-record rules
in the module of the kind they check (rdkb.kinds.*). `python -m rdkb rules` lists them all.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
from referencing import Registry, Resource

from rdkb import parallel
from rdkb.model import Dataset, Issue, Record, fmt_path
from rdkb.paths import SCHEMA_DIR
from rdkb.rules import declare
from rdkb.schema import generated_schema, vocabulary, with_vocabulary  # noqa: F401  (generated_schema: importable here as before)

E101 = declare("E101", "unknown field", "fields are listed in the schema", "cases/E101-unknown-field.yaml")
E102 = declare("E102", "wrong type", "quote text values; write numbers without quotes; booleans are true/false",
               "cases/E102-wrong-type.yaml")
E103 = declare("E103", "value not in the controlled vocabulary", "see scripts/rdkb/schemas/vocabulary.json",
               "cases/E103-unknown-agent.yaml")
E104 = declare("E104", "missing field (every field is present; use `status: not_reported`)",
               "every field is present in every record; use `status: not_reported` when the sources are silent",
               "cases/E104-missing-field.yaml")
E105 = declare("E105", "other schema constraint (range, length, pattern)", "see the schema", "cases/E105-schema-constraint.yaml")
E106 = declare("E106", "reported fact without a source (or without a value)",
               "every reported fact names its source: add `source: {ref: <bibkey>, locator: ...}`",
               "cases/E106-fact-without-source.yaml")


def schema_files() -> dict[str, str]:
    """kind name -> schema file, from the kind registry."""
    from rdkb.registry import KINDS

    return {k.name: k.schema for k in KINDS if k.schema}


@cache
def _schemas() -> tuple[Registry, dict[str, dict[str, Any]]]:
    registry: Registry = Registry()
    schemas: dict[str, dict[str, Any]] = {}
    for kind, name in schema_files().items():
        path = SCHEMA_DIR / name
        if not path.exists():
            continue
        schema = with_vocabulary(json.loads(path.read_text(encoding="utf-8")), vocabulary())
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


def _resolve_ref(ref: str, base: str, docs: dict[str, dict[str, Any]]) -> tuple[Any, str] | None:
    """A $ref inside the schemas -> (the schema it names, the $id of its document); None if it is not one of ours."""
    from urllib.parse import unquote, urljoin

    url, _, pointer = urljoin(base, ref).partition("#")
    target: Any = docs.get(url)
    for part in [p for p in pointer.split("/") if p]:
        if not isinstance(target, dict):
            return None
        target = target.get(unquote(part).replace("~1", "/").replace("~0", "~"))
    return (target, url) if target is not None else None


def _must_hold(schema: Any, base: str, docs: dict[str, dict[str, Any]], depth: int = 0
               ) -> tuple[bool, set[str], dict[str, frozenset[str]]]:
    """What every instance valid against `schema` has, from its own keywords, its allOf and its $ref: whether it is an
    object, the keys it must have, and for a key the only strings its value can be (a string const or enum). It may
    know less than the schema says (then no rewrite), never more."""
    is_object, required, values = False, set[str](), dict[str, frozenset[str]]()
    if not isinstance(schema, dict) or depth > 8:
        return is_object, required, values
    if isinstance(schema.get("$ref"), str):  # draft 7 (the gate's) ignores a $ref's siblings: count the target only
        target = _resolve_ref(schema["$ref"], base, docs)
        return _must_hold(target[0], target[1], docs, depth + 1) if target is not None else (is_object, required, values)
    is_object = schema.get("type") == "object"
    required = {k for k in schema.get("required", []) if isinstance(k, str)}
    for key, prop in schema.get("properties", {}).items():
        if isinstance(prop, dict) and isinstance(prop.get("const"), str):
            values[key] = frozenset([prop["const"]])
        elif isinstance(prop, dict) and isinstance(prop.get("enum"), list) and all(isinstance(v, str) for v in prop["enum"]):
            values[key] = frozenset(prop["enum"])
    for sub in schema.get("allOf", []):
        obj, req, vals = _must_hold(sub, base, docs, depth + 1)
        is_object, required = is_object or obj, required | req
        for key, allowed in vals.items():
            values[key] = values[key] & allowed if key in values else allowed
    return is_object, required, values


def _exclusive_one_of_to_any_of(schema: Any, base: str, docs: dict[str, dict[str, Any]]) -> None:
    """For the compiled gate only: a oneOf whose branches no instance can match twice becomes the equivalent anyOf.

    fastjsonschema runs every branch of a oneOf (to count the matches), each failing one raising and catching an
    exception: every fact tried not_reported, absent and reported. anyOf stops at the first match, so a not_reported
    fact (most facts of the real records) now costs one branch. The rewrite is made only when it accepts exactly what
    oneOf accepts: every branch is an object that must have the same key (`status`, `effect`) with strings no other
    branch allows. The schema files, editors and jsonschema (which words the messages) still see the oneOf."""
    if isinstance(schema, list):
        for sub in schema:
            _exclusive_one_of_to_any_of(sub, base, docs)
        return
    if not isinstance(schema, dict):
        return
    for key, sub in schema.items():
        if key not in ("enum", "const", "default", "examples"):  # values, not schemas
            _exclusive_one_of_to_any_of(sub, base, docs)
    branches = schema.get("oneOf")
    if not isinstance(branches, list) or len(branches) < 2 or "anyOf" in schema:
        return
    held = [_must_hold(b, base, docs) for b in branches]
    if not all(obj for obj, _, _ in held):
        return
    keys = set.intersection(*[{k for k in req if k in vals} for _, req, vals in held])
    for key in sorted(keys):
        sets = [vals[key] for _, _, vals in held]
        if all(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1:]):
            schema.pop("oneOf")
            schema.update(_branch_on(key, list(zip(sets, branches, strict=True))))
            return


def _branch_on(key: str, branches: list[tuple[frozenset[str], Any]]) -> dict[str, Any]:
    """Exclusive branches as an if/then/else chain on the key that tells them apart: only the branch whose value the
    instance has is run (one failed `if` per branch before it, instead of a failed branch). Equivalent to oneOf here:
    every branch requires the key with its own strings, so an instance whose value is in none, or that is not an
    object, or lacks the key, fails the last branch as it failed them all."""
    (values, branch), rest = branches[0], branches[1:]
    if not rest:
        return dict(branch) if isinstance(branch, dict) else {"allOf": [branch]}
    return {"if": {"properties": {key: {"enum": sorted(values)}}}, "then": branch, "else": _branch_on(key, rest)}


@cache
def _fast_gate(kind: str) -> Any:
    """A compiled validator (fastjsonschema, ~25x faster) used only to answer "valid?".

    Invalid records are always re-checked by jsonschema (draft 2020-12), which produces the messages;
    tests check that both agree on every fixture. Falls back to None if the schema cannot be compiled."""
    import copy

    registry, schemas = _schemas()
    if kind not in schemas:
        return None
    by_url = {}
    for sch in schemas.values():
        c = copy.deepcopy(sch)
        c["$schema"] = "http://json-schema.org/draft-07/schema#"
        by_url[sch["$id"]] = c
    for url, c in by_url.items():
        _exclusive_one_of_to_any_of(c, url, by_url)

    def handler(uri: str) -> dict[str, Any]:
        return by_url[uri.split("#")[0]]

    try:
        return fastjsonschema.compile(by_url[schemas[kind]["$id"]], handlers={"https": handler})
    except fastjsonschema.JsonSchemaDefinitionException:
        return None


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


def schema_issues(record: Record) -> list[Issue]:
    validator = _validator(record.kind)
    if validator is None:
        return []
    gate = _fast_gate(record.kind)
    if gate is not None:
        try:
            gate(record.data)
            return []
        except fastjsonschema.JsonSchemaValueException:  # invalid: ask jsonschema for the messages
            pass
    issues: list[Issue] = []
    for top in validator.iter_errors(record.data):
        for path, err in _leaf_errors(top):
            where = fmt_path(path)
            line = record.line(tuple(path))
            v = err.validator
            if v == "additionalProperties":
                extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
                for key in extra:
                    known = sorted(err.schema.get("properties", {}))
                    close = difflib.get_close_matches(key, known, n=1)
                    issues.append(E101.at(record.rel, record.line(tuple(path) + (key,)),
                                        f"{fmt_path(path + [key])}: unknown field {key!r}",
                                        (f"did you mean {close[0]!r}? " if close else "") + "fields are listed in the schema: "
                                        f"scripts/rdkb/schemas/{schema_files()[record.kind]}"))
            elif v == "type":
                issues.append(E102.at(record.rel, line,
                                     f"{where}: expected {err.validator_value}, got {type(err.instance).__name__} {err.instance!r}"))
            elif v in ("enum", "const"):
                allowed = err.validator_value if v == "enum" else [err.validator_value]
                issues.append(E103.at(record.rel, line, f"{where}: {err.instance!r} is not in the vocabulary",
                                    _enum_hint(err.instance, allowed)))
            elif v == "required":
                missing = [m for m in err.validator_value if not isinstance(err.instance, dict) or m not in err.instance]
                for m in missing:
                    rule = E106 if m in ("source", "value") else E104
                    hint = ("a reported fact needs a value; use `status: not_reported` if the sources are silent"
                            if m == "value" else None)
                    issues.append(rule.at(record.rel, line, f"{where}: missing {m!r}", hint))
            else:
                issues.append(E105.at(record.rel, line, f"{where}: {err.message}",
                                     f"see scripts/rdkb/schemas/{schema_files()[record.kind]}"))
    return sorted(set(issues), key=lambda i: (i.line, i.rule, i.message))


def _schema_digest() -> str:
    import hashlib

    h = hashlib.sha1()
    for name in sorted(schema_files().values()) + ["vocabulary.json"]:
        p = SCHEMA_DIR / name
        if p.exists():
            h.update(p.read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def _record_checks(rec: Record) -> tuple[list[list[Any]], list[str]]:
    """The per-record work (schema issues, cited bib keys), as plain data: it may run in a forked worker."""
    from rdkb.kinds.reference import cited_key_set

    found = [[i.line, i.rule, i.message, i.hint, i.severity] for i in schema_issues(rec)]
    return found, sorted(cited_key_set(rec.data))


@parallel.gc_paused(collect=False)  # load, just before, has collected: the records alive now are not garbage
def validate(ds: Dataset) -> list[Issue]:
    """Stage 2: the loader's issues, schema issues of every record, then every kind's cross-record rules.

    Schema results are cached per (schema version, kind, file content); cross-record checks always run. The garbage
    collector pauses meanwhile (see parallel.gc_paused)."""
    from rdkb import fields
    from rdkb.registry import KINDS

    problems = fields.check_against_schema()
    if problems:  # a code problem, not a data problem: the CLI reports it as an internal error (exit 2)
        raise RuntimeError("; ".join(problems))
    issues = list(ds.issues)
    version = _schema_digest() if ds.cache else ""
    todo = []
    for rec in ds.all_records():
        hit = ds.cache.get(f"schema:{version}:{rec.kind}:{rec.digest}") if ds.cache and rec.digest else None
        if hit is not None:
            issues += [Issue(rec.rel, *i) for i in hit]
        else:
            todo.append(rec)
    for kind_name in {rec.kind for rec in todo}:  # compiled once here, not once per worker
        _validator(kind_name), _fast_gate(kind_name)
    for rec, (found, cites) in zip(todo, parallel.fork_map(_record_checks, todo), strict=True):  # every core, for many records
        issues += [Issue(rec.rel, *i) for i in found]
        if ds.cache and rec.digest:
            ds.cache[f"schema:{version}:{rec.kind}:{rec.digest}"] = found
            ds.cache["cites:" + rec.digest] = cites
            ds.cache["dirty"] = True
    for kind in KINDS:
        if kind.check is not None:
            issues += kind.check(ds)
    return sorted(set(issues), key=lambda i: (i.path, i.line, i.rule, i.message))
