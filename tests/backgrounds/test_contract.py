"""The contract every registered XPS background kind keeps, checked for each entry of
:data:`spectra.backgrounds.BACKGROUND_KINDS` (a new entry is picked up without editing this file), and
for each kind extended by a fitted linear term where it takes the option (``linear = true``,
:func:`spectra.backgrounds.with_linear`; the term's slope is set to a value that is not zero).

Data: an S 2p region written here in numpy (two Gaussian spin-orbit doublets on ``c + k·∫peaks``),
turned into the expectation of each kind's own model (the recipe's model at its start values on
that region, with the peaks' true positions, widths and areas), with seeded Poisson noise.

* a fitted kind's start values name exactly its parameters, in bounds;
* the one-spectrum model (``value``, the lmfit engine's) and the batched model (``partials``) give
  the same spectrum to 1e-10 of its largest value;
* the batched Jacobian (``BatchedXPS.evaluate(..., want_jacobian=True)``) equals central differences
  of the batched model to 1e-6 of the largest derivative, every varying parameter;
* the normal equations of a Levenberg–Marquardt step (χ², JᵀJ, Jᵀr, residual) from the batched
  model's one-pass kernel (``BatchedXPS.normal_equations``, for kinds that give their linear
  ``terms``) equal those of ``evaluate`` to 1e-10, for all spectra and a subset;
* a recipe with the kind fits the series with ``engine="lmfit"`` and ``engine="batched"`` of
  ``fit_many``: all succeed and the parameters agree within 0.01 σ.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from spectra import kernels
from spectra.backgrounds import BACKGROUND_KINDS, LINEAR_PARAMETER, background_kind, with_linear
from spectra.dataarray import xps_spectrum
from spectra.fitting.batch import fit_many
from spectra.xps.batched import BatchedXPS, supported
from spectra.xps.peak_model import XPSModel, start_table, static_backgrounds
from spectra.xps.problem import XPSProblem
from spectra.xps.recipe import parse_xps_recipe

#: every registered kind, and every kind that takes the linear term with it
KINDS = list(BACKGROUND_KINDS.values()) + [with_linear(k) for k in BACKGROUND_KINDS.values() if "linear" in k.options]
FITTED = [k for k in KINDS if not k.static]
#: the slope of the linear term in the expected counts (counts/eV)
SLOPE = 4.0
X = np.round(np.arange(155.0, 172.0 + 1e-9, 0.05), 10)  # ascending binding energy, 341 points
#: the peaks of the synthetic region: centre, FWHM, area of the 2p3/2 line (2p1/2: +1.18 eV, half the area)
TRUTH = {"PS4": (161.62, 1.08, 9000.0), "Li2S": (160.05, 1.22, 3500.0)}


def _gaussian(x, center, fwhm, area):
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    return area / (sigma * math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def _region() -> np.ndarray:
    """Noise-free S 2p: the doublets on a Shirley-type background ``300 + k·∫peaks`` (step 25 % of the top)."""
    peaks = sum(_gaussian(X, c, w, a) + _gaussian(X, c + 1.18, w, 0.5 * a) for c, w, a in TRUTH.values())
    integral = np.concatenate(([0.0], np.cumsum(0.5 * (peaks[1:] + peaks[:-1]) * np.diff(X))))
    return 300.0 + 0.25 * peaks.max() * integral / integral[-1] + peaks


def _recipe(kind) -> dict:
    background = kind.name if kind.base is None else {"kind": kind.base.name, "linear": True}
    return {"region": "S 2p", "components": list(TRUTH), "background": background, "lineshape": "G"}


def _truth(kind) -> tuple[dict, np.ndarray]:
    """Parameters and expected counts of the kind's own model on the region."""
    spec = parse_xps_recipe(_recipe(kind))
    model = XPSModel(spec, X, _region())
    p = model.defaults()
    for name, (c, w, a) in TRUTH.items():
        p.update({f"{name}_center": c, f"{name}_fwhm": w, f"{name}_area": a})
    if LINEAR_PARAMETER[0] in p:
        p[LINEAR_PARAMETER[0]] = SLOPE
    return p, model.evaluate(p)[0]


def _series(kind, n: int, seed: int):
    _, expected = _truth(kind)
    assert np.all(expected >= 0)
    counts = np.random.default_rng(seed).poisson(expected, size=(n, X.size)).astype(float)
    return [xps_spectrum(X, row, energy_axis="binding", excitation_energy=1486.6, units="counts", region="S 2p")
            for row in counts]


def _batched(kind, y):
    """The batched model of spectra ``y`` (N, n), its problem, and start values (N, P)."""
    spec = parse_xps_recipe(_recipe(kind))
    problem = XPSProblem(spec)
    infos, static, curves, seeds = static_backgrounds(spec, X, y)
    rows = start_table(spec, X, y, static, seeds)
    start = np.stack([r.value for r in rows], axis=1)
    return BatchedXPS(spec, problem.names, problem.vary, X, curves), problem, start, infos


@pytest.mark.parametrize("kind", FITTED, ids=[k.name for k in FITTED])
def test_start_values_name_the_parameters_within_bounds(kind):
    y = np.stack([_region(), 1.5 * _region()])
    spec = parse_xps_recipe(_recipe(kind))
    _, static, _, seeds = static_backgrounds(spec, X, y)
    rows = {r.name: r for r in start_table(spec, X, y, static, seeds) if r.name.startswith("bg_")}
    assert list(rows) == kind.parameter_names == [name for name, _ in kind.parameters]
    for r in rows.values():
        assert r.value.shape == (2,) and np.all(np.isfinite(r.value))
        assert np.all(np.broadcast_to(r.min, 2) <= r.value) and np.all(r.value <= np.broadcast_to(r.max, 2))


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_one_spectrum_and_batched_models_agree(kind):
    y = np.stack([np.random.default_rng(k).poisson(_truth(kind)[1]).astype(float) for k in range(3)])
    model, problem, start, infos = _batched(kind, y)
    batched = model.evaluate(start, False)[0]
    for k in range(len(y)):
        single = XPSModel(parse_xps_recipe(_recipe(kind)), X, y[k], infos[k]).evaluate(
            dict(zip(problem.names, start[k])))[0]
        assert np.max(np.abs(single - batched[k])) <= 1e-10 * np.max(np.abs(single))


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_batched_jacobian_equals_central_differences(kind):
    p, expected = _truth(kind)
    y = np.stack([expected, 1.2 * expected])
    model, problem, _, _ = _batched(kind, y)
    theta = np.array([[p[n] for n in problem.names]] * 2)
    theta *= 1 + 0.01 * np.random.default_rng(0).standard_normal(theta.shape)
    _, jac = model.evaluate(theta, True)
    free = [n for n, v in zip(problem.names, problem.vary) if v]
    assert set(kind.parameter_names) <= set(free) and jac.shape == (2, len(free), X.size)
    for row, name in enumerate(free):
        k = problem.names.index(name)
        step = 1e-6 * max(abs(theta[0, k]), 1.0)
        up, down = theta.copy(), theta.copy()
        up[:, k] += step
        down[:, k] -= step
        numeric = (model.evaluate(up, False)[0] - model.evaluate(down, False)[0]) / (2 * step)
        assert np.max(np.abs(jac[:, row] - numeric)) <= 1e-6 * np.max(np.abs(numeric)) + 1e-9, name


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_one_pass_normal_equations_equal_those_of_the_model(kind, monkeypatch):
    p, expected = _truth(kind)
    y = np.stack([np.random.default_rng(k).poisson(expected * (1 + 0.2 * k)).astype(float) for k in range(4)])
    model, problem, _, _ = _batched(kind, y)
    theta = np.array([[p[n] for n in problem.names]] * 4)
    theta *= 1 + 0.01 * np.random.default_rng(1).standard_normal(theta.shape)
    weight = 1.0 / np.sqrt(np.maximum(y, 1.0))
    calls = []
    real = kernels.xps_normal_equations
    monkeypatch.setattr(kernels, "xps_normal_equations", lambda *a: calls.append(1) or real(*a))
    for rows in (slice(None), np.array([3, 1])):
        fused = model.normal_equations(theta[rows], rows, y[rows], weight[rows])
        reference = kernels.normal_equations(*model.evaluate(theta[rows], True, rows), y[rows], weight[rows])
        for name, a, b in zip(("chi2", "jtj", "jtr", "residual"), fused, reference):
            assert a.shape == b.shape
            assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(b)), name
    assert len(calls) == (2 if kind.terms is not None and kernels.numba_enabled() else 0)


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_both_engines_fit_and_agree(kind):
    if kind.partials is None:
        pytest.skip(f"{kind.name}: no partials, fitted by the lmfit engine only")
    recipe = _recipe(kind)
    spec = parse_xps_recipe(recipe)
    assert supported(spec) is None and spec.background.entry is kind
    assert kind.base is not None or background_kind(kind.name) is kind
    das = _series(kind, 6, seed=7)
    batched = fit_many(das, recipe, engine="batched")
    reference = fit_many(das, recipe, engine="lmfit")
    assert batched.attrs["engine"] == "batched" and reference.attrs["engine"] == "lmfit"
    assert batched.success.all() and reference.success.all()
    varying = reference.stderr.notnull().all("spectrum")
    assert all(bool(varying.sel(param=name)) for name in kind.parameter_names)
    diff = np.abs(batched.value - reference.value) / reference.stderr
    assert float(diff.where(varying).max()) < 0.01
