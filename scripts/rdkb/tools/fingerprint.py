"""Write a work's fingerprint into the excerpt store, and its pin, so quotes of it are checked without its text.

    python -m rdkb.tools.fingerprint <review.txt> [--keys davis2015review davis2015summary]

The output, references_cache/<first key>.ngrams (format 2), holds salted sha256[:12] hashes of every 3- to 6-token
span of every sentence, the sentence's number included (tokens: lower-cased words and numbers, and the symbols
< > = % + ± ≤ ≥ × ° / & $ # ~ ≈; reference markers such as the 16 of 'age.16' dropped). The text itself is not stored.
The file's sha256, with its keys and the sha256 of the text it was made from, is pinned in
scripts/rdkb/kinds/fingerprint_pins.py, which is reviewed as code: `make check` refuses a fingerprint that is not the
pinned one (E603). README (Security) states what the hashes let someone recover.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from rdkb.kinds.excerpt import FOLDER, FORMAT, HASH_HEX, MIN_SPAN, PINS, SPAN_MAX, SYMBOLS, fingerprint
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
    from rdkb.kinds import fingerprint_pins

    pinned = dict(fingerprint_pins.PINS)
    pinned[out.name] = (hashlib.sha256(body.encode("utf-8")).hexdigest(), tuple(args.keys), hashlib.sha256(raw).hexdigest())
    lines = ['"""The pinned fingerprints of the excerpt store: file name -> (sha256 of the .ngrams file, its bib keys, sha256 of the',
             "published text it was made from). Written by `python -m rdkb.tools.fingerprint` only, and reviewed as code: a",
             '`make check` refuses a fingerprint in references_cache/ that is not pinned here with its digest (E603)."""', "",
             "PINS: dict[str, tuple[str, tuple[str, ...], str]] = {"]
    lines += [f"    {name!r}: ({digest!r},\n        {keys!r},\n        {source!r})," for name, (digest, keys, source) in sorted(pinned.items())]
    lines.append("}")
    write_text_if_changed(PINS, "\n".join(lines) + "\n")
    print(f"wrote {out} ({len(hashes)} hashes, {n} sentences) and its pin in {PINS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
