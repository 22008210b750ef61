"""Worker processes for :func:`spectra.fitting.batch.fit_many`: one run split over the machine's cores.

One Python process fits on one core (the engine's Python bookkeeping holds the GIL between its
compiled kernels), so ``fit_many`` cuts a large run into parts and fits them in a few processes
*forked* from the caller, one per core, each taking the next part whenever it is done with one (so
the processes finish together even when one core is slower or busy). A forked child starts at once
with everything the caller has (the imported package, compiled kernels, the data already read), so it
costs milliseconds to start rather than the seconds a fresh interpreter takes to import and compile.

Each child runs single-threaded: the compiled kernels have no thread pool (numba's OpenMP pool would
not survive the fork) and BLAS is limited to one thread (threadpoolctl). A child sends its finished
items back as it goes (so progress is reported and an interrupted run keeps them); the caller merges
them. A child that dies (killed, out of memory) loses only its
unfinished items, which the caller then fits itself. Ctrl-C reaches the caller alone: the children
ignore it and are terminated by the caller, which keeps what arrived.

Where forking is not available (Windows) or not safe (macOS, or another Python thread is running, as
in a Jupyter kernel or a dask worker), the default (``workers=None``) stays in one process; spread such runs with a
dask ``client`` instead.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import mmap
import multiprocessing
import os
import select
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait

import numpy as np

from ..errors import FitError

#: what a child sends when its task is complete
_FINISHED = "finished"


def can_fork() -> bool:
    """Whether this platform has the ``fork`` start method."""
    return "fork" in multiprocessing.get_all_start_methods()


def available_cpus() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def auto_workers(n_items: int, per_worker: int) -> int:
    """Processes for ``n_items`` when the caller did not say: one per available core, each with at
    least ``per_worker`` items; 1 where forking is unavailable or unsafe: not Linux (macOS's system
    libraries are not fork-safe, so Python spawns there by default), another Python thread is running,
    or this is not the main thread."""
    if (not sys.platform.startswith("linux") or not can_fork()
            or threading.current_thread() is not threading.main_thread() or threading.active_count() > 1):
        return 1
    return max(1, min(available_cpus(), n_items // max(per_worker, 1)))


def check_workers(workers: int) -> None:
    """Refuse a worker count this platform cannot run, before any work is done."""
    if workers > 1 and not can_fork():
        raise FitError(f"workers={workers} needs the 'fork' start method, which this platform lacks; use workers=1, "
                       "or spread the run over a dask.distributed client")


def shared_copy(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` in anonymous shared memory: a process forked afterwards writes to the same
    memory, so what it stores there this process reads without sending it (numbers only: an object
    array holds pointers into one process's heap)."""
    if array.dtype.hasobject:
        raise TypeError("shared memory holds numbers, not Python objects")
    # shared and anonymous; its pages made at once where the system can (fewer faults than page by page)
    flags = mmap.MAP_SHARED | mmap.MAP_ANONYMOUS | getattr(mmap, "MAP_POPULATE", 0)
    memory = mmap.mmap(-1, max(array.nbytes, 1), flags=flags)
    copy = np.frombuffer(memory, dtype=array.dtype, count=array.size).reshape(array.shape)
    copy[...] = array
    return copy


def run_forked(tasks: Sequence, work: Callable, receive: Callable[[int, object], None],
               processes: int | None = None) -> list[int]:
    """Run ``work(task, send)`` for every task in forked processes and pass every object a child hands to
    ``send`` to ``receive(k, obj)`` in this process (``k``: the task's position).

    ``processes`` children (default: one per task) each take the next task nobody has taken whenever
    they are done with one, so a part that runs slowly (a busy core, harder spectra) holds up no one:
    give more tasks than processes, large ones first, for an even finish.

    Returns
    -------
    list of int
        The positions of tasks that were not finished: their process ended early (killed, or ``work``
        raised; the reason is printed by the child), or no process was left to take them. What they
        sent before was received.

    Ctrl-C (KeyboardInterrupt) while waiting terminates the children and is raised again.
    """
    context = multiprocessing.get_context("fork")
    processes = len(tasks) if processes is None else max(1, min(int(processes), len(tasks)))
    queue = _task_queue(len(tasks))  # the positions of the tasks not yet taken, read by the children
    pipes, children = {}, []
    # BLAS on one thread while the children run: they inherit it (the other cores run the other children:
    # measured 0.40 -> 0.29 ms of CPU per S 2p fit) and this process, which only waits, starts no BLAS
    # threads (OpenBLAS's threads, started again when the limit is lifted, spin for a while waiting for
    # work: ~0.1 s of a core that the children need, measured in this process while it waited)
    with single_threaded_blas():
        try:
            # the objects that exist now are left out of the children's garbage collections, which would
            # otherwise write to (and so copy) every page holding one of them
            gc.freeze()
            _release_free_memory()
            try:
                for k in range(processes):
                    reader, writer = context.Pipe(duplex=False)
                    child = context.Process(target=_child, args=(work, tasks, queue, writer), daemon=True,
                                            name=f"spectra-fit-worker-{k}")
                    child.start()
                    writer.close()  # the child holds the other end: end of file once it exits
                    pipes[reader] = child
                    children.append(child)
            finally:
                gc.unfreeze()
            finished = set()
            while pipes:
                for reader in wait(list(pipes)):
                    try:
                        k, message = reader.recv()
                    except EOFError:
                        del pipes[reader]
                        reader.close()
                        continue
                    if isinstance(message, str) and message == _FINISHED:
                        finished.add(k)
                    else:
                        receive(k, message)
            return [k for k in range(len(tasks)) if k not in finished]
        finally:
            for child in children:
                if child.is_alive():
                    child.terminate()
            for child in children:
                child.join()
            for reader in pipes:
                reader.close()
            os.close(queue)


def _release_free_memory() -> None:
    """Hand the free pages of the C heap back to the system before forking (glibc's ``malloc_trim``;
    elsewhere nothing): a child that allocates there then gets fresh pages instead of copying the
    parent's (S 2p workers: ~5,000 fewer page copies each; XRD over two workers ~2 % faster)."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@functools.cache
def _libc():
    """The C library (None where it cannot be loaded by that name)."""
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


@contextlib.contextmanager
def single_threaded_blas():
    """A context in which BLAS runs on one thread (threadpoolctl), restored when the last such context
    open in this process (in any thread) closes, so that overlapping calls from several threads leave
    the caller's setting as it was. The engines' linear algebra is on small matrices (F × F systems, a
    few hundred points), where BLAS threads cost more than they give; and OpenBLAS's threads spin for
    a while after each call, taking a core that worker processes need."""
    global _blas_depth, _blas_limit
    with _blas_lock:
        if _blas_depth == 0:
            _blas_limit = _blas_controller(len(sys.modules)).limit(limits=1)
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


_blas_lock = threading.Lock()
_blas_depth, _blas_limit = 0, None


@functools.lru_cache(maxsize=1)
def _blas_controller(modules: int):
    """The BLAS libraries' thread pools, found again (a few milliseconds) when more modules have been
    imported (``modules``: their count), which may have loaded another BLAS library."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


#: bytes of a task's position in the queue (:func:`_task_queue`)
_RECORD = struct.Struct("<I")


def _task_queue(n_tasks: int) -> int:
    """A pipe holding the positions 0 … n_tasks − 1, one fixed-size record each, its write end closed:
    the read end (returned), which children inherit. A read of one record from a pipe is atomic and a
    child killed in the middle of one holds no lock, so the others carry on (a shared counter behind a
    lock would block them all for good if a child died holding it); an empty pipe reads as end of file."""
    if n_tasks * _RECORD.size > select.PIPE_BUF:  # written at once, so the pipe's buffer must hold them all
        raise ValueError(f"{n_tasks} tasks are more than one queue holds ({select.PIPE_BUF // _RECORD.size})")
    read_end, write_end = os.pipe()
    os.write(write_end, b"".join(_RECORD.pack(k) for k in range(n_tasks)))
    os.close(write_end)
    return read_end


def _child(work: Callable, tasks: Sequence, queue: int, writer) -> None:
    """A worker process: ignore Ctrl-C (the parent decides); take the next task from ``queue`` until none
    is left, do it and say when it is complete."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while True:
            record = os.read(queue, _RECORD.size)
            if len(record) < _RECORD.size:  # end of file: every task has been taken
                break
            (k,) = _RECORD.unpack(record)
            work(tasks[k], lambda message, k=k: writer.send((k, message)))
            writer.send((k, _FINISHED))
    except BaseException:  # noqa: BLE001 - reported here; the parent fits this part itself
        traceback.print_exc()
        os._exit(1)
    writer.close()
