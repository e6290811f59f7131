"""Write a work's fingerprint into the excerpt store, and its pin, so quotes of it are checked without its text.

    python -m rdkb.tools.fingerprint <review.txt> [--keys davis2015review davis2015summary]

The output, references_cache/<first key>.ngrams (format 2), holds salted sha256[:12] hashes of every 3- to 6-token
span of every sentence, the sentence's number included (tokens: lower-cased words and numbers, and the symbols
< > = % + ± ≤ ≥ × ° / & $ # ~ ≈; reference markers such as the 16 of 'age.16' dropped). The text itself is not stored.
The file's sha256, with its keys and the sha256 of the text it was made from, is pinned in
scripts/rdkb/data/fingerprints.sha256, which is reviewed as code: `make check` refuses a fingerprint that is not the
pinned one (E603). README (Security) states what the hashes let someone recover.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from rdkb.kinds.excerpt import FOLDER, FORMAT, HASH_HEX, MIN_SPAN, PINS, SPAN_MAX, SYMBOLS, fingerprint, pins
from rdkb.paths import REPO
from rdkb.pipeline.render import write_text_if_changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rdkb.tools.fingerprint", description=__doc__.splitlines()[0])
    ap.add_argument("text", type=Path)
    ap.add_argument("--keys", nargs="+", default=["davis2015review", "davis2015summary"])
    args = ap.parse_args(argv)
    raw = args.text.read_bytes()
    text = raw.decode("utf-8")
    salt = hashlib.sha256(("rdkb " + " ".join(args.keys)).encode()).hexdigest()[:16]
    n, hashes = fingerprint(text, salt)
    head = [f"# keys: {' '.join(args.keys)}", f"# format: {FORMAT}", f"# salt: {salt}", f"# sentences: {n}",
            f"# spans: {MIN_SPAN}-{SPAN_MAX} tokens within one sentence, sentence number included; tokens: lower-cased words "
            f"and numbers, and the symbols {SYMBOLS}; reference markers dropped",
            f"# about: salted sha256[:{HASH_HEX}] of each span; the text is not stored (see README, Security, for what the "
            "hashes reveal). Regenerate with python -m rdkb.tools.fingerprint <text>; the pin is updated with it"]
    out = REPO.root / FOLDER / f"{args.keys[0]}.ngrams"
    body = "\n".join(head + hashes) + "\n"
    write_text_if_changed(out, body)
    pinned = pins()
    pinned[out.name] = (hashlib.sha256(body.encode("utf-8")).hexdigest(), list(args.keys))
    sources = {ln.split()[1]: ln.split()[3] for ln in _lines() if len(ln.split()) == 4}
    sources[out.name] = hashlib.sha256(raw).hexdigest()
    lines = ["# sha256 of each fingerprint in references_cache/, its bib keys, and the sha256 of the published text it was",
             "# made from. Written by python -m rdkb.tools.fingerprint only; reviewed as code (a changed line = a changed "
             "fingerprint)."]
    lines += [f"{digest}  {name}  {','.join(keys)}  {sources.get(name, '-')}" for name, (digest, keys) in sorted(pinned.items())]
    write_text_if_changed(PINS, "\n".join(lines) + "\n")
    print(f"wrote {out} ({len(hashes)} hashes, {n} sentences) and its pin in {PINS}")
    return 0


def _lines() -> list[str]:
    try:
        return [ln for ln in PINS.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    except OSError:
        return []


if __name__ == "__main__":
    raise SystemExit(main())
