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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rdkb import parallel
from rdkb.kinds.base import Kind
from rdkb.model import Dataset, Issue, Record, fmt_path
from rdkb.paths import Layout
from rdkb.rules import declare
from rdkb.yamlio import E001, E014, parse_yaml_bytes, rel_path

E601 = declare("E601", "a quote that is not the exact text of the work it cites (the `via` work when there is one)",
               "copy the words exactly from the source; `...` may join two passages; if no verbatim text is available, "
               "drop the quote and write `transcribed: true`", "cases/E601-quote-not-found.yaml")
E602 = declare("E602", "a quote whose work has no verbatim text in the excerpt store (references_cache/), or that no "
               "source ties to a work",
               "add the published abstract to references_cache/ (see CONTRIBUTING.md, Excerpt store), or drop the quote and "
               "write `transcribed: true`", "cases/E602-no-verbatim-text.yaml")
E603 = declare("E603", "an excerpt-store file that is malformed, names an unknown bib key, does not match its bib entry, "
               "or is a second text or fingerprint of one work",
               "front matter needs reference_id (PMID:<pmid> or DOI:<doi> of the bib entry, or url:https://... when the entry has "
               "only that url), with the file named after it (':', '/', '?', '=' as '_'), content_type and bibkey (a key of "
               "bib/references.bib); text after '## Content'; one file per work", "references_cache/E603-bad-excerpt.md")
E605 = declare("E605", "a bracketed insertion in a quote that adds a negation or a number",
               "an insertion [ ... ] may only name what the quoted words refer to (e.g. [botulinum toxin]); a negation or a "
               "figure must be the source's own words, so quote them, or state it in our words outside the quote",
               "cases/E605-insertion.yaml")
E606 = declare("E606", "`transcribed: true` for a fact of a work whose whole text is stored (the review's fingerprint, or a "
               "full-text excerpt)", "the text is here to check against: quote the source's words instead of `transcribed: true`",
               "cases/E606-transcribed-where-stored.yaml")
_INSERTION = re.compile(r"\[([^\[\]]*)\]")
NEGATIONS = frozenset({"no", "not", "never", "none", "neither", "nor", "without", "cannot", "nobody", "nothing", "nowhere",
                       "non", "absent", "lack", "lacked", "lacking", "failed", "unable"})
NUMBER_WORDS = frozenset({"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
                          "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million",
                          "half", "once", "twice", "thrice", "both", "single", "dozen", "all", "every", "each", "most", "few",
                          "several", "many", "majority", "minority", "first", "second", "third", "none"})


def insertion_problem(quote: str) -> str:
    """What a bracketed insertion adds that the source did not say ('' when nothing): a negation or a number."""
    for m in _INSERTION.finditer(quote):
        inserted = m.group(1)
        w = words(inserted.replace("n't", " not"))
        if any(x in NEGATIONS for x in w):
            return f"the insertion [{inserted[:60]}] adds a negation"
        if any(x.isdigit() or x in NUMBER_WORDS for x in w) or re.search(r"\d", inserted):
            return f"the insertion [{inserted[:60]}] adds a number"
    return ""

FOLDER = "references_cache"
# The only reference ids the store accepts: nothing that names a local file (file:) or another scheme; url: only for a
# work whose bib entry has no DOI or PMID, as https, matching the entry's url. The file must be named after the id.
REFERENCE_ID = re.compile(r"PMID:[1-9][0-9]{0,9}|DOI:10\.[0-9]{4,9}/[!-~]{1,200}|url:https://[!-~]{1,300}")


def cache_name(reference_id: str) -> str:
    """The file stem linkml-reference-validator gives a reference id (':', '/', '?', '=' as '_')."""
    return reference_id.replace(":", "_").replace("/", "_").replace("?", "_").replace("=", "_")


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1
MAX_EXCERPT_BYTES = 64 * 1024
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# The fingerprint (format 2). A quote of a fingerprinted work, or each part of it between '...', must be one contiguous
# span of at least MIN_SPAN tokens of ONE sentence of the work. Tokens are lower-cased words and numbers and the
# symbols in SYMBOLS (so '<16' is not '>16'); reference markers glued to a word ('age.16') are dropped from both the
# work and the quote. The file holds, per sentence s, the salted hash of "s|span" for every span of MIN_SPAN to
# SPAN_MAX tokens; a longer quote part passes when all its SPAN_MAX-token windows are in the same sentence.
FORMAT = "2"
MIN_SPAN = 3
SPAN_MAX = 6
HASH_HEX = 12  # 48 bits: a forged quote needs ~2^48 / (number of hashes) tries per false match
SYMBOLS = "<>=%+±≤≥×°/&$#~≈"
_TOKEN = re.compile(r"[^\W_]+|[" + re.escape(SYMBOLS) + "]", re.UNICODE)
_MARKER = re.compile(r"(?<=[^\W\d_][.,;:])\d{1,3}(?:(?:,\s?|[–-])\d{1,3})*(?=[\s\W]|$)")
_SENTENCE_END = re.compile(r"\n+|(?<=[a-z)\]\"”’][.!?])[\"”’)\]]*\s*(?=[\"“‘(]?[A-Z])")  # not after a digit: '21.Bharam'


def words(text: str) -> list[str]:
    """Lower-cased words, punctuation dropped (the normalisation linkml-reference-validator applies)."""
    return _WORD.findall(text.lower())


def tokens(text: str) -> list[str]:
    """The fingerprint's tokens: lower-cased words and numbers, and the symbols of SYMBOLS; reference markers dropped."""
    return _TOKEN.findall(_MARKER.sub("", text).lower())


def sentence_texts(text: str) -> list[str]:
    """The work's sentences (a sentence ends at . ! ? before a capital, or at a line break), reference markers dropped."""
    return [part for part in _SENTENCE_END.split(_MARKER.sub("", text)) if part.strip()]


def sentences(text: str) -> list[list[str]]:
    """The work's sentences as token lists."""
    return [t for t in (tokens(part) for part in sentence_texts(text)) if t]


def span_hash(salt: str, sentence: int, span: list[str]) -> str:
    return hashlib.sha256(f"{salt}{sentence}|{' '.join(span)}".encode()).hexdigest()[:HASH_HEX]


BEGIN, END = "\x02", "\x03"  # a sentence's first and last tokens are hashed with these marks beside them


def fingerprint(text: str, salt: str) -> tuple[int, list[str]]:
    """(number of sentences, sorted salted hashes of: every MIN_SPAN- to SPAN_MAX-token span of every sentence; and, with
    the sentence's BEGIN / END marks, only its first and last full windows (SPAN_MAX tokens, or the whole sentence when
    shorter: a table cell). So a sentence's start cannot be guessed from its first two words and the mark."""
    out: set[str] = set()
    for s, t in enumerate(sentences(text)):
        out |= {span_hash(salt, s, t[i:i + n]) for n in range(MIN_SPAN, SPAN_MAX + 1) for i in range(len(t) - n + 1)}
        marked = [BEGIN, *t, END]
        n = min(len(marked), SPAN_MAX)
        out |= {span_hash(salt, s, marked[:n]), span_hash(salt, s, marked[-n:])}
    return s + 1 if out else 0, sorted(out)


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
    sentences: int = 0


def _front(text: str, rel: str) -> tuple[dict[str, Any] | None, str]:
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
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            ds.issues.append(E001.at(rel, raw[: exc.start].count(b"\n") + 1, f"file is not valid UTF-8 (offset {exc.start})"))
            continue
        text = text.replace("\r\n", "\n")
        if p.suffix == ".ngrams":
            lines = text.splitlines()
            head = dict(ln[2:].split(": ", 1) for ln in lines if ln.startswith("# ") and ": " in ln)
            hashes = [ln for ln in lines if _HEX.fullmatch(ln)]
            digest = hashlib.sha256(raw).hexdigest()
            pinned = pins().get(p.name)
            if pinned is None or pinned[0] != digest:
                ds.issues.append(E603.at(rel, 1, f"fingerprint {p.name} (sha256 {digest[:16]}...) is not the one pinned in "
                                         f"{PINS.relative_to(PINS.parents[3]).as_posix()}",
                                         "a fingerprint is regenerated only by `python -m rdkb.tools.fingerprint <published "
                                         "text>`, which also updates its pin; the pin is reviewed as code"))
                continue
            if (head.get("format") != FORMAT or not head.get("salt") or not head.get("sentences", "").isdigit() or not hashes
                    or head.get("keys", "").split() != pinned[1]):
                ds.issues.append(E603.at(rel, 1, "a fingerprint needs '# format: 2', '# keys: ...' (as pinned), '# salt: ...', "
                                         "'# sentences: N' and hash lines"))
                continue
            recs.append(Record(KIND.name, p.stem, p, rel, {"type": "fingerprint", "keys": head["keys"].split(), "salt": head["salt"],
                                                           "sentences": int(head["sentences"]), "hashes": hashes}, {}))
            continue
        data, content = _front(text, rel)
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("reference_id", "bibkey")) or not content:
            ds.issues.append(E603.at(rel, 1, "front matter with reference_id and bibkey, and a '## Content' section, are required"))
            continue
        if not REFERENCE_ID.fullmatch(data["reference_id"]) or cache_name(data["reference_id"]) != p.stem:
            ds.issues.append(E603.at(rel, _line_of(text, "reference_id:"), f"reference_id {data['reference_id'][:120]!r} is not "
                                     "PMID:<digits>, DOI:10.<...> or url:https://..., or the file is not named after it"))
            continue
        recs.append(Record(KIND.name, p.stem, p, rel, {**data, "type": "excerpt", "text": content}, {}))


def store(ds: Dataset) -> tuple[dict[str, Excerpt], dict[str, Fingerprint]]:
    """The texts quotes are checked against, one per work: a second file for a work (excerpt or fingerprint) is not used
    (E603, from `duplicates`); the first in file-name order is."""
    excerpts: dict[str, Excerpt] = {}
    prints: dict[str, Fingerprint] = {}
    for r in ds.of(KIND.name):
        d = r.data
        if d.get("type") == "fingerprint":
            fp = Fingerprint(tuple(d["keys"]), d["salt"], frozenset(d["hashes"]), r.rel, int(d["sentences"]))
            for k in fp.keys:
                if k not in prints and k not in excerpts:
                    prints[k] = fp
        elif d["bibkey"] not in excerpts and d["bibkey"] not in prints:
            excerpts[d["bibkey"]] = Excerpt(d["bibkey"], d["reference_id"], r.rel, d["text"], str(d.get("access_level", "")),
                                            str(d.get("source_url", "")), r.path.parent)
    return excerpts, prints


def _store_issues(ds: Dataset) -> list[Issue]:
    """E603: a second text of one work; an excerpt whose reference_id is not its bib entry's PMID, DOI or url."""
    issues: list[Issue] = []
    files: dict[str, list[str]] = {}
    for r in ds.of(KIND.name):
        for k in (r.data["keys"] if r.data.get("type") == "fingerprint" else [r.data["bibkey"]]):
            files.setdefault(k, []).append(r.rel)
    for r in ds.of(KIND.name):  # every file of a work with two is reported: which one is the planted text is for a reviewer
        d = r.data
        for k in (d["keys"] if d.get("type") == "fingerprint" else [d["bibkey"]]):
            if len(files[k]) > 1:
                others = ", ".join(f for f in files[k] if f != r.rel)
                issues.append(E603.at(r.rel, 1, f"{k!r} has another text in the store ({others[:200]}); one file per work",
                                      "keep the one file that holds the work's published text; remove the other"))
        if d.get("type") == "excerpt" and d["bibkey"] in ds.references:
            ref = ds.references[d["bibkey"]]
            kind, _, value = d["reference_id"].partition(":")
            want = {"PMID": ref.get("pmid"), "DOI": ref.get("doi").lower(), "url": ref.get("url")}[kind]
            got = value.lower() if kind == "DOI" else value
            if kind == "url" and (ref.get("doi") or ref.get("pmid")):
                want = ""  # a work with a DOI or PMID is stored under it
            if not want or got != want:
                issues.append(E603.at(r.rel, 1, f"reference_id {d['reference_id'][:120]!r} is not the {kind} of "
                                      f"{d['bibkey']!r} in {ds.bib_path}"))
    return issues


# ---------------------------------------------------------------- finding the quotes

_HEX = re.compile(f"[0-9a-f]{{{HASH_HEX}}}")
# The reviewed pins (rdkb/kinds/fingerprint_pins.py, written only by rdkb.tools.fingerprint): a module, so a changed
# fingerprint is a changed line of code in review and the check's cache is keyed on it; an unpinned one is E603.
PINS = Path(__file__).resolve().parent / "fingerprint_pins.py"


def pins() -> dict[str, tuple[str, list[str]]]:
    """file name -> (sha256 of the .ngrams file, its bib keys)."""
    from rdkb.kinds import fingerprint_pins

    return {name: (digest, list(keys)) for name, (digest, keys, _source) in fingerprint_pins.PINS.items()}


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
    """True when every part of the quote ('...' separates parts) is the work's own words, in order, numbers and symbols
    included: one contiguous span of at least MIN_SPAN tokens of one sentence; or a whole sentence, however short (a
    table cell); or a run over consecutive sentences (the end of one, whole ones, the start of the next). Returns
    (found, a hint when not)."""
    for part in re.split(r"\.\.\.|…", quote):
        pieces = [t for t in (tokens(x) for x in _SENTENCE_END.split(_MARKER.sub("", part))) if t]
        if not pieces:
            continue
        if not _run_found(pieces, fp):
            if len(pieces) == 1 and len(pieces[0]) < MIN_SPAN:
                return False, (f"the part {part.strip()[:60]!r} has fewer than {MIN_SPAN} words and is not a whole sentence "
                               "or table cell of the work (quote whole phrases)")
            return False, _longest_prefix(pieces[0], fp)
    return True, ""


def _run_found(pieces: list[list[str]], fp: Fingerprint) -> bool:
    """pieces: the quote part cut at its sentence ends. One piece: a span of >= MIN_SPAN tokens of one sentence, or a
    whole sentence. Several: the first ends sentence s, the middle ones are sentences s+1.., the last starts the next."""
    if len(pieces) == 1:
        t = pieces[0]
        if len(t) >= MIN_SPAN and _sentences_with(t, fp, any_one=True):
            return True
        return bool(_sentences_with([BEGIN, *t, END], fp, any_one=True))
    first = [*pieces[0], END]
    for s in _sentences_with(first, fp):
        ok = True
        for k, t in enumerate(pieces[1:], 1):
            marked = [BEGIN, *t, END] if k < len(pieces) - 1 else [BEGIN, *t]
            if not _in_sentence(marked, s + k, fp):
                ok = False
                break
        if ok:
            return True
    return False


def _windows(t: list[str]) -> list[list[str]]:
    n = min(len(t), SPAN_MAX)
    return [t[i:i + n] for i in range(len(t) - n + 1)]


def _in_sentence(t: list[str], s: int, fp: Fingerprint) -> bool:
    return len(t) >= MIN_SPAN and all(span_hash(fp.salt, s, w) in fp.hashes for w in _windows(t))


@cache
def _sentence_hashers(salt: str, n: int) -> tuple[Any, ...]:
    """span_hash's hash state after the per-sentence prefix, for each sentence of a fingerprint (made once per
    fingerprint; a copy of it takes the span: half the hashing of the prefix and span together)."""
    return tuple(hashlib.sha256(f"{salt}{s}|".encode()) for s in range(n))


# (fingerprint's id, span) -> (the fingerprint, the span's sentences): a span met twice is searched once (the entry holds
# the fingerprint, so its id is not reused while the entry lives)
_FOUND: dict[tuple[int, tuple[str, ...]], tuple[Fingerprint, list[int]]] = {}
_LAST: dict[int, int] = {}  # fingerprint's id -> the sentence a span was last found in (quotes of one work cluster)


def _sentences_with(t: list[str], fp: Fingerprint, any_one: bool = False) -> list[int]:
    """The sentences holding the token span t (all its SPAN_MAX-token windows in that one sentence), in order; with
    `any_one`, only the first found, the search starting at the sentence the last span of this work was found in
    (whether t is in the work at all costs then, on average, far fewer hashes). The hashes are span_hash's: the hash
    state of each sentence's prefix is copied and given the joined window, encoded once."""
    if len(t) < MIN_SPAN:
        return []
    key = (id(fp), tuple(t))
    hit = _FOUND.get(key)
    if hit is not None and hit[0] is fp:
        return hit[1][:1] if any_one else list(hit[1])
    first, *rest = _windows(t)
    tail = " ".join(first).encode()
    hashes, n = fp.hashes, HASH_HEX
    hashers = _sentence_hashers(fp.salt, fp.sentences)
    start = _LAST.get(id(fp), 0) if any_one else 0
    if start >= len(hashers):  # (an id reused by another fingerprint)
        start = 0
    found = []
    for s in (*range(start, len(hashers)), *range(start)) if start else range(len(hashers)):
        h = hashers[s].copy()
        h.update(tail)
        if h.hexdigest()[:n] in hashes and all(span_hash(fp.salt, s, w) in hashes for w in rest):
            found.append(s)
            if any_one:
                _LAST[id(fp)] = s
                return found
    if len(_FOUND) >= 10_000:
        _FOUND.clear()
    _FOUND[key] = (fp, found)
    return list(found)


def _longest_prefix(t: list[str], fp: Fingerprint) -> str:
    """The longest opening span of the quote part found in one sentence (for the hint; failing quotes only)."""
    best = 0
    for n in range(MIN_SPAN, len(t) + 1):
        if not _sentences_with(t[:n], fp):
            break
        best = n
    return " ".join(t[:best])


@cache
def _validator(cache_dir: str) -> Any:
    from linkml_reference_validator.models import ReferenceValidationConfig
    from linkml_reference_validator.validation.supporting_text_validator import SupportingTextValidator

    return SupportingTextValidator(ReferenceValidationConfig(cache_dir=Path(cache_dir), trust_cached_entries=True,
                                                             fetch_full_text=False))


def excerpt_match(quote: str, ex: Excerpt) -> tuple[bool, str]:
    """linkml-reference-validator's own matching of the quote against the stored text, which the store hands it: the
    validator never looks a reference up (no fetch, no refresh, no file read or written; the check is offline and the
    store read-only whatever the reference_id says). (found, closest passage)."""
    return _match(quote, ex.reference_id, ex.text, str(ex.folder))


def _match(quote: str, reference_id: str, text: str, folder: str) -> tuple[bool, str]:
    from linkml_reference_validator.models import ReferenceContent

    match = _validator(folder).find_text_in_reference(quote, ReferenceContent(reference_id=reference_id, content=text))
    if match.found:
        return True, ""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    close = difflib.get_close_matches(quote, sentences, n=1, cutoff=0.0)
    return False, close[0] if close else ""


def _match_all(items: list[tuple[str, str, str, str]]) -> list[tuple[bool, str]]:
    return [_match(*item) for item in items]


def _import_matcher() -> None:
    import linkml_reference_validator.models  # noqa: F401
    import linkml_reference_validator.validation.supporting_text_validator  # noqa: F401


_MATCHER: list[parallel.Warm] = []  # the warm matcher, once started (one per process)


def start_matcher() -> None:
    """Have linkml-reference-validator imported now, on a spare core, while the check reads the records: the import
    is most of the quote check's time (some 0.7 s), and the cores are otherwise idle while the check starts. Quotes
    are then matched in that worker (match_many). Without a spare core nothing starts."""
    if not _MATCHER and parallel.cores() >= 2:
        _MATCHER.append(parallel.Warm(_import_matcher))


def stop_matcher() -> None:
    while _MATCHER:
        _MATCHER.pop().close()


def match_many(pairs: list[tuple[str, Excerpt]]) -> list[tuple[bool, str]]:
    """excerpt_match of each (quote, excerpt), in the warm matcher when one was started, else here."""
    if not pairs:
        return []
    items = [(quote, ex.reference_id, ex.text, str(ex.folder)) for quote, ex in pairs]
    return _MATCHER[0].run(_match_all, items) if _MATCHER else _match_all(items)


def _quote_key(ex: Excerpt, text: str) -> str:
    return "quote:" + hashlib.sha1((ex.reference_id + "\0" + ex.text + "\0" + text).encode("utf-8")).hexdigest()


def transcribed(ds: Dataset, works: Iterable[str] | None = None) -> Iterator[tuple[Record, tuple[Any, ...], str]]:
    """(record, path, work) of every fact marked `transcribed: true`, with the work it is from (`via`, else `ref`).
    Given `works`, a record whose bytes name none of them (and hold no escape that could spell one) is not walked: its
    facts can be from no such work."""
    names = None if works is None else [w.encode("utf-8") for w in works]
    for rec in ds.all_records():
        if rec.kind == KIND.name or (rec.raw and b"transcribed" not in rec.raw and b"\\" not in rec.raw):
            continue
        if names is not None and rec.raw and b"\\" not in rec.raw and not any(n in rec.raw for n in names):
            continue
        stack: list[tuple[Any, tuple[Any, ...], str]] = [(rec.data, (), "")]
        while stack:
            node, path, inherited = stack.pop()
            if isinstance(node, dict):
                here = _work(node.get("source")) or inherited
                if node.get("transcribed") is True:
                    yield rec, (*path, "transcribed"), here
                stack.extend((v, (*path, k), here) for k, v in node.items() if isinstance(v, (dict, list)))
            elif isinstance(node, list):
                stack.extend((v, (*path, i), inherited) for i, v in enumerate(node) if isinstance(v, (dict, list)))


def check(ds: Dataset) -> list[Issue]:
    excerpts, prints = store(ds)
    issues: list[Issue] = []
    whole = set(prints) | {w for w, ex in excerpts.items() if ex.access_level in ("full-text", "full_text")}
    for rec, path, work in transcribed(ds, whole):  # the whole text is stored: the fact can be, and must be, quoted
        if work in whole:
            issues.append(E606.at(rec.rel, rec.line(path), f"{fmt_path(path[:-1])}: transcribed, but the whole text of {work} "
                                  f"is in {FOLDER}/"))
    keys = set(ds.references)
    for r in ds.of(KIND.name):
        if r.data.get("type") == "excerpt" and r.data["bibkey"] not in keys and not ds.bib_refused:
            issues.append(E603.at(r.rel, 1, f"bibkey {r.data['bibkey']!r} is not in {ds.bib_path}"))
    if not ds.bib_refused:
        issues += _store_issues(ds)
    found = list(quotes(ds))
    need: dict[str, tuple[str, Excerpt]] = {}  # the quotes linkml-reference-validator must match, matched in one go
    for _, _, text, work in found:
        if work not in prints and work in excerpts and not insertion_problem(text):
            key = _quote_key(excerpts[work], text)
            if not (ds.cache and key in ds.cache):
                need[key] = (text, excerpts[work])
    matched = dict(zip(need, match_many(list(need.values())), strict=True))
    for rec, path, text, work in found:
        where = fmt_path(path)
        added = insertion_problem(text)
        if added:
            issues.append(E605.at(rec.rel, rec.line(path), f"{where}: {added}"))
            continue
        if work in prints:
            ok, got = ngram_match(text, prints[work])
            if not ok:
                hint = got if got.startswith("the part") else f"the longest opening run found in {work} is {got[:120]!r}"
                issues.append(E601.at(rec.rel, rec.line(path), f"{where}: not the words of {work} (verified by word runs: "
                                                    f"{prints[work].rel})", f"{hint}; " + E601.hint if got else None))
        elif work in excerpts:
            ex = excerpts[work]
            key = _quote_key(ex, text)
            hit = ds.cache.get(key) if ds.cache else None
            if hit is not None:  # the same quote against the same stored text: linkml-reference-validator already said
                ok, close = bool(hit[0]), str(hit[1])
            else:
                ok, close = matched[key]
                if ds.cache:
                    ds.cache[key] = [ok, close]
                    ds.cache["dirty"] = True
            if not ok:
                issues.append(E601.at(rec.rel, rec.line(path), f"{where}: not found in {ex.rel} ({work}, {ex.access_level or 'excerpt'})",
                                      (f"closest passage: {close[:200]!r}; " if close else "") + E601.hint))
        elif work in keys and not ds.bib_refused:
            issues.append(E602.at(rec.rel, rec.line(path), f"{where}: no verbatim text of {work} in {FOLDER}/"))
        elif not work:  # no source names the work: the quote could not be checked at all (it used to pass unchecked)
            issues.append(E602.at(rec.rel, rec.line(path), f"{where}: no source says which work this quote is from",
                                  "give the fact (or the mapping holding the quote) a `source: {ref: <bibkey>, locator: ...}`"))
    return issues


KIND: Kind[None] = Kind(
    name="excerpt", folder=FOLDER, load=load_excerpts, check=check, check_apart=True, published=False,
    description="published abstracts and excerpts, and the review's word-run fingerprint, that quotes are checked against",
)
