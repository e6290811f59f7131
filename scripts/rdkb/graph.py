"""Connected components of a few links: which records (or reports) belong together.

Used for patients joined by same_patient_as links (rdkb.kinds.case) and for reports suspected to share patients
(the runner range, rdkb.kinds.question). Pure; no imports from the package.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def components(nodes: Iterable[str], pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, ...], ...]:
    """The groups of `nodes` joined by `pairs` (a pair naming an unknown node is ignored), each sorted, in sorted order."""
    parent = {n: n for n in nodes}

    def root(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in pairs:
        if a in parent and b in parent:
            parent[root(a)] = root(b)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in parent:
        groups[root(n)].append(n)
    return tuple(sorted(tuple(sorted(g)) for g in groups.values()))
