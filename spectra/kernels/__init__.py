"""Inner loops of the batched engine: sums of line profiles with their Jacobian contributions.

Each kernel exists twice with one meaning: a pure-numpy version (always available) and a
numba-compiled version, which fuses the per-point arithmetic into one loop without temporaries.
The numba version is used when numba is installed and the environment variable ``SPECTRA_NUMBA``
is not ``0``; both give the same numbers to rounding (tested).
"""
from __future__ import annotations

import functools
import os

import numpy as np


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
        _compiled().lines(np.ascontiguousarray(x, dtype=float), c1, c2, w, eta, area, float(ratio),
                    np.ascontiguousarray(sens), np.ascontiguousarray(cols, dtype=np.int64), want_jacobian, total, jac)
        return total, (jac if want_jacobian else None)
    return _pseudo_voigt_lines_numpy(x, c1, c2, w, eta, area, ratio, sens, want_jacobian)


def _pseudo_voigt_lines_numpy(x, c1, c2, w, eta, area, ratio, sens, want_jacobian):
    from ..lineshapes import partials  # here: spectra.backgrounds imports this module and must stay light

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


@functools.cache
def _compiled():
    """The module of compiled loops (:mod:`spectra.kernels._loops`; each loop is compiled on first
    call and cached on disk), or None without numba."""
    try:
        from . import _loops
    except ImportError:
        return None
    return _loops


#: columns of the ``rows`` of :func:`xps_lines`: centre, splitting, FWHM, area, ratio, shift, reference centre
XPS_ROLES = 7


def xps_lines(x, center, fwhm, area, area_factor, ratio_factor, constants, rows, want_jacobian):
    """Sum of XPS lines and their Jacobian rows, fused (numba only; the numpy path is
    :meth:`spectra.xps.batched.BatchedXPS.evaluate`'s loop over the line shapes' partials).

    Parameters
    ----------
    x : ndarray (n,)
    center, fwhm, area, area_factor, ratio_factor : ndarray (N, L)
        Per spectrum and line (a doublet has two lines): centre, FWHM, area, and ∂area/∂(the
        component's area parameter) and ∂area/∂(its doublet ratio).
    constants : ndarray (L, 4)
        Each line's ``kernel_constants`` from its line-shape entry
        (:class:`spectra.lineshapes.LineShape`; the forms are described in :mod:`spectra.lineshapes.partials`).
    rows : ndarray of int (L, 7)
        Jacobian rows of each line's centre, splitting, FWHM, area, ratio, charge-shift and
        reference-centre parameters (−1: not varying or not a parameter of this line). The centre,
        splitting, shift and reference centre each receive ∂line/∂(line centre): the line's centre
        is their sum. Fewer columns (e.g. the first five) mean −1 for the missing roles.
    want_jacobian : bool

    Returns
    -------
    total : ndarray (N, n)
    jacobian : ndarray (N, F, n), F = 1 + the largest row, or None
    """
    n_spec = center.shape[0]
    rows = np.asarray(rows, dtype=np.int64)
    if rows.shape[1] < XPS_ROLES:  # roles not given: no such parameter
        rows = np.concatenate([rows, np.full((rows.shape[0], XPS_ROLES - rows.shape[1]), -1, np.int64)], axis=1)
    n_free = int(rows.max()) + 1 if rows.size else 0
    total = np.zeros((n_spec, x.size))
    jac = np.zeros((n_spec, max(n_free, 1), x.size)) if want_jacobian else np.zeros((1, 1, 1))
    _compiled().xps(np.ascontiguousarray(x, dtype=float), center, fwhm, area, area_factor, ratio_factor,
                np.ascontiguousarray(constants, dtype=float), np.ascontiguousarray(rows, dtype=np.int64),
                want_jacobian, total, jac)
    return total, (jac[:, :n_free] if want_jacobian else None)


def shirley_iterations(xa, ya, low, high, scale, tol, max_iter, background, iterations, converged, flat):
    """The iteration of :func:`spectra.backgrounds.shirley_many`, compiled (numba only): the same
    arithmetic in the same order, spectrum by spectrum, updating ``background`` (N, n),
    ``iterations``, ``converged`` and ``flat`` (N,) in place. ``low``, ``high``, ``scale`` are (N,)."""
    _compiled().shirley(np.ascontiguousarray(xa, dtype=float), np.ascontiguousarray(ya, dtype=float), low, high, scale,
                    float(tol), int(max_iter), background, iterations, converged, flat)


def cumulative_trapezoid(y, x):
    """Cumulative trapezoid integral of ``y`` (..., n) along its last axis over the ascending axis
    ``x`` (n,) or an axis broadcastable to ``y``, from 0 at the first point (what
    :func:`spectra.backgrounds.curves.cumulative_trapezoid` computes). On one axis with numba: one
    pass without temporaries; otherwise numpy. Both give the same numbers: the sums run in the same
    order."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    half = 0.5 * np.diff(x, axis=-1)
    if x.size != x.shape[-1] or not numba_enabled():
        out = np.zeros(np.broadcast_shapes(y.shape, x.shape))
        np.cumsum((y[..., 1:] + y[..., :-1]) * half, axis=-1, out=out[..., 1:])
        return out
    rows = np.ascontiguousarray(y).reshape(-1, y.shape[-1])
    out = np.empty_like(rows)
    _compiled().cumulative(rows, half.reshape(-1), out)
    return out.reshape(y.shape)
