"""Inner loops of the batched engine: sums of XPS lines with their Jacobian rows, the normal equations
and small stacked solves of each Levenberg–Marquardt step, the Shirley iteration and cumulative
integrals (also added into rows in place). The XRD lines (windowed pseudo-Voigt sums) are in
:mod:`spectra.kernels.windowed`.

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


def _all_roles(rows) -> np.ndarray:
    """The Jacobian rows (L, :data:`XPS_ROLES`) of lines given for their first roles only (the others −1:
    no such parameter)."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.shape[1] < XPS_ROLES:
        rows = np.concatenate([rows, np.full((rows.shape[0], XPS_ROLES - rows.shape[1]), -1, np.int64)], axis=1)
    return rows


def xps_lines(x, center, fwhm, area, area_factor, ratio_factor, constants, rows, want_jacobian, n_rows=None):
    """Sum of XPS lines and their Jacobian rows, fused (numba only; the numpy path is
    :meth:`spectra.xps.batched.BatchedXPS.evaluate`'s loop over the line shapes' partials).

    Parameters
    ----------
    x : ndarray (n,)
        Ascending (a line's Gaussian tail below exp(−45) of its peak is not computed: the kernel
        finds where it starts by bisection).
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
    n_rows : int, optional
        Rows of the Jacobian returned (at least 1 + the largest of ``rows``; the others zero, e.g.
        for the background's parameters). Default: 1 + the largest of ``rows``.

    Returns
    -------
    total : ndarray (N, n)
    jacobian : ndarray (N, F, n), F = ``n_rows``, or None
    """
    n_spec = center.shape[0]
    rows = _all_roles(rows)
    n_free = int(rows.max()) + 1 if rows.size else 0
    n_free = n_free if n_rows is None else max(n_free, int(n_rows))
    total = np.zeros((n_spec, x.size))
    jac = np.zeros((n_spec, max(n_free, 1), x.size)) if want_jacobian else np.zeros((1, 1, 1))
    _compiled().xps(np.ascontiguousarray(x, dtype=float), center, fwhm, area, area_factor, ratio_factor,
                np.ascontiguousarray(constants, dtype=float), np.ascontiguousarray(rows, dtype=np.int64),
                want_jacobian, total, jac)
    return total, (jac[:, :n_free] if want_jacobian else None)


def xps_normal_equations(x, center, fwhm, area, area_factor, ratio_factor, constants, rows, n_rows, n_peak_rows,
                         static, basis, basis_coef, basis_rows, shirley_k, shirley_row, y, weight):
    """What :func:`normal_equations` returns for N XPS spectra whose model is a sum of lines (as in
    :func:`xps_lines`) on a background linear in its parameters, in one compiled pass per spectrum
    that keeps each spectrum's Jacobian in cache (numba only): the same numbers to rounding as
    ``normal_equations(*evaluate(...), y, weight)``.

    Parameters
    ----------
    x, center, fwhm, area, area_factor, ratio_factor, constants, rows
        The lines, as :func:`xps_lines` takes them.
    n_rows : int
        F, the varying parameters (rows of the Jacobian).
    n_peak_rows : int
        The first rows, those of the peaks' parameters (an active Shirley adds k ∫ to each).
    static : ndarray (N, n) or (1, n)
        Added to the model as it stands (a static background; zeros for none).
    basis : ndarray (N, B, n) or (1, B, n)
        Curves each multiplied by a background parameter, ``basis_coef`` (N, B), whose Jacobian rows
        are ``basis_rows`` (B,) (−1: not varying).
    shirley_k : ndarray (N,) or None
        The active-Shirley factor k: ``k ∫peaks`` is added, and ``∫peaks`` is the Jacobian row
        ``shirley_row`` (−1: k not varying). None: no active Shirley.
    y, weight : ndarray (N, n)
        Data and 1/σ.

    Returns
    -------
    chi2, jtj, jtr, r
        As :func:`normal_equations` returns them.
    """
    n_spec = center.shape[0]
    rows = _all_roles(rows)
    chi2, jtj, jtr = np.empty(n_spec), np.empty((n_spec, n_rows, n_rows)), np.empty((n_spec, n_rows))
    r = np.empty((n_spec, x.size))
    contiguous = [np.ascontiguousarray(a, dtype=float) for a in (x, center, fwhm, area, area_factor, ratio_factor,
                                                                 constants)]
    has_shirley = shirley_k is not None
    _compiled().xps_moments(*contiguous, np.ascontiguousarray(rows), int(n_peak_rows),
                            np.ascontiguousarray(static, dtype=float), np.ascontiguousarray(basis, dtype=float),
                            np.ascontiguousarray(basis_coef, dtype=float),
                            np.ascontiguousarray(basis_rows, dtype=np.int64), has_shirley,
                            np.ascontiguousarray(shirley_k if has_shirley else np.zeros(n_spec), dtype=float),
                            int(shirley_row), np.ascontiguousarray(y, dtype=float),
                            np.ascontiguousarray(weight, dtype=float), chi2, jtj, jtr, r)
    return chi2, jtj, jtr, r


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
    # three axes as they are (a strided view, e.g. rows of a Jacobian, is not copied); others as rows
    rows = y if y.ndim == 3 else np.ascontiguousarray(y).reshape(1, -1, y.shape[-1])
    out = np.empty(rows.shape)
    _compiled().cumulative(rows, half.reshape(-1), out)
    return out.reshape(y.shape)


def add_scaled_cumulative(y, k, x):
    """``y += k · cumulative_trapezoid(y, x)`` in place: each row of ``y`` (A, B, n) plus ``k[a]`` (A,)
    times its own cumulative trapezoid integral over the ascending axis ``x`` (n,), e.g. the active
    Shirley background's term in the peaks' Jacobian rows. With numba one pass over ``y`` without
    temporaries (``y`` may be a strided view); the same numbers as numpy's (the same operations in the
    same order)."""
    x = np.asarray(x, dtype=float)
    x = x.reshape(-1) if x.size == x.shape[-1] else x  # one axis, e.g. (1, n)
    k = np.asarray(k, dtype=float).reshape(-1)
    if x.ndim != 1 or y.ndim != 3 or not numba_enabled():
        term = cumulative_trapezoid(y, x)
        term *= k.reshape(-1, *([1] * (y.ndim - 1)))
        y += term
        return
    _compiled().add_cumulative(y, np.ascontiguousarray(k), 0.5 * np.diff(x))


def normal_equations(total, jac, y, weight):
    """χ², JᵀJ and Jᵀr of the weighted residual ``r = (total − y)·weight``, and ``r``, for N spectra:
    what each Levenberg–Marquardt iteration needs (:mod:`spectra.fitting.lm`). With numba one pass
    per spectrum (the sums in another order than numpy's: equal to rounding).

    Parameters
    ----------
    total, y, weight : ndarray (N, n)
        Model, data and 1/σ.
    jac : ndarray (N, F, n)
        ∂total/∂θ, fresh from the model; may be overwritten (weighted in place).

    Returns
    -------
    chi2 : ndarray (N,)
    jtj : ndarray (N, F, F)
    jtr : ndarray (N, F)
    r : ndarray (N, n)
    """
    if not numba_enabled():
        r = (total - y) * weight
        jac *= weight[:, None, :]
        return (r**2).sum(axis=1), jac @ jac.transpose(0, 2, 1), (jac @ r[:, :, None])[..., 0], r
    n_spec, n_free, n = jac.shape
    chi2, jtj, jtr, r = np.empty(n_spec), np.empty((n_spec, n_free, n_free)), np.empty((n_spec, n_free)), \
        np.empty((n_spec, n))
    _compiled().moments(*(np.ascontiguousarray(a, dtype=float) for a in (total, jac, y, weight)), chi2, jtj, jtr, r)
    return chi2, jtj, jtr, r


def solve_stacked(a, b):
    """Solutions ``x`` (N, m) of the systems ``a[s] x[s] = b[s]``, ``a`` (N, m, m), ``b`` (N, m): with
    numba by Gaussian elimination with partial pivoting in one compiled loop (``np.linalg.solve``
    costs ~0.5 µs per small system in its stacked loop), else ``np.linalg.solve``. Equal to rounding.

    Raises
    ------
    numpy.linalg.LinAlgError
        If a system is exactly singular (as ``np.linalg.solve`` does).
    """
    if not numba_enabled():
        return np.linalg.solve(a, b[..., None])[..., 0]
    x = np.empty(b.shape)
    if not _compiled().solve(np.ascontiguousarray(a, dtype=float), np.ascontiguousarray(b, dtype=float), x):
        raise np.linalg.LinAlgError("Singular matrix")
    return x
