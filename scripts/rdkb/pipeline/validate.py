"""Stage 2: JSON Schema + each kind's cross-record rules -> a list of Issues.

Schema rules (E101-E106) are declared here; file-level rules in rdkb.yamlio; the schemas with their vocabulary
enums come from rdkb.schema (below the stages, so the field table and the kinds can read them); cross-record rules
in the module of the kind they check (rdkb.kinds.*). `python -m rdkb rules` lists them all.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdkb import parallel
from rdkb.model import Dataset, Issue, Record, fmt_path
from rdkb.paths import SCHEMA_DIR
from rdkb.rules import declare
from rdkb.schema import generated_schema, vocabulary, with_vocabulary  # noqa: F401  (generated_schema: importable here as before)

if TYPE_CHECKING:  # jsonschema words the messages of invalid records only: imported when one is found (some 60 ms)
    import jsonschema
    from referencing import Registry

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
def _schema_docs() -> dict[str, dict[str, Any]]:
    """kind -> its schema, with the vocabulary's enums."""
    schemas: dict[str, dict[str, Any]] = {}
    for kind, name in schema_files().items():
        path = SCHEMA_DIR / name
        if path.exists():
            schemas[kind] = with_vocabulary(json.loads(path.read_text(encoding="utf-8")), vocabulary())
    return schemas


@cache
def _schemas() -> tuple[Registry, dict[str, dict[str, Any]]]:
    """The schemas and a registry of them (by $id and by file name), for jsonschema."""
    from referencing import Registry, Resource

    registry: Registry = Registry()
    schemas = _schema_docs()
    files = schema_files()
    for kind, schema in schemas.items():
        resource = Resource.from_contents(schema)
        registry = registry.with_resources([(schema["$id"], resource), (files[kind], resource)])
    return registry, schemas


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator | None:
    import jsonschema

    registry, schemas = _schemas()
    if kind not in schemas:
        return None
    return jsonschema.Draft202012Validator(schemas[kind], registry=registry)


@cache
def _fast_gate(kind: str) -> Callable[[Any], bool] | None:
    """A compiled validator used only to answer "valid?": jsonschema-rs (draft 2020-12, in Rust), some 10x faster
    than jsonschema on our records.

    It sees the same schemas (vocabulary filled, cross-file $refs through its own registry). A record it cannot take
    (a value JSON has no type for, such as a date) is not valid to it. Invalid records are always re-checked by
    jsonschema, which produces the messages, so the gate can only ever make a check faster: tests check that both
    agree on every record, fixture and broken variant. None if the schema cannot be compiled."""
    import jsonschema_rs

    schemas = _schema_docs()
    if kind not in schemas:
        return None
    try:
        registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas.values()])
        compiled = jsonschema_rs.Draft202012Validator(schemas[kind], registry=registry, validate_formats=False)
    except (ValueError, jsonschema_rs.ValidationError):
        return None

    def is_valid(data: Any) -> bool:
        try:
            return bool(compiled.is_valid(data))
        except (ValueError, TypeError, OverflowError, RecursionError):  # not JSON data: jsonschema decides
            return False

    return is_valid


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
        import jsonschema

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
    if record.kind not in _schema_docs():  # a kind without a schema (excerpts): nothing to say, jsonschema not imported
        return []
    validator = _validator(record.kind)
    if validator is None:
        return []
    gate = _fast_gate(record.kind)
    if gate is not None and gate(record.data):
        return []
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
    """The per-record work (schema issues, cited bib keys), as plain data: it may run in a forked worker. A record the
    gate passes is precheck's; only an invalid one needs the whole record, for its messages' lines."""
    from rdkb.kinds.reference import cited_key_set

    passed = precheck(rec.kind, rec.data)
    if passed is not None:
        return passed
    found = [[i.line, i.rule, i.message, i.hint, i.severity] for i in schema_issues(rec)]
    return found, sorted(cited_key_set(rec.data))


def precheck(kind: str, data: Any, cites: set[str] | None = None) -> tuple[list[list[Any]], list[str]] | None:
    """_record_checks from the data alone, for load's workers (load(..., also=precheck)): the cited keys and no schema
    issue when the gate passes the record; None otherwise (its messages need the whole record: validate words them).
    `cites`: the keys the line reader collected while reading the record, when it did (else they are looked for)."""
    from rdkb.kinds.reference import cited_key_set

    if kind in _schema_docs():
        gate = _fast_gate(kind)
        if gate is None or not gate(data):
            return None
    return [], sorted(cited_key_set(data) if cites is None else cites)


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
    done = {}  # prechecked by load's workers: only what they could not say is checked here
    if ds.prechecked:
        done = {id(rec): ds.prechecked[key] for rec in todo if (key := f"{rec.kind}:{rec.digest}") in ds.prechecked}
        todo = [rec for rec in todo if id(rec) not in done]
    for kind_name in {rec.kind for rec in todo}:  # compiled once here, not once per worker
        _fast_gate(kind_name)  # (jsonschema's validator is made when a record is invalid: rarely)
    apart = tuple(k.name for k in KINDS if k.check is not None and k.check_apart)
    many = sum(len(recs) for recs in ds.records.values()) >= parallel.PARALLEL_FROM
    beside = parallel.Beside(_checks_apart, ds, apart) if apart and many else None  # on the other core, meanwhile
    checked = parallel.fork_map(_record_checks, todo)
    pairs = list(zip(todo, checked, strict=True))
    if done:
        pairs += [(rec, done[id(rec)]) for rec in ds.all_records() if id(rec) in done]
    for rec, (found, cites) in pairs:
        issues += [Issue(rec.rel, *i) for i in found]
        if ds.cache and rec.digest:
            ds.cache[f"schema:{version}:{rec.kind}:{rec.digest}"] = found
            ds.cache["cites:" + rec.digest] = cites
            ds.cache["dirty"] = True
    for kind in KINDS:
        if kind.check is not None and not (beside and kind.name in apart):
            issues += kind.check(ds)
    if beside is not None:
        found_apart, entries = beside.result()
        issues += [Issue(*i) for i in found_apart]
        if ds.cache and entries:
            ds.cache.update(entries)
            ds.cache["dirty"] = True
    return sorted(set(issues), key=lambda i: (i.path, i.line, i.rule, i.message))


def _checks_apart(ds: Dataset, names: tuple[str, ...]) -> tuple[list[list[Any]], dict[str, Any]]:
    """The cross-record checks of the kinds marked `check_apart` (in a forked worker, beside the others): their issues
    and the cache entries they added, as plain data."""
    from rdkb.registry import KINDS

    before = set(ds.cache) if ds.cache else set()
    found: list[Issue] = []
    for kind in KINDS:
        if kind.name in names and kind.check is not None:
            found += kind.check(ds)
    entries = {k: v for k, v in ds.cache.items() if k not in before and k != "dirty"} if ds.cache else {}
    return [[i.path, i.line, i.rule, i.message, i.hint, i.severity] for i in found], entries
