"""Regenerate tests/fixtures/review-shingles.txt from the review text (hashes only; the prose is not copied)."""

import hashlib
import re
import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text(encoding="utf-8")
words = re.findall(r"[a-z']+", text.lower())
hashes = sorted({hashlib.sha1(" ".join(words[i:i + 10]).encode()).hexdigest()[:16] for i in range(len(words) - 9)})
out = Path(__file__).parent / "fixtures" / "review-shingles.txt"
out.write_text("# sha1[:16] of every 10-word run of the review (lower-cased words); the text itself is not stored.\n"
               "# Regenerate: python3 tests/make_review_shingles.py ../shared/sources/davis-2015-loss-of-leg-coordination.txt\n"
               + "\n".join(hashes) + "\n", encoding="utf-8")
