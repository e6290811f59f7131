"""The pinned fingerprints of the excerpt store: file name -> (sha256 of the .ngrams file, its bib keys, sha256 of the
published text it was made from). Written by `python -m rdkb.tools.fingerprint` only, and reviewed as code: a
`make check` refuses a fingerprint in references_cache/ that is not pinned here with its digest (E603)."""

PINS: dict[str, tuple[str, tuple[str, ...], str]] = {
    'davis2015review.ngrams': ('2544cc27218a9faa3fa6a9c1580f9dd6a519f4e2d98068d5f9d8a64158c4adfd',
        ('davis2015review', 'davis2015summary'),
        'd82a60445e313407a96ba0a65f4d42a142a068119da46a5b599198b5215c9ecc'),
}
