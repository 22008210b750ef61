"""Sums of Kα1/Kα2 pseudo-Voigt lines with their Jacobian, each line's Gaussian evaluated only in a
window of ± ``reach`` FWHM around it (the XRD batched engine's kernel, :mod:`spectra.xrd.batched`).

Within the window a line is the full pseudo-Voigt ``(1 − η) G + η L``. Outside it the Gaussian is
dropped and the Lorentzian tail ``η L`` is still added, analytically, at every point (no ``exp``; one
division for the Kα1 and Kα2 terms together). Rietveld codes cut a peak at such a window; the tail is
not cut here because a Lorentzian beyond ± k FWHM holds (2/π) arctan(1/(2k)) ≈ 1/(πk) of its area (8 %
at k = 4, 3 % at k = 10): keeping 10⁻⁴ of it would need k ≈ 3,000, i.e. no window, for lines that are
70–100 % Lorentzian (nanocrystalline phases), and cutting it moves fitted scales and sizes by far more
than 0.01 σ.

What is neglected, for a line of area A (Kα1; the Kα2 line r·A) at ``reach`` = k: the Gaussian beyond
± k FWHM, ``(1 − η)(1 + r) A erfc(k √(4 ln 2))`` of area, and at most
``(1 − η)(1 + r) A exp(−4 ln 2 k²) / (σ √(2π))`` at any point (σ = FWHM / 2.3548). At the default
k = :data:`REACH` = 4 that is below 5·10⁻²¹ of the line's area and 6·10⁻²⁰ of its Gaussian peak height:
values and Jacobian equal the full evaluation to rounding and fits do not move (tested in
``tests/xrd/test_windowed_lines.py``, which also checks the bound itself at k = 1.5).

Work per pattern and line: the tail and its four partials on every point (vectorised, ~1 ns a point),
the Gaussian only on the ~2k·FWHM/step points of the window, and the Jacobian rows of the line's
varying parameters, four rows per pass over the grid (contiguous fused multiply-adds).

The amorphous humps (Gaussian sub-bands) have their own fused loop, :func:`gaussian_bands`: the
Gaussian factors of all sub-bands in one numpy ``exp``, then the value and the three Jacobian rows in
one pass.

The compiled loops (numba, ``cache=True``, serial) are used when :func:`spectra.kernels.numba_enabled`;
otherwise numpy versions (the same windows) give the same numbers (tested).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from . import _compiled as _numba_module
from . import numba_enabled

#: default half-width of each line's window, in FWHM (see the module docstring for what is neglected)
REACH = 4.0


def pseudo_voigt_lines(x, c1, c2, w, eta, area, ratio, sens, cols, want_jacobian, reach=REACH):
    """Sum over lines of pseudo-Voigt profiles at ``c1`` plus ``ratio`` × the same at ``c2`` (Kα2),
    each line's Gaussian evaluated within ± ``reach`` FWHM of its centres and its Lorentzian everywhere.

    Parameters
    ----------
    x : ndarray (n,)
        Ascending grid.
    c1, c2, w, eta, area : ndarray (N, K)
        Per pattern and line: Kα1 and Kα2 centres, FWHM, Lorentzian fraction, area (Kα1 line).
    ratio : float
        Kα2/Kα1 area ratio (0: no Kα2 line; ``c2`` is then ignored).
    sens : ndarray (5, N, K, F)
        ∂(c1, c2, w, eta, area)/∂θ of every line for the F varying parameters.
    cols : ndarray of int (K, M)
        For each line, the varying parameters its sensitivities can be non-zero for (−1 pads); only
        these Jacobian rows receive the line's partials.
    want_jacobian : bool
    reach : float, optional
        Half-width of the window in FWHM, from the lower of a line's two centres minus ``reach``·FWHM
        to the higher plus ``reach``·FWHM. ``np.inf`` evaluates every line in full everywhere. At the
        default (:data:`REACH`) the dropped Gaussian is below 5·10⁻²¹ of each line's area.

    Returns
    -------
    total : ndarray (N, n)
    jacobian : ndarray (N, F, n) or None
    """
    x = np.ascontiguousarray(x, dtype=float)
    n_spec, n_free = c1.shape[0], sens.shape[3]
    loop = _loop() if numba_enabled() else None
    if loop is None:
        return _lines_numpy(x, c1, c2, w, eta, area, float(ratio), sens, cols, want_jacobian, float(reach))
    total = np.zeros((n_spec, x.size))
    jac = np.zeros((n_spec, n_free, x.size)) if want_jacobian else np.zeros((1, 1, 1))
    arrays = (np.ascontiguousarray(a, dtype=float) for a in (c1, c2, w, eta, area))
    loop(x, *arrays, float(ratio), float(reach), np.ascontiguousarray(sens, dtype=float),
         np.ascontiguousarray(cols, dtype=np.int64), want_jacobian, total, jac)
    return total, (jac if want_jacobian else None)


def windows(x, c1, c2, w, ratio, reach):
    """First and one-past-last grid index (N, K) of each line's window (see :func:`pseudo_voigt_lines`)."""
    low, high = (np.minimum(c1, c2), np.maximum(c1, c2)) if ratio > 0 else (c1, c1)
    with np.errstate(invalid="ignore"):  # reach = inf with a zero width: the window is empty
        return (np.searchsorted(x, low - reach * w, side="left"),
                np.searchsorted(x, high + reach * w, side="right"))


def _lines_numpy(x, c1, c2, w, eta, area, ratio, sens, cols, want_jacobian, reach):
    """The numpy version: the same windows, as masks over (N, K, n) arrays."""
    from ..lineshapes import partials  # here: spectra.backgrounds imports spectra.kernels, which stays light

    start, stop = windows(x, c1, c2, w, ratio, reach)
    index = np.arange(x.size)
    near = (index >= start[:, :, None]) & (index < stop[:, :, None])
    xs = x[None, None, :]
    w3, e, a = w[:, :, None], eta[:, :, None], area[:, :, None]

    def profile(center):
        g, gc, gw, _ = (np.where(near, p, 0.0) for p in partials.gaussian(xs, center[:, :, None], w3, 1.0))
        lo, lc, lw, _ = partials.lorentzian(xs, center[:, :, None], w3, 1.0)
        return (1 - e) * g + e * lo, (1 - e) * gc + e * lc, (1 - e) * gw + e * lw, lo - g

    unit, d_c1, d_w, d_eta = profile(c1)
    d_c2 = None
    if ratio > 0:
        unit2, d_c2, d_w2, d_eta2 = profile(c2)
        unit, d_c2, d_w, d_eta = unit + ratio * unit2, ratio * d_c2, d_w + ratio * d_w2, d_eta + ratio * d_eta2
    total = np.einsum("bkn,bk->bn", unit, area)
    if not want_jacobian:
        return total, None
    jac = np.matmul(sens[4].transpose(0, 2, 1), unit)
    for k, partial in enumerate((d_c1, d_c2, d_w, d_eta)):
        if partial is not None:
            jac += np.matmul(sens[k].transpose(0, 2, 1), a * partial)
    return total, jac


_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
_ROOT_2PI = math.sqrt(2.0 * math.pi)


def _window_loop(x, c1, c2, w, eta, area, ratio, reach, sens, cols, want, total, jac):
    """The compiled loop. Per pattern and line: the Lorentzian part ``η L`` of the line (Kα1 + r Kα2)
    and its partials by c1, c2, FWHM and η on the whole grid, then ``(1 − η) G`` and its partials added
    in the window; then the value, and each Jacobian row of the line's varying parameters, four rows per
    pass over the grid. Each loop runs without branches so that the compiler vectorises it."""
    n_spec, n_lines = c1.shape
    n = x.size
    n_cols = cols.shape[1]
    scratch = np.zeros((8, n))  # the line's unit profile, its four partials, three spare Jacobian rows
    unit, d_c1, d_c2, d_w, d_eta = scratch[0], scratch[1], scratch[2], scratch[3], scratch[4]
    coef, target = np.zeros((4, 5)), np.zeros(4, np.int64)
    for b in range(n_spec):
        for k in range(n_lines):
            wk, e, a = w[b, k], eta[b, k], area[b, k]
            p1 = c1[b, k]
            p2 = c2[b, k] if ratio > 0 else p1  # without Kα2 its terms are 0 × a finite value
            start = np.searchsorted(x, min(p1, p2) - reach * wk)
            stop = np.searchsorted(x, max(p1, p2) + reach * wk, side="right")
            h2, l_norm = 0.25 * wk * wk, 0.5 * wk / math.pi
            for i in range(n):
                d, d2 = x[i] - p1, x[i] - p2
                sq, sq2 = d * d, d2 * d2
                den, den2 = sq + h2, sq2 + h2
                q = 1.0 / (den * den2)  # one division for both lines
                inv, inv2 = den2 * q, den * q
                lo, lo2 = l_norm * inv, ratio * l_norm * inv2
                unit[i], d_eta[i] = e * (lo + lo2), lo + lo2
                d_c1[i], d_c2[i] = 2.0 * e * lo * d * inv, 2.0 * e * lo2 * d2 * inv2
                d_w[i] = e * ((sq - h2) * inv * inv + ratio * (sq2 - h2) * inv2 * inv2) / (2.0 * math.pi)
            sigma = wk * _FWHM_TO_SIGMA
            inv_s2, g_norm, inv_w, gauss = 1.0 / (sigma * sigma), 1.0 / (sigma * _ROOT_2PI), 1.0 / wk, 1.0 - e
            for i in range(start, stop):
                d, d2 = x[i] - p1, x[i] - p2
                z, z2 = d * d * inv_s2, d2 * d2 * inv_s2
                g, g2 = g_norm * math.exp(-0.5 * z), ratio * g_norm * math.exp(-0.5 * z2)
                unit[i] += gauss * (g + g2)
                d_eta[i] -= g + g2
                d_c1[i] += gauss * g * d * inv_s2
                d_c2[i] += gauss * g2 * d2 * inv_s2
                d_w[i] += gauss * (g * (z - 1.0) + g2 * (z2 - 1.0)) * inv_w
            row = total[b]
            for i in range(n):
                row[i] += a * unit[i]
            if not want:
                continue
            for m in range(0, n_cols, 4):  # four Jacobian rows per pass (spare rows pad the last group)
                if cols[k, m] < 0:
                    break
                for j in range(4):
                    f = cols[k, m + j] if m + j < n_cols else -1
                    target[j] = f
                    coef[j, 0] = sens[4, b, k, f] if f >= 0 else 0.0  # ∂A/∂θ, then A ∂(c1, c2, w, η)/∂θ
                    for h in range(1, 5):
                        coef[j, h] = a * sens[h - 1, b, k, f] if f >= 0 else 0.0
                r0 = jac[b, target[0]]
                r1 = jac[b, target[1]] if target[1] >= 0 else scratch[5]
                r2 = jac[b, target[2]] if target[2] >= 0 else scratch[6]
                r3 = jac[b, target[3]] if target[3] >= 0 else scratch[7]
                a0, a1, a2, a3, a4 = coef[0, 0], coef[0, 1], coef[0, 2], coef[0, 3], coef[0, 4]
                b0, b1, b2, b3, b4 = coef[1, 0], coef[1, 1], coef[1, 2], coef[1, 3], coef[1, 4]
                c0, c1_, c2_, c3, c4 = coef[2, 0], coef[2, 1], coef[2, 2], coef[2, 3], coef[2, 4]
                f0, f1, f2, f3, f4 = coef[3, 0], coef[3, 1], coef[3, 2], coef[3, 3], coef[3, 4]
                for i in range(n):
                    v0, v1, v2, v3, v4 = unit[i], d_c1[i], d_c2[i], d_w[i], d_eta[i]
                    r0[i] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
                    r1[i] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4
                    r2[i] += c0 * v0 + c1_ * v1 + c2_ * v2 + c3 * v3 + c4 * v4
                    r3[i] += f0 * v0 + f1 * v1 + f2 * v2 + f3 * v3 + f4 * v4


def gaussian_bands(x, center, fwhm, area, shape, rows, total, jac=None):
    """Add a hump of Gaussian sub-bands and, if ``jac`` is given, its Jacobian rows, in place.

    Sub-band ``s`` is a Gaussian at ``center + shape[s, 0]`` with FWHM ``fwhm · shape[s, 1]`` and area
    ``area · shape[s, 2]``.

    Parameters
    ----------
    x : ndarray (n,)
    center, fwhm, area : ndarray (N,)
        The hump's parameters per pattern.
    shape : ndarray (S, 3)
        Offset, FWHM factor and area factor of each sub-band.
    rows : sequence of 3 int
        Jacobian rows of the centre, FWHM and area (−1: not varying).
    total : ndarray (N, n)
        Receives the hump.
    jac : ndarray (N, F, n), optional
        Receives ∂hump/∂(centre, FWHM, area) in ``rows``.
    """
    x = np.ascontiguousarray(x, dtype=float)
    center, fwhm, area = (np.ascontiguousarray(a, dtype=float).reshape(-1) for a in (center, fwhm, area))
    shape = np.ascontiguousarray(shape, dtype=float)
    sigma = (fwhm[:, None] * shape[None, :, 1]) * _FWHM_TO_SIGMA  # (N, S)
    rows = np.asarray(rows, dtype=np.int64)
    loop = _bands_loop() if numba_enabled() else None
    if loop is not None:
        factor = np.empty((center.size, shape.shape[0], x.size))
        exponents, bands = loop
        exponents(x, center, fwhm, shape, factor)  # −u²/2, then exp(−u²/2) in place (numpy's vectorised exp)
        np.exp(factor, out=factor)
        bands(x, center, fwhm, area, shape, rows, factor, jac is not None, total,
              jac if jac is not None else np.zeros((1, 1, 1)))
        return
    u = (x[None, None, :] - (center[:, None] + shape[None, :, 0])[:, :, None]) / sigma[:, :, None]
    factor = np.exp(-0.5 * u * u)  # (N, S, n)
    unit = factor * (shape[None, :, 2] / (sigma * _ROOT_2PI))[:, :, None]  # ∂/∂area
    y = area[:, None, None] * unit
    total += y.sum(axis=1)
    if jac is None:
        return
    for row, partial in zip(rows, (y * u / sigma[:, :, None], y * (u * u - 1.0) / fwhm[:, None, None], unit)):
        if row >= 0:
            jac[:, row] += partial.sum(axis=1)


def _gaussian_exponents(x, center, fwhm, shape, out):
    """−u²/2 of every sub-band at every point, u = (x − centre)/σ, into ``out`` (N, S, n)."""
    for b in range(center.size):
        for s in range(shape.shape[0]):
            c = center[b] + shape[s, 0]
            inv_s = 1.0 / (fwhm[b] * shape[s, 1] * _FWHM_TO_SIGMA)
            row = out[b, s]
            for i in range(x.size):
                u = (x[i] - c) * inv_s
                row[i] = -0.5 * u * u


def _gaussian_bands_loop(x, center, fwhm, area, shape, rows, factor, want, total, jac):
    """The compiled loop of :func:`gaussian_bands` (``factor``: the sub-bands' exp(−u²/2), (N, S, n))."""
    spare = np.zeros(x.size)
    for b in range(center.size):
        inv_w = 1.0 / fwhm[b]
        for s in range(shape.shape[0]):
            c = center[b] + shape[s, 0]
            inv_s = 1.0 / (fwhm[b] * shape[s, 1] * _FWHM_TO_SIGMA)
            unit_norm = shape[s, 2] * inv_s / _ROOT_2PI
            norm = area[b] * unit_norm
            e, row = factor[b, s], total[b]
            for i in range(x.size):
                row[i] += norm * e[i]
            if not want:
                continue
            jc = jac[b, rows[0]] if rows[0] >= 0 else spare
            jw = jac[b, rows[1]] if rows[1] >= 0 else spare
            ja = jac[b, rows[2]] if rows[2] >= 0 else spare
            for i in range(x.size):
                u = (x[i] - c) * inv_s
                y = norm * e[i]
                jc[i] += y * u * inv_s
                jw[i] += y * (u * u - 1.0) * inv_w
                ja[i] += unit_norm * e[i]


@functools.cache
def _bands_loop():
    """:func:`_gaussian_exponents` and :func:`_gaussian_bands_loop` compiled (cached on disk), or None
    without numba."""
    if _numba_module() is None:
        return None
    import numba

    jit = numba.njit(cache=True, fastmath=True, error_model="numpy")
    return jit(_gaussian_exponents), jit(_gaussian_bands_loop)


@functools.cache
def _loop():
    """:func:`_window_loop` compiled (cached on disk), or None without numba."""
    if _numba_module() is None:
        return None
    import numba

    # serial: fit_many forks worker processes, which a parallel (OpenMP) loop in the parent would break;
    # error_model="numpy" lets the compiler vectorise the divisions (no ZeroDivisionError checks)
    return numba.njit(cache=True, fastmath=True, error_model="numpy")(_window_loop)
