"""Batched fitting: fits per second of ``spectra.fit_many`` next to one-at-a-time baselines, all
measured in the same run, and the agreement of the batched engine with the lmfit engine.

Problem: the S 2p model of ``bench_xps_single.py`` (341 points, PS4 and Li2S GL(30) doublets with
1.18 eV splitting and 2:1 areas, iterative Shirley background computed from each spectrum, Poisson
weights). N spectra are Poisson replicas of one expectation (seeded).

Baselines (measured on a subset, per-fit time extrapolated):
* the lmfit composite model a user writes (``bench_xps_single.lmfit_composite``), in a loop;
* ``scipy.optimize.least_squares`` (TRF, finite-difference Jacobian) on the same residual, in a loop;
* spectra's own lmfit engine (``fit_many(engine="lmfit")``), in a loop.

The "arithmetic floor" is the time the batched engine's floating-point work would take at the
machine's measured matrix-multiply rate: a lower bound no implementation can beat on this machine.

Run: python benchmarks/bench_batch.py [--max-n 10000]
"""
from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np
import scipy.optimize
import xarray as xr
from bench_xps_single import START, lmfit_composite

from spectra import backgrounds, lineshapes, simulate
from spectra.fitting.batch import fit_many

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley", "lineshape": "GL(30)"}


def stack(n: int, seed: int = 0) -> xr.DataArray:
    expected, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, noise=False)
    counts = np.random.default_rng(seed).poisson(expected.values, size=(n, expected.size)).astype(float)
    return xr.DataArray(counts, dims=("spectrum", "binding_energy"),
                        coords={"binding_energy": expected.binding_energy.values}, attrs=expected.attrs)


def least_squares_fit(x, y, sigma):
    bg = backgrounds.shirley(x, y).values

    def residual(p):
        model = np.zeros_like(x)
        for k in range(2):
            c, w, a = p[3 * k:3 * k + 3]
            model += a * (lineshapes.gl_product(x, c, w, 1.0, 30.0) + 0.5 * lineshapes.gl_product(x, c + 1.18, w, 1.0, 30.0))
        return (y - bg - model) / sigma

    p0, lo, hi = [], [], []
    for center, fwhm in START.values():
        p0 += [center, fwhm, 1000.0]
        lo += [center - 0.5, 0.8, 0.0]
        hi += [center + 0.5, 1.6, np.inf]
    return scipy.optimize.least_squares(residual, p0, bounds=(lo, hi))


def per_fit(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(*item)
    return (time.perf_counter() - start) / len(items)


def flops_per_second() -> float:
    a = np.random.default_rng(0).random((600, 600))
    a @ a
    start = time.perf_counter()
    for _ in range(10):
        a @ a
    return 10 * 2 * 600**3 / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=10000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    subset = stack(30, seed=99)
    x = subset.binding_energy.values
    items = [(x, y, np.sqrt(np.maximum(y, 1))) for y in subset.values]
    t_lmfit = per_fit(lmfit_composite, items)
    t_lsq = per_fit(least_squares_fit, items)
    start = time.perf_counter()
    fit_many(subset, RECIPE, engine="lmfit")
    t_engine = (time.perf_counter() - start) / len(items)
    print(f"S 2p model: {x.size} points, 2 doublets, Shirley; one-at-a-time baselines on {len(items)} spectra:")
    print(f"  lmfit composite loop   {1 / t_lmfit:9.1f} fits/s")
    print(f"  scipy least_squares    {1 / t_lsq:9.1f} fits/s")
    print(f"  spectra lmfit engine   {1 / t_engine:9.1f} fits/s")
    try:
        import numba  # noqa: F401
        print("  numba: installed, but the batched engine has no numba kernels yet")
    except ImportError:
        print("  numba: not installed; the batched engine runs its pure-numpy path")
    print(f"{'N':>7} {'time/s':>9} {'fits/s':>10} {'× lmfit':>9} {'× lsq':>8} {'success':>8} {'maxRSS/MiB':>11}")
    for n in [n for n in (1, 100, 1000, 10000) if n <= args.max_n]:
        data = stack(n)
        start = time.perf_counter()
        result = fit_many(data, RECIPE, engine="batched")
        elapsed = time.perf_counter() - start
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = n / elapsed
        print(f"{n:7d} {elapsed:9.3f} {rate:10.1f} {rate * t_lmfit:9.1f} {rate * t_lsq:8.1f} "
              f"{float(result.success.mean()):8.3f} {rss:11.0f}")
    iterations = float(result.nfev.mean())
    points, free = x.size, 6
    # per iteration: ~40 flops per point and line for values and partials (4 lines), the Jacobian
    # scaling, JᵀJ (2·n·P²) and the P×P solves
    flop = iterations * (4 * 40 * points + 3 * points * free + 2 * points * free**2 + 2 * free**3)
    print(f"arithmetic floor: {flop:.3g} flop per fit ({iterations:.1f} iterations) at "
          f"{flops_per_second() / 1e9:.1f} GFLOP/s -> {flops_per_second() / flop:,.0f} fits/s")
    one = stack(1, seed=11)
    start = time.perf_counter()
    mc = fit_many(one, RECIPE, mc_replicas=1000, seed=1)
    q = mc.mc_fraction.sel(spectrum=0, component="Li2S").values
    print(f"Monte Carlo: 1000 Poisson replicas of one spectrum refitted in {time.perf_counter() - start:.2f} s "
          f"(Li2S fraction 16-84 %: {q[1]:.4f}-{q[3]:.4f}; covariance σ "
          f"{float(mc.fraction_stderr.sel(spectrum=0, component='Li2S')):.4f}, which leaves out the noise of the "
          f"static Shirley's end levels)")
    n_check = min(1000, args.max_n)
    data = stack(n_check, seed=5)
    batched = fit_many(data, RECIPE, engine="batched")
    reference = fit_many(data, RECIPE, engine="lmfit")
    diff = float((np.abs(batched.value - reference.value) / reference.stderr).max())
    same = bool((batched.success == reference.success).all())
    print(f"agreement on {n_check} spectra: max |batched - lmfit| = {diff:.2e} σ, same success flags: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
