"""Work spread over the machine's cores, for large inputs only (a cold check of thousands of records).

Workers are forked (Linux), so they see the parent's data without copying it; each returns plain data
(pickled by multiprocessing), never objects with code. With one core, few items or no fork it runs in-process.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 1500  # below this, forking costs more than it saves
MAX_WORKERS = 4

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def gc_paused(collect: bool = True) -> Iterator[None]:
    """No cyclic garbage collection while a stage builds large, acyclic plain data (parsed records, schema results).

    Every collection walks all the objects alive, and the records alive grow with the knowledge base: at 10,000 cases
    the collector took about 40 % of parsing. Nothing a stage builds is freed later for it (parsing 10,000 cases
    leaves no cycle to collect, and the same peak memory); reference counting frees everything else as before. The
    collector is back on when the outermost pause ends (pauses nest). The outermost pause first collects what is
    already garbage (a previous build's cycles in the same process: a second build would otherwise hold both), except
    in a forked worker (`collect=False`), where walking the parent's objects would copy their memory pages."""
    was_enabled = gc.isenabled()
    if was_enabled and collect:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(chunk: list[int]) -> list[Any]:
    assert _WORK is not None
    fn, items = _WORK
    with gc_paused(collect=False):
        return [fn(items[i]) for i in chunk]


def fork_map(fn: Callable[[T], R], items: Sequence[T], minimum: int = PARALLEL_FROM) -> list[R]:
    """[fn(x) for x in items], on every core when there are at least `minimum` items. fn must be a module-level
    function whose result is plain data; the order of the results is the order of the items."""
    global _WORK
    n = min(cores(), MAX_WORKERS)
    if n < 2 or len(items) < minimum:
        return [fn(x) for x in items]
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        return [fn(x) for x in items]
    chunks = [list(range(i, len(items), n)) for i in range(n)]
    _WORK = (fn, items)
    try:
        with ctx.Pool(n) as pool:
            parts = pool.map(_run, chunks)
    finally:
        _WORK = None
    out: list[Any] = [None] * len(items)
    for chunk, part in zip(chunks, parts, strict=True):
        for i, result in zip(chunk, part, strict=True):
            out[i] = result
    return out
