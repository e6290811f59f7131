"""Regenerate tests/fixtures/review-shingles.txt from the review text (hashes only; the prose is not copied).

    PYTHONPATH=scripts python3 tests/make_review_shingles.py <review.txt>

Only the 10-word runs that lie within one sentence are hashed (sentences cut as the quote fingerprint cuts them,
rdkb.kinds.excerpt.sentence_texts): a run never joins two sentences, so the hashes cannot be chained from one sentence
into the next (README, Security, says what they reveal). tests/test_content.py checks that no 10-word run of our own
pages is among them.
"""

import hashlib
import re
import sys
from pathlib import Path

from rdkb.kinds.excerpt import sentence_texts

text = Path(sys.argv[1]).read_text(encoding="utf-8")
hashes: set[str] = set()
for sentence in sentence_texts(text):
    words = re.findall(r"[a-z']+", sentence.lower())
    hashes |= {hashlib.sha1(" ".join(words[i:i + 10]).encode()).hexdigest()[:16] for i in range(len(words) - 9)}
out = Path(__file__).parent / "fixtures" / "review-shingles.txt"
out.write_text("# sha1[:16] of every 10-word run within one sentence of the review (lower-cased words); the text itself is "
               "not stored.\n# Regenerate: PYTHONPATH=scripts python3 tests/make_review_shingles.py "
               "../shared/sources/davis-2015-loss-of-leg-coordination.txt\n" + "\n".join(sorted(hashes)) + "\n", encoding="utf-8")
