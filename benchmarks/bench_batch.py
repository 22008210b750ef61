"""Batched fitting: fits per second of ``spectra.fit_many`` next to one-at-a-time baselines, all
measured in the same run, and the agreement of the batched engine with the lmfit engine.

Problems:

* S 2p: the model of ``bench_xps_single.py`` (341 points, PS4 and Li2S GL(30) doublets with 1.18 eV
  splitting and 2:1 areas, iterative Shirley background computed from each spectrum, Poisson
  weights).
* XRD: the joint model of ``bench_xrd.py`` (1,368 points, Li6PS5Cl, Li2S and Si templates with
  Kα1/Kα2, specimen displacement, carbon-black bands, quadratic Chebyshev background).

N spectra are Poisson replicas of one expectation (seeded).

Baselines (measured on a subset, median of three passes, per-fit time extrapolated):
* the lmfit composite model a user writes (``bench_xps_single.lmfit_composite``,
  ``bench_xrd.lmfit_composite``), in a loop;
* ``scipy.optimize.least_squares`` (TRF, finite-difference Jacobian) on the same residual, in a loop;
* spectra's own lmfit engine (``fit_many(engine="lmfit")``), in a loop.

The batched engine is timed with its numba kernels and with its pure-numpy path
(``SPECTRA_NUMBA=0``; large N only with numba, to keep the run short). The "arithmetic floor" is
the time the batched engine's floating-point work would take at the machine's measured
matrix-multiply rate: a lower bound no implementation can beat on this machine.

Run: python benchmarks/bench_batch.py [--max-n 10000] [--xrd-max-n 1000] [--numpy-max-n 1000]
"""
from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import scipy.optimize
import xarray as xr
from _timing import median_time
from bench_xps_single import START
from bench_xps_single import lmfit_composite as xps_composite
from bench_xrd import PHASES
from bench_xrd import RECIPE as XRD_RECIPE
from bench_xrd import lmfit_composite as xrd_composite

from spectra import backgrounds, kernels, lineshapes, simulate
from spectra.fitting.batch import fit_many
from spectra.xrd.pattern_model import XRDModel
from spectra.xrd.recipe import parse_xrd_recipe

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley", "lineshape": "GL(30)"}


def replicas(expected: xr.DataArray, dim: str, n: int, seed: int) -> xr.DataArray:
    counts = np.random.default_rng(seed).poisson(expected.values, size=(n, expected.size)).astype(float)
    return xr.DataArray(counts, dims=("spectrum", dim), coords={dim: expected[dim].values}, attrs=expected.attrs)


def stack(n: int, seed: int = 0) -> xr.DataArray:
    expected, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, noise=False)
    return replicas(expected, "binding_energy", n, seed)


def xrd_stack(n: int, seed: int = 0) -> xr.DataArray:
    expected, _ = simulate.xrd(PHASES, two_theta=(15.0, 56.0), step=0.03, amorphous={"carbon_black": 3000.0},
                               displacement=60.0, background=(150.0, -20.0, 5.0), noise=False)
    return replicas(expected, "two_theta", n, seed)


def least_squares_fit(x, y, sigma):
    bg = backgrounds.shirley(x, y).values

    def residual(p):
        model = np.zeros_like(x)
        for k in range(2):
            c, w, a = p[3 * k:3 * k + 3]
            major = lineshapes.gl_product(x, c, w, 1.0, 30.0)
            model += a * (major + 0.5 * lineshapes.gl_product(x, c + 1.18, w, 1.0, 30.0))
        return (y - bg - model) / sigma

    p0, lo, hi = [], [], []
    for center, fwhm in START.values():
        p0 += [center, fwhm, 1000.0]
        lo += [center - 0.5, 0.8, 0.0]
        hi += [center + 0.5, 1.6, np.inf]
    return scipy.optimize.least_squares(residual, p0, bounds=(lo, hi))


def xrd_least_squares_fit(x, y, sigma):
    """scipy least_squares (TRF, 2-point differences) on spectra's XRD model and start values."""
    model = XRDModel(parse_xrd_recipe(XRD_RECIPE), x, y)
    free = [p for p in model.params if p.vary]
    fixed = {p.name: p.value for p in model.params if not p.vary}

    def residual(v):
        return (model.evaluate({**fixed, **dict(zip((p.name for p in free), v))})[0] - y) / sigma

    p0 = [min(max(p.value, p.min), p.max) for p in free]
    return scipy.optimize.least_squares(residual, p0, bounds=([p.min for p in free], [p.max for p in free]))


def per_fit(fn, items, repeats: int = 3) -> float:
    """Seconds per call of ``fn(*item)`` over ``items``: the median of ``repeats`` passes."""
    def one_pass():
        for item in items:
            fn(*item)
    return median_time(one_pass, repeats) / len(items)


def flops_per_second() -> float:
    a = np.random.default_rng(0).random((600, 600))
    a @ a
    start = time.perf_counter()
    for _ in range(10):
        a @ a
    return 10 * 2 * 600**3 / (time.perf_counter() - start)


def timed_fit(data, recipe, numba: bool):
    """(seconds, result) of one batched fit_many, with the numba kernels or the numpy path."""
    os.environ["SPECTRA_NUMBA"] = "1" if numba else "0"
    try:
        start = time.perf_counter()
        result = fit_many(data, recipe, engine="batched")
        return time.perf_counter() - start, result
    finally:
        os.environ.pop("SPECTRA_NUMBA")


def baselines(label, subset, dim, recipe, composite, lsq, start_values=None) -> tuple[float, float]:
    """Print and return the per-fit times of the lmfit composite and least_squares loops."""
    x = subset[dim].values
    items = [(x, y, np.sqrt(np.maximum(y, 1))) for y in subset.values]
    composite_items = [(x, y, start_values) for y in subset.values] if start_values is not None else items
    t_lmfit = per_fit(composite, composite_items)
    t_lsq = per_fit(lsq, items)
    t_engine = median_time(lambda: fit_many(subset, recipe, engine="lmfit"), 3) / len(items)
    print(f"{label}; one-at-a-time baselines on {len(items)} spectra:")
    print(f"  lmfit composite loop   {1 / t_lmfit:9.1f} fits/s")
    print(f"  scipy least_squares    {1 / t_lsq:9.1f} fits/s")
    print(f"  spectra lmfit engine   {1 / t_engine:9.1f} fits/s")
    return t_lmfit, t_lsq


def scaling_table(make, recipe, sizes, numpy_max_n, t_lmfit, t_lsq):
    """Rows of fits/s (numba and numpy paths) and ratios against the loops; returns the last result."""
    have_numba = kernels._compiled() is not None
    timed_fit(make(2, 123), recipe, True)  # compile (or load) the numba kernels outside the timings
    print(f"{'N':>7} {'numba fits/s':>13} {'numpy fits/s':>13} {'× lmfit':>9} {'× lsq':>8} {'success':>8} "
          f"{'iterations':>10} {'maxRSS/MiB':>11}")
    result = None
    for n in sizes:
        data = make(n, 0)
        numpy_rate = f"{n / timed_fit(data, recipe, False)[0]:13.1f}" if n <= numpy_max_n else f"{'-':>13}"
        elapsed, result = timed_fit(data, recipe, have_numba)
        rate = n / elapsed
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        shown = f"{rate:13.1f}" if have_numba else f"{'-':>13}"
        print(f"{n:7d} {shown} {numpy_rate} {rate * t_lmfit:9.1f} {rate * t_lsq:8.1f} "
              f"{float(result.success.mean()):8.3f} {float(result.nfev.mean()):10.1f} {rss:11.0f}")
    return result


def floor(flop_per_iteration: float, iterations: float) -> None:
    rate = flops_per_second()
    flop = iterations * flop_per_iteration
    print(f"arithmetic floor: {flop:.3g} flop per fit ({iterations:.1f} iterations) at {rate / 1e9:.1f} GFLOP/s "
          f"-> {rate / flop:,.0f} fits/s")


def agreement(data, recipe) -> None:
    batched = fit_many(data, recipe, engine="batched")
    reference = fit_many(data, recipe, engine="lmfit")
    diff = float((np.abs(batched.value - reference.value) / reference.stderr).max())
    same = bool((batched.success == reference.success).all())
    print(f"agreement on {data.sizes['spectrum']} spectra: max |batched - lmfit| = {diff:.2e} σ, "
          f"same success flags: {same}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=10000, help="largest S 2p batch")
    parser.add_argument("--xrd-max-n", type=int, default=1000, help="largest XRD batch")
    parser.add_argument("--numpy-max-n", type=int, default=1000, help="largest batch timed without numba")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"numba: {'installed' if kernels._compiled() is not None else 'not installed (numpy path only)'}")

    subset = stack(30, seed=99)
    t_lmfit, t_lsq = baselines(f"S 2p model: {subset.sizes['binding_energy']} points, 2 doublets, Shirley", subset,
                               "binding_energy", RECIPE, xps_composite, least_squares_fit)
    result = scaling_table(stack, RECIPE, [n for n in (1, 100, 1000, 10000) if n <= args.max_n],
                           args.numpy_max_n, t_lmfit, t_lsq)
    points, free = subset.sizes["binding_energy"], 6
    # per iteration: ~40 flops per point and line for values and partials (4 lines), the Jacobian
    # scaling, JᵀJ (2·n·P²) and the P×P solves
    floor(4 * 40 * points + 3 * points * free + 2 * points * free**2 + 2 * free**3, float(result.nfev.mean()))
    one = stack(1, seed=11)
    start = time.perf_counter()
    mc = fit_many(one, RECIPE, mc_replicas=1000, seed=1)
    q = mc.mc_fraction.sel(spectrum=0, component="Li2S").values
    print(f"Monte Carlo: 1000 Poisson replicas of one spectrum refitted in {time.perf_counter() - start:.2f} s "
          f"(Li2S fraction 16-84 %: {q[1]:.4f}-{q[3]:.4f}; covariance σ "
          f"{float(mc.fraction_stderr.sel(spectrum=0, component='Li2S')):.4f}, which leaves out the noise of the "
          f"static Shirley's end levels)")
    agreement(stack(min(1000, args.max_n), seed=5), RECIPE)

    subset = xrd_stack(5, seed=99)
    x = subset.two_theta.values
    start_values = XRDModel(parse_xrd_recipe(XRD_RECIPE), x, subset.values[0]).defaults()
    print()
    t_lmfit, t_lsq = baselines(f"XRD joint model: {x.size} points, 3 phase templates + carbon + Chebyshev, Kα2",
                               subset, "two_theta", XRD_RECIPE, xrd_composite, xrd_least_squares_fit, start_values)
    result = scaling_table(xrd_stack, XRD_RECIPE, [n for n in (1, 100, 1000, 10000) if n <= args.xrd_max_n],
                           min(args.numpy_max_n, 100), t_lmfit, t_lsq)
    lines, free, touched = 22, int(result.covariance.sizes["varying"]), 6
    # per iteration and line: two profiles (Kα1, Kα2) at ~40 flops per point each, and ~10 flops
    # per point for each of the ~6 parameters a line touches; then JᵀJ (2·n·P²)
    floor(lines * x.size * (2 * 40 + 10 * touched) + 2 * x.size * free**2, float(result.nfev.mean()))
    agreement(xrd_stack(100, seed=5), XRD_RECIPE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
