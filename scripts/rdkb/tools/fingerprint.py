"""Write the review's word-run fingerprint into the excerpt store, so quotes of it are checked without its text.

    python -m rdkb.tools.fingerprint <review.txt> [--keys davis2015review davis2015summary]

The output, references_cache/<first key>.ngrams, holds salted sha256[:8] hashes of every 1- to 4-word run of the
text (lower-cased words, punctuation dropped); the text itself is not stored and cannot be read back.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from rdkb.kinds.excerpt import FOLDER, NGRAM_MAX, fingerprint
from rdkb.paths import REPO
from rdkb.pipeline.render import write_text_if_changed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m rdkb.tools.fingerprint", description=__doc__.splitlines()[0])
    ap.add_argument("text", type=Path)
    ap.add_argument("--keys", nargs="+", default=["davis2015review", "davis2015summary"])
    args = ap.parse_args(argv)
    text = args.text.read_text(encoding="utf-8")
    salt = hashlib.sha256(("rdkb " + " ".join(args.keys)).encode()).hexdigest()[:16]
    hashes = fingerprint(text, salt)
    head = [f"# keys: {' '.join(args.keys)}", f"# salt: {salt}", f"# ngrams: 1-{NGRAM_MAX} words, lower-cased, punctuation dropped",
            "# about: salted sha256[:8] of every word run of the work; the text is not stored. Regenerate with "
            "python -m rdkb.tools.fingerprint <text>"]
    out = REPO.root / FOLDER / f"{args.keys[0]}.ngrams"
    write_text_if_changed(out, "\n".join(head + hashes) + "\n")
    print(f"wrote {out} ({len(hashes)} hashes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
