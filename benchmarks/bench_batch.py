"""Batched fitting: fits per second of ``spectra.fit_many`` next to one-at-a-time baselines, all
measured in the same run, with iteration percentiles, success, peak memory, the agreement of the
batched engine with the lmfit engine, the first call in a fresh process and Monte Carlo.

S 2p problems (341 points, PS4 and Li2S GL(30) doublets, Poisson weights):

* **varied** (the main row): spectra from an independent forward calculation
  (``varied_s2p.py``): per-spectrum composition (Li2S 5–60 %), height (2×10³–2×10⁴ counts), FWHM
  (1.0–1.3 eV), positions within the library ranges, charge shifts and sloped Shirley-type
  backgrounds; fitted with the documented recipe for such regions (active Shirley with a fitted
  slope, one charge shift, Li2S relative to PS4: ``varied_s2p.RECIPE``);
* **replicas**: Poisson replicas of one expectation, fitted with the static-Shirley recipe (the
  benchmark of issue 5);
* **varied, default recipe**: the varied spectra with the default recipe (static Shirley, no slope,
  no shift), which cannot describe their slopes (most fits are flagged "model inadequate").

Baselines on a subset of the varied spectra, one spectrum at a time:

* the idiomatic lmfit composite: prefixed built-in ``PseudoVoigtModel``s (four lines, the minor
  lines tied by expressions) plus a ``LinearModel``, on the data less a static Shirley;
* the doublet-function lmfit composite: a GL(30) doublet function in two prefixed ``Model``s plus a
  ``LinearModel``, on the data less a static Shirley;
* lmfitxps (its version printed): ``shirley_calculate`` (static Shirley) subtracted, a ``LinearModel``
  and two ``ConvGaussianDoniachDublett`` (Doniach–Šunjić ⊗ Gaussian, symmetric). Its active
  ``ShirleyBG`` did not converge within 3,000 evaluations on these spectra, so the static route is
  timed;
* ``scipy.optimize.least_squares`` (TRF, 2-point Jacobian) on the recipe's own model (GL(30)
  doublets, active Shirley, slope, shift), from the batched engine's start values and bounds;
* spectra's lmfit engine (``fit_many(engine="lmfit")``), the reference of the agreement.

The baselines' line shapes and backgrounds differ from the recipe's (except least_squares), so their
Li2S fractions are compared with the lmfit engine's in units of its σ as a check that they solve
the same problem, not as an agreement test.

XRD: the joint model of ``bench_xrd.py`` (1,368 points, Li6PS5Cl, Li2S and Si templates with
Kα1/Kα2, specimen displacement, carbon-black bands, quadratic Chebyshev background) on varied
patterns (:func:`xrd_varied_stack`: per-pattern phase scales, Li2S size, displacement, carbon and
background), and on Poisson replicas of one expectation.

"fits/s" is fit_many as a user calls it (its default ``workers``: one forked process per core for
large runs; the "workers" column says how many it used), "1 process" the same with ``workers=1``.
"per CPU-s" divides by the CPU time of the benchmark process and its workers, which other
processes on a shared machine inflate less than the wall time. "peak RSS" is the
process's maximum resident set so far plus the largest of its workers' (an upper bound for each row). The
"arithmetic floor" is the time the batched engine's floating-point work would take at the machine's
measured matrix-multiply rate.

Run: python benchmarks/bench_batch.py [--max-n 10000] [--xrd-max-n 1000] [--numpy-max-n 1000]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import textwrap
import time
import warnings

import lmfit
import numpy as np
import scipy.optimize
import xarray as xr
from _timing import median_time
from bench_xrd import PHASES
from bench_xrd import RECIPE as XRD_RECIPE
from bench_xrd import lmfit_composite as xrd_composite
from lmfit.models import LinearModel, PseudoVoigtModel
from varied_s2p import DEFAULT_RECIPE, RECIPE, varied

from spectra import backgrounds, kernels, lineshapes, simulate
from spectra.fitting.batch import fit_many
from spectra.xrd.pattern_model import XRDModel
from spectra.xrd.recipe import parse_xrd_recipe

#: the static-Shirley recipe of the replica row
REPLICA_RECIPE = DEFAULT_RECIPE
S2P = {"PS4": 0, "Li2S": 1}


# ------------------------------------------------------------------------------ the baselines (S 2p)
def _starts(start: xr.DataArray, k: int) -> dict:
    """Absolute centres, FWHM and areas of spectrum ``k`` from the batched engine's start values."""
    v = {str(p): float(start.values[k, i]) for i, p in enumerate(start.param.values)}
    ps4 = v["PS4_center"] + v.get("shift", 0.0)
    return {"PS4": (ps4, v["PS4_fwhm"], v["PS4_area"]),
            "Li2S": (ps4 + v["Li2S_center"], v["Li2S_fwhm"], v["Li2S_area"])}


def _fraction(area_ps4: float, area_li2s: float) -> float:
    return area_li2s / (area_ps4 + area_li2s) if area_ps4 + area_li2s > 0 else float("nan")


def gl30_doublet(x, center, fwhm, area):
    """A user's GL(30) doublet: 2p3/2 at ``center`` and 2p1/2 1.18 eV above with half the area."""
    return lineshapes.gl_product(x, center, fwhm, area, 30.0) + lineshapes.gl_product(x, center + 1.18, fwhm,
                                                                                      0.5 * area, 30.0)


def idiomatic_composite(x, y, sigma, start):
    """Four prefixed PseudoVoigtModels (minor lines tied by expressions) + a LinearModel, on the data
    less a static Shirley. Returns (success, Li2S fraction)."""
    net = y - backgrounds.shirley(x, y).values
    model = LinearModel(prefix="bg_")
    for name in S2P:
        model = model + PseudoVoigtModel(prefix=f"{name}a_") + PseudoVoigtModel(prefix=f"{name}b_")
    params = model.make_params(bg_slope=0.0, bg_intercept=0.0)
    for name, (center, fwhm, area) in start.items():
        major, minor = f"{name}a_", f"{name}b_"
        params[f"{major}center"].set(value=center, min=center - 0.6, max=center + 0.6)
        params[f"{major}sigma"].set(value=fwhm / 2, min=0.3, max=1.0)  # lmfit's pseudo-Voigt: FWHM = 2 σ
        params[f"{major}amplitude"].set(value=area, min=0)
        params[f"{major}fraction"].set(value=0.3, vary=False)
        params[f"{minor}center"].set(expr=f"{major}center + 1.18")
        params[f"{minor}sigma"].set(expr=f"{major}sigma")
        params[f"{minor}amplitude"].set(expr=f"0.5 * {major}amplitude")
        params[f"{minor}fraction"].set(expr=f"{major}fraction")
    out = model.fit(net, params, x=x, weights=1.0 / sigma)
    return out.success, _fraction(out.params["PS4a_amplitude"].value, out.params["Li2Sa_amplitude"].value)


def doublet_composite(x, y, sigma, start):
    """A GL(30) doublet function in two prefixed Models + a LinearModel, on the data less a static
    Shirley. Returns (success, Li2S fraction)."""
    net = y - backgrounds.shirley(x, y).values
    model = lmfit.Model(gl30_doublet, prefix="PS4_") + lmfit.Model(gl30_doublet, prefix="Li2S_") \
        + LinearModel(prefix="bg_")
    params = model.make_params(bg_slope=0.0, bg_intercept=0.0)
    for name, (center, fwhm, area) in start.items():
        params[f"{name}_center"].set(value=center, min=center - 0.6, max=center + 0.6)
        params[f"{name}_fwhm"].set(value=fwhm, min=0.6, max=2.0)
        params[f"{name}_area"].set(value=area, min=0)
    out = model.fit(net, params, x=x, weights=1.0 / sigma)
    return out.success, _fraction(out.params["PS4_area"].value, out.params["Li2S_area"].value)


def lmfitxps_fit(x, y, sigma, start):
    """lmfitxps: its static Shirley (``shirley_calculate``) subtracted, a LinearModel and two
    ConvGaussianDoniachDublett (symmetric, 2:1 heights, 1.18 eV). Returns (success, Li2S fraction
    of the fitted doublets' areas)."""
    from lmfitxps.backgrounds import shirley_calculate
    from lmfitxps.models import ConvGaussianDoniachDublett

    xd, yd, sd = x[::-1], y[::-1], sigma[::-1]  # lmfitxps reads a descending axis as binding energy
    net = yd - shirley_calculate(xd, yd)
    model = LinearModel(prefix="bg_") + ConvGaussianDoniachDublett(prefix="PS4_") \
        + ConvGaussianDoniachDublett(prefix="Li2S_")
    params = model.make_params(bg_slope=0.0, bg_intercept=0.0)
    for name, (center, fwhm, area) in start.items():
        params[f"{name}_amplitude"].set(value=area / fwhm, min=0)
        params[f"{name}_center"].set(value=center, min=center - 0.6, max=center + 0.6)
        params[f"{name}_sigma"].set(value=0.1, min=0.01, max=1.0)
        params[f"{name}_gaussian_sigma"].set(value=fwhm / 2.3548, min=0.05, max=1.0)
        for fixed, value in (("gamma", 0.0), ("soc", 1.18), ("height_ratio", 0.5), ("fct_coster_kronig", 1.0)):
            params[f"{name}_{fixed}"].set(value=value, vary=False)
    out = model.fit(net, params, x=xd, weights=1.0 / sd, max_nfev=3000)
    areas = {name: float(np.trapezoid(out.eval_components(x=xd)[f"{name}_"][::-1], x)) for name in S2P}
    return out.success, _fraction(areas["PS4"], areas["Li2S"])


def least_squares_fit(x, y, sigma, start_row: np.ndarray, lo: np.ndarray, hi: np.ndarray, names: list[str]):
    """scipy least_squares (TRF, 2-point differences) on the recipe's model: GL(30) doublets at
    PS4 + shift and PS4 + shift + offset, active Shirley c + k ∫ peaks, slope. Returns (success,
    parameter values by name)."""
    free = ["shift", "PS4_fwhm", "PS4_area", "Li2S_center", "Li2S_fwhm", "Li2S_area", "bg_constant", "bg_k",
            "bg_linear"]
    col = [names.index(n) for n in free]
    ps4 = start_row[names.index("PS4_center")]

    def residual(p):
        shift, w1, a1, offset, w2, a2, c, k, slope = p
        peaks = gl30_doublet(x, ps4 + shift, w1, a1) + gl30_doublet(x, ps4 + shift + offset, w2, a2)
        integral = np.concatenate(([0.0], np.cumsum(0.5 * (peaks[1:] + peaks[:-1]) * np.diff(x))))
        return (peaks + c + k * integral + slope * (x - x[0]) - y) / sigma

    out = scipy.optimize.least_squares(residual, start_row[col], bounds=(lo[col], hi[col]))
    return out.success, dict(zip(free, out.x))


def per_fit(fn, items, repeats: int = 3) -> float:
    """Seconds per call of ``fn(*item)`` over ``items``: the median of ``repeats`` passes."""
    def one_pass():
        for item in items:
            fn(*item)
    return median_time(one_pass, repeats) / len(items)


def baselines(subset: xr.DataArray, n_lmfitxps: int) -> dict[str, float]:
    """Time the one-at-a-time baselines on the varied ``subset``; print them; return s per fit."""
    from importlib.metadata import version

    x = subset.binding_energy.values
    reference = fit_many(subset, RECIPE, engine="lmfit")
    batched = fit_many(subset, RECIPE, engine="batched")
    names = [str(p) for p in batched.param.values]
    f_ref = reference.fraction.sel(component="Li2S").values
    f_sd = reference.fraction_stderr.sel(component="Li2S").values
    rows = [(x, y, np.sqrt(np.maximum(y, 1.0)), _starts(batched.start, k)) for k, y in enumerate(subset.values)]
    times, report = {}, []
    for label, fn, items, repeats in (
            ("lmfit idiomatic composite (4 PseudoVoigtModel + expr)", idiomatic_composite, rows, 1),
            ("lmfit doublet-function composite (2 Models)", doublet_composite, rows, 3),
            (f"lmfitxps {version('lmfitxps')} loop (static Shirley, 2 DS⊗G doublets)", lmfitxps_fit,
             rows[:n_lmfitxps], 1)):
        times[label] = per_fit(fn, items, repeats)
        results = [fn(*item) for item in items]
        ok = np.mean([r[0] for r in results])
        pull = np.abs(np.array([r[1] for r in results]) - f_ref[:len(items)]) / f_sd[:len(items)]
        report.append((label, len(items), times[label], ok,
                       f"Li2S fraction vs lmfit engine: median {np.nanmedian(pull):.2f} σ"))
    lsq_rows = [(x, y, np.sqrt(np.maximum(y, 1.0)), batched.start.values[k], batched.lower_bound.values[k],
                 batched.upper_bound.values[k], names) for k, y in enumerate(subset.values)]
    label = "scipy least_squares (TRF, 2-point Jacobian), same model"
    times[label] = per_fit(least_squares_fit, lsq_rows, 3)
    results = [least_squares_fit(*row) for row in lsq_rows]
    sd = reference.stderr.values
    diff = max(np.nanmax(np.abs(v - reference.value.values[k, names.index(n)]) / sd[k, names.index(n)])
               for k, (_, values) in enumerate(results) for n, v in values.items())
    report.append((label, len(lsq_rows), times[label], np.mean([r[0] for r in results]),
                   f"parameters vs lmfit engine: max {diff:.2g} σ"))
    label = "spectra lmfit engine (fit_many engine='lmfit')"
    times[label] = median_time(lambda: fit_many(subset, RECIPE, engine="lmfit"), 1) / subset.sizes["spectrum"]
    report.append((label, subset.sizes["spectrum"], times[label], float(reference.success.mean()), "the reference"))
    print(f"one-at-a-time baselines on the varied spectra (first {subset.sizes['spectrum']}):")
    for label, n, t, ok, note in report:
        print(f"  {label:<62} {1 / t:9.2f} fits/s  (n={n:3d}, success {ok:.2f}; {note})")
    return times


# ------------------------------------------------------------------------------ the batched engine
def _cpu() -> float:
    """CPU seconds of this process and of its finished children (fit_many's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_fit(data, recipe, numba: bool, workers: int | None = None):
    """(wall seconds, CPU seconds of this process and its workers, result) of one batched fit_many, with
    the numba kernels or the numpy path, on ``workers`` processes (None: fit_many's default)."""
    os.environ["SPECTRA_NUMBA"] = "1" if numba else "0"
    try:
        start, cpu = time.perf_counter(), _cpu()
        result = fit_many(data, recipe, engine="batched", workers=workers)
        return time.perf_counter() - start, _cpu() - cpu, result
    finally:
        os.environ.pop("SPECTRA_NUMBA")


def _iterations(result) -> str:
    p = np.percentile(result.nfev.values[result.success.values], [50, 90, 99, 100])
    return "/".join(f"{v:.0f}" for v in p)


def _peak_rss() -> float:
    """MiB: this process's peak resident set plus the largest of its workers' (an upper bound)."""
    own, child = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_maxrss + child.ru_maxrss) / 1024


def scaling_table(label, make, recipe, sizes, numpy_max_n, per_baseline: dict[str, float]):
    """Rows of fits/s (fit_many's default worker processes, one process, and the numpy path), ratios
    of the default against the baselines, iterations, success and memory; returns the last result."""
    have_numba = kernels._compiled() is not None
    timed_fit(make(2, 123), recipe, True)  # compile (or load) the numba kernels outside the timings
    short = {k: k.split(" (")[0].replace("lmfit ", "").replace(" composite", "") for k in per_baseline}
    ratio_heads = "".join(f"{'× ' + short[k][:13]:>16}" for k in per_baseline)
    print(f"{label}")
    print(f"{'N':>7} {'workers':>7} {'fits/s':>9} {'per CPU-s':>10} {'1 process':>10} {'numpy fits/s':>12}"
          f"{ratio_heads} {'success':>8} {'it p50/90/99/max':>17} {'ok':>6} {'peak RSS/MiB':>12}")
    result = None
    for n in sizes:
        data = make(n, 0)
        numpy_rate = f"{n / timed_fit(data, recipe, False, 1)[0]:12.1f}" if n <= numpy_max_n else f"{'-':>12}"
        single = f"{n / timed_fit(data, recipe, have_numba, 1)[0]:10.1f}"
        elapsed, cpu, result = timed_fit(data, recipe, have_numba)
        rate = n / elapsed
        ratios = "".join(f"{rate * t:16.1f}" for t in per_baseline.values())
        print(f"{n:7d} {int(result.attrs.get('workers', 1)):7d} {rate:9.1f} {n / cpu:10.1f} {single} {numpy_rate}"
              f"{ratios} {float(result.success.mean()):8.4f} {_iterations(result):>17} {float(result.ok.mean()):6.3f} "
              f"{_peak_rss():12.0f}")
    return result


def flops_per_second() -> float:
    """The machine's multi-threaded matrix-multiply rate: the best of five rounds (BLAS threads that
    fit_many's single-threaded spell left asleep take a round to wake)."""
    a = np.random.default_rng(0).random((600, 600))
    a @ a
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(10):
            a @ a
        best = min(best, time.perf_counter() - start)
    return 10 * 2 * 600**3 / best


def floor(flop_per_iteration: float, iterations: float) -> None:
    rate = flops_per_second()
    flop = iterations * flop_per_iteration
    print(f"arithmetic floor: {flop:.3g} flop per fit ({iterations:.1f} model evaluations) at {rate / 1e9:.1f} GFLOP/s "
          f"-> {rate / flop:,.0f} fits/s")


def agreement(data, recipe) -> None:
    batched = fit_many(data, recipe, engine="batched")
    reference = fit_many(data, recipe, engine="lmfit")
    diff = np.abs(batched.value - reference.value) / reference.stderr
    worst = diff.max("param").values
    same = bool((batched.success == reference.success).all())
    print(f"agreement on {data.sizes['spectrum']} spectra: max |batched - lmfit| = {np.nanmax(worst):.2e} σ "
          f"(99th percentile {np.nanpercentile(worst, 99):.2e} σ; spectra above 0.01 σ: {int((worst > 0.01).sum())}), "
          f"same success flags: {same}")
    for k in np.where(worst > 0.01)[0][:5]:
        print(f"    spectrum {k}: {worst[k]:.3f} σ, χ²ᵣ batched {float(batched.redchi[k]):.4f} / lmfit "
              f"{float(reference.redchi[k]):.4f}; flags: {batched.flags.values[k]!r} / {reference.flags.values[k]!r}")


def cold_start(n: int = 100) -> None:
    """First fit_many of ``n`` varied spectra in a fresh process: with an empty numba cache (compiles
    and writes it) and again with the cache written (loads it)."""
    import tempfile

    script = textwrap.dedent(f"""
        import sys, time, warnings
        warnings.simplefilter("ignore")
        sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
        start = time.perf_counter()
        import spectra
        from varied_s2p import RECIPE, varied
        data, _ = varied({n}, 1)
        imported = time.perf_counter()
        spectra.fit_many(data, RECIPE)
        first = time.perf_counter()
        spectra.fit_many(data, RECIPE)
        print(f"{{imported - start:.2f}} {{first - imported:.2f}} {{time.perf_counter() - first:.2f}}")
    """)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("empty numba cache", "numba cache written"):
            out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
            imported, first, second = out.stdout.split()
            print(f"cold start ({label}): import + data {imported} s, first fit_many of {n} spectra {first} s, "
                  f"second call {second} s")


def monte_carlo(one: xr.DataArray, recipe, label: str) -> None:
    fit_many(one, recipe, mc_replicas=10, seed=1)  # warm
    start, cpu = time.perf_counter(), time.process_time()
    fit_many(one, recipe)
    fit_time, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    mc = fit_many(one, recipe, mc_replicas=1000, seed=1)
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    q = mc.mc_fraction.sel(spectrum=0, component="Li2S").values
    print(f"Monte Carlo ({label}): 1000 Poisson replicas of one spectrum refitted in {total - fit_time:.3f} s "
          f"(CPU {total_cpu - fit_cpu:.3f} s; {total:.3f} s with the fit itself); Li2S fraction 16-84 %: "
          f"{q[1]:.4f}-{q[3]:.4f}, covariance σ {float(mc.fraction_stderr.sel(spectrum=0, component='Li2S')):.4f}")


def replicas(expected: xr.DataArray, dim: str, n: int, seed: int) -> xr.DataArray:
    counts = np.random.default_rng(seed).poisson(expected.values, size=(n, expected.size)).astype(float)
    return xr.DataArray(counts, dims=("spectrum", dim), coords={dim: expected[dim].values}, attrs=expected.attrs)


def stack(n: int, seed: int = 0) -> xr.DataArray:
    expected, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, noise=False)
    return replicas(expected, "binding_energy", n, seed)


def varied_stack(n: int, seed: int = 0) -> xr.DataArray:
    return varied(n, seed)[0]


def xrd_stack(n: int, seed: int = 0) -> xr.DataArray:
    expected, _ = simulate.xrd(PHASES, two_theta=(15.0, 56.0), step=0.03, amorphous={"carbon_black": 3000.0},
                               displacement=60.0, background=(150.0, -20.0, 5.0), noise=False)
    return replicas(expected, "two_theta", n, seed)


def xrd_varied_stack(n: int, seed: int = 0) -> xr.DataArray:
    """``n`` patterns of the joint model's phases, each with its own phase scales (×0.3–2), Li2S size
    (5–20 nm), specimen displacement (20–100 µm), carbon-black amount and Chebyshev background, Poisson
    noise. Each phase's pattern is computed by :func:`spectra.simulate.xrd` on 8 displacements (and 8
    Li2S sizes) and mixed per pattern: simulating 1,000 patterns one by one would take minutes."""
    rng = np.random.default_rng(seed)
    kw = {"two_theta": (15.0, 56.0), "step": 0.03, "noise": False, "background": (0.0, 0.0, 0.0)}
    displacements, sizes = np.linspace(20.0, 100.0, 8), np.linspace(5.0, 20.0, 8)
    at_d = rng.integers(0, 8, n)
    at_s = rng.integers(0, 8, n)
    grid = simulate.xrd({}, amorphous={"carbon_black": 1.0}, **kw)[0]
    x = grid.two_theta.values
    counts = np.zeros((n, x.size))
    for name, settings in PHASES.items():
        for i, d in enumerate(displacements):
            for j, size in enumerate(sizes if name == "Li2S" else sizes[:1]):
                rows = (at_d == i) & ((at_s == j) if name == "Li2S" else True)
                if rows.any():
                    pattern = simulate.xrd({name: {**settings, **({"size": size} if name == "Li2S" else {})}},
                                           displacement=d, **kw)[0].values
                    counts[rows] += rng.uniform(0.3, 2.0, (int(rows.sum()), 1)) * pattern
    counts += rng.uniform(1000.0, 5000.0, (n, 1)) * grid.values
    t = (x - x[0]) / (x[-1] - x[0]) * 2 - 1
    counts += (rng.uniform(100.0, 200.0, (n, 1)) + rng.uniform(-30.0, -10.0, (n, 1)) * t
               + rng.uniform(2.0, 8.0, (n, 1)) * (2 * t * t - 1))
    counts = rng.poisson(np.maximum(counts, 0.0)).astype(float)
    return xr.DataArray(counts, dims=("spectrum", "two_theta"), coords={"two_theta": x}, attrs=grid.attrs)


def xrd_least_squares_fit(x, y, sigma):
    """scipy least_squares (TRF, 2-point differences) on spectra's XRD model and start values."""
    model = XRDModel(parse_xrd_recipe(XRD_RECIPE), x, y)
    free = [p for p in model.params if p.vary]
    fixed = {p.name: p.value for p in model.params if not p.vary}

    def residual(v):
        return (model.evaluate({**fixed, **dict(zip((p.name for p in free), v))})[0] - y) / sigma

    p0 = [min(max(p.value, p.min), p.max) for p in free]
    return scipy.optimize.least_squares(residual, p0, bounds=([p.min for p in free], [p.max for p in free]))


def xrd_baselines(subset, start_values) -> dict[str, float]:
    x = subset.two_theta.values
    items = [(x, y, np.sqrt(np.maximum(y, 1))) for y in subset.values]
    times = {"lmfit composite loop": per_fit(xrd_composite, [(x, y, start_values) for y in subset.values]),
             "scipy least_squares": per_fit(xrd_least_squares_fit, items),
             "spectra lmfit engine": median_time(lambda: fit_many(subset, XRD_RECIPE, engine="lmfit"), 3) / len(items)}
    print(f"XRD joint model: {x.size} points, 3 phase templates + carbon + Chebyshev, Kα2; baselines on "
          f"{len(items)} patterns:")
    for label, t in times.items():
        print(f"  {label:<24} {1 / t:9.1f} fits/s")
    return times


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=10000, help="largest S 2p batch")
    parser.add_argument("--xrd-max-n", type=int, default=1000, help="largest XRD batch (0: no XRD)")
    parser.add_argument("--numpy-max-n", type=int, default=1000, help="largest batch timed without numba")
    parser.add_argument("--baseline-n", type=int, default=20, help="varied spectra fitted by each baseline")
    parser.add_argument("--lmfitxps-n", type=int, default=4, help="of them, fitted by the lmfitxps loop")
    parser.add_argument("--agreement-n", type=int, default=1000, help="varied spectra of the agreement test")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"numba: {'installed' if kernels._compiled() is not None else 'not installed (numpy path only)'}; "
          f"cores: {os.cpu_count()}; load average at start: {load()}")

    times = baselines(varied_stack(args.baseline_n, seed=99), args.lmfitxps_n)
    sizes = [n for n in (1, 100, 1000, 10000) if n <= args.max_n]
    result = scaling_table("S 2p, varied spectra, documented recipe (active Shirley + slope + shift):", varied_stack,
                           RECIPE, sizes, args.numpy_max_n, times)
    points, free = 341, int(result.covariance.sizes["varying"])
    # per model evaluation: ~40 flops per point and line for values and partials (4 lines), the active
    # Shirley's integral of the peaks and of their F partials (2 flops per point each), the Jacobian
    # weighting (n·F) and JᵀJ (2·n·F²), and the F×F solve
    floor(4 * 40 * points + 2 * points * (free + 1) + points * free + 2 * points * free**2 + 2 * free**3,
          float(result.nfev.mean()) + 1)
    scaling_table("S 2p, replicas of one spectrum, static-Shirley recipe:", stack, REPLICA_RECIPE,
                  [args.max_n], 0, times)
    scaling_table("S 2p, varied spectra, default recipe (static Shirley; cannot describe the slopes):", varied_stack,
                  DEFAULT_RECIPE, [min(args.max_n, 1000)], 0, times)
    agreement(varied_stack(args.agreement_n, seed=5), RECIPE)
    monte_carlo(varied_stack(1, 11), RECIPE, "varied spectrum, documented recipe")
    monte_carlo(stack(1, 11), REPLICA_RECIPE, "replica spectrum, static-Shirley recipe")
    cold_start()
    print(f"load average: {load()}")

    if args.xrd_max_n:
        subset = xrd_varied_stack(5, seed=99)
        x = subset.two_theta.values
        start_values = XRDModel(parse_xrd_recipe(XRD_RECIPE), x, subset.values[0]).defaults()
        print()
        xrd_times = xrd_baselines(subset, start_values)
        result = scaling_table("XRD, varied patterns (phase scales, Li2S size, displacement, carbon, background):",
                               xrd_varied_stack, XRD_RECIPE, [n for n in (1, 100, 1000, 10000) if n <= args.xrd_max_n],
                               min(args.numpy_max_n, 100), xrd_times)
        scaling_table("XRD, replicas of one pattern:", xrd_stack, XRD_RECIPE, [args.xrd_max_n], 0, xrd_times)
        lines, free, touched = 22, int(result.covariance.sizes["varying"]), 6
        # per iteration and line: two profiles (Kα1, Kα2) at ~40 flops per point each, and ~10 flops
        # per point for each of the ~6 parameters a line touches; then JᵀJ (2·n·P²)
        floor(lines * x.size * (2 * 40 + 10 * touched) + 2 * x.size * free**2, float(result.nfev.mean()) + 1)
        agreement(xrd_varied_stack(100, seed=5), XRD_RECIPE)
        print(f"load average at the end: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
