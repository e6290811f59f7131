"""The excerpt store (references_cache/) and the quote rules: every `quote` is the exact text of the work it cites.

- One Markdown file per published abstract or excerpt, in the reference cache format of linkml-reference-validator
  (front matter: reference_id, content_type, bibkey, source_url, retrieved, access_level; text after "## Content").
  Quotes cited to such a work are checked with linkml-reference-validator itself, offline, against that file.
- The review (Davis 2015) is not redistributed: `<key>.ngrams` holds salted hashes of its word 1- to 4-grams, and a
  quote is verbatim when every run of its words is in the review (checked by `ngram_match`).
- A quoted work with no verbatim text in the store is an error: add its abstract, or mark the fact `transcribed: true`
  and drop the quote.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdkb.kinds.base import Kind
from rdkb.model import Dataset, Issue, Record, fmt_path
from rdkb.paths import Layout
from rdkb.rules import declare
from rdkb.yamlio import E014, parse_yaml_bytes, rel_path

E601 = declare("E601", "a quote that is not the exact text of the work it cites (the `via` work when there is one)",
               "copy the words exactly from the source; `...` may join two passages; if no verbatim text is available, "
               "drop the quote and write `transcribed: true`", "cases/E601-quote-not-found.yaml")
E602 = declare("E602", "a quote whose work has no verbatim text in the excerpt store (references_cache/)",
               "add the published abstract to references_cache/ (see CONTRIBUTING.md, Excerpt store), or drop the quote and "
               "write `transcribed: true`", "cases/E602-no-verbatim-text.yaml")
E603 = declare("E603", "an excerpt-store file that is malformed or names an unknown bib key",
               "front matter needs reference_id, content_type and bibkey (a key of bib/references.bib); text after '## Content'",
               "references_cache/E603-bad-excerpt.md")

FOLDER = "references_cache"
NGRAM_MAX = 4
MAX_EXCERPT_BYTES = 64 * 1024
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased words, punctuation dropped (the normalisation linkml-reference-validator applies)."""
    return _WORD.findall(text.lower())


def ngram_hash(salt: str, gram: list[str]) -> str:
    return hashlib.sha256((salt + " ".join(gram)).encode("utf-8")).hexdigest()[:8]


def fingerprint(text: str, salt: str) -> list[str]:
    """Sorted salted hashes of every 1- to NGRAM_MAX-word run of a text (the text cannot be read back from them)."""
    w = words(text)
    return sorted({ngram_hash(salt, w[i:i + n]) for n in range(1, NGRAM_MAX + 1) for i in range(len(w) - n + 1)})


@dataclass(frozen=True)
class Excerpt:
    bibkey: str
    reference_id: str
    rel: str
    text: str  # the content after "## Content"
    access_level: str
    source_url: str
    folder: Path  # the cache folder holding it (linkml-reference-validator reads the file from there)


@dataclass(frozen=True)
class Fingerprint:
    keys: tuple[str, ...]
    salt: str
    hashes: frozenset[str]
    rel: str


def _front(raw: bytes, rel: str) -> tuple[dict[str, Any] | None, str]:
    text = raw.decode("utf-8", "replace")
    m = re.match(r"\A---\n(.*?)\n---\n(.*)\Z", text, re.S)
    if not m:
        return None, ""
    data, _, issues = parse_yaml_bytes(m.group(1).encode("utf-8"), rel)
    if issues and any(i.is_error for i in issues):
        return None, ""
    body = m.group(2)
    content = body.split("## Content", 1)[1] if "## Content" in body else ""
    return data, content.strip()


def load_excerpts(layout: Layout, ds: Dataset, cache: dict[str, Any] | None) -> None:
    """Excerpts become records of this kind (data: bibkey, reference_id, text, ...); fingerprints too."""
    folder = layout.root / FOLDER
    if not folder.is_dir():
        return
    recs = ds.records.setdefault(KIND.name, [])
    for p in sorted(folder.iterdir()):
        rel = rel_path(p, layout.root)
        if p.is_symlink():
            ds.issues.append(E014.at(rel, 1, f"{p.name!r} is a symbolic link and is not read"))
            continue
        if p.suffix not in (".md", ".ngrams") or not p.is_file():
            continue
        raw = p.read_bytes()
        if len(raw) > (2 * 1024 * 1024 if p.suffix == ".ngrams" else MAX_EXCERPT_BYTES):
            ds.issues.append(E603.at(rel, 1, f"file is {len(raw)} bytes, over the size limit"))
            continue
        if p.suffix == ".ngrams":
            lines = raw.decode("utf-8", "replace").splitlines()
            head = dict(ln[2:].split(": ", 1) for ln in lines if ln.startswith("# ") and ": " in ln)
            hashes = [ln for ln in lines if _HEX8.fullmatch(ln)]
            if not head.get("keys") or not head.get("salt") or not hashes:
                ds.issues.append(E603.at(rel, 1, "a fingerprint needs '# keys: ...', '# salt: ...' and hash lines"))
                continue
            recs.append(Record(KIND.name, p.stem, p, rel, {"type": "fingerprint", "keys": head["keys"].split(), "salt": head["salt"],
                                                           "hashes": hashes}, {}))
            continue
        data, content = _front(raw, rel)
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("reference_id", "bibkey")) or not content:
            ds.issues.append(E603.at(rel, 1, "front matter with reference_id and bibkey, and a '## Content' section, are required"))
            continue
        recs.append(Record(KIND.name, p.stem, p, rel, {**data, "type": "excerpt", "text": content}, {}))


def store(ds: Dataset) -> tuple[dict[str, Excerpt], dict[str, Fingerprint]]:
    excerpts: dict[str, Excerpt] = {}
    prints: dict[str, Fingerprint] = {}
    for r in ds.of(KIND.name):
        d = r.data
        if d.get("type") == "fingerprint":
            fp = Fingerprint(tuple(d["keys"]), d["salt"], frozenset(d["hashes"]), r.rel)
            for k in fp.keys:
                prints[k] = fp
        else:
            excerpts[d["bibkey"]] = Excerpt(d["bibkey"], d["reference_id"], r.rel, d["text"], str(d.get("access_level", "")),
                                            str(d.get("source_url", "")), r.path.parent)
    return excerpts, prints


# ---------------------------------------------------------------- finding the quotes

_HEX8 = re.compile(r"[0-9a-f]{8}")

Quote = tuple[Record, tuple[Any, ...], str, str]  # (record, path of the quote, text, bib key of the quoted work)


def _work(src: Any) -> str:
    if isinstance(src, dict):
        return str(src.get("via") or src.get("ref") or "")
    return ""


QUOTE_KEYS = ("quote", "review_wording")
_QUOTE_WORDS = (b"quote", b"review_wording")


def _may_quote(rec: Record) -> bool:
    """False when the record's bytes cannot hold a quote key: no 'quote'/'review_wording' and no backslash (a
    double-quoted key could spell one with escapes). Records without their bytes (hand-built) are walked."""
    raw = rec.raw
    return not raw or b"\\" in raw or any(w in raw for w in _QUOTE_WORDS)


def quotes(ds: Dataset) -> Iterator[Quote]:
    """Every quote of every record, with the work it must be the text of (`via` when given, else `ref`)."""
    for rec in ds.all_records():
        if rec.kind == KIND.name or not _may_quote(rec):
            continue
        yield from _walk(rec)


def _walk(rec: Record) -> Iterator[Quote]:
    """Depth-first over the containers only (scalars are never visited one by one), in document order."""
    stack: list[tuple[Any, tuple[Any, ...], str]] = [(rec.data, (), "")]
    while stack:
        node, path, inherited = stack.pop()
        if isinstance(node, dict):
            here = _work(node.get("source")) or inherited
            for qkey in QUOTE_KEYS:
                q = node.get(qkey)
                if isinstance(q, str) and q.strip():
                    yield rec, (*path, qkey), q, here
            children = []
            for k, v in node.items():
                if k == "quotes" and isinstance(v, list):  # errata: [{text, ref?, locator}]
                    for i, item in enumerate(v):
                        if isinstance(item, dict) and isinstance(item.get("text"), str):
                            yield rec, (*path, k, i, "text"), item["text"], str(item.get("via") or item.get("ref") or here)
                elif isinstance(v, (dict, list)):
                    children.append((v, (*path, k), here))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend(reversed([(v, (*path, i), inherited) for i, v in enumerate(node) if isinstance(v, (dict, list))]))


# ---------------------------------------------------------------- matching

def ngram_match(quote: str, fp: Fingerprint) -> tuple[bool, str]:
    """True when every part of the quote ('...' separates parts) is a run of words of the fingerprinted text.
    Returns (found, the longest leading run that matched, for the hint)."""
    for part in re.split(r"\.\.\.|…", quote):
        w = words(part)
        while len(w) > 1 and w[-1].isdigit():  # trailing reference markers ("age.16", "strapping.3, 4"): run into the
            w = w[:-1]                          # next word in the flattened page text, so they are not words of it
        if not w:
            continue
        if len(w) <= NGRAM_MAX:
            if ngram_hash(fp.salt, w) not in fp.hashes:
                return False, _longest_prefix(w, fp)
            continue
        for i in range(len(w) - NGRAM_MAX + 1):
            if ngram_hash(fp.salt, w[i:i + NGRAM_MAX]) not in fp.hashes:
                return False, _longest_prefix(w, fp)
    return True, ""


def _longest_prefix(w: list[str], fp: Fingerprint) -> str:
    best = 0
    for n in range(1, min(len(w), NGRAM_MAX) + 1):
        if ngram_hash(fp.salt, w[:n]) in fp.hashes:
            best = n
    i = best
    while best >= NGRAM_MAX and i < len(w) and ngram_hash(fp.salt, w[i - NGRAM_MAX + 1:i + 1]) in fp.hashes:
        i += 1
    return " ".join(w[:max(best, i)])


@cache
def _validator(cache_dir: str) -> Any:
    from linkml_reference_validator.models import ReferenceValidationConfig
    from linkml_reference_validator.validation.supporting_text_validator import SupportingTextValidator

    return SupportingTextValidator(ReferenceValidationConfig(cache_dir=Path(cache_dir), trust_cached_entries=True,
                                                             fetch_full_text=False))


def excerpt_match(quote: str, ex: Excerpt) -> tuple[bool, str]:
    """linkml-reference-validator's own check of the quote against the cached text (offline). (found, closest passage)."""
    result = _validator(str(ex.folder)).validate(quote, ex.reference_id)
    if result.is_valid:
        return True, ""
    sentences = re.split(r"(?<=[.!?])\s+", ex.text)
    close = difflib.get_close_matches(quote, sentences, n=1, cutoff=0.0)
    return False, close[0] if close else ""


def check(ds: Dataset) -> list[Issue]:
    excerpts, prints = store(ds)
    issues: list[Issue] = []
    keys = set(ds.references)
    for r in ds.of(KIND.name):
        if r.data.get("type") == "excerpt" and r.data["bibkey"] not in keys and not ds.bib_refused:
            issues.append(E603.at(r.rel, 1, f"bibkey {r.data['bibkey']!r} is not in {ds.bib_path}"))
    for rec, path, text, work in quotes(ds):
        where = fmt_path(path)
        if work in prints:
            ok, got = ngram_match(text, prints[work])
            if not ok:
                issues.append(E601.at(rec.rel, rec.line(path), f"{where}: not the words of {work} (verified by word runs: "
                                                    f"{prints[work].rel})",
                                      f"the longest opening run found in {work} is {got[:120]!r}; " + E601.hint if got else None))
        elif work in excerpts:
            ex = excerpts[work]
            key = "quote:" + hashlib.sha1((ex.reference_id + "\0" + ex.text + "\0" + text).encode("utf-8")).hexdigest()
            hit = ds.cache.get(key) if ds.cache else None
            if hit is not None:  # the same quote against the same stored text: linkml-reference-validator already said
                ok, close = bool(hit[0]), str(hit[1])
            else:
                ok, close = excerpt_match(text, ex)
                if ds.cache:
                    ds.cache[key] = [ok, close]
                    ds.cache["dirty"] = True
            if not ok:
                issues.append(E601.at(rec.rel, rec.line(path), f"{where}: not found in {ex.rel} ({work}, {ex.access_level or 'excerpt'})",
                                      (f"closest passage: {close[:200]!r}; " if close else "") + E601.hint))
        elif work in keys and not ds.bib_refused:
            issues.append(E602.at(rec.rel, rec.line(path), f"{where}: no verbatim text of {work} in {FOLDER}/"))
    return issues


KIND: Kind[None] = Kind(
    name="excerpt", folder=FOLDER, load=load_excerpts, check=check, published=False,
    description="published abstracts and excerpts, and the review's word-run fingerprint, that quotes are checked against",
)
