"""Work spread over the machine's cores, for large inputs only (a cold check of thousands of records).

Workers are forked (Linux), so they see the parent's data without copying it; each returns plain data
(marshalled or pickled into a temporary file the parent reads back), never objects with code. With one core, few items or no fork it
runs in-process.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_FROM = 1500  # below this, forking costs more than it saves
MAX_WORKERS = 4
# The parent's share of a fork_map against a worker's. At 10,000 cases on 2 cores (release 0.11) the parent parsed
# 5.3 records a millisecond and the worker 4.8 (it shares its core with the quote matcher's imports), and the worker
# then writes its results: 1.15 has both done at the same time.
PARENT_WEIGHT = 1.15



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
    in a forked worker (`collect=False`), where walking the parent's objects would copy their memory pages.

    When the outermost pause ends, what is alive is frozen (gc.freeze) before the collector is back on. Otherwise the
    first collection after the pause would walk every object the stage made (they all count as new): at 10,000 cases
    that was 0.17 s spent in whatever allocated next (writing the cache). Frozen objects are still freed by reference
    counting; the next outermost pause that collects unfreezes them first, so a cycle among them is collected then."""
    was_enabled = gc.isenabled()
    if was_enabled and collect:
        gc.unfreeze()
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _can_fork() -> bool:
    return hasattr(os, "fork") and cores() >= 2


def _dump(value: Any, fh: Any) -> None:
    """A worker's result into its file: marshal (twice as fast as pickle for plain data), pickle for anything else."""
    try:
        data = b"M" + marshal.dumps(value)
    except ValueError:
        data = b"P" + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(data)


def _load(fh: Any) -> Any:
    data = fh.read()
    if data[:1] == b"M":
        return marshal.loads(memoryview(data)[1:])
    if data[:1] == b"P":
        return pickle.loads(memoryview(data)[1:])
    raise ValueError("not a worker's result")


class Beside:
    """fn(*args) run in a forked worker while the parent goes on; `result()` waits for it. Without a core to spare (or
    without fork) fn runs in the parent when `result()` is called. fn's result must be plain data: the worker pickles it
    into an unnamed temporary file, which the parent reads once the worker has exited (no pipe to fill, no thread in
    the parent competing with its own work). The worker sees the parent's data as it was at the fork: what fn changes
    there is lost, so fn returns everything the parent needs. An exception in fn is raised again by result()."""

    def __init__(self, fn: Callable[..., Any], *args: Any, fork: bool = True) -> None:
        self._fn, self._args = fn, args
        self._pid = 0
        if not (fork and _can_fork()):
            return
        import tempfile

        self._file = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 1
            try:
                with gc_paused(collect=False):
                    out: tuple[str, Any] = ("ok", fn(*args))
                code = 0
            except BaseException as exc:  # noqa: BLE001 - reported by the parent
                out = ("error", f"{type(exc).__name__}: {exc}")
            try:
                _dump(out, self._file)
                self._file.flush()
            finally:
                os._exit(code)
        self._pid = pid

    def result(self) -> Any:
        if not self._pid:
            return self._fn(*self._args)
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        with self._file:
            self._file.seek(0)
            try:
                kind, value = _load(self._file)  # our own worker's file, never an input
            except (EOFError, pickle.UnpicklingError, ValueError, TypeError) as exc:
                raise RuntimeError(f"a worker ended without its result (wait status {status})") from exc
        if kind != "ok":
            raise RuntimeError(f"a worker failed: {value}")
        return value


class Warm:
    """A worker forked now, to get slow imports (`setup`) done on a spare core while the parent goes on; it then runs
    the jobs `run(fn, *args)` sends it, one at a time, and returns their results (plain data, pickled over a pipe).
    A process forked later from the parent (a Beside) may send it jobs too. Without a spare core (or fork) a job runs
    where it is asked for. `close()` ends it; so does the parent's exit (the worker reads the end of its pipe)."""

    def __init__(self, setup: Callable[[], Any]) -> None:
        self._pid = 0
        if not _can_fork():
            return
        job_r, job_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 0
            try:
                os.close(job_w)
                os.close(out_r)
                with gc_paused(collect=False):
                    setup()
                    with os.fdopen(job_r, "rb") as jobs, os.fdopen(out_w, "wb") as results:
                        while True:
                            try:
                                fn, args = pickle.load(jobs)
                            except EOFError:
                                break
                            try:
                                out: tuple[str, Any] = ("ok", fn(*args))
                            except Exception as exc:  # noqa: BLE001 - reported by the caller
                                out = ("error", f"{type(exc).__name__}: {exc}")
                            pickle.dump(out, results, protocol=pickle.HIGHEST_PROTOCOL)
                            results.flush()
            except BaseException:  # noqa: BLE001 - the caller sees the pipe end
                code = 1
            finally:
                os._exit(code)
        os.close(job_r)
        os.close(out_w)
        self._pid = pid
        self._jobs = os.fdopen(job_w, "wb")
        self._results = os.fdopen(out_r, "rb")

    def run(self, fn: Callable[..., R], *args: Any) -> R:
        if not self._pid:
            return fn(*args)
        try:
            pickle.dump((fn, args), self._jobs, protocol=pickle.HIGHEST_PROTOCOL)
            self._jobs.flush()
            kind, value = pickle.load(self._results)  # our own worker's pipe, never an input
        except (OSError, EOFError, pickle.UnpicklingError) as exc:
            raise RuntimeError("the warm worker ended without a result") from exc
        if kind != "ok":
            raise RuntimeError(f"a worker failed: {value}")
        return value

    def close(self) -> None:
        if not self._pid:
            return
        pid, self._pid = self._pid, 0
        for f in (self._jobs, self._results):
            with contextlib.suppress(OSError):
                f.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _share(fn: Callable[[T], R], items: Sequence[T], chunk: range) -> list[R]:
    return [fn(items[i]) for i in chunk]


def fork_map(fn: Callable[[T], R], items: Sequence[T], minimum: int = PARALLEL_FROM) -> list[R]:
    """[fn(x) for x in items], on every core when there are at least `minimum` items. fn's result must be plain data;
    the order of the results is the order of the items.

    The parent takes one share itself while forked workers (see Beside) do the others: with two cores, one worker,
    and only the worker's results are pickled across. The parent's share is PARENT_WEIGHT times a worker's, since a
    worker also writes its results and the parent reads them."""
    n = min(cores(), MAX_WORKERS)
    if n < 2 or len(items) < minimum or not _can_fork():
        return [fn(x) for x in items]
    first = round(len(items) * PARENT_WEIGHT / (PARENT_WEIGHT + n - 1))
    rest = len(items) - first
    bounds = [0, first] + [first + rest * (k + 1) // (n - 1) for k in range(n - 1)]
    chunks = [range(bounds[k], bounds[k + 1]) for k in range(n)]
    workers = [Beside(_share, fn, items, chunk) for chunk in chunks[1:]]
    with gc_paused(collect=False):
        parts = [_share(fn, items, chunks[0])]
    parts += [w.result() for w in workers]
    out: list[Any] = [None] * len(items)
    for chunk, part in zip(chunks, parts, strict=True):
        for i, result in zip(chunk, part, strict=True):
            out[i] = result
    return out
