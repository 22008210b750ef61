"""The fast paths of the batched XPS engine against independent calculations written here:

* the compiled XPS line kernel (:func:`spectra.kernels.xps_lines`), which skips a line's Gaussian
  tail below exp(−45) of its peak and evaluates exp with a vectorised polynomial, equals GL(30)
  (``tests.forward_lines``) and SGL/Gaussian/Lorentzian formulas written here to 1e-12 of the
  largest value (or line peak), also for lines whose centre lies outside the window, and its
  Jacobian rows equal central differences of those formulas;
* a parameter that is NaN gives a NaN model (the fit must see it and reject the step);
* the vectorised exp equals numpy's to 2 ulp;
* :func:`spectra.kernels.normal_equations` (χ², JᵀJ, Jᵀr) equals the sums written out here, and
  :func:`spectra.kernels.solve_stacked` solves (residual below 1e-12, row exchanges included) and
  refuses a singular system as ``np.linalg.solve`` does, with and without numba.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from spectra import kernels, lineshapes
from tests.forward_lines import gl30

pytestmark = pytest.mark.skipif(kernels._compiled() is None, reason="the compiled kernels need numba")

X = np.round(np.arange(155.0, 172.0 + 0.025, 0.05), 10)
#: centres (eV) inside, at the edges of and outside the window [155, 172], FWHM (eV) and areas
CENTERS = np.array([[161.6, 160.0], [155.2, 171.9], [150.0, 176.0], [163.0, 168.5]])
FWHM = np.array([[1.1, 1.3], [0.6, 2.4], [1.2, 0.9], [0.35, 1.7]])
AREAS = np.array([[8e3, 3e3], [5e3, 1e3], [2e4, 6e3], [1e3, 9e3]])


def _sgl(x, c, w, a, m):
    """CasaXPS SGL(m): (1 − m/100)·Gaussian + m/100·Lorentzian of equal height and FWHM, area ``a``."""
    f, u = m / 100.0, (x - c) / w
    unit = (1 - f) * np.exp(-4 * math.log(2) * u * u) + f / (1 + 4 * u * u)
    return a / (w * ((1 - f) * math.sqrt(math.pi / (4 * math.log(2))) + f * math.pi / 2)) * unit


FORWARD = {  # registry name, shape values, independent formula
    "GL(30)": ("gl_product", (30.0,), lambda x, c, w, a: gl30(x, c, w, a)),
    "SGL(30)": ("gl_sum", (30.0,), lambda x, c, w, a: _sgl(x, c, w, a, 30.0)),
    "Gaussian": ("gaussian", (), lambda x, c, w, a: _sgl(x, c, w, a, 0.0)),
    "Lorentzian": ("lorentzian", (), lambda x, c, w, a: _sgl(x, c, w, a, 100.0)),
}


def _kernel(name, centers, fwhm, areas, rows, n_rows=None):
    entry, shape, _ = FORWARD[name]
    constants = np.array([lineshapes.LINESHAPES[entry].kernel_constants(*shape)] * centers.shape[1], dtype=float)
    one = np.ones_like(areas)
    return kernels.xps_lines(X, centers.copy(), fwhm.copy(), areas.copy(), one, 0 * one, constants, rows, True,
                             n_rows=n_rows)


@pytest.mark.parametrize("name", list(FORWARD))
def test_kernel_equals_the_forward_lines_and_their_central_differences(name):
    forward = FORWARD[name][2]
    # line k: its centre, FWHM and area rows; both lines share a charge shift (row 6)
    rows = np.array([[0, -1, 1, 2, -1, 6, -1], [3, -1, 4, 5, -1, 6, -1]])
    total, jac = _kernel(name, CENTERS, FWHM, AREAS, rows, n_rows=8)
    assert jac.shape == (len(CENTERS), 8, X.size)
    assert np.all(jac[:, 7] == 0)  # a row no line has (e.g. a background parameter's) stays zero

    def model(c, w, a):
        return sum(forward(X, c[k], w[k], a[k]) for k in range(2))

    for b in range(len(CENTERS)):
        c, w, a = CENTERS[b], FWHM[b], AREAS[b]
        reference = model(c, w, a)
        # to 1e-12 of the larger of the window's largest value and the lines' peaks (where the lines
        # lie outside the window, only their far tails are in it: the kernel leaves out what is below
        # 1e-19 of a peak)
        peak = max(forward(c[k], c[k], w[k], a[k]) for k in range(2))
        assert np.max(np.abs(total[b] - reference)) <= 1e-12 * max(np.max(np.abs(reference)), peak)
        for k in range(2):
            for row, (dc, dw, da) in zip(rows[k, [0, 2, 3]], ((1e-6, 0, 0), (0, 1e-6, 0), (0, 0, 1e-3))):
                step = np.zeros((3, 2))
                step[:, k] = dc, dw, da
                up, down = model(c + step[0], w + step[1], a + step[2]), model(c - step[0], w - step[1], a - step[2])
                numeric = (up - down) / (2 * max(dc, dw, da))
                assert np.max(np.abs(jac[b, row] - numeric)) <= 1e-6 * np.max(np.abs(numeric)) + 1e-9
        # the shift moves both lines: its row is the sum of their centre rows
        numeric = (model(c + 1e-6, w, a) - model(c - 1e-6, w, a)) / 2e-6
        assert np.max(np.abs(jac[b, 6] - numeric)) <= 1e-6 * np.max(np.abs(numeric)) + 1e-9


@pytest.mark.parametrize("name", ["GL(30)", "SGL(30)"])
def test_a_nan_parameter_gives_a_nan_model(name):
    rows = np.array([[0, -1, 1, 2, -1, -1, -1], [3, -1, 4, 5, -1, -1, -1]])
    for spectrum, line in ((0, 0), (2, 1)):  # (2, 1): a line whose centre lies far outside the window
        centers = CENTERS.copy()
        centers[spectrum, line] = np.nan
        total, _ = _kernel(name, centers, FWHM, AREAS, rows)
        assert np.isnan(total[spectrum]).all()
        assert np.isfinite(np.delete(total, spectrum, axis=0)).all()
    fwhm = FWHM.copy()
    fwhm[1, 0] = np.nan
    total, _ = _kernel(name, CENTERS, fwhm, AREAS, rows)
    assert np.isnan(total[1]).all()


def test_vectorised_exp_equals_numpy():
    rng = np.random.default_rng(3)
    a = np.concatenate([np.linspace(-700.0, 0.0, 70001), -rng.exponential(3.0, 10000), [0.0, -1e-300, -45.0]])
    out = np.empty_like(a)
    kernels._compiled().exp(a, out)
    reference = np.exp(a)
    assert np.max(np.abs(out - reference) / reference) <= 2 * np.finfo(float).eps
    assert out[-3] == 1.0


@pytest.mark.parametrize("numba", ["1", "0"])
def test_normal_equations_equal_the_sums(numba, monkeypatch):
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    rng = np.random.default_rng(7)
    n_spec, n_free, n = 5, 4, 57
    total, y = rng.normal(100, 10, (n_spec, n)), rng.normal(100, 10, (n_spec, n))
    weight, jac = 1 / rng.uniform(1, 10, (n_spec, n)), rng.normal(0, 3, (n_spec, n_free, n))
    chi2, jtj, jtr, r = kernels.normal_equations(total, jac.copy(), y, weight)
    for b in range(n_spec):
        res = [(total[b, i] - y[b, i]) * weight[b, i] for i in range(n)]
        assert r[b] == pytest.approx(res, rel=1e-14)
        assert chi2[b] == pytest.approx(math.fsum(v * v for v in res), rel=1e-12)
        wj = [[jac[b, f, i] * weight[b, i] for i in range(n)] for f in range(n_free)]
        for f in range(n_free):
            assert jtr[b, f] == pytest.approx(math.fsum(wj[f][i] * res[i] for i in range(n)), rel=1e-12, abs=1e-9)
            for g in range(n_free):
                assert jtj[b, f, g] == pytest.approx(math.fsum(wj[f][i] * wj[g][i] for i in range(n)), rel=1e-12)


@pytest.mark.parametrize("numba", ["1", "0"])
def test_stacked_solve_solves_and_refuses_singular_systems(numba, monkeypatch):
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    rng = np.random.default_rng(11)
    a = rng.normal(0, 1, (40, 9, 9)) + 6 * np.eye(9)
    a[0] = np.eye(9)[::-1]  # a zero leading element: needs a row exchange
    b = rng.normal(0, 5, (40, 9))
    x = kernels.solve_stacked(a, b)
    assert np.max(np.abs(np.einsum("sij,sj->si", a, x) - b)) <= 1e-12 * np.max(np.abs(b))
    assert x[0] == pytest.approx(b[0][::-1], abs=0)
    singular = a.copy()
    singular[7, :, 3] = 0.0  # a zero column
    with pytest.raises(np.linalg.LinAlgError):
        kernels.solve_stacked(singular, b)
