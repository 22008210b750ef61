"""Inner loops of the batched engine: sums of line profiles with their Jacobian contributions.

Each kernel exists twice with one meaning: a pure-numpy version (always available) and a
numba-compiled version, which fuses the per-point arithmetic into one loop without temporaries
and runs the spectra of a chunk in parallel. The numba version is used when numba is installed and
the environment variable ``SPECTRA_NUMBA`` is not ``0``; both give the same numbers to rounding
(tested).
"""
from __future__ import annotations

import math
import os

import numpy as np

from . import partials

try:
    from numba import njit, prange
except ImportError:  # the pure-numpy kernels are used
    njit, prange = None, range

_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
_ROOT_2PI = math.sqrt(2.0 * math.pi)


def numba_enabled() -> bool:
    """Whether the numba kernels are used (numba importable and ``SPECTRA_NUMBA`` not ``0``)."""
    if os.environ.get("SPECTRA_NUMBA", "1") == "0":
        return False
    return _compiled() is not None


def pseudo_voigt_lines(x, c1, c2, w, eta, area, ratio, sens, cols, want_jacobian):
    """Sum over lines of pseudo-Voigt profiles at ``c1`` plus ``ratio`` × the same at ``c2`` (Kα2).

    Parameters
    ----------
    x : ndarray (n,)
    c1, c2, w, eta, area : ndarray (N, K)
        Per spectrum and line: Kα1 and Kα2 centres, FWHM, Lorentzian fraction, area (Kα1 line).
    ratio : float
        Kα2/Kα1 area ratio (0: no Kα2 line; ``c2`` is then ignored).
    sens : ndarray (5, N, K, F)
        ∂(c1, c2, w, eta, area)/∂θ of every line for the F varying parameters.
    cols : ndarray of int (K, M)
        For each line, the varying parameters its sensitivities can be non-zero for (−1 pads); the
        numba kernel visits only these.
    want_jacobian : bool

    Returns
    -------
    total : ndarray (N, n)
    jacobian : ndarray (N, F, n) or None
    """
    n_spec, n_free = c1.shape[0], sens.shape[3]
    if numba_enabled():
        total = np.zeros((n_spec, x.size))
        jac = np.zeros((n_spec, n_free, x.size)) if want_jacobian else np.zeros((1, 1, 1))
        _compiled()(np.ascontiguousarray(x, dtype=float), c1, c2, w, eta, area, float(ratio),
                    np.ascontiguousarray(sens), np.ascontiguousarray(cols, dtype=np.int64), want_jacobian, total, jac)
        return total, (jac if want_jacobian else None)
    return _pseudo_voigt_lines_numpy(x, c1, c2, w, eta, area, ratio, sens, want_jacobian)


def _pseudo_voigt_lines_numpy(x, c1, c2, w, eta, area, ratio, sens, want_jacobian):
    x = np.asarray(x, dtype=float)[None, None, :]
    w, eta, a = w[:, :, None], eta[:, :, None], area[:, :, None]

    def profile(center):
        g, gc, gw, _ = partials.gaussian(x, center[:, :, None], w, 1.0)
        lo, lc, lw, _ = partials.lorentzian(x, center[:, :, None], w, 1.0)
        return (1 - eta) * g + eta * lo, (1 - eta) * gc + eta * lc, (1 - eta) * gw + eta * lw, lo - g

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


def _compiled():
    """The numba kernel (compiled on first call and cached on disk), or None without numba."""
    return _LINES_KERNEL


def _lines_loop(x, c1, c2, w, eta, area, ratio, sens, cols, want, total, jac):
    """The fused loop of :func:`pseudo_voigt_lines`, for numba (``prange`` runs spectra in parallel)."""
    n_spec, n_lines = c1.shape
    for b in prange(n_spec):
        for k in range(n_lines):
            a, wk, e = area[b, k], w[b, k], eta[b, k]
            sigma = wk * _FWHM_TO_SIGMA
            g_norm, h = 1.0 / (sigma * _ROOT_2PI), 0.5 * wk
            for i in range(x.size):
                d = x[i] - c1[b, k]
                z2 = (d / sigma) ** 2
                g = g_norm * math.exp(-0.5 * z2)
                den = d * d + h * h
                lo = h / (math.pi * den)
                unit = (1 - e) * g + e * lo
                d_c1 = (1 - e) * g * d / sigma**2 + e * lo * 2.0 * d / den
                d_w = (1 - e) * g * (z2 - 1.0) / wk + e * (d * d - h * h) / (2.0 * math.pi * den * den)
                d_eta = lo - g
                d_c2 = 0.0
                if ratio > 0:
                    d = x[i] - c2[b, k]
                    z2 = (d / sigma) ** 2
                    g = g_norm * math.exp(-0.5 * z2)
                    den = d * d + h * h
                    lo = h / (math.pi * den)
                    unit += ratio * ((1 - e) * g + e * lo)
                    d_c2 = ratio * ((1 - e) * g * d / sigma**2 + e * lo * 2.0 * d / den)
                    d_w += ratio * ((1 - e) * g * (z2 - 1.0) / wk + e * (d * d - h * h) / (2.0 * math.pi * den * den))
                    d_eta += ratio * (lo - g)
                total[b, i] += a * unit
                if want:
                    for m in range(cols.shape[1]):
                        f = cols[k, m]
                        if f < 0:
                            break
                        jac[b, f, i] += unit * sens[4, b, k, f] + a * (
                            d_c1 * sens[0, b, k, f] + d_c2 * sens[1, b, k, f] + d_w * sens[2, b, k, f]
                            + d_eta * sens[3, b, k, f])


_LINES_KERNEL = njit(parallel=True, cache=True)(_lines_loop) if njit is not None else None
