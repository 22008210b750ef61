"""Fit many spectra or patterns with one recipe: :func:`fit_many`.

The work is split by *what* is fitted and *how*:

* a problem describes the technique — its axis, parameters, start models, batched model, one-at-a-
  time lmfit fit and derived quantities: :class:`~spectra.fitting.batched_xps.XPSProblem`,
  :class:`~spectra.xrd.batched.XRDProblem`;
* :func:`spectra.fitting.lm.levenberg_marquardt` advances a chunk of items together;
* this module reads and checks the items, groups them by grid, runs chunks (locally, or as dask
  tasks), seeds series, runs Monte Carlo replicas as batches and assembles the labelled result.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import xarray as xr

from ..errors import FitError
from ..recipe import ModelSpec, parse_recipe, read_recipe, technique_of
from .batched_xps import XPSProblem
from .lm import levenberg_marquardt
from .result import versions
from .single import poisson_sigma

QUANTILES = (0.025, 0.16, 0.5, 0.84, 0.975)
#: ``message`` of a spectrum an interrupted run did not reach
PENDING = "not fitted: the run was interrupted before this spectrum"
#: items checked and given start values together (larger blocks measured slower: fresh memory)
_BLOCK = 512
#: items per batch when ``chunk_size`` is not given
DEFAULT_CHUNK = {"binding_energy": 128, "two_theta": 32}


@dataclass
class _Prepared:
    """One item ready for fitting: data on its window, ascending, and what its problem's
    ``attach_models`` adds: start values and bounds (P,) for the batched engine, a static background
    curve (or the Tougaard curve per unit B) where the model has one, and the model of one fit (the
    lmfit engine; XPS models are made on demand)."""

    index: int
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    factor: float
    start: np.ndarray | None = None
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    background: np.ndarray | None = None
    background_info: object = None
    model: object = None


class _Raw(NamedTuple):
    """One item as arrays: axis values, intensities and the attributes of its DataArray."""

    x: np.ndarray
    y: np.ndarray
    attrs: dict


def problem_for(recipe):
    """The XPS or XRD problem of a recipe (dict, TOML text, parsed spec)."""
    from ..xrd.recipe import XRDSpec, parse_xrd_recipe

    if isinstance(recipe, XRDSpec) or (not isinstance(recipe, ModelSpec) and technique_of(recipe) == "xrd"):
        from ..xrd.batched import XRDProblem

        if isinstance(recipe, XRDSpec):
            return XRDProblem(recipe)
        data = read_recipe(recipe)
        return XRDProblem(parse_xrd_recipe(data), data)
    return XPSProblem(recipe if isinstance(recipe, ModelSpec) else parse_recipe(recipe))


def _as_list(data, axis: str) -> list:
    """One item per spectrum: arrays of a stacked DataArray, DataArrays, or file paths (read later)."""
    if isinstance(data, xr.DataArray):
        if set(data.dims) == {"spectrum", axis}:
            x = np.asarray(data[axis].values, dtype=float)
            rows = np.asarray(data.transpose("spectrum", axis).values, dtype=float)
            return [_Raw(x, row, data.attrs) for row in rows]
        if "spectrum" in data.dims:
            return [data.isel(spectrum=i) for i in range(data.sizes["spectrum"])]
        return [data]
    return list(data)


def _prepare_all(indices, items: list, problem, out: _Results) -> list[_Prepared]:
    """The items ready for fitting; each one that cannot be fitted gets its reason in ``out``.

    Rows of one stacked DataArray (items sharing their axis array) are checked together."""
    good, stacks = [], {}
    for i in indices:
        item = items[i]
        if isinstance(item, _Raw):
            stacks.setdefault(id(item.x), []).append(i)
            continue
        try:
            good += _prepare_rows([i], _as_raw(item, problem.axis), None, problem, out)
        except Exception as exc:  # noqa: BLE001 - one bad spectrum must not stop the batch
            out.message[i] = f"not fitted: {exc}"
    for rows in stacks.values():
        for begin in range(0, len(rows), _BLOCK):  # blocks: temporaries stay small
            block = rows[begin:begin + _BLOCK]
            good += _prepare_rows(block, items[block[0]], np.stack([items[i].y for i in block]), problem, out)
    return sorted(good, key=lambda it: it.index)


def _as_raw(item, axis: str) -> _Raw:
    """A file (read here) or DataArray as arrays; raises with the reason it cannot be one."""
    if isinstance(item, (str, os.PathLike)):
        from ..io import load

        item = load(item)
    if not isinstance(item, xr.DataArray) or item.ndim != 1 or item.dims[0] != axis:
        raise FitError(f"needs a 1-D spectrum on {axis}, got {getattr(item, 'dims', type(item).__name__)}")
    return _Raw(np.asarray(item[axis].values, dtype=float), np.asarray(item.values, dtype=float), item.attrs)


def _prepare_rows(indices, raw: _Raw, y, problem, out: _Results, *, min_points: int = 10) -> list[_Prepared]:
    """Check spectra on one axis (``y`` (N, n), or ``raw.y`` alone), take the recipe window in
    ascending order, and return those that can be fitted; the others get their reason in ``out``."""
    window = problem.spec.window
    x, y = raw.x, (raw.y[None] if y is None else y)
    if window is not None:
        inside = (x >= window[0]) & (x <= window[1])
        x, y = x[inside], y[:, inside]
    order = np.argsort(x)
    x, y = x[order], y[:, order]
    non_finite = (~np.isfinite(y)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        negative, flat = (y < 0).any(axis=1), np.ptp(y, axis=1) <= 0 if x.size else np.ones(len(y), bool)
    factor = problem.counts_factor(raw.attrs)
    sigma = poisson_sigma(y, factor)
    mismatch = problem.check(raw.attrs)
    good = []
    for k, i in enumerate(indices):
        reason = (mismatch if mismatch else
                  f"{non_finite[k]} non-finite intensities in the window" if non_finite[k] else
                  f"only {x.size} points inside the window {window}" if x.size < min_points else
                  "negative intensities; counting data cannot be negative" if negative[k] and
                  not problem.allows_negative else
                  "flat spectrum (all intensities equal)" if flat[k] else None)
        if reason:
            out.message[i] = f"not fitted: {reason}"
        else:
            good.append(_Prepared(i, x, y[k], sigma[k], factor or 1.0))
    return good


def _by_grid(problem, items: list[_Prepared]) -> list[list[_Prepared]]:
    """Items grouped by identical axis grids, with their start models."""
    groups: dict[bytes, list[_Prepared]] = {}
    keys: dict[int, bytes] = {}  # rows of a stack share one axis array: its key is computed once
    for item in items:
        key = keys.get(id(item.x))
        if key is None:
            key = keys[id(item.x)] = np.round(item.x, 9).tobytes()
        groups.setdefault(key, []).append(item)
    for group in groups.values():
        for begin in range(0, len(group), _BLOCK):
            problem.attach_models(group[begin:begin + _BLOCK])
    return list(groups.values())


def fit_many(data, recipe, *, engine: str = "auto", chunk_size: int | None = None, mc_replicas: int = 0,
             seed: int | None = None, start: str = "recipe", resume: xr.Dataset | None = None,
             client=None, progress: bool = False) -> xr.Dataset:
    """Fit every spectrum or pattern of ``data`` with one XPS or XRD recipe.

    Parameters
    ----------
    data : DataArray with dim ``spectrum``, list of DataArrays, or list of files
        Spectra on ``binding_energy`` (XPS recipes) or patterns on ``two_theta`` (XRD recipes).
        Items are *grouped* by identical axis grids (inside the recipe's window) and each group is
        fitted as one batch; nothing is resampled, so every spectrum is fitted on its own measured
        points. Files are read one at a time; one that
        cannot be read is a failed item (its path is in the ``source`` coordinate).
    recipe : recipe
        An XPS recipe (see :func:`spectra.recipe.parse_recipe`) or an XRD recipe
        (``technique = "xrd"``, see :mod:`spectra.xrd.recipe`).
    engine : {"auto", "batched", "lmfit"}
        ``batched`` is the vectorised Levenberg–Marquardt engine of this module; ``lmfit`` fits one
        spectrum at a time exactly as :func:`spectra.fit` does. ``auto`` takes the batched engine
        when it supports the recipe (every XRD recipe; XPS: :func:`~spectra.fitting.batched_xps.supported`).
    chunk_size : int, optional
        Items per batch (and per task of a distributed run). Memory grows with chunk × points ×
        varying parameters (and × reflections for XRD). By default 128 XPS spectra (measured ~1.8×
        faster per fit than 2,000 on 2 cores) and 32 XRD patterns.
    mc_replicas : int
        Poisson replicas per spectrum for Monte Carlo intervals (batched engine only), each with
        its static background recomputed and refitted from the best fit.
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
    progress : bool
        Report on standard error how many spectra are done, after every chunk (batched) or every
        spectrum (lmfit).
    client : dask.distributed.Client, optional
        Spread blocks of ``chunk_size`` spectra over the cluster's workers. A dask-backed stack
        without ``client`` is spread over dask's default scheduler. The result is the same as a
        local run (Monte Carlo replicas use per-block seeds spawned from ``seed``).

    Returns
    -------
    xarray.Dataset
        dims ``spectrum`` and ``param``: ``value``, ``stderr``, ``success``, ``redchi``, ``nfev``,
        ``message``, ``covariance`` (of the varying parameters, scaled by χ²ᵣ). Derived quantities
        with standard errors propagated through the full covariance: for XPS per ``component``
        ``area`` and ``fraction``; for XRD per ``phase`` ``weight_fraction`` and crystallite ``size``.
        With ``mc_replicas`` also ``mc_value`` and ``mc_fraction`` (dim ``quantile``; the fractions
        are the XPS area fractions or XRD weight fractions). A spectrum that cannot be fitted has ``success = False``, NaN values
        and the reason in ``message``; the others are unaffected. Ctrl-C returns the spectra fitted
        so far with ``attrs["complete"] = 0`` and the rest marked :data:`PENDING`.
    """
    problem = problem_for(recipe)
    if engine not in ("auto", "batched", "lmfit"):
        raise FitError(f"unknown engine {engine!r}; use 'auto', 'batched' or 'lmfit'")
    if start not in ("recipe", "neighbour"):
        raise FitError(f"unknown start {start!r}; use 'recipe' or 'neighbour'")
    reason = problem.unsupported()
    if engine == "batched" and reason:
        raise FitError(f"the batched engine does not support {reason}; use engine='lmfit'")
    use_batched = engine in ("batched", "auto") and reason is None
    if mc_replicas and not use_batched:
        raise FitError("mc_replicas needs the batched engine; for one spectrum use spectra.fit(..., mc_replicas=)")
    chunk_size = chunk_size or DEFAULT_CHUNK[problem.axis]
    if client is not None or _is_dask(data):
        if resume is not None:
            raise FitError("resume is for local runs; a distributed run is resumed block by block")
        return _fit_distributed(data, recipe, client, engine=engine, chunk_size=chunk_size,
                                mc_replicas=mc_replicas, seed=seed, start=start)
    items = _as_list(data, problem.axis)
    out = _Results(problem, len(items), progress)
    out.source = [str(item) if isinstance(item, (str, os.PathLike)) else "" for item in items]
    todo = out.resume_from(resume) if resume is not None else range(len(items))
    try:
        good = _prepare_all(todo, items, problem, out)
        groups = _by_grid(problem, good)
        if use_batched:
            _fit_batched(problem, groups, out, chunk_size, start == "neighbour")
            if mc_replicas:
                rng = np.random.default_rng(seed)
                for item in good:
                    if out.success[item.index]:
                        _monte_carlo(problem, item, out, mc_replicas, rng)
        else:
            previous = None
            for item in sorted((item for group in groups for item in group), key=lambda it: it.index):
                r = problem.fit_one(item, previous)
                out.store(item.index, r.values, r.stderr, r.covariance, r.redchi, r.nfev, r.success, r.message)
                out.add_notes(problem, [item])
                if start == "neighbour" and r.success:
                    previous = r.values
    except KeyboardInterrupt:  # keep what is done; fit_many(..., resume=result) finishes the rest
        out.interrupted = True
    return out.dataset("batched" if use_batched else "lmfit")


def _is_dask(data) -> bool:
    return isinstance(data, xr.DataArray) and data.chunks is not None


def _fit_distributed(data, recipe, client, *, chunk_size: int, seed, **options) -> xr.Dataset:
    """fit_many over blocks of ``chunk_size`` items as dask tasks; results concatenated in order."""
    import dask

    if isinstance(data, xr.DataArray):
        if "spectrum" not in data.dims:
            data = data.expand_dims("spectrum")
        n_spec = data.sizes["spectrum"]
        blocks = [data.isel(spectrum=slice(a, a + chunk_size)) for a in range(0, n_spec, chunk_size)]
    else:
        items = list(data)
        blocks = [items[a:a + chunk_size] for a in range(0, len(items), chunk_size)]
    seeds = np.random.SeedSequence(seed).spawn(len(blocks))
    tasks = [dask.delayed(fit_many)(block, recipe, seed=s.generate_state(1)[0], chunk_size=chunk_size, **options)
             for block, s in zip(blocks, seeds)]
    parts = client.compute(tasks, sync=True) if client is not None else dask.compute(*tasks)
    result = xr.concat(parts, dim="spectrum", data_vars="all", coords="minimal", compat="override",
                       combine_attrs="override")
    result = result.assign_coords(spectrum=np.arange(result.sizes["spectrum"]))
    result.attrs.update(complete=int(min(p.attrs["complete"] for p in parts)),
                        pending=int(sum(p.attrs["pending"] for p in parts)), blocks=len(parts))
    return result


def _fit_batched(problem, groups: list[list[_Prepared]], out: _Results, chunk_size: int,
                 from_neighbours: bool) -> None:
    for items in groups:
        for begin in range(0, len(items), chunk_size):
            chunk = items[begin:begin + chunk_size]
            _fit_chunk(problem, chunk, out, _neighbour_start(out, [chunk[0].index]) if from_neighbours else None)
        if from_neighbours:  # refit the failures from their nearest successful neighbours
            failed = [it for it in items if not out.success[it.index]]
            if failed and out.success.any():
                _fit_chunk(problem, failed, out, _neighbour_start(out, [it.index for it in failed], nearest=True))


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


class _Results:
    """Arrays of a fit_many run, filled item by item."""

    def __init__(self, problem, n_spec: int, progress: bool = False):
        self.problem = problem
        self.progress = progress
        self.names, self.vary = problem.names, problem.vary
        self.varying = [n for n, v in zip(self.names, self.vary) if v]
        n_par, n_free = len(self.names), int(self.vary.sum())
        self.value = np.full((n_spec, n_par), np.nan)
        self.stderr = np.full((n_spec, n_par), np.nan)
        self.covariance = np.full((n_spec, n_free, n_free), np.nan)
        self.success = np.zeros(n_spec, bool)
        self.redchi = np.full(n_spec, np.nan)
        self.nfev = np.zeros(n_spec, int)
        self.message = np.full(n_spec, PENDING, dtype=object)
        self.mc_value = None
        self.mc_fraction = None
        self.interrupted = False
        self.source = [""] * n_spec

    def resume_from(self, previous: xr.Dataset) -> list[int]:
        """Copy the finished items of an interrupted result; return the indices still to fit."""
        if previous.attrs.get("recipe_sha256") != self.problem.sha256 or previous.sizes["spectrum"] != len(self.value):
            raise FitError("resume needs the result of the same recipe on the same spectra")
        pending = np.asarray(previous.message.values == PENDING)
        done = ~pending
        for name in ("value", "stderr", "covariance", "success", "redchi", "nfev", "message"):
            getattr(self, name)[done] = previous[name].values[done]
        if "mc_value" in previous:
            self.mc_value, self.mc_fraction = previous.mc_value.values.copy(), previous.mc_fraction.values.copy()
        return [int(i) for i in np.where(pending)[0]]

    def report(self) -> None:
        """Print the number of finished items (with ``progress``)."""
        if self.progress:
            done = int((self.message != PENDING).sum())
            print(f"spectra.fit_many: {done}/{len(self.message)} spectra done", file=sys.stderr, flush=True)

    def store(self, i, values, stderr, covariance, redchi, nfev, success, message):
        self.value[i] = [values[n] for n in self.names]
        self.stderr[i] = [stderr[n] if v else np.nan for n, v in zip(self.names, self.vary)]
        if covariance is not None:
            self.covariance[i] = covariance
        self.redchi[i], self.nfev[i], self.success[i], self.message[i] = redchi, nfev, success, message
        self.report()

    def add_notes(self, problem, items) -> None:
        """Append what the problem has to say about an item's fit (e.g. a Shirley background that did
        not converge) to its message."""
        for item in items:
            note = problem.note(item)
            if note:
                self.message[item.index] = f"{self.message[item.index]}; {note}"

    def dataset(self, engine: str) -> xr.Dataset:
        problem = self.problem
        derived, _ = problem.derived(self.value, self.covariance)
        per_param = {"units": "see param_unit"}
        variables = {
            "value": (("spectrum", "param"), self.value, {**per_param, "long_name": "best-fit parameter value"}),
            "stderr": (("spectrum", "param"), self.stderr,
                       {**per_param, "long_name": "standard error (covariance scaled by reduced chi-square)"}),
            "success": ("spectrum", self.success, {"units": "1", "long_name": "fit converged"}),
            "redchi": ("spectrum", self.redchi, {"units": "1", "long_name": "reduced chi-square (Poisson weights)"}),
            "nfev": ("spectrum", self.nfev, {"units": "1", "long_name": "model evaluations (batched: iterations)"}),
            "message": ("spectrum", self.message.astype(str), {"long_name": "how the fit ended, or why it failed"}),
            "covariance": (("spectrum", "varying", "varying_other"), self.covariance,
                           {"units": "param_unit x param_unit", "long_name": "covariance of the varying parameters"}),
            **derived,
        }
        coords = {"spectrum": np.arange(self.value.shape[0]), "param": self.names,
                  problem.fraction_dim: problem.fraction_labels,
                  "param_unit": ("param", problem.units),
                  "varying": self.varying, "varying_other": self.varying,
                  "source": ("spectrum", np.array(self.source, dtype=str))}
        if self.mc_value is not None:
            variables["mc_value"] = (("spectrum", "quantile", "param"), self.mc_value,
                                     {**per_param, "long_name": "Monte Carlo quantiles of the parameters"})
            variables["mc_fraction"] = (("spectrum", "quantile", problem.fraction_dim), self.mc_fraction,
                                        {**problem.fraction_attrs, "long_name": "Monte Carlo quantiles of the "
                                         + problem.fraction_attrs["long_name"]})
            coords["quantile"] = list(QUANTILES)
        return xr.Dataset(variables, coords=coords,
                          attrs={"engine": engine, "recipe": problem.text, "recipe_sha256": problem.sha256,
                                 "region": problem.region, "complete": int(not self.interrupted),
                                 "pending": int((self.message == PENDING).sum()),
                                 "versions": json.dumps(versions())})


def _start_arrays(items: list[_Prepared]):
    """Stacked data, start values and bounds of a chunk on one grid."""
    y = np.stack([it.y for it in items])
    sigma = np.stack([it.sigma for it in items])
    lo, hi = np.stack([it.lo for it in items]), np.stack([it.hi for it in items])
    return y, sigma, np.clip(np.stack([it.start for it in items]), lo, hi), lo, hi


def _fit_chunk(problem, items: list[_Prepared], out: _Results, start: np.ndarray | None = None) -> None:
    y, sigma, theta0, lo, hi = _start_arrays(items)
    if start is not None:  # a start exactly on a bound would sit where the bound transform is flat
        finite = np.isfinite(lo) & np.isfinite(hi)
        margin = np.where(finite, 1e-3 * np.where(finite, hi - lo, 0.0), 1e-6)
        theta0 = np.where(out.vary, np.clip(start, lo + margin, hi - margin), theta0)
    theta, cov, chi2, iterations, converged, msg = levenberg_marquardt(
        problem.batched_model(items), theta0, lo, hi, out.vary, y, sigma)
    red = chi2 / (items[0].x.size - int(out.vary.sum()))
    cov = cov * red[:, None, None]
    rows = [it.index for it in items]
    out.value[rows] = theta
    out.covariance[rows] = cov
    errs = np.full(theta.shape, np.nan)
    errs[:, out.vary] = np.sqrt(np.maximum(np.einsum("npp->np", cov), 0.0))
    out.stderr[rows] = errs
    out.success[rows], out.redchi[rows], out.nfev[rows], out.message[rows] = converged, red, iterations, msg
    out.add_notes(problem, items)
    out.report()


def _monte_carlo(problem, item: _Prepared, out: _Results, replicas: int, rng) -> None:
    """Fit ``replicas`` Poisson replicas of one item's best fit as one batch."""
    i = item.index
    best = out.value[i][None, :]
    expected, _ = problem.batched_model([item]).evaluate(best, False)
    counts = rng.poisson(np.clip(expected[0] * item.factor, 0.0, None), size=(replicas, item.x.size))
    reps = [_Prepared(k, item.x, yk, poisson_sigma(yk, item.factor), item.factor)
            for k, yk in enumerate(counts / item.factor)]
    reps = _by_grid(problem, reps)[0]
    y, sigma, _, lo, hi = _start_arrays(reps)
    theta, cov, _, _, ok, _ = levenberg_marquardt(problem.batched_model(reps), np.clip(best.repeat(replicas, 0), lo, hi),
                                                  lo, hi, out.vary, y, sigma)
    _, fraction = problem.derived(theta, np.nan_to_num(cov))
    if out.mc_value is None:
        out.mc_value = np.full((len(out.value), len(QUANTILES), len(out.names)), np.nan)
        out.mc_fraction = np.full((len(out.value), len(QUANTILES), len(problem.fraction_labels)), np.nan)
    out.mc_value[i] = np.quantile(theta[ok], QUANTILES, axis=0)
    out.mc_fraction[i] = np.quantile(fraction[ok], QUANTILES, axis=0)


def write_results(results: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a :func:`fit_many` result to NetCDF-4/HDF5 (h5netcdf) atomically: a failed or interrupted
    write leaves any earlier file untouched, and an existing file is replaced only with ``overwrite``."""
    from ..io.write import write_netcdf

    return write_netcdf(results, path, overwrite=overwrite)
