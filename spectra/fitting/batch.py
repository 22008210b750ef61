"""Fit many spectra or patterns with one recipe: :func:`fit_many`.

The work is split by *what* is fitted and *how*:

* the technique's :class:`~spectra.fitting.problem.Problem` (looked up by the recipe's technique)
  gives the parameters, start models, batched model, one-spectrum lmfit model and derived quantities;
* :mod:`spectra.fitting.prepare` checks the data (the same checks as :func:`spectra.fit`);
* :func:`spectra.fitting.lm.levenberg_marquardt` advances a chunk of items together;
* this module groups items by grid, runs chunks (locally, or as dask tasks), seeds series, runs
  Monte Carlo replicas as batches and assembles the labelled result
  (:func:`spectra.fitting.dataset.results_dataset`).
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

import numpy as np
import xarray as xr

from ..errors import FitError
from . import quality
from .dataset import QUANTILES, results_dataset
from .lm import levenberg_marquardt
from .montecarlo import quantiles, refit, replicas
from .options import FitOptions, validate
from .prepare import Raw, as_raw, prepare
from .problem import Item, Problem, problem_for
from .workers import auto_workers, run_forked, shared_copy, single_threaded_blas


def fit_model(*args, **kwargs):
    """:func:`spectra.fitting.lmfit_engine.fit_model`, imported on first use: the batched engine never
    pays for importing lmfit (seconds in a cold process)."""
    from .lmfit_engine import fit_model as fit

    return fit(*args, **kwargs)


#: ``message`` of a spectrum an interrupted run did not reach
PENDING = "not fitted: the run was interrupted before this spectrum"
#: items checked and given start values together (larger blocks measured slower: fresh memory)
_BLOCK = 512
#: most items on one grid fitted in one continuous-batching run (bounds the memory of its state:
#: data, σ, residuals and model curves of every item of the run)
_POOL = 4096
#: fewest items worth a worker process on the lmfit engine (the batched engine: its problem's items_per_worker)
_LMFIT_PER_WORKER = 16


def _stack_dim(data, axis: str) -> str | None:
    """The dim a DataArray stacks spectra along: ``spectrum``, or the one other dim of a 2-D array
    (``cycle`` of a depth profile, ``scan``, ``time``, ...)."""
    if not isinstance(data, xr.DataArray) or axis not in data.dims:
        return "spectrum" if isinstance(data, xr.DataArray) and "spectrum" in data.dims else None
    others = [d for d in data.dims if d != axis]
    if "spectrum" in others:
        return "spectrum"
    return others[0] if len(others) == 1 else None


def _as_list(data, axis: str) -> list:
    """One item per spectrum: arrays of a stacked DataArray, DataArrays, or file paths (read later)."""
    if isinstance(data, xr.DataArray):
        stack = _stack_dim(data, axis)
        if stack is not None and set(data.dims) == {stack, axis}:
            x = np.asarray(data[axis].values, dtype=float)
            rows, attrs = np.asarray(data.transpose(stack, axis).values, dtype=float), data.attrs
            return [Raw(x, row, attrs) for row in rows]
        if stack is not None:
            return [data.isel({stack: i}) for i in range(data.sizes[stack])]
        return [data]
    return list(data)


def _count(data, axis: str) -> int:
    """How many items :func:`_as_list` makes of ``data`` (a DataArray or a list), without making them."""
    if isinstance(data, xr.DataArray):
        stack = _stack_dim(data, axis)
        return 1 if stack is None else int(data.sizes[stack])
    return len(data)


def _sources(data, items: list) -> list[str]:
    """Where each item came from: its path, or the ``source`` attribute of its spectrum (as a single
    fit's result records it): for a stacked DataArray its own, for every row."""
    if isinstance(data, xr.DataArray):
        return [str(data.attrs.get("source") or "")] * len(items)
    found, sources = {}, []
    for item in items:
        attrs = getattr(item, "attrs", None)
        if isinstance(attrs, dict):
            if id(attrs) not in found:
                found[id(attrs)] = str(attrs.get("source") or "")
            sources.append(found[id(attrs)])
        else:
            sources.append(str(item) if isinstance(item, (str, os.PathLike)) else "")
    return sources


def _prepare_all(indices, items: list, problem: Problem, out: _Results, weights: str) -> list[Item]:
    """The items ready for fitting; each one that cannot be fitted gets its reason in ``out``.

    Rows of one stacked DataArray (items sharing their axis array) are checked together."""
    good, stacks = [], {}
    for i in indices:
        item = items[i]
        if isinstance(item, Raw):
            stacks.setdefault(id(item.x), []).append(i)
            continue
        try:
            raw = as_raw(item, problem.axis, problem.file_region, problem.name)
            ready, failures = prepare([i], raw, None, problem, weights)
        except Exception as exc:  # noqa: BLE001 - one bad spectrum must not stop the batch
            ready, failures = [], {i: str(exc)}
        good += ready
        out.fail(failures)
    for rows in stacks.values():
        for begin in range(0, len(rows), _BLOCK):  # blocks: temporaries stay small
            block = rows[begin:begin + _BLOCK]
            ready, failures = prepare(block, items[block[0]], np.stack([items[i].y for i in block]), problem, weights)
            good += ready
            out.fail(failures)
    return sorted(good, key=lambda it: it.index)


def _by_grid(problem: Problem, items: list[Item], out: _Results) -> list[list[Item]]:
    """Items grouped by identical axis grids, with their start models."""
    groups: dict[bytes, list[Item]] = {}
    keys: dict[int, bytes] = {}  # rows of a stack share one axis array: its key is computed once
    for item in items:
        key = keys.get(id(item.x))
        if key is None:
            key = keys[id(item.x)] = np.round(item.x, 9).tobytes()
        groups.setdefault(key, []).append(item)
    ready = []
    for group in groups.values():
        kept = []
        for begin in range(0, len(group), _BLOCK):
            block = group[begin:begin + _BLOCK]
            kept += _isolating(block, problem.attach_models, out)
        if kept:
            ready.append(kept)
    return ready


def _isolating(items: list[Item], work, out: _Results) -> list[Item]:
    """Run ``work`` on items together; if it raises, on each alone, so that only the items that
    cannot be processed fail (with the reason). Returns the items processed."""
    try:
        work(items)
        return items
    except Exception as exc:  # noqa: BLE001 - one bad spectrum must not stop the batch
        if len(items) == 1:
            out.fail({items[0].index: f"{type(exc).__name__}: {exc}"})
            return []
    return [item for one in items for item in _isolating([one], work, out)]


def fit_many(data, recipe, **options) -> xr.Dataset:
    """Fit every spectrum or pattern of ``data`` with one XPS or XRD recipe.

    Parameters
    ----------
    data : DataArray with dim ``spectrum``, list of DataArrays, or list of files
        Spectra on ``binding_energy`` (XPS recipes) or patterns on ``two_theta`` (XRD recipes).
        Items are *grouped* by identical axis grids (inside the recipe's window) and each group is
        fitted as one batch; nothing is resampled, so every spectrum is fitted on its own measured
        points. Files are read one at a time; one that
        cannot be read is a failed item (its path is in the ``source`` coordinate).
    recipe : str, pathlib.Path or dict
        A recipe of any registered technique (a ``.toml`` path, TOML text or a dict): XPS (see
        :mod:`spectra.xps.recipe`) or XRD (``technique = "xrd"``, see :mod:`spectra.xrd.recipe`).
    weights : {"poisson", "none"}
        ``poisson`` weights each point by 1/σ from counting statistics, as :func:`spectra.fit`.
    engine : {"auto", "batched", "lmfit"}
        ``batched`` is the vectorised Levenberg–Marquardt engine of this module; ``lmfit`` fits one
        spectrum at a time exactly as :func:`spectra.fit` does. ``auto`` takes the batched engine
        when it supports the recipe (every XRD recipe; XPS: :func:`spectra.xps.batched.supported`).
    chunk_size : int, optional
        Items advanced together by the batched engine (and per task of a distributed run). Batching
        is continuous: a spectrum that has converged leaves the working set and the next one takes
        its place, so a slow spectrum holds up no other. Memory grows with chunk × points × varying
        parameters (and × reflections for XRD). By default 128 XPS spectra and 32 XRD patterns.
    mc_replicas : int
        Poisson replicas per spectrum for Monte Carlo intervals (0, or at least 2), each with its
        static background recomputed and refitted from the best fit by the run's engine.
    method : {"leastsq", "least_squares"}, optional
        lmfit minimiser of the lmfit engine (the technique's default when None); the batched engine
        has its own and refuses this option.
    seed : int, optional
        Seed of the Monte Carlo replicas.
    start : {"recipe", "neighbour"}
        Start values. ``neighbour`` is for series (depth profiles, operando scans) in data order:
        the lmfit engine starts each spectrum from the last successful fit before it; the batched
        engine starts each chunk from the last successful fit of the chunks before it, and then
        refits every failed spectrum from its nearest successful neighbour's values.
    resume : xarray.Dataset, optional
        An interrupted result of the same recipe and data (``attrs["complete"] == 0``): its finished
        spectra are kept and only the others are fitted.
    progress : bool or callable
        Report how many spectra are done, after every chunk (batched) or every spectrum (lmfit): on
        standard error with True, or by calling ``progress(done, total)`` (e.g. to drive a progress
        bar).
    workers : int, optional
        Processes the run is split over (each part fitted in a process forked from this one, see
        :mod:`spectra.fitting.workers`). By default one per available core, each with at least the
        technique's ``items_per_worker`` (XPS 1,024 spectra, XRD 128 patterns; 16 on the lmfit
        engine), on Linux; one process where forking is
        unavailable (Windows) or unsafe (macOS; another Python thread runs, as in a Jupyter kernel:
        pass ``workers`` there to split anyway), and for ``start="neighbour"``. The result does not
        depend on it.
    client : dask.distributed.Client, optional
        Spread blocks of ``chunk_size`` spectra over the cluster's workers. A dask-backed stack
        without ``client`` is spread over dask's default scheduler. The result is the same as a
        local run (Monte Carlo replicas use per-block seeds spawned from ``seed``).

    Returns
    -------
    xarray.Dataset
        dims ``spectrum`` and ``param``: ``value``, ``stderr``, ``success``, ``redchi``, ``nfev``,
        ``message``, ``covariance`` (of the varying parameters, scaled by χ²ᵣ), ``ok``, ``flags`` and
        ``at_bound`` (see :mod:`spectra.fitting.quality`), bounds and start values. Derived quantities
        with standard errors propagated through the full covariance: for XPS per ``component``
        ``area`` and ``fraction``; for XRD per ``phase`` ``weight_fraction`` and crystallite ``size``.
        With ``mc_replicas`` also ``mc_value`` and ``mc_fraction`` (dim ``quantile``; the fractions
        are the XPS area fractions or XRD weight fractions; ``mc_done`` says which spectra have
        them). A spectrum that cannot be fitted has ``success = False``, NaN values and the reason
        in ``message``; the others are unaffected. Ctrl-C returns the work done so far with
        ``attrs["complete"] = 0``, the spectra not reached marked :data:`PENDING` and
        ``attrs["pending"]`` counting them (and fitted spectra still without their replicas).
        ``attrs["workers"]`` is the number of processes the run was split over.

    Raises
    ------
    spectra.errors.SpectraError
        An invalid option (named, with its allowed values) or recipe, before any work is done.
    """
    # the engines' linear algebra is on small matrices: BLAS threads would only cost (measured: S 2p
    # fits ~5 % faster in one process, and in the worker processes' parent, which only waits, OpenBLAS's
    # threads no longer spin on the cores the workers need)
    with single_threaded_blas():
        return _fit_many(data, recipe, options)


def _fit_many(data, recipe, options: dict) -> xr.Dataset:
    """:func:`fit_many`'s work (its options as given)."""
    resume, client = options.pop("resume", None), options.pop("client", None)
    opts = validate("fit_many", options)
    problem = problem_for(recipe)
    reason = problem.unsupported()
    if opts.engine == "batched" and reason:
        raise FitError(f"the batched engine does not support {reason}; use engine='lmfit'")
    use_batched = opts.engine in ("batched", "auto") and reason is None
    if opts.method is not None and use_batched:
        raise FitError(f"method={opts.method!r} applies to the lmfit engine; the batched engine has its own "
                       "Levenberg-Marquardt (pass engine='lmfit' to choose an lmfit minimiser)")
    chunk_size = opts.chunk_size or problem.default_chunk
    if client is not None or _is_dask(data):
        if resume is not None:
            raise FitError("resume is for local runs; a distributed run is resumed block by block")
        return _with_stack_coordinate(_fit_distributed(data, recipe, client, opts, chunk_size, problem.axis), data,
                                      problem.axis)
    if not isinstance(data, xr.DataArray):
        data = list(data)
    n_items = _count(data, problem.axis)
    out = _Results(problem, n_items, opts.progress, opts.weights)
    fit_todo, mc_todo = out.resume_from(resume) if resume is not None else (list(range(n_items)), [])
    out.mc_replicas = opts.mc_replicas
    try:
        items = _as_list(data, problem.axis)
        out.source = _sources(data, items)
        todo = sorted(fit_todo + mc_todo)
        per_worker = max(problem.items_per_worker, chunk_size) if use_batched else _LMFIT_PER_WORKER
        workers = opts.workers or (1 if opts.start == "neighbour" else auto_workers(len(todo), per_worker))
        out.workers = workers
        if workers > 1:
            _run_in_workers(problem, items, todo, set(fit_todo), out, opts, use_batched, chunk_size, workers)
        else:
            _run(problem, items, fit_todo, mc_todo, out, opts, use_batched, chunk_size)
    except KeyboardInterrupt:  # keep what is done; fit_many(..., resume=result) finishes the rest
        out.interrupted = True
    with _interrupts_held(out):  # a second Ctrl-C while the result is assembled must not lose the work
        for _ in range(3):
            try:
                return _with_stack_coordinate(out.dataset("batched" if use_batched else "lmfit"), data, problem.axis)
            except KeyboardInterrupt:
                out.interrupted = True
        return _with_stack_coordinate(out.dataset("batched" if use_batched else "lmfit"), data, problem.axis)


def _run(problem: Problem, items: list, fit_todo: list[int], mc_todo: list[int], out: _Results, opts: FitOptions,
         use_batched: bool, chunk_size: int) -> None:
    """Prepare, fit and (with ``mc_replicas``) bootstrap the items ``fit_todo`` of ``items``; add the Monte
    Carlo replicas of the fitted items ``mc_todo``. Everything is recorded in ``out``."""
    good = _prepare_all(sorted(fit_todo + mc_todo), items, problem, out, opts.weights)
    groups = _by_grid(problem, good, out)
    refit = set(fit_todo)
    groups = [kept for kept in ([it for it in group if it.index in refit] for group in groups) if kept]
    if use_batched:
        _fit_batched(problem, groups, out, chunk_size, opts.start == "neighbour")
    else:
        _fit_lmfit(problem, groups, out, opts)
    if opts.mc_replicas:
        engine = "batched" if use_batched else "lmfit"
        for item in good:
            if out.success[item.index] and not out.mc_done[item.index]:
                try:
                    _monte_carlo(problem, item, out, opts, engine)
                except Exception as exc:  # noqa: BLE001 - the fit stands; its intervals could not be made
                    out.message[item.index] += f"; Monte Carlo failed: {type(exc).__name__}: {exc}"
                    out.mc_done[item.index] = True


def _run_in_workers(problem: Problem, items: list, todo: list[int], fit_todo: set[int], out: _Results,
                    opts: FitOptions, use_batched: bool, chunk_size: int, workers: int) -> None:
    """:func:`_run` over ``workers`` forked processes (:mod:`spectra.fitting.workers`): ``todo`` is cut
    into contiguous parts (:func:`_guided_parts`) that the processes take in turn, each sending its
    finished items back as it goes. A part whose process died is finished here."""
    smallest = max(chunk_size, problem.items_per_worker // 4) if use_batched else _LMFIT_PER_WORKER
    parts = _guided_parts(todo, workers, smallest)
    out.share()  # the workers write their numbers in place and send their messages

    def work(part: list[int], send) -> None:
        local = out.part(part)
        local.progress = lambda *_: send(local.finished_rows())
        local_fit = [k for k, i in enumerate(part) if i in fit_todo]
        local_mc = [k for k, i in enumerate(part) if i not in fit_todo]
        _run(problem, [items[i] for i in part], local_fit, local_mc, local, opts, use_batched, chunk_size)
        # the rest; with Monte Carlo every row again (replicas finish after the fits were sent)
        send(local.finished_rows(everything=bool(opts.mc_replicas)))

    def receive(k: int, rows) -> None:
        local_rows, values = rows
        out.absorb(np.asarray(parts[k])[local_rows], values)
        out.report()

    try:
        unfinished = run_forked(parts, work, receive, workers)
    finally:
        out.clear_pending()  # what a stopped worker wrote for items it did not finish
        out.unshare()  # the result must not change with what any later forked process writes
    for k in unfinished:  # a worker that died: its unfinished items (fits, Monte Carlo) are done here
        left_fit = [i for i in parts[k] if i in fit_todo and out.message[i] == PENDING]
        left_mc = [i for i in parts[k] if i not in left_fit and opts.mc_replicas and out.success[i]
                   and not out.mc_done[i]]
        _run(problem, items, left_fit, left_mc, out, opts, use_batched, chunk_size)


def _guided_parts(todo: list[int], workers: int, smallest: int) -> list[list[int]]:
    """``todo`` cut into contiguous parts that shrink as the run goes on (OpenMP's *guided* schedule):
    each takes 1/workers of what is left, down to ``smallest``, and a rest smaller than that joins the
    last part. The large first parts keep the per-part cost (a part's start tables, the last
    iterations of its batch, with few items left: XRD measured ~4 % faster than with parts half as
    large) small; the small last ones let the processes finish together, whatever the speed of each
    core."""
    parts, begin = [], 0
    while begin < len(todo):
        size = max(smallest, -(-(len(todo) - begin) // workers))
        if len(todo) - begin - size < smallest:  # no part smaller than smallest at the end: the rest joins
            size = len(todo) - begin
        parts.append(todo[begin:begin + size])
        begin += size
    return parts


@contextlib.contextmanager
def _interrupts_held(out: _Results):
    """Hold Ctrl-C back (it marks the run interrupted) while the block runs, in the main thread where
    Python delivers it; elsewhere (or under a handler not set from Python) nothing changes."""
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    if previous is None:
        yield
        return
    signal.signal(signal.SIGINT, lambda *_: setattr(out, "interrupted", True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _with_stack_coordinate(result: xr.Dataset, data, axis: str) -> xr.Dataset:
    """Keep the dim a stack came in (``cycle``, ``scan``, ``time``) as a coordinate along ``spectrum``
    (``result.swap_dims(spectrum="cycle")`` indexes by it)."""
    stack = _stack_dim(data, axis)
    if stack is None or stack == "spectrum" or stack not in data.coords:
        return result
    return result.assign_coords({stack: ("spectrum", np.asarray(data[stack].values))})


def _fit_lmfit(problem: Problem, groups: list[list[Item]], out: _Results, opts: FitOptions) -> None:
    """One spectrum at a time with lmfit, as :func:`spectra.fit` (series seeded from the last success)."""
    previous = None
    for item in sorted((item for group in groups for item in group), key=lambda it: it.index):
        try:
            r = fit_model(problem.lmfit_model(item), item.y, item.sigma, method=opts.method or problem.default_method,
                          start=previous)
        except Exception as exc:  # noqa: BLE001 - one bad spectrum must not stop the batch
            out.fail({item.index: f"{type(exc).__name__}: {exc}"})
            continue
        out.store(item.index, r.values, r.stderr, r.varying, r.covariance, r.redchi, r.nfev, r.success, r.message)
        out.setup([item.index], [item], ((item.y - r.best_fit) / item.sigma)[None])
        out.add_notes(problem, [item])
        out.report()
        if opts.start == "neighbour" and r.success:
            previous = r.values


def _is_dask(data) -> bool:
    return isinstance(data, xr.DataArray) and data.chunks is not None


def _fit_distributed(data, recipe, client, opts: FitOptions, chunk_size: int, axis: str) -> xr.Dataset:
    """fit_many over blocks of ``chunk_size`` items as dask tasks; results concatenated in order."""
    import dask

    if isinstance(data, xr.DataArray):
        stack = _stack_dim(data, axis)
        if stack is None:
            data = data.expand_dims("spectrum")
        elif stack != "spectrum":
            data = data.drop_vars(stack, errors="ignore").rename({stack: "spectrum"})
        n_spec = data.sizes["spectrum"]
        blocks = [data.isel(spectrum=slice(a, a + chunk_size)) for a in range(0, n_spec, chunk_size)]
    else:
        items = list(data)
        blocks = [items[a:a + chunk_size] for a in range(0, len(items), chunk_size)]
    seeds = np.random.SeedSequence(opts.seed).spawn(len(blocks))
    options = {"weights": opts.weights, "engine": opts.engine, "method": opts.method,  # a task runs on one core
               "mc_replicas": opts.mc_replicas, "start": opts.start, "chunk_size": chunk_size, "workers": 1}
    tasks = [dask.delayed(fit_many)(block, recipe, seed=int(s.generate_state(1)[0]), **options)
             for block, s in zip(blocks, seeds)]
    parts = client.compute(tasks, sync=True) if client is not None else dask.compute(*tasks)
    result = xr.concat(parts, dim="spectrum", data_vars="all", coords="minimal", compat="override",
                       combine_attrs="override")
    result = result.assign_coords(spectrum=np.arange(result.sizes["spectrum"]))
    result.attrs.update(complete=int(min(p.attrs["complete"] for p in parts)),
                        pending=int(sum(p.attrs["pending"] for p in parts)), blocks=len(parts))
    return result


def _fit_batched(problem: Problem, groups: list[list[Item]], out: _Results, chunk_size: int,
                 from_neighbours: bool) -> None:
    for items in groups:
        if not from_neighbours:
            for begin in range(0, len(items), _POOL):
                _fit_pool(problem, items[begin:begin + _POOL], out, chunk_size)
            continue
        # a series: each chunk starts from the fits of the chunks before it
        for begin in range(0, len(items), chunk_size):
            chunk = items[begin:begin + chunk_size]
            start = _neighbour_start(out, [chunk[0].index])
            _isolating(chunk, lambda part, start=start: _fit_chunk(problem, part, out, _rows_of(start, chunk, part)),
                       out)
        failed = [it for it in items if not out.success[it.index]]  # refit from their nearest successful neighbours
        if failed and out.success.any():
            start = _neighbour_start(out, [it.index for it in failed], nearest=True)
            _isolating(failed, lambda part, start=start: _fit_chunk(problem, part, out, _rows_of(start, failed, part)),
                       out)


def _fit_pool(problem: Problem, items: list[Item], out: _Results, window: int) -> None:
    """Fit items on one grid by continuous batching: ``window`` of them are advanced together, and each
    one that finishes is stored at once and replaced by the next (:func:`levenberg_marquardt`'s
    ``window``). If the pool cannot be fitted together (an item whose model raises), the items not yet
    stored are fitted in chunks of ``window``, each isolating its culprit."""
    stored = np.zeros(len(items), bool)
    last_report = 0

    def on_done(rows, fit):
        nonlocal last_report
        _store(problem, [items[k] for k in rows], out, fit)
        stored[rows] = True
        done = int(np.count_nonzero(stored))
        if done - last_report >= window:
            out.report()
            last_report = done

    try:
        y, sigma, theta0, lo, hi = _start_arrays(items)
        levenberg_marquardt(problem.batched_model(items), theta0, lo, hi, out.vary, y, sigma, window=window,
                            on_done=on_done)
    except Exception:  # noqa: BLE001 - one bad spectrum must not stop the batch
        rest = [item for k, item in enumerate(items) if not stored[k]]
        for begin in range(0, len(rest), window):
            _isolating(rest[begin:begin + window], lambda part: _fit_chunk(problem, part, out), out)
    if last_report < len(items):
        out.report()


def _rows_of(start: np.ndarray | None, chunk: list[Item], part: list[Item]) -> np.ndarray | None:
    """The rows of a chunk's start values (one row for all, or one per item) that belong to ``part``."""
    if start is None or part is chunk or len(start) == 1:
        return start
    where = {id(item): k for k, item in enumerate(chunk)}
    return start[[where[id(item)] for item in part]]


def _neighbour_start(out: _Results, indices: list[int], *, nearest: bool = False) -> np.ndarray | None:
    """Start values from fitted spectra: the last success before ``indices[0]`` for every row, or
    (``nearest``) each row's nearest success. None when there is none to start from."""
    done = np.where(out.success)[0]
    if nearest:
        picks = [done[np.argmin(np.abs(done - i))] for i in indices] if done.size else []
    else:
        before = done[done < indices[0]]
        picks = [before[-1]] * len(indices) if before.size else []
    return out.value[picks] if len(picks) else None


#: what a run records per item in numbers (rows of :class:`_Results`' arrays), with each one's value
#: before the item is fitted
_NUMERIC = {"value": np.nan, "stderr": np.nan, "covariance": np.nan, "success": False, "redchi": np.nan, "nfev": 0,
            "lo": np.nan, "hi": np.nan, "start": np.nan, "z_runs": np.nan, "dof": 0, "mc_done": False}
#: everything a run records per item
_PER_ITEM = (*_NUMERIC, "message")


class _Results:
    """Arrays of a fit_many run, filled item by item."""

    def __init__(self, problem: Problem, n_spec: int, progress=False, weights: str = "poisson"):
        self.problem = problem
        self.progress = progress
        self.weights = weights
        self.names, self.vary = problem.names, problem.vary
        self.varying = [n for n, v in zip(self.names, self.vary) if v]
        n_par, n_free = len(self.names), int(self.vary.sum())
        shapes = {"value": (n_par,), "stderr": (n_par,), "covariance": (n_free, n_free), "lo": (n_par,),
                  "hi": (n_par,), "start": (n_par,)}
        for name, empty in _NUMERIC.items():
            setattr(self, name, np.full((n_spec, *shapes.get(name, ())), empty))
        self.message = np.full(n_spec, PENDING, dtype=object)
        self.mc_value = None
        self.mc_fraction = None
        self.mc_replicas = 0
        self.mc_done = np.zeros(n_spec, bool)
        self.interrupted = False
        self.source = [""] * n_spec
        #: each row's position in the whole run (a worker's rows are a part of it)
        self.position = np.arange(n_spec)
        self._sent = np.zeros(n_spec, bool)
        #: processes the run was split over
        self.workers = 1
        #: whether the numbers are in shared memory (:meth:`share`), and whether they are views of a
        #: shared record (:meth:`part`: only messages are sent back)
        self.shared = self.in_shared = False

    def allocate_mc(self) -> None:
        """The arrays of the Monte Carlo quantiles, NaN until filled."""
        n = len(self.value)
        self.mc_value = np.full((n, len(QUANTILES), len(self.names)), np.nan)
        self.mc_fraction = np.full((n, len(QUANTILES), len(self.problem.fraction_labels)), np.nan)

    def _numeric(self) -> tuple[str, ...]:
        return (*_NUMERIC, "mc_value", "mc_fraction") if self.mc_value is not None else tuple(_NUMERIC)

    def share(self) -> None:
        """Move the numbers into memory that processes forked afterwards share (:func:`shared_copy`), so
        that a worker's :meth:`part` writes them in place for this process to read."""
        if self.mc_replicas and self.mc_value is None:
            self.allocate_mc()
        for name in self._numeric():
            setattr(self, name, shared_copy(getattr(self, name)))
        self.shared = True

    def unshare(self) -> None:
        """Move the numbers back from shared memory (:meth:`share`) into this process's own."""
        if self.shared:
            for name in self._numeric():
                setattr(self, name, np.array(getattr(self, name)))
            self.shared = False

    def part(self, rows: list[int]) -> _Results:
        """A record of the items ``rows`` of this run for a worker to fill: views of this record's numbers
        where they are shared (:meth:`share`) and ``rows`` are a contiguous range, else a fresh record
        with what they already hold (e.g. from a resumed run) copied."""
        part = _Results(self.problem, len(rows), False, self.weights)
        part.mc_replicas = self.mc_replicas
        part.position = self.position[rows]
        contiguous = len(rows) > 0 and rows[-1] - rows[0] + 1 == len(rows)
        if not (contiguous and self.shared):
            part.absorb(np.arange(len(rows)), self._rows(rows))
            return part
        window = slice(rows[0], rows[-1] + 1)
        for name in self._numeric():
            setattr(part, name, getattr(self, name)[window])
        part.message = self.message[window].copy()
        part.in_shared = True
        return part

    def clear_pending(self) -> None:
        """Reset the numbers of items still pending (a worker may have written some before it was stopped)."""
        pending = self.message == PENDING
        if pending.any():
            for name, empty in _NUMERIC.items():
                getattr(self, name)[pending] = empty
            if self.mc_value is not None:
                self.mc_value[pending], self.mc_fraction[pending] = np.nan, np.nan

    def finished_rows(self, *, everything: bool = False) -> tuple[np.ndarray, dict]:
        """The rows finished since the last call (or all rows) and what they hold, for :meth:`absorb`."""
        rows = np.flatnonzero((self.message != PENDING) & ~self._sent) if not everything \
            else np.arange(len(self.message))
        self._sent[rows] = True
        return rows, self._rows(rows)

    def _rows(self, rows) -> dict:
        names = ("message",) if self.in_shared else (*self._numeric(), "message")
        return {name: getattr(self, name)[rows] for name in names}

    def absorb(self, rows, held: dict) -> None:
        """Take what another record (a worker's) holds for the items ``rows`` of this run."""
        if "mc_value" in held and self.mc_value is None:
            self.allocate_mc()
        for name, values in held.items():
            getattr(self, name)[rows] = values

    def resume_from(self, previous: xr.Dataset) -> tuple[list[int], list[int]]:
        """Copy the finished work of an interrupted result; return the indices still to fit, and those
        fitted whose Monte Carlo replicas are still to do."""
        if previous.attrs.get("recipe_sha256") != self.problem.sha256 or previous.sizes["spectrum"] != len(self.value):
            raise FitError("resume needs the result of the same recipe on the same spectra")
        pending = np.asarray(previous.message.values == PENDING)
        done = ~pending
        for name in ("value", "stderr", "covariance", "success", "redchi", "nfev", "message", "dof"):
            getattr(self, name)[done] = previous[name].values[done]
        for name, stored in (("lo", "lower_bound"), ("hi", "upper_bound"), ("start", "start"),
                             ("z_runs", "residual_runs_z")):
            getattr(self, name)[done] = previous[stored].values[done]
        if "mc_value" in previous:
            self.mc_value, self.mc_fraction = previous.mc_value.values.copy(), previous.mc_fraction.values.copy()
            self.mc_done = previous.mc_done.values.astype(bool).copy()
        mc_todo = np.where(done & self.success & ~self.mc_done)[0]
        return [int(i) for i in np.where(pending)[0]], [int(i) for i in mc_todo]

    def report(self) -> None:
        """Report the number of finished items (with ``progress``: printed, or passed to the callable)."""
        if callable(self.progress):
            self.progress(int((self.message != PENDING).sum()), len(self.message))
        elif self.progress:
            done = int((self.message != PENDING).sum())
            print(f"spectra.fit_many: {done}/{len(self.message)} spectra done", file=sys.stderr, flush=True)

    def fail(self, failures: dict[int, str]) -> None:
        """Record the items that cannot be fitted, with their reasons."""
        for i, reason in failures.items():
            self.message[i] = f"not fitted: {reason}"

    def setup(self, rows, items: list[Item], residual: np.ndarray) -> None:
        """Record the bounds, start values, degrees of freedom and residual runs of fitted items."""
        self.lo[rows] = np.stack([it.lo for it in items])
        self.hi[rows] = np.stack([it.hi for it in items])
        self.start[rows] = np.stack([it.start for it in items])
        self.dof[rows] = np.fromiter((it.x.size for it in items), int, len(items)) - int(self.vary.sum())
        self.z_runs[rows] = quality.runs_z(residual)

    def store(self, i, values, stderr, varying, covariance, redchi, nfev, success, message):
        """Record one lmfit fit (its covariance is reordered to the run's varying parameters)."""
        self.value[i] = [values[n] for n in self.names]
        self.stderr[i] = [stderr[n] if v else np.nan for n, v in zip(self.names, self.vary)]
        if covariance is not None and len(varying) == len(self.varying):
            order = [varying.index(n) for n in self.varying]
            self.covariance[i] = np.asarray(covariance)[np.ix_(order, order)]
        self.redchi[i], self.nfev[i], self.success[i], self.message[i] = redchi, nfev, success, message

    def add_notes(self, problem: Problem, items: list[Item]) -> None:
        """Append what the problem has to say about an item's fit (e.g. a Shirley background that did
        not converge) to its message."""
        for item in items:
            note = problem.note(item)
            if note:
                self.message[item.index] = f"{self.message[item.index]}; {note}"

    def dataset(self, engine: str) -> xr.Dataset:
        """The labelled result (:func:`~spectra.fitting.dataset.results_dataset`)."""
        return results_dataset(self.problem, value=self.value, stderr=self.stderr, covariance=self.covariance,
                               success=self.success, redchi=self.redchi, nfev=self.nfev, message=self.message,
                               source=self.source, engine=engine, lo=self.lo, hi=self.hi, start=self.start,
                               z_runs=self.z_runs, dof=self.dof, weights=self.weights,
                               complete=not self.interrupted, pending=self.pending(), mc_value=self.mc_value,
                               mc_fraction=self.mc_fraction, mc_done=self.mc_done if self.mc_replicas else None,
                               workers=self.workers)

    def pending(self) -> int:
        """Spectra not fitted yet, plus fitted ones whose Monte Carlo replicas are still to do."""
        mc = int((self.success & ~self.mc_done).sum()) if self.mc_replicas else 0
        return int((self.message == PENDING).sum()) + mc


def _start_arrays(items: list[Item]):
    """Stacked data, start values and bounds of a chunk on one grid."""
    y = np.stack([it.y for it in items])
    sigma = np.stack([it.sigma for it in items])
    lo, hi = np.stack([it.lo for it in items]), np.stack([it.hi for it in items])
    return y, sigma, np.clip(np.stack([it.start for it in items]), lo, hi), lo, hi


def _fit_chunk(problem: Problem, items: list[Item], out: _Results, start: np.ndarray | None = None) -> None:
    y, sigma, theta0, lo, hi = _start_arrays(items)
    if start is not None:  # a start exactly on a bound would sit where the bound transform is flat
        finite = np.isfinite(lo) & np.isfinite(hi)
        margin = np.where(finite, 1e-3 * np.where(finite, hi - lo, 0.0), 1e-6)
        theta0 = np.where(out.vary, np.clip(start, lo + margin, hi - margin), theta0)
    fit = levenberg_marquardt(problem.batched_model(items), theta0, lo, hi, out.vary, y, sigma)
    _store(problem, items, out, fit)
    out.report()


def _store(problem: Problem, items: list[Item], out: _Results, fit) -> None:
    """Record the batched engine's fits (an :class:`~spectra.fitting.lm.LMResult`) of ``items``."""
    red = fit.chi2 / (items[0].x.size - int(out.vary.sum()))
    cov = fit.covariance * red[:, None, None]
    rows = [it.index for it in items]
    out.value[rows] = fit.theta
    out.covariance[rows] = cov
    errs = np.full(fit.theta.shape, np.nan)
    errs[:, out.vary] = np.sqrt(np.maximum(np.einsum("npp->np", cov), 0.0))
    out.stderr[rows] = errs
    out.success[rows], out.redchi[rows], out.nfev[rows], out.message[rows] = (fit.converged, red, fit.iterations,
                                                                              fit.message)
    out.setup(rows, items, -fit.residual)
    out.add_notes(problem, items)


def _monte_carlo(problem: Problem, item: Item, out: _Results, opts: FitOptions, engine: str) -> None:
    """Fit ``opts.mc_replicas`` Poisson replicas of one item's best fit (as one batch, or with lmfit). The
    replicas of each spectrum come from their own stream, seeded by ``seed`` and the spectrum's position,
    so they do not depend on how the run was split (chunks, workers, resumed runs)."""
    i = item.index
    best = out.value[i]
    if engine == "batched":
        expected = problem.batched_model([item]).evaluate(best[None, :], False)[0][0]
    else:
        expected = problem.lmfit_model(item).evaluate(dict(zip(out.names, best)))[0]
    rng = np.random.default_rng(None if opts.seed is None else [opts.seed, int(out.position[i])])
    reps = replicas(problem, item, expected, opts.mc_replicas, rng, best=best)
    theta, fraction, ok = refit(problem, reps, best, engine=engine, method=opts.method)
    if out.mc_value is None:
        out.allocate_mc()
    out.mc_value[i] = quantiles(theta[ok])
    out.mc_fraction[i] = quantiles(fraction[ok])
    out.mc_done[i] = True


def write_results(results: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False):
    """Write a :func:`fit_many` result to NetCDF-4/HDF5 (h5netcdf) atomically: a failed or interrupted
    write leaves any earlier file untouched, and an existing file is replaced only with ``overwrite``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from ..io.write import write_netcdf

    return write_netcdf(results, path, overwrite=overwrite)
