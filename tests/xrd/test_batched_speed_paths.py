"""The batched XRD engine's faster paths against independent calculations: the amorphous humps'
fused Gaussian sub-bands (:func:`spectra.kernels.windowed.gaussian_bands`, numpy and numba), all
phases' line parameters in one pass with only some per-phase parameters varying (Jacobian rows
against central differences), and per-pattern models that share their grid's templates
(:meth:`spectra.xrd.pattern_model.XRDModel.for_pattern`) against models built from scratch."""
from __future__ import annotations

import math

import numpy as np
import pytest

from spectra.kernels import windowed
from spectra.xrd.batched import BatchedXRD
from spectra.xrd.pattern_model import XRDModel
from spectra.xrd.recipe import parse_xrd_recipe

from .batched_checks import assert_jacobian_by_differences, assert_matches_the_model
from .test_batched import EVERYTHING, pattern

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def hump(x, center, fwhm, area, shape):
    """An independent hump: Gaussians (area-normalised, FWHM = 2√(2 ln 2) σ) at centre + offset."""
    total = np.zeros((center.size, x.size))
    for offset, width, share in shape:
        sigma = fwhm[:, None] * width / (2 * math.sqrt(2 * math.log(2)))
        total += area[:, None] * share / (sigma * math.sqrt(2 * math.pi)) * np.exp(
            -((x - center[:, None] - offset) ** 2) / (2 * sigma**2))
    return total


def test_gaussian_bands_equal_an_independent_hump_and_its_differences(kernel):
    x = np.linspace(15.0, 56.0, 1368)
    center, fwhm, area = np.array([24.0, 25.5, 26.8]), np.array([3.0, 5.0, 9.0]), np.array([800.0, 3000.0, 0.0])
    shape = np.array([(0.0, 1.0, 1.0), (18.5, 1.2, 0.3)])
    total, jac = np.full((3, x.size), 7.0), np.zeros((3, 5, x.size))
    windowed.gaussian_bands(x, center, fwhm, area, shape, [3, -1, 0], total, jac)  # FWHM fixed
    reference = hump(x, center, fwhm, area, shape)
    assert np.max(np.abs(total - 7.0 - reference)) <= 1e-12 * np.max(reference)
    assert not jac[:, [1, 2, 4]].any()  # rows of no parameter of the hump stay untouched
    values = {"center": center, "fwhm": fwhm, "area": area}
    for key, row in (("center", 3), ("area", 0)):
        step = 1e-6 * np.maximum(np.abs(values[key]), 1.0)
        up, down = ({**values, key: values[key] + sign * step} for sign in (1, -1))
        numeric = (hump(x, **up, shape=shape) - hump(x, **down, shape=shape)) / (2 * step[:, None])
        assert np.max(np.abs(jac[:, row] - numeric)) <= 1e-7 * np.max(np.abs(numeric)), key
    # the FWHM row, through a call where it varies
    jac = np.zeros((3, 1, x.size))
    windowed.gaussian_bands(x, center, fwhm, area, shape, [-1, 0, -1], np.zeros((3, x.size)), jac)
    step = 1e-6 * fwhm
    up, down = hump(x, center, fwhm + step, area, shape), hump(x, center, fwhm - step, area, shape)
    numeric = (up - down) / (2 * step[:, None])
    assert np.max(np.abs(jac[:, 0] - numeric)) <= 1e-7 * np.max(np.abs(numeric))


#: the kernel's case with every per-phase term: strain on one phase only, preferred orientation, a Pawley phase
PER_PHASE = {**EVERYTHING, "window": [15.0, 56.0], "phase_options": {"Li2S": {"strain": {"value": 0.002}},
                                             "graphite": {"preferred_orientation": {"hkl": [0, 0, 1], "r": 0.8}},
                                             "Si": {"intensities": "pawley"}}}


def test_partly_varying_phase_terms_match_central_differences(kernel):
    """All phases' lines in one pass, with each per-phase parameter varying for some phases only:
    values equal ``XRDModel`` and every Jacobian row equals central differences."""
    da = pattern()
    model = XRDModel(parse_xrd_recipe(PER_PHASE), da.two_theta.values, da.values)
    names = [p.name for p in model.params]
    fixed = {"Li6PS5Cl_size", "Si_size", "graphite_scale", "Li2MnO3_cell_scale", "graphite_c", "Li2S_a",
             "inst_u", "zero"} | {n for n in names if n.startswith("Si_") and n.endswith(("_0", "_2"))}
    vary = np.array([n not in fixed for n in names])
    base = np.array([p.value for p in model.params])
    lo, hi = np.array([p.min for p in model.params]), np.array([p.max for p in model.params])
    theta = np.clip(base * (1 + 0.01 * np.random.default_rng(3).standard_normal((2, base.size))), lo, hi)
    theta[:, names.index("displacement")] = [40.0, -20.0]
    batched = BatchedXRD(model, names, vary)
    assert batched.plain
    jac = assert_matches_the_model(batched, model, names, theta)
    free = [n for n, v in zip(names, vary) if v]
    assert jac.shape[1] == len(free)
    assert_jacobian_by_differences(batched, jac, theta, names, list(enumerate(free)),
                                   lambda name: 1e-3 if name.startswith("bg_") else 1e-5)


def test_models_for_other_patterns_equal_models_built_anew():
    da = pattern()
    spec = parse_xrd_recipe(PER_PHASE)
    grid = XRDModel(spec, da.two_theta.values, da.values)
    other = pattern(seed=5).values
    starts = np.array([p.value for p in grid.params]) * 1.01
    shared, fresh = grid.for_pattern(other, starts), XRDModel(spec, da.two_theta.values, other, starts=starts)
    assert shared.params == fresh.params
    assert shared.params is not grid.params and grid.params[0].value != shared.params[0].value
    assert np.array_equal(shared.y, other) and np.array_equal(grid.y, da.values)
    values = {p.name: p.value for p in fresh.params}
    assert np.array_equal(shared.evaluate(values)[0], fresh.evaluate(values)[0])


def test_free_peaks_without_phases():
    """No phase lines at all: the free peaks alone equal ``XRDModel``."""
    da = pattern()
    spec = parse_xrd_recipe({"technique": "xrd", "phases": [], "anode": "Cu",
                             "peaks": [{"name": "p1", "center": 28.4, "fwhm": 0.3}]})
    model = XRDModel(spec, da.two_theta.values, da.values)
    names = [p.name for p in model.params]
    theta = np.array([[p.value for p in model.params]])
    batched = BatchedXRD(model, names, np.array([p.vary for p in model.params]))
    assert batched.phase_lines.count == 0
    reference = model.evaluate(dict(zip(names, theta[0])))[0]
    assert np.max(np.abs(batched.evaluate(theta, True)[0][0] - reference)) <= 1e-9 * np.max(np.abs(reference))
