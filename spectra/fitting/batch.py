"""Fit many XPS spectra with one recipe: ``fit_many``, with a vectorised Levenberg–Marquardt engine.

The batched engine advances every spectrum of a chunk together:

* residuals and analytic Jacobians for the whole chunk at once (:mod:`spectra.fitting.partials`);
* bounds handled by the sine / square-root transformations MINUIT and lmfit use, with MINPACK's
  damping scale (the largest column norm seen), so a parameter pinned at a bound is still damped;
* a damping factor λ, convergence tests (MINPACK's ftol on actual and predicted decrease, xtol) and
  an active mask per spectrum: converged spectra drop out of the arithmetic.

Supported here: Gaussian, Lorentzian, pseudo-Voigt, GL(m) and SGL(m) with fixed shape parameters;
backgrounds none, static Shirley and Tougaard (recomputed per spectrum), Tougaard with fitted B,
active Shirley and linear; doublets with fixed splitting and ratio; FWHM shared between components.
Other recipes are fitted by the lmfit engine, which ``engine="auto"`` chooses for them.

Standard errors come from ``(JᵀJ)⁻¹`` scaled by χ²ᵣ, as lmfit's default does. Like lmfit, the engine
approaches a best fit that lies *on* a bound slowly through the sine transform; a spectrum that
reaches the iteration cap is reported as failed with that reason rather than as converged.
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

from .. import backgrounds
from ..errors import FitError
from ..recipe import ModelSpec, parse_recipe
from . import partials
from .model import XPSModel
from .result import versions
from .single import counts_factor, fit_arrays, poisson_sigma


def supported(spec: ModelSpec) -> str | None:
    """None when the batched engine can fit ``spec``, else the reason it cannot."""
    if spec.background.kind not in ("none", "shirley", "tougaard", "tougaard-fitted", "active-shirley", "linear"):
        return f"background {spec.background.kind!r}"
    for comp in spec.components:
        if comp.lineshape not in partials.SUPPORTED:
            return f"line shape {comp.lineshape!r}"
        if any(p.vary for p in comp.shape.values()):
            return "a varying shape parameter"
        if comp.is_doublet and (comp.splitting.vary or comp.ratio.vary):
            return "a varying doublet splitting or ratio"
    if not spec.tie_fwhm:
        return "tie_fwhm = false"
    return None


# ------------------------------------------------------------------------------ bound transforms
def _to_internal(theta, lo, hi):
    both, low_only, high_only = np.isfinite(lo) & np.isfinite(hi), np.isfinite(lo) & ~np.isfinite(hi), \
        ~np.isfinite(lo) & np.isfinite(hi)
    u = theta.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(both, np.arcsin(np.clip(2 * (theta - lo) / np.where(both, hi - lo, 1) - 1, -1, 1)), u)
        u = np.where(low_only, np.sqrt(np.maximum((theta - lo + 1) ** 2 - 1, 0)), u)
        u = np.where(high_only, np.sqrt(np.maximum((hi - theta + 1) ** 2 - 1, 0)), u)
    return u


def _to_external(u, lo, hi):
    both, low_only, high_only = np.isfinite(lo) & np.isfinite(hi), np.isfinite(lo) & ~np.isfinite(hi), \
        ~np.isfinite(lo) & np.isfinite(hi)
    span = np.where(both, hi - lo, 0.0)
    root = np.sqrt(u**2 + 1)
    theta = np.where(both, np.where(both, lo, 0) + span * (np.sin(u) + 1) / 2, u)
    theta = np.where(low_only, np.where(low_only, lo, 0) - 1 + root, theta)
    theta = np.where(high_only, np.where(high_only, hi, 0) + 1 - root, theta)
    dtheta = np.where(both, span * np.cos(u) / 2, 1.0)
    dtheta = np.where(low_only, u / root, dtheta)
    dtheta = np.where(high_only, -u / root, dtheta)
    return theta, dtheta


# ------------------------------------------------------------------------------ batched model
class BatchedXPS:
    """Model values and Jacobians of N spectra sharing one grid and one recipe.

    Parameters
    ----------
    spec : ModelSpec
    x : ndarray (n,)
        Binding energies, ascending (the caller sorts the data to match).
    background : ndarray (N, n), optional
        The static background (Shirley, Tougaard; zeros for ``none``), or for ``tougaard-fitted``
        the Tougaard curve per unit B.
    """

    def __init__(self, spec: ModelSpec, names: list[str], vary: np.ndarray, x: np.ndarray,
                 background: np.ndarray | None):
        self.spec = spec
        self.index = {n: i for i, n in enumerate(names)}
        self.jac_row = {n: k for k, n in enumerate(n for n, v in zip(names, vary) if v)}
        self.x = np.asarray(x, dtype=float)[None, :]
        if np.any(np.diff(self.x[0]) <= 0):
            raise FitError("the batched engine needs a strictly ascending energy grid")
        self.half_dx = 0.5 * np.diff(self.x[0])
        self.background = background

    def _cumint(self, y):
        """Trapezoid integral from the low-BE end, along the last axis."""
        out = np.zeros_like(y)
        np.cumsum((y[..., 1:] + y[..., :-1]) * self.half_dx, axis=-1, out=out[..., 1:])
        return out

    def evaluate(self, theta: np.ndarray, want_jacobian: bool, rows=slice(None)):
        """Model (N, n) and, if asked, ∂model/∂θ (N, F, n) for the F varying parameters, at external
        parameters ``theta`` (N, P) of the spectra ``rows`` (default all)."""
        background = None if self.background is None else self.background[rows]
        n_spec = theta.shape[0]
        col = {n: theta[:, i:i + 1] for n, i in self.index.items()}
        peaks = np.zeros((n_spec, self.x.shape[1]))
        jac = np.zeros((n_spec, len(self.jac_row), self.x.shape[1])) if want_jacobian else None

        def add(name, value):
            if want_jacobian and name in self.jac_row:
                jac[:, self.jac_row[name]] += value

        for comp in self.spec.components:
            f, shape_names = partials.SUPPORTED[comp.lineshape]
            shape = [float(comp.shape[s].value) for s in shape_names]
            owner = comp.fwhm_same_as or comp.name
            c, w, a = col[f"{comp.name}_center"], col[f"{owner}_fwhm"], col[f"{comp.name}_area"]
            lines = [(c, a, 1.0)]
            if comp.is_doublet:
                ratio = col[f"{comp.name}_ratio"]
                lines.append((c + col[f"{comp.name}_splitting"], a * ratio, ratio))
            for center, area, area_factor in lines:
                y, dc, dw, da = f(self.x, center, w, area, *shape)
                peaks += y
                add(f"{comp.name}_center", dc)
                add(f"{owner}_fwhm", dw)
                add(f"{comp.name}_area", da * area_factor)
        kind = self.spec.background.kind
        if kind == "active-shirley":  # c + k ∫ peaks, which depends on every peak parameter
            integral = self._cumint(peaks)
            total = peaks + col["bg_constant"] + col["bg_k"] * integral
            if want_jacobian:
                peak_rows = slice(0, sum(not n.startswith("bg_") for n in self.jac_row))  # peaks come first
                jac[:, peak_rows] += col["bg_k"][:, :, None] * self._cumint(jac[:, peak_rows])
            add("bg_constant", 1.0)
            add("bg_k", integral)
        elif kind == "tougaard-fitted":
            total = peaks + col["bg_constant"] + col["bg_b"] * background
            add("bg_constant", 1.0)
            add("bg_b", background)
        elif kind == "linear":
            dx0 = self.x - self.x[0, 0]
            total = peaks + col["bg_constant"] + col["bg_slope"] * dx0
            add("bg_constant", 1.0)
            add("bg_slope", dx0)
        else:  # static: none, shirley, tougaard
            total = peaks + background
        return total, jac


def levenberg_marquardt(model: BatchedXPS, theta0, lo, hi, vary, y, sigma, *, max_iter: int = 1000,
                        ftol: float = 1.5e-8, xtol: float = 1.5e-8):
    """Vectorised Levenberg–Marquardt over N spectra.

    Parameters
    ----------
    model : BatchedXPS
    theta0, lo, hi : ndarray (N, P)
        Start values and bounds (external, i.e. physical, parameters).
    vary : ndarray of bool (P,)
    y, sigma : ndarray (N, n)
        Data and their standard deviations.
    max_iter, ftol, xtol : optional
        Iteration cap; relative χ² change and relative step below which a spectrum has converged.

    Returns
    -------
    theta : ndarray (N, P)
    covariance : ndarray (N, F, F)
        Unscaled ``(JᵀJ)⁻¹`` of the F free external parameters (NaN where singular).
    chi2 : ndarray (N,)
    iterations : ndarray (N,)
    converged : ndarray of bool (N,)
    message : ndarray of str (N,)
    """
    n_spec = theta0.shape[0]
    free = np.where(vary)[0]
    eye = np.eye(len(free))[None]
    u = _to_internal(theta0, lo, hi)
    lam = np.full(n_spec, 1e-3)
    scale = np.zeros((n_spec, len(free)))
    active = np.ones(n_spec, bool)
    iterations = np.zeros(n_spec, int)
    message = np.full(n_spec, "maximum iterations reached", dtype=object)

    def external(u_, rows):
        th, dth = _to_external(u_, lo[rows], hi[rows])
        return np.where(vary, th, theta0[rows]), dth

    theta, dtheta = external(u, slice(None))
    total, jac = model.evaluate(theta, True)
    r = (total - y) / sigma
    chi2 = (r**2).sum(axis=1)
    for _ in range(max_iter):
        idx = np.where(active)[0]
        if idx.size == 0:
            break
        rows = slice(None) if idx.size == n_spec else idx  # a view while every spectrum is active
        j = jac[rows] * (dtheta[rows][:, free, None] / sigma[rows][:, None, :])
        jtj = np.einsum("ipn,iqn->ipq", j, j)
        grad = np.einsum("ipn,in->ip", j, r[rows])
        # damping scale: the largest column norm seen so far (MINPACK's choice), so that a parameter
        # pinned at a bound (zero column through the transform) is still damped
        scale[idx] = np.maximum(scale[idx], np.einsum("ipp->ip", jtj))
        diag = np.maximum(scale[idx], 1e-30)
        step = -_solve(jtj + (lam[idx, None] * diag)[:, :, None] * eye, grad)
        u_try = u[idx].copy()
        u_try[:, free] += step
        th_try, dth_try = external(u_try, idx)
        total_try, jac_try = model.evaluate(th_try, True, rows)
        r_try = (total_try - y[rows]) / sigma[rows]
        chi2_try = (r_try**2).sum(axis=1)
        iterations[idx] += 1
        better = np.isfinite(chi2_try) & (chi2_try <= chi2[idx])
        rel = (chi2[idx] - chi2_try) / np.maximum(chi2[idx], 1e-300)
        small_step = np.max(np.abs(step) / (np.abs(u[idx][:, free]) + xtol), axis=1) < xtol
        take = idx[better]
        u[take], theta[take], dtheta[take] = u_try[better], th_try[better], dth_try[better]
        total[take], jac[take], r[take], chi2[take] = total_try[better], jac_try[better], r_try[better], \
            chi2_try[better]
        lam[take] = np.maximum(lam[take] / 10, 1e-12)
        lam[idx[~better]] *= 10
        # MINPACK's test: both the actual and the predicted (linearised) relative decrease below ftol
        predicted = -(2 * np.einsum("ip,ip->i", grad, step) + np.einsum("ip,ipq,iq->i", step, jtj, step))
        at_minimum = predicted <= ftol * np.maximum(chi2[idx], 1e-300)
        done_ftol = better & at_minimum & (rel < ftol)
        done_xtol = better & at_minimum & ~done_ftol & small_step
        stalled = ~better & (lam[idx] > 1e12)
        message[idx[done_ftol]] = "converged: relative change of chi-square below ftol"
        message[idx[done_xtol]] = "converged: step below xtol"
        message[idx[stalled]] = "converged: no further decrease of chi-square"
        active[idx[done_ftol | done_xtol | stalled]] = False
    j = jac / sigma[:, None, :]
    jtj = np.einsum("ipn,iqn->ipq", j, j)
    # invert the scale-free (unit-diagonal) matrix: parameters of very different size (areas ~1e5,
    # centres ~1e-2 eV) must not look singular
    norm = np.sqrt(np.maximum(np.einsum("ipp->ip", jtj), 1e-300))
    unit = jtj / (norm[:, :, None] * norm[:, None, :])
    condition = np.linalg.cond(unit)
    singular = ~np.isfinite(condition) | (condition > 1e14)
    cov = np.full_like(jtj, np.nan)
    if (~singular).any():
        cov[~singular] = np.linalg.inv(unit[~singular]) / (norm[~singular, :, None] * norm[~singular, None, :])
    message[singular] = [m + "; covariance singular" for m in message[singular]]
    converged = np.array([m.startswith("converged") for m in message]) & np.isfinite(chi2)
    return theta, cov, chi2, iterations, converged, message.astype(str)


def _solve(a, b):
    """Solve the stacked systems ``a x = b``; a singular system gets a least-squares step."""
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(ai, bi, rcond=None)[0] for ai, bi in zip(a, b)])


# ------------------------------------------------------------------------------ fit_many
QUANTILES = (0.025, 0.16, 0.5, 0.84, 0.975)
#: ``message`` of a spectrum an interrupted run did not reach
PENDING = "not fitted: the run was interrupted before this spectrum"


@dataclass
class _Prepared:
    """One spectrum ready for fitting: data on its window, ascending, and its start model."""

    spec: ModelSpec
    index: int
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    factor: float
    model: XPSModel | None


class _Raw(NamedTuple):
    """One spectrum as arrays: binding energies, intensities and the attributes of its DataArray."""

    x: np.ndarray
    y: np.ndarray
    attrs: dict


def _as_list(data) -> list:
    """One item per spectrum: arrays of a stacked DataArray, DataArrays, or file paths (read later)."""
    if isinstance(data, xr.DataArray):
        if set(data.dims) == {"spectrum", "binding_energy"}:
            x = np.asarray(data["binding_energy"].values, dtype=float)
            rows = np.asarray(data.transpose("spectrum", "binding_energy").values, dtype=float)
            return [_Raw(x, row, data.attrs) for row in rows]
        if "spectrum" in data.dims:
            return [data.isel(spectrum=i) for i in range(data.sizes["spectrum"])]
        return [data]
    return list(data)


def _prepare(index: int, item, spec: ModelSpec, *, min_points: int = 10) -> _Prepared:
    """Read (if a path), check one spectrum and take its window, ascending; raise with the reason it
    cannot be fitted."""
    if isinstance(item, (str, os.PathLike)):
        from ..io import load

        item = load(item)
    if isinstance(item, xr.DataArray):
        if item.ndim != 1 or item.dims[0] != "binding_energy":
            raise FitError(f"needs a 1-D spectrum on binding_energy, got dims {item.dims}")
        item = _Raw(np.asarray(item["binding_energy"].values, dtype=float),
                    np.asarray(item.values, dtype=float), item.attrs)
    x, y = item.x, item.y
    if spec.window is not None:
        inside = (x >= spec.window[0]) & (x <= spec.window[1])
        x, y = x[inside], y[inside]
    if not np.all(np.isfinite(y)):
        raise FitError(f"{int((~np.isfinite(y)).sum())} non-finite intensities in the window")
    if x.size < min_points:
        raise FitError(f"only {x.size} points inside the window {spec.window}")
    if np.any(y < 0):
        raise FitError("negative intensities; counting data cannot be negative")
    if np.ptp(y) <= 0:
        raise FitError("flat spectrum (all intensities equal)")
    order = np.argsort(x)
    x, y = x[order], y[order]
    factor = counts_factor(item.attrs)
    return _Prepared(spec, index, x, y, poisson_sigma(y, factor), factor or 1.0, None)


def _by_grid(items: list[_Prepared]) -> list[list[_Prepared]]:
    """Items grouped by identical energy grids, with their start models (Shirley backgrounds computed
    for each group at once)."""
    groups: dict[bytes, list[_Prepared]] = {}
    for item in items:
        groups.setdefault(np.round(item.x, 9).tobytes(), []).append(item)
    for group in groups.values():
        spec = group[0].spec
        shirleys = [None] * len(group)
        if spec.background.kind == "shirley":  # in blocks: small arrays stay in cache
            shirleys = [b for begin in range(0, len(group), 256) for b in backgrounds.shirley_many(
                group[0].x, np.stack([it.y for it in group[begin:begin + 256]]), **spec.background.options)]
        for item, shirley in zip(group, shirleys):
            item.model = XPSModel(spec, item.x, item.y, shirley)
    return list(groups.values())


def fit_many(data, recipe, *, engine: str = "auto", chunk_size: int | None = 128, mc_replicas: int = 0,
             seed: int | None = None, start: str = "recipe", resume: xr.Dataset | None = None,
             client=None, progress: bool = False) -> xr.Dataset:
    """Fit every spectrum of ``data`` with one XPS recipe.

    Parameters
    ----------
    data : DataArray with dim ``spectrum``, list of DataArrays, or list of files
        Spectra on ``binding_energy``. Spectra are *grouped* by identical energy grids (inside the
        recipe's window) and each group is fitted as one batch; nothing is resampled, so every
        spectrum is fitted on its own measured points. Files are read one at a time; one that
        cannot be read is a failed item (its path is in the ``source`` coordinate).
    recipe : recipe
        An XPS recipe (see :func:`spectra.recipe.parse_recipe`).
    engine : {"auto", "batched", "lmfit"}
        ``batched`` is the vectorised Levenberg–Marquardt engine of this module; ``lmfit`` fits one
        spectrum at a time exactly as :func:`spectra.fit` does. ``auto`` takes the batched engine
        when it supports the recipe (:func:`supported`).
    chunk_size : int, optional
        Spectra per batch (and per task of a distributed run). Memory grows as chunk × points ×
        varying parameters × 8 bytes × ~6; the default 128 keeps a chunk in cache-friendly sizes
        (measured fastest on 2 cores: 128 S 2p spectra run ~1.8× faster per fit than 2,000).
        None puts each grid group in one batch.
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
        dims ``spectrum``, ``param`` and ``component``: ``value``, ``stderr``, ``success``, ``redchi``,
        ``nfev``, ``message``, ``covariance`` (of the varying parameters, scaled by χ²ᵣ), and per
        component ``area`` and ``fraction`` with ``area_stderr`` and ``fraction_stderr`` propagated
        through the full covariance. With ``mc_replicas`` also ``mc_value`` and ``mc_fraction``
        (dim ``quantile``). A spectrum that cannot be fitted has ``success = False``, NaN values
        and the reason in ``message``; the others are unaffected. Ctrl-C returns the spectra fitted
        so far with ``attrs["complete"] = 0`` and the rest marked :data:`PENDING`.
    """
    spec = recipe if isinstance(recipe, ModelSpec) else parse_recipe(recipe)
    if engine not in ("auto", "batched", "lmfit"):
        raise FitError(f"unknown engine {engine!r}; use 'auto', 'batched' or 'lmfit'")
    if start not in ("recipe", "neighbour"):
        raise FitError(f"unknown start {start!r}; use 'recipe' or 'neighbour'")
    reason = supported(spec)
    if engine == "batched" and reason:
        raise FitError(f"the batched engine does not support {reason}; use engine='lmfit'")
    use_batched = engine in ("batched", "auto") and reason is None
    if mc_replicas and not use_batched:
        raise FitError("mc_replicas needs the batched engine; for one spectrum use spectra.fit(..., mc_replicas=)")
    if client is not None or _is_dask(data):
        if resume is not None:
            raise FitError("resume is for local runs; a distributed run is resumed block by block")
        return _fit_distributed(data, spec, client, engine=engine, chunk_size=chunk_size or 128,
                                mc_replicas=mc_replicas, seed=seed, start=start)
    spectra = _as_list(data)
    out = _Results(spec, len(spectra), progress)
    out.source = [str(item) if isinstance(item, (str, os.PathLike)) else "" for item in spectra]
    todo = out.resume_from(resume) if resume is not None else range(len(spectra))
    try:
        good = []
        for i in todo:
            try:
                good.append(_prepare(i, spectra[i], spec))
            except Exception as exc:  # noqa: BLE001 - one bad spectrum must not stop the batch
                out.message[i] = f"not fitted: {exc}"
        groups = _by_grid(good)
        if use_batched:
            _fit_batched(spec, groups, out, chunk_size, start == "neighbour")
            if mc_replicas:
                rng = np.random.default_rng(seed)
                for item in good:
                    if out.success[item.index]:
                        _monte_carlo(spec, item, out, mc_replicas, rng)
        else:
            previous = None
            for item in sorted((item for group in groups for item in group), key=lambda it: it.index):
                r = fit_arrays(item.model, item.y, item.sigma, start=previous)
                out.store(item.index, r.values, r.stderr, r.covariance, r.redchi, r.nfev, r.success, r.message)
                if start == "neighbour" and r.success:
                    previous = r.values
    except KeyboardInterrupt:  # keep what is done; fit_many(..., resume=result) finishes the rest
        out.interrupted = True
    return out.dataset("batched" if use_batched else "lmfit")


def _is_dask(data) -> bool:
    return isinstance(data, xr.DataArray) and data.chunks is not None


def _fit_distributed(data, spec: ModelSpec, client, *, chunk_size: int, seed, **options) -> xr.Dataset:
    """fit_many over blocks of ``chunk_size`` spectra as dask tasks; results concatenated in order."""
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
    tasks = [dask.delayed(fit_many)(block, spec, seed=s.generate_state(1)[0], chunk_size=chunk_size, **options)
             for block, s in zip(blocks, seeds)]
    parts = client.compute(tasks, sync=True) if client is not None else dask.compute(*tasks)
    result = xr.concat(parts, dim="spectrum", data_vars="all", coords="minimal", compat="override",
                       combine_attrs="override")
    result = result.assign_coords(spectrum=np.arange(result.sizes["spectrum"]))
    result.attrs.update(complete=int(min(p.attrs["complete"] for p in parts)),
                        pending=int(sum(p.attrs["pending"] for p in parts)), blocks=len(parts))
    return result


def _fit_batched(spec, groups: list[list[_Prepared]], out: _Results, chunk_size, from_neighbours: bool) -> None:
    for items in groups:
        size = chunk_size or len(items)
        for begin in range(0, len(items), size):
            chunk = items[begin:begin + size]
            _fit_chunk(spec, chunk, out, _neighbour_start(out, [chunk[0].index]) if from_neighbours else None)
        if from_neighbours:  # refit the failures from their nearest successful neighbours
            failed = [it for it in items if not out.success[it.index]]
            if failed and out.success.any():
                _fit_chunk(spec, failed, out, _neighbour_start(out, [it.index for it in failed], nearest=True))


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
    """Arrays of a fit_many run, filled spectrum by spectrum."""

    def __init__(self, spec: ModelSpec, n_spec: int, progress: bool = False):
        self.spec = spec
        self.progress = progress
        model = XPSModel(spec, np.linspace(0.0, 1.0, 16), np.linspace(1.0, 2.0, 16))
        self.names = model.names
        self.vary = np.array([p.vary for p in model.params])
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
        """Copy the finished spectra of an interrupted result; return the indices still to fit."""
        if previous.attrs.get("recipe_sha256") != self.spec.sha256 or previous.sizes["spectrum"] != len(self.value):
            raise FitError("resume needs the result of the same recipe on the same spectra")
        pending = np.asarray(previous.message.values == PENDING)
        done = ~pending
        for name in ("value", "stderr", "covariance", "success", "redchi", "nfev", "message"):
            getattr(self, name)[done] = previous[name].values[done]
        if "mc_value" in previous:
            self.mc_value, self.mc_fraction = previous.mc_value.values.copy(), previous.mc_fraction.values.copy()
        return [int(i) for i in np.where(pending)[0]]

    def report(self) -> None:
        """Print the number of finished spectra (with ``progress``)."""
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

    def derived(self, value, covariance):
        """Component areas and fractions (N, C) with their covariances (N, C, C), by the delta method."""
        index = {n: i for i, n in enumerate(self.names)}
        free = {n: k for k, n in enumerate(self.varying)}
        n_spec, n_comp = value.shape[0], len(self.spec.components)
        area = np.empty((n_spec, n_comp))
        grad = np.zeros((n_spec, n_comp, len(self.varying)))  # ∂area_c / ∂θ_free
        for c, comp in enumerate(self.spec.components):
            a = value[:, index[f"{comp.name}_area"]]
            ratio = value[:, index[f"{comp.name}_ratio"]] if comp.is_doublet else np.zeros(n_spec)
            area[:, c] = a * (1 + ratio)
            if f"{comp.name}_area" in free:
                grad[:, c, free[f"{comp.name}_area"]] = 1 + ratio
            if comp.is_doublet and f"{comp.name}_ratio" in free:
                grad[:, c, free[f"{comp.name}_ratio"]] = a
        area_cov = np.einsum("ncp,npq,ndq->ncd", grad, covariance, grad)
        total = area.sum(axis=1, keepdims=True)
        fraction = area / total
        to_fraction = (np.eye(n_comp)[None] - fraction[:, :, None]) / total[:, :, None]  # ∂f_c/∂area_d
        fraction_cov = np.einsum("ncd,nde,nfe->ncf", to_fraction, area_cov, to_fraction)
        return area, area_cov, fraction, fraction_cov

    def dataset(self, engine: str) -> xr.Dataset:
        spec = self.spec
        area, area_cov, fraction, fraction_cov = self.derived(self.value, self.covariance)
        units = {"center": "eV", "fwhm": "eV", "area": "counts*eV", "splitting": "eV", "ratio": "1",
                 "constant": "counts", "k": "1/eV", "slope": "counts/eV", "b": "1"}
        components = [c.name for c in spec.components]
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
            "area": (("spectrum", "component"), area,
                     {"units": "counts*eV", "long_name": "component area (both doublet lines)"}),
            "area_stderr": (("spectrum", "component"), _diagonal_sd(area_cov),
                            {"units": "counts*eV", "long_name": "standard error of the component area"}),
            "fraction": (("spectrum", "component"), fraction,
                         {"units": "1", "long_name": "fraction of the summed component areas"}),
            "fraction_stderr": (("spectrum", "component"), _diagonal_sd(fraction_cov),
                                {"units": "1", "long_name": "standard error of the fraction (full covariance)"}),
        }
        coords = {"spectrum": np.arange(self.value.shape[0]), "param": self.names, "component": components,
                  "param_unit": ("param", [units.get(n.rsplit("_", 1)[-1], "") for n in self.names]),
                  "varying": self.varying, "varying_other": self.varying,
                  "source": ("spectrum", np.array(self.source, dtype=str))}
        if self.mc_value is not None:
            variables["mc_value"] = (("spectrum", "quantile", "param"), self.mc_value,
                                     {**per_param, "long_name": "Monte Carlo quantiles of the parameters"})
            variables["mc_fraction"] = (("spectrum", "quantile", "component"), self.mc_fraction,
                                        {"units": "1", "long_name": "Monte Carlo quantiles of the fractions"})
            coords["quantile"] = list(QUANTILES)
        return xr.Dataset(variables, coords=coords,
                          attrs={"engine": engine, "recipe": spec.text, "recipe_sha256": spec.sha256,
                                 "region": spec.region, "complete": int(not self.interrupted),
                                 "pending": int((self.message == PENDING).sum()),
                                 "versions": json.dumps(versions())})


def _diagonal_sd(covariance: np.ndarray) -> np.ndarray:
    """Standard deviations (N, C) from stacked covariances (N, C, C)."""
    return np.sqrt(np.maximum(np.einsum("ncc->nc", covariance), 0.0))


def _chunk_arrays(spec, items: list[_Prepared]):
    """Stacked data, start values, bounds and background of a chunk on one grid."""
    models = [it.model for it in items]
    y = np.stack([it.y for it in items])
    sigma = np.stack([it.sigma for it in items])
    if spec.background.kind == "tougaard-fitted":
        background = np.stack([m._tougaard_unit for m in models])
    elif models[0].static_background is not None:
        background = np.stack([m.static_background for m in models])
    else:
        background = None
    theta0 = np.array([[p.value for p in m.params] for m in models])
    lo = np.array([[p.min for p in m.params] for m in models])
    hi = np.array([[p.max for p in m.params] for m in models])
    return y, sigma, background, np.clip(theta0, lo, hi), lo, hi


def _fit_chunk(spec: ModelSpec, items: list[_Prepared], out: _Results, start: np.ndarray | None = None) -> None:
    y, sigma, background, theta0, lo, hi = _chunk_arrays(spec, items)
    if start is not None:  # a start exactly on a bound would sit where the bound transform is flat
        finite = np.isfinite(lo) & np.isfinite(hi)
        margin = np.where(finite, 1e-3 * np.where(finite, hi - lo, 0.0), 1e-6)
        theta0 = np.where(out.vary, np.clip(start, lo + margin, hi - margin), theta0)
    x = items[0].x
    theta, cov, chi2, iterations, converged, msg = levenberg_marquardt(
        BatchedXPS(spec, out.names, out.vary, x, background), theta0, lo, hi, out.vary, y, sigma)
    red = chi2 / (x.size - int(out.vary.sum()))
    cov = cov * red[:, None, None]
    rows = [it.index for it in items]
    out.value[rows] = theta
    out.covariance[rows] = cov
    errs = np.full(theta.shape, np.nan)
    errs[:, out.vary] = np.sqrt(np.maximum(np.einsum("npp->np", cov), 0.0))
    out.stderr[rows] = errs
    out.success[rows], out.redchi[rows], out.nfev[rows], out.message[rows] = converged, red, iterations, msg
    out.report()


def _monte_carlo(spec: ModelSpec, item: _Prepared, out: _Results, replicas: int, rng) -> None:
    """Fit ``replicas`` Poisson replicas of one spectrum's best fit as one batch."""
    i = item.index
    best = out.value[i][None, :]
    expected, _ = BatchedXPS(spec, out.names, out.vary, item.x, _chunk_arrays(spec, [item])[2]).evaluate(best, False)
    counts = rng.poisson(np.clip(expected[0] * item.factor, 0.0, None), size=(replicas, item.x.size))
    reps = [_Prepared(spec, k, item.x, yk, poisson_sigma(yk, item.factor), item.factor, None)
            for k, yk in enumerate(counts / item.factor)]
    y, sigma, background, _, lo, hi = _chunk_arrays(spec, _by_grid(reps)[0])
    theta, cov, _, _, ok, _ = levenberg_marquardt(BatchedXPS(spec, out.names, out.vary, item.x, background),
                                                  np.clip(best.repeat(replicas, 0), lo, hi), lo, hi, out.vary,
                                                  y, sigma)
    _, _, fraction, _ = out.derived(theta, np.nan_to_num(cov))
    if out.mc_value is None:
        out.mc_value = np.full((len(out.value), len(QUANTILES), len(out.names)), np.nan)
        out.mc_fraction = np.full((len(out.value), len(QUANTILES), len(spec.components)), np.nan)
    out.mc_value[i] = np.quantile(theta[ok], QUANTILES, axis=0)
    out.mc_fraction[i] = np.quantile(fraction[ok], QUANTILES, axis=0)


def write_results(results: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a :func:`fit_many` result to NetCDF-4/HDF5 (h5netcdf) atomically: a failed or interrupted
    write leaves any earlier file untouched, and an existing file is replaced only with ``overwrite``."""
    from ..io.write import write_netcdf

    return write_netcdf(results, path, overwrite=overwrite)
