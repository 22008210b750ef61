"""The contract every registered line shape keeps, checked for each entry of
:data:`spectra.lineshapes.LINESHAPES` (a new entry is picked up without editing this file).

* the entry is consistent: its shape parameters are keywords of its function, its short names
  parse back to it;
* ``fwhm`` and ``area`` are exact: half-maximum root finding and quad integration agree to 1e-6
  relative, at the defaults and at 25 % and 75 % of each shape parameter's range (shapes with a
  ``window`` keyword define their area over ``center ± window·fwhm``);
* analytic partials (when the entry has them) equal central differences of the *function* to
  1e-6 of the largest derivative, and their values equal the function's to 1e-12 relative;
* the compiled kernel (when the entry has kernel constants and numba is importable) equals the
  numpy partials to 1e-12 of the largest value;
* entries with partials fit an S 2p series (``spectra.simulate.xps``, seeded Poisson noise) with
  both engines of ``fit_many``, which agree within 0.01 σ; entries without partials are refused by
  ``engine="batched"`` with the reason and fitted by ``engine="auto"`` through lmfit.
"""
from __future__ import annotations

import inspect
import itertools
import warnings

import numpy as np
import pytest
from scipy import integrate, optimize

from spectra import kernels, simulate
from spectra.errors import FitError
from spectra.fitting.batch import fit_many
from spectra.lineshapes import LINESHAPES, WINDOW, parse
from spectra.xps.batched import supported
from spectra.xps.recipe import parse_xps_recipe

ENTRIES = list(LINESHAPES.values())
WITH_PARTIALS = [e for e in ENTRIES if e.partials is not None]
WITHOUT_PARTIALS = [e for e in ENTRIES if e.partials is None]
WITH_KERNEL = [e for e in ENTRIES if e.kernel_constants is not None]
CENTER, FWHM, AREA = 161.7, 0.93, 4321.0


def _points(entry) -> list[dict[str, float]]:
    """Shape-parameter values to test: the defaults, and 25 % and 75 % into every range."""
    points = [{k: d for k, (d, _, _) in entry.shape_params.items()}]
    if entry.shape_params:
        points += [{k: lo + f * (hi - lo) for k, (_, lo, hi) in entry.shape_params.items()} for f in (0.25, 0.75)]
    return points


def _cases(entries):
    return [pytest.param(e, p, id=f"{e.name}-{'-'.join(f'{k}={v:g}' for k, v in p.items()) or 'plain'}")
            for e in entries for p in _points(e)]


def _recipe_lineshape(entry, shape: dict[str, float]) -> str:
    """The entry as a recipe writes it: short name (or name) and the shape values in brackets."""
    name = entry.short_names[0] if entry.short_names else entry.name
    return f"{name}({','.join(repr(float(v)) for v in shape.values())})" if shape else name


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_entry_is_consistent(entry):
    keywords = inspect.signature(entry.function).parameters
    assert list(keywords)[:4] == ["x", "center", "fwhm", "area"]
    for name, (default, lo, hi) in entry.shape_params.items():
        assert name in keywords and lo <= default <= hi
    values = {k: d for k, (d, _, _) in entry.shape_params.items()}
    brackets = f"({','.join(repr(float(v)) for v in values.values())})" if values else ""
    for name in (*entry.short_names, entry.name):
        shape, parsed = parse(name + brackets)
        assert shape is entry and parsed == values


@pytest.mark.parametrize("entry,shape", _cases(ENTRIES))
def test_fwhm_and_area_are_exact(entry, shape):
    f = entry.function

    def g(x):
        return float(f(np.atleast_1d(x), CENTER, FWHM, AREA, **shape)[0])

    grid = np.linspace(CENTER - 5 * FWHM, CENTER + 5 * FWHM, 20001)
    top = grid[np.argmax(f(grid, CENTER, FWHM, AREA, **shape))]
    top = optimize.minimize_scalar(lambda x: -g(x), bracket=(top - 1e-3, top, top + 1e-3), tol=1e-12).x
    half = 0.5 * g(top)
    left = optimize.brentq(lambda x: g(x) - half, top - 5 * FWHM, top, xtol=1e-14)
    right = optimize.brentq(lambda x: g(x) - half, top, top + 5 * FWHM, xtol=1e-14)
    assert (right - left) == pytest.approx(FWHM, rel=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        if "window" in inspect.signature(f).parameters:  # area defined over center ± window·fwhm
            pieces = np.linspace(CENTER - WINDOW * FWHM, CENTER + WINDOW * FWHM, 61)
            area = sum(integrate.quad(g, a, b, epsabs=0, epsrel=1e-10, limit=200)[0]
                       for a, b in itertools.pairwise(pieces))
        else:  # tails to infinity, the peak itself in pieces (quad alone can miss a narrow peak)
            pieces = np.linspace(CENTER - 10 * FWHM, CENTER + 10 * FWHM, 41)
            area = (integrate.quad(g, -np.inf, pieces[0], epsabs=0, epsrel=1e-11, limit=1000)[0]
                    + sum(integrate.quad(g, a, b, epsabs=0, epsrel=1e-11)[0] for a, b in itertools.pairwise(pieces))
                    + integrate.quad(g, pieces[-1], np.inf, epsabs=0, epsrel=1e-11, limit=1000)[0])
    assert area == pytest.approx(AREA, rel=1e-6)


#: two spectra at once, to check the broadcasting (N, 1) × (1, n)
X = np.linspace(150.0, 172.0, 1101)[None, :]
C, W, A = np.array([[160.3], [161.1]]), np.array([[1.1], [0.8]]), np.array([[2500.0], [900.0]])


@pytest.mark.parametrize("entry,shape", _cases(WITH_PARTIALS))
def test_partials_equal_the_function_and_its_central_differences(entry, shape):
    values = list(shape.values())
    y, dc, dw, da = entry.partials(X, C, W, A, *values)

    def f(k, c, w, a):
        return entry.function(X[0], c, w, a, **shape)

    for k in range(len(C)):
        reference = f(k, C[k, 0], W[k, 0], A[k, 0])
        assert np.max(np.abs(y[k] - reference)) <= 1e-12 * np.max(np.abs(reference))
        for analytic, shift in ((dc, (1e-6, 0, 0)), (dw, (0, 1e-6, 0)), (da, (0, 0, 1e-3))):
            up = f(k, C[k, 0] + shift[0], W[k, 0] + shift[1], A[k, 0] + shift[2])
            down = f(k, C[k, 0] - shift[0], W[k, 0] - shift[1], A[k, 0] - shift[2])
            numeric = (up - down) / (2 * max(shift))
            assert np.max(np.abs(analytic[k] - numeric)) <= 1e-6 * np.max(np.abs(numeric)) + 1e-9


@pytest.mark.parametrize("entry,shape", _cases(WITH_KERNEL))
def test_compiled_kernel_equals_the_numpy_partials(entry, shape):
    if kernels._compiled() is None:
        pytest.skip("numba is not installed; the numpy partials are the only path")
    assert entry.partials is not None, "kernel constants without partials: the numpy path would be missing"
    values = list(shape.values())
    constants = np.array([entry.kernel_constants(*values)], dtype=float)
    rows = np.array([[0, -1, 1, 2, -1]], dtype=np.int64)  # centre, FWHM and area rows; no splitting or ratio
    total, jac = kernels.xps_lines(X[0], C.copy(), W.copy(), A.copy(), np.ones_like(A), np.zeros_like(A), constants,
                                   rows, True)
    y, dc, dw, da = entry.partials(X, C, W, A, *values)
    for compiled, numpy_path in ((total, y), (jac[:, 0], dc), (jac[:, 1], dw), (jac[:, 2], da)):
        assert np.max(np.abs(compiled - numpy_path)) <= 1e-12 * np.max(np.abs(numpy_path))


def _series(lineshape: str, n: int, seed0: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, lineshape=lineshape, seed=s)[0]
                for s in range(seed0, seed0 + n)]


@pytest.mark.parametrize("entry", WITH_PARTIALS, ids=[e.name for e in WITH_PARTIALS])
def test_both_engines_fit_and_agree(entry):
    lineshape = _recipe_lineshape(entry, {k: d for k, (d, _, _) in entry.shape_params.items()})
    recipe = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "active-shirley", "lineshape": lineshape}
    assert supported(parse_xps_recipe(recipe)) is None
    das = _series(lineshape, 8, 500)
    batched = fit_many(das, recipe, engine="batched")
    reference = fit_many(das, recipe, engine="lmfit")
    assert batched.attrs["engine"] == "batched" and reference.attrs["engine"] == "lmfit"
    assert batched.success.all() and reference.success.all()
    varying = reference.stderr.notnull().all("spectrum")
    diff = np.abs(batched.value - reference.value) / reference.stderr
    assert float(diff.where(varying).max()) < 0.01


@pytest.mark.parametrize("entry", WITHOUT_PARTIALS, ids=[e.name for e in WITHOUT_PARTIALS])
def test_shapes_without_partials_are_refused_by_batched_and_fitted_by_lmfit(entry):
    recipe = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "active-shirley",
              "lineshape": entry.name}
    assert supported(parse_xps_recipe(recipe)) == f"line shape {entry.name!r}"
    das = _series(entry.name, 2, 600)
    with pytest.raises(FitError, match=f"does not support line shape '{entry.name}'"):
        fit_many(das, recipe, engine="batched")
    result = fit_many(das, recipe, engine="auto")
    assert result.attrs["engine"] == "lmfit" and result.success.all()
