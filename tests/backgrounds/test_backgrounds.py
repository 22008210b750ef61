"""Backgrounds: Shirley against a plain reference implementation on every real XPS region with flat
ends, recovery of known backgrounds, noise and axis-order robustness, Tougaard and linear."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import spectra
from spectra import backgrounds, kernels, lineshapes
from spectra.errors import SpectraError

from ..conftest import shared_files


def reference_shirley(x, y, n_avg, tol=1e-10, max_iter=1000):
    """Plain Proctor-Sherwood iteration with explicit loops (independent of spectra's code)."""
    pairs = sorted(zip(x, y))
    xs = [p[0] for p in pairs]
    ys = [p[1] for p in pairs]
    low = sum(ys[:n_avg]) / n_avg
    high = sum(ys[-n_avg:]) / n_avg
    bg = [low] * len(xs)
    converged = False
    for _ in range(max_iter):
        cum = [0.0]
        for i in range(1, len(xs)):
            cum.append(cum[-1] + 0.5 * ((ys[i] - bg[i]) + (ys[i - 1] - bg[i - 1])) * (xs[i] - xs[i - 1]))
        if cum[-1] <= 0:
            break  # the iteration has lost its footing (no net area above the background)
        new = [low + (high - low) * c / cum[-1] for c in cum]
        change = max(abs(a - b) for a, b in zip(new, bg))
        bg = new
        if change < tol * abs(high - low):
            converged = True
            break
    order = np.argsort(x, kind="stable")
    out = np.empty(len(xs))
    out[order] = bg
    return out, converged


def _flat_end_regions():
    regions = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in shared_files():
            try:
                spectra_list = spectra.read(path)
            except SpectraError:
                continue
            for i, da in enumerate(spectra_list):
                if da.ndim != 1 or da.dims[0] != "binding_energy" or da.attrs.get("technique") != "xps":
                    continue
                y = da.values[np.argsort(da.binding_energy.values)]
                n = y.size
                if n < 40 or not np.all(np.isfinite(y)) or np.ptp(da.binding_energy.values) > 60:
                    continue  # surveys are not Shirley regions
                span = np.ptp(y)
                ends = [y[: n // 20], y[-(n // 20):]]
                # flat: each end segment changes by < 3 % of the region's range and the high-BE end is higher
                if span > 0 and all(np.ptp(np.convolve(e, np.ones(3) / 3, "valid")) < 0.03 * span for e in ends) \
                        and y[-5:].mean() > y[:5].mean():
                    regions.append((path, i))
    return regions


@pytest.mark.parametrize("path,index", _flat_end_regions(), ids=lambda v: getattr(v, "name", str(v)))
def test_shirley_matches_reference_on_real_regions(path, index):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        da = spectra.read(path)[index]
    x, y = da.binding_energy.values, da.values
    ours = backgrounds.shirley(x, y, average=5, tol=1e-10, max_iter=1000)
    ref, ref_converged = reference_shirley(x, y, 5)
    assert ours.converged == ref_converged  # both agree when the iteration has no solution
    if ref_converged:
        np.testing.assert_allclose(ours.values, ref, rtol=0, atol=1e-6 * np.ptp(y))
    else:
        assert "no net peak area" in ours.message


def test_there_are_real_regions_with_flat_ends(shared_data):
    regions = _flat_end_regions()
    assert len(regions) >= 10
    converged = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path, index in regions:
            da = spectra.read(path)[index]
            converged += backgrounds.shirley(da.binding_energy.values, da.values, average=5).converged
    assert converged >= 0.8 * len(regions)


def _peaks(x):
    return lineshapes.gl_product(x, 161.6, 1.1, 3000.0) + lineshapes.gl_product(x, 162.78, 1.1, 1500.0)


def test_shirley_recovers_a_shirley_shaped_background_either_axis_order():
    x = np.linspace(170, 154, 321)
    peaks = _peaks(x)
    truth = 200 + 0.05 * backgrounds.cumulative_peak_integral(x, peaks)
    for xs, ys, ts in ((x, truth + peaks, truth), (x[::-1], (truth + peaks)[::-1], truth[::-1])):
        b = backgrounds.shirley(xs, ys, average=1, tol=1e-9)
        assert b.converged and b.iterations < 50
        np.testing.assert_allclose(b.values, ts, atol=1e-5)
    assert b.settings["average_points"] == 1 and b.settings["tol"] == 1e-9


def test_shirley_is_sane_on_noise_that_dips_below_the_ends():
    rng = np.random.default_rng(3)
    x = np.linspace(170, 154, 321)
    y = rng.poisson(50 + 0 * x).astype(float)  # no peak: noise only
    y[100:140] -= 30  # a dip below both end levels
    b = backgrounds.shirley(x, y, average=5)
    assert np.all(np.isfinite(b.values))
    assert b.values.min() >= min(y[:5].mean(), y[-5:].mean()) - 1e-9
    assert b.values.max() <= max(y[:5].mean(), y[-5:].mean()) + 1e-9


def test_shirley_many_matches_the_reference_for_every_spectrum():
    rng = np.random.default_rng(8)
    x = np.linspace(170, 154, 321)
    clean = 200 + 0.05 * backgrounds.cumulative_peak_integral(x, _peaks(x)) + _peaks(x)
    stack = np.stack([rng.poisson(clean * s).astype(float) for s in (0.5, 1, 4, 20)])
    for xs, ys in ((x, stack), (x[::-1], stack[:, ::-1])):
        together = backgrounds.shirley_many(xs, ys, average=3, tol=1e-10, max_iter=1000)
        for row, many in zip(ys, together):
            expected, converged = reference_shirley(xs, row, 3)
            assert many.converged == converged
            np.testing.assert_allclose(many.values, expected, rtol=1e-8)
    # each spectrum has its own convergence test and iteration count
    assert len({b.iterations for b in together}) > 1


def test_compiled_and_numpy_shirley_iterations_are_identical(monkeypatch):
    """The numba Shirley loop repeats the numpy arithmetic in the same order: identical backgrounds,
    iteration counts and flags (including a spectrum with no net peak area)."""
    if kernels._compiled() is None:
        pytest.skip("numba is not installed (pip install spectra-xpsxrd[fast]); the numpy loop is tested above")
    rng = np.random.default_rng(3)
    x = np.linspace(170, 154, 321)
    clean = 200 + 0.05 * backgrounds.cumulative_peak_integral(x, _peaks(x)) + _peaks(x)
    stack = np.stack([rng.poisson(clean * s).astype(float) for s in (0.5, 1, 4, 20)] + [np.full(x.size, 50.0)])
    results = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("SPECTRA_NUMBA", flag)
        results[flag] = backgrounds.shirley_many(x, stack, average=3, tol=1e-8)
    for numpy_bg, numba_bg in zip(results["0"], results["1"]):
        assert np.array_equal(numpy_bg.values, numba_bg.values)
        assert (numpy_bg.iterations, numpy_bg.converged, numpy_bg.message) == \
            (numba_bg.iterations, numba_bg.converged, numba_bg.message)
    assert results["1"][-1].message.startswith("no net peak area")


def test_shirley_reports_non_convergence():
    x = np.linspace(170, 154, 321)
    y = 200 + 0.05 * backgrounds.cumulative_peak_integral(x, _peaks(x)) + _peaks(x)
    b = backgrounds.shirley(x, y, max_iter=2, tol=1e-15)
    assert not b.converged and b.iterations == 2 and "not converged" in b.message


def test_tougaard_recovers_known_b():
    """A spectrum built self-consistently, j = 100 + F + B·∫K(E-E')(j(E') - 100)dE', gives back B."""
    x = np.linspace(150, 230, 801)
    peaks = _peaks(x)
    kernel = backgrounds.tougaard_kernel(x[:, None] - x[None, :], 1.0, 1643.0) * np.gradient(x)[None, :]
    j = 100 + peaks
    for _ in range(200):
        j = 100 + peaks + 2000.0 * kernel @ (j - 100)
    b = backgrounds.tougaard(x[::-1], j[::-1], b=None, c=1643.0, average=1)
    assert b.settings["b"] == pytest.approx(2000.0, rel=1e-3)
    np.testing.assert_allclose(b.values[::-1], j - peaks, rtol=1e-3)


def test_linear_background():
    x = np.linspace(0, 10, 11)
    y = 3 + 2 * x
    np.testing.assert_allclose(backgrounds.linear(x, y, average=1).values, y)


def test_linear_slope_seed_finds_the_slope_under_a_shirley_step_either_axis_order():
    """The linear term's start: the common slope of the two end segments, where a Shirley step is flat."""
    x = np.linspace(154, 172, 361)
    peaks = _peaks(x)
    y = 200 + 0.05 * backgrounds.cumulative_peak_integral(x, peaks) + peaks + 7.5 * (x - x.min())
    stack = np.stack([y, 2 * y])
    for xs, ys in ((x, stack), (x[::-1], stack[:, ::-1])):
        np.testing.assert_allclose(backgrounds.linear_slope_seed(xs, ys), [7.5, 15.0], rtol=1e-3)


def test_the_linear_term_extends_any_kind_that_takes_it():
    x = np.linspace(154, 172, 361)
    peaks = _peaks(x)
    y = (200 + 0.05 * backgrounds.cumulative_peak_integral(x, peaks) + peaks + 7.5 * (x - x.min()))[None]
    for name in ("shirley", "active-shirley", "tougaard", "tougaard-fitted"):
        kind = backgrounds.background_kind(name)
        extended = backgrounds.background_model(name, {"linear": True, "average": 3})
        assert extended is backgrounds.with_linear(kind) and extended.base is kind  # built once
        assert extended.parameter_names == [*kind.parameter_names, "bg_linear"] and not extended.static
        assert extended.curve_is_background == kind.static
        assert backgrounds.background_model(name, {"linear": False}) is kind
        plain, prepared = kind.prepare(x, y, {"average": 3}), extended.prepare(x, y, {"average": 3, "linear": True})
        if plain.curves is not None:  # the kind's curve is unchanged by the term
            np.testing.assert_array_equal(plain.curves, prepared.curves)
        if prepared.infos[0] is not None:
            assert prepared.infos[0].settings["linear"] is True
        assert prepared.seeds["bg_linear"].shape == (1,)
        p = {"bg_constant": 10.0, "bg_k": 0.01, "bg_b": 5.0, "bg_linear": 2.0}
        curve = None if prepared.curves is None else prepared.curves[0]
        np.testing.assert_allclose(extended.value(x, p, peaks, curve),
                                   kind.value(x, p, peaks, curve) + 2.0 * (x - x.min()))
    with pytest.raises(ValueError, match="already has a linear term"):
        backgrounds.with_linear(extended)
    for name in ("linear", "step", "none"):
        with pytest.raises(ValueError, match="no linear term"):
            backgrounds.background_model(name, {"linear": True})
