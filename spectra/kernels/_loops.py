"""The compiled loops of :mod:`spectra.kernels` (imported only when numba is installed
and the kernels are used, so ``import spectra`` never pays for numba)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

_FOUR_LN2 = 4.0 * math.log(2.0)


#: a line's Gaussian factor exp(−t) with t above this (exp(−45) ≈ 3e-20 of its peak) is far below the
#: rounding (1e-16) of the line's own values: :func:`xps_loop` takes it as 0 and does not compute it
_TAIL_EXPONENT = 45.0
# exp(a) = 2^m · exp(r), a = m ln2 + r, |r| ≤ ln2/2 (Cody and Waite's split of ln2 into two parts)
_LOG2E = 1.0 / math.log(2.0)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10

#: the fastmath flags of the XPS kernel: without reassociation (:func:`_exp_in_place` needs its
#: operations in the written order) and without assuming finite values (a NaN parameter must give a
#: NaN model, as in numpy, so that the fit rejects the step)
_FAST_IN_ORDER = {"nsz", "arcp", "contract", "afn"}


@njit(inline="always", fastmath=_FAST_IN_ORDER)
def _exp_in_place(a, bits, scale):
    """``a = exp(a)`` for −700 ≤ a ≤ 0, in two loops the compiler vectorises (numba's ``math.exp`` is
    a scalar call, 4-5x slower): the degree-13 Taylor polynomial of exp(r) (error ≤ 4e-18 relative
    for |r| ≤ ln2/2) times 2^m built in the exponent bits of ``bits`` (int64, as long as ``a``), whose
    float64 view is ``scale``. Within 3e-16 relative of numpy's exp (tested), compiled without
    reassociation (which would merge the two parts of ln2)."""
    for i in range(a.size):
        t = max(a[i], -700.0)
        m = math.floor(t * _LOG2E + 0.5)
        r = (t - m * _LN2_HI) - m * _LN2_LO
        p = 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        a[i] = p * r + 1.0
        bits[i] = (np.int64(m) + 1023) << 52
    for i in range(a.size):
        a[i] *= scale[i]


def exp_loop(a, out):
    """``out = exp(a)`` through :func:`_exp_in_place` (for its test)."""
    bits = np.empty(a.size, np.int64)
    out[:] = a
    _exp_in_place(out, bits, bits.view(np.float64))


@njit(inline="always", fastmath=_FAST_IN_ORDER)
def _add_line(x, c, w, a, area_factor, ratio_factor, form, p1, p2, p3, rows, want, total, jac, unit_all, slope_all,
              gauss_all, bits_all, scale_all):
    """One line of :func:`xps_loop` added to one spectrum's ``total`` (n,) and Jacobian rows ``jac``
    (F, n): the line at unit area and its derivative by u = (x − c)/w (both × w) over the points
    where it is not negligible (:data:`_TAIL_EXPONENT`; ``x`` ascending), then added to the total and
    to each Jacobian row the line has (``rows``: its roles' rows, −1 for none), row by row. The
    ``*_all`` arrays (n,) are scratch. Each loop runs over views from index 0 and without branches, so
    that the compiler vectorises it."""
    n = x.size
    inv_w = 1.0 / w
    finite = math.isfinite(c) and math.isfinite(w) and math.isfinite(a)
    # the points [lo, hi) where the line is not negligible (all where it has a Lorentzian term
    # or a parameter is not finite: a NaN must reach the model), and its Gaussian's [g_lo, g_hi)
    q = -_FOUR_LN2 if form == 0 else -_FOUR_LN2 * (1.0 - p1)
    reach = math.sqrt(-_TAIL_EXPONENT / q) * w / (1.0 if form == 0 else p2) if q < 0 else 0.0
    g_lo, g_hi = 0, n
    if q < 0 and finite:
        g_lo, g_hi = np.searchsorted(x, c - reach), np.searchsorted(x, c + reach)
    lo, hi = (0, n) if form == 0 and p2 != 0 else (g_lo, g_hi)
    xs, unit, slope = x[lo:hi], unit_all[lo:hi], slope_all[lo:hi]
    if form == 0:  # α e + β lor, e = exp(-4 ln2 u²), lor = 1/(1 + 4u²)
        for i in range(xs.size):
            u = (xs[i] - c) * inv_w
            lor = 1.0 / (1.0 + 4.0 * u * u)
            unit[i] = p2 * lor
            slope[i] = -8.0 * u * p2 * lor * lor
        xg, gauss = x[g_lo:g_hi], gauss_all[g_lo:g_hi]
        for i in range(xg.size):
            u = (xg[i] - c) * inv_w
            gauss[i] = -_FOUR_LN2 * u * u
        _exp_in_place(gauss, bits_all[g_lo:g_hi], scale_all[g_lo:g_hi])
        unit_g, slope_g = unit_all[g_lo:g_hi], slope_all[g_lo:g_hi]
        for i in range(xg.size):
            e = p1 * gauss[i]
            unit_g[i] += e
            slope_g[i] -= 2.0 * _FOUR_LN2 * (xg[i] - c) * inv_w * e
    else:  # k exp(q v²)/(1 + 4 f v²), v = width·u, q = -4 ln2 (1-f)
        gauss = gauss_all[lo:hi]
        for i in range(xs.size):
            v = p2 * (xs[i] - c) * inv_w
            gauss[i] = q * v * v
        _exp_in_place(gauss, bits_all[lo:hi], scale_all[lo:hi])
        for i in range(xs.size):
            v = p2 * (xs[i] - c) * inv_w
            inv_den = 1.0 / (1.0 + 4.0 * p1 * v * v)
            g = p3 * gauss[i] * inv_den
            unit[i] = g
            slope[i] = p2 * g * (2.0 * q * v - 8.0 * p1 * v * inv_den)
    height = a * inv_w
    out = total[lo:hi]
    for i in range(xs.size):
        out[i] += height * unit[i]
    if not want:
        return
    # ∂/∂c = −a/w² slope, ∂/∂w = −a/w² (unit + u slope), ∂/∂a = unit/w
    d_c = -height * inv_w
    for role in (0, 1, 5, 6):  # centre, splitting, shift, reference centre: each gets ∂/∂c
        if rows[role] >= 0:
            out = jac[rows[role], lo:hi]
            for i in range(xs.size):
                out[i] += d_c * slope[i]
    if rows[2] >= 0:
        out = jac[rows[2], lo:hi]
        for i in range(xs.size):
            out[i] += d_c * (unit[i] + (xs[i] - c) * inv_w * slope[i])
    for role, factor in ((3, area_factor), (4, ratio_factor)):
        if rows[role] >= 0:
            out = jac[rows[role], lo:hi]
            d_a = factor * inv_w
            for i in range(xs.size):
                out[i] += d_a * unit[i]


def xps_loop(x, center, fwhm, area, area_factor, ratio_factor, constants, rows, want, total, jac):
    """The fused loop of :func:`xps_lines`, for numba: every spectrum's lines (:func:`_add_line`)."""
    n_spec, n_lines = center.shape
    n = x.size
    unit_all, slope_all, gauss_all = np.empty(n), np.empty(n), np.empty(n)
    bits_all = np.empty(n, np.int64)
    scale_all = bits_all.view(np.float64)
    for b in range(n_spec):
        for k in range(n_lines):
            _add_line(x, center[b, k], fwhm[b, k], area[b, k], area_factor[b, k], ratio_factor[b, k], constants[k, 0],
                      constants[k, 1], constants[k, 2], constants[k, 3], rows[k], want, total[b], jac[b], unit_all,
                      slope_all, gauss_all, bits_all, scale_all)


def xps_moments_loop(x, center, fwhm, area, area_factor, ratio_factor, constants, rows, n_peak_rows, static, basis,
                     basis_coef, basis_rows, has_shirley, shirley_k, shirley_row, y, weight, chi2, jtj, grad, resid):
    """The fused loop of :func:`spectra.kernels.xps_normal_equations`, for numba: per spectrum, its
    lines and their Jacobian rows (:func:`_add_line`) into scratch arrays that stay in cache, the
    background (an active-Shirley term k ∫peaks with k ∫ added into the peaks' rows, curves times
    parameters, a static curve), the weighted residual, χ², JᵀJ and Jᵀr (as :func:`moments_loop`):
    no (N, F, n) Jacobian is written to memory."""
    n_spec, n_lines = center.shape
    n, n_free = x.size, jtj.shape[1]
    unit_all, slope_all, gauss_all = np.empty(n), np.empty(n), np.empty(n)
    bits_all = np.empty(n, np.int64)
    scale_all = bits_all.view(np.float64)
    half = np.empty(max(n - 1, 0))
    for i in range(n - 1):
        half[i] = 0.5 * (x[i + 1] - x[i])
    model, integral = np.empty(n), np.empty(n)
    jac = np.empty((max(n_free, 1), n))
    for b in range(n_spec):
        model[:] = 0.0
        jac[:] = 0.0
        for k in range(n_lines):
            _add_line(x, center[b, k], fwhm[b, k], area[b, k], area_factor[b, k], ratio_factor[b, k], constants[k, 0],
                      constants[k, 1], constants[k, 2], constants[k, 3], rows[k], True, model, jac, unit_all,
                      slope_all, gauss_all, bits_all, scale_all)
        if has_shirley:  # k ∫peaks, and k ∫(row) added into each of the peaks' rows (in numpy's order)
            k_b = shirley_k[b]
            acc = 0.0
            integral[0] = 0.0
            for i in range(1, n):
                acc += (model[i] + model[i - 1]) * half[i - 1]
                integral[i] = acc
            _add_cumulative_rows(jac[:n_peak_rows], k_b, half)
            if shirley_row >= 0:
                jac[shirley_row, :] = integral
            for i in range(n):
                model[i] += k_b * integral[i]
        curves = basis[b] if basis.shape[0] > 1 else basis[0]
        for j in range(basis_rows.size):
            coefficient, curve = basis_coef[b, j], curves[j]
            for i in range(n):
                model[i] += coefficient * curve[i]
            if basis_rows[j] >= 0:
                jac[basis_rows[j], :] = curve
        chi2[b] = _spectrum_moments(model, static[b] if static.shape[0] > 1 else static[0], y[b], weight[b],
                                    jac[:n_free], resid[b], grad[b], jtj[b])


@njit(cache=True, fastmath=True)
def _spectrum_moments(model, static, y, weight, jac, resid, grad, jtj):
    """One spectrum's weighted residual ``resid`` of ``model + static`` against ``y``, its χ² (returned),
    Jᵀr and JᵀJ from its Jacobian ``jac`` (F, n; weighted in place), as :func:`moments_loop`: a function
    of its own, compiled with reassociation (the sums vectorised) while the lines keep their order."""
    n, n_free = y.size, jac.shape[0]
    acc = 0.0
    for i in range(n):
        resid[i] = (model[i] + static[i] - y[i]) * weight[i]
        acc += resid[i] * resid[i]
    for f in range(n_free):
        row = jac[f]
        total = 0.0
        for i in range(n):
            row[i] *= weight[i]
            total += row[i] * resid[i]
        grad[f] = total
    for f in range(n_free):
        row = jac[f]
        for g in range(f + 1):
            other = jac[g]
            total = 0.0
            for i in range(n):
                total += row[i] * other[i]
            jtj[f, g] = total
            jtj[g, f] = total
    return acc


def moments_loop(total, jac, y, weight, chi2, jtj, grad, resid):
    """The loop of :func:`spectra.kernels.normal_equations`, for numba: each spectrum's weighted
    residual, χ², Jᵀr and JᵀJ (:func:`_spectrum_moments`, the Jacobian weighted in place)."""
    no_static = np.zeros(total.shape[1])
    for b in range(total.shape[0]):
        chi2[b] = _spectrum_moments(total[b], no_static, y[b], weight[b], jac[b], resid[b], grad[b], jtj[b])


def solve_loop(a, b, x):
    """The loop of :func:`spectra.kernels.solve_stacked`, for numba: Gaussian elimination with
    partial pivoting (LAPACK's getrf/getrs, unblocked) of each system ``a[s] x[s] = b[s]``, on copies.
    Returns False if a pivot is exactly zero (a singular system), as LAPACK reports it."""
    n_sys, m = b.shape
    lu = np.empty((m, m))
    for s in range(n_sys):
        for i in range(m):
            x[s, i] = b[s, i]
            for j in range(m):
                lu[i, j] = a[s, i, j]
        for j in range(m):
            p, big = j, abs(lu[j, j])
            for i in range(j + 1, m):
                if abs(lu[i, j]) > big:
                    p, big = i, abs(lu[i, j])
            if lu[p, j] == 0.0:
                return False
            if p != j:
                for k in range(m):
                    lu[j, k], lu[p, k] = lu[p, k], lu[j, k]
                x[s, j], x[s, p] = x[s, p], x[s, j]
            for i in range(j + 1, m):
                f = lu[i, j] / lu[j, j]
                for k in range(j + 1, m):
                    lu[i, k] -= f * lu[j, k]
                x[s, i] -= f * x[s, j]
        for j in range(m - 1, -1, -1):
            acc = x[s, j]
            for k in range(j + 1, m):
                acc -= lu[j, k] * x[s, k]
            x[s, j] = acc / lu[j, j]
    return True


def shirley_loop(xa, ya, low, high, scale, tol, max_iter, background, iterations, converged, flat):
    n_spec, n = ya.shape
    for b in range(n_spec):
        bg = background[b]
        cumulative = np.zeros(n)
        for _ in range(max_iter):
            iterations[b] += 1
            for i in range(1, n):
                cumulative[i] = cumulative[i - 1] + 0.5 * ((ya[b, i] - bg[i]) + (ya[b, i - 1] - bg[i - 1])) * (
                    xa[i] - xa[i - 1])
            total = cumulative[n - 1]
            no_area = not np.isfinite(total) or total <= 0
            divisor = 1.0 if no_area else total
            change = 0.0
            for i in range(n):
                new = low[b] + (high[b] - low[b]) * cumulative[i] / divisor
                change = max(change, abs(new - bg[i]))
                bg[i] = new
            if no_area:
                flat[b] = True
                break
            if change < tol * scale[b]:
                converged[b] = True
                break


def cumulative_loop(y, dx, out):
    """The cumulative trapezoid of :func:`spectra.kernels.cumulative_trapezoid`, for numba: the rows
    of ``y`` (A, B, n; any strides, e.g. some rows of a Jacobian) with the half steps ``dx`` (n − 1,)
    into ``out`` (A, B, n), in the numpy order of operations (the same numbers). Four rows at a time:
    their sums are independent chains the processor overlaps (2x faster than one row after the other)."""
    n_a, n_b, n = y.shape
    whole = n_b - n_b % 4
    for a in range(n_a):
        ya, oa = y[a], out[a]
        for r in range(0, whole, 4):
            a0 = a1 = a2 = a3 = 0.0
            oa[r, 0] = oa[r + 1, 0] = oa[r + 2, 0] = oa[r + 3, 0] = 0.0
            for i in range(1, n):
                d = dx[i - 1]
                a0 += (ya[r, i] + ya[r, i - 1]) * d
                a1 += (ya[r + 1, i] + ya[r + 1, i - 1]) * d
                a2 += (ya[r + 2, i] + ya[r + 2, i - 1]) * d
                a3 += (ya[r + 3, i] + ya[r + 3, i - 1]) * d
                oa[r, i], oa[r + 1, i], oa[r + 2, i], oa[r + 3, i] = a0, a1, a2, a3
        for r in range(whole, n_b):
            acc = 0.0
            oa[r, 0] = 0.0
            for i in range(1, n):
                acc += (ya[r, i] + ya[r, i - 1]) * dx[i - 1]
                oa[r, i] = acc



@njit(inline="always")
def _add_cumulative_rows(ya, ka, dx):
    """Each row of ``ya`` (B, n) plus ``ka`` times its cumulative trapezoid with the half steps ``dx``
    (n − 1,), in numpy's order of operations (sum, then × k, then added: the same numbers); each point
    read before it is overwritten. Four rows at a time: independent chains the processor overlaps."""
    n_b, n = ya.shape
    whole = n_b - n_b % 4
    for r in range(0, whole, 4):
        a0 = a1 = a2 = a3 = 0.0
        p0, p1, p2, p3 = ya[r, 0], ya[r + 1, 0], ya[r + 2, 0], ya[r + 3, 0]
        ya[r, 0], ya[r + 1, 0], ya[r + 2, 0], ya[r + 3, 0] = p0 + 0.0 * ka, p1 + 0.0 * ka, p2 + 0.0 * ka, \
            p3 + 0.0 * ka
        for i in range(1, n):
            d = dx[i - 1]
            c0, c1, c2, c3 = ya[r, i], ya[r + 1, i], ya[r + 2, i], ya[r + 3, i]
            a0 += (c0 + p0) * d
            a1 += (c1 + p1) * d
            a2 += (c2 + p2) * d
            a3 += (c3 + p3) * d
            ya[r, i], ya[r + 1, i], ya[r + 2, i], ya[r + 3, i] = c0 + a0 * ka, c1 + a1 * ka, c2 + a2 * ka, \
                c3 + a3 * ka
            p0, p1, p2, p3 = c0, c1, c2, c3
    for r in range(whole, n_b):
        acc, prev = 0.0, ya[r, 0]
        ya[r, 0] = prev + 0.0 * ka
        for i in range(1, n):
            cur = ya[r, i]
            acc += (cur + prev) * dx[i - 1]
            ya[r, i] = cur + acc * ka
            prev = cur


def add_cumulative_loop(y, k, dx):
    """The in-place update of :func:`spectra.kernels.add_scaled_cumulative`, for numba: each row of ``y``
    (A, B, n; any strides) plus ``k[a]`` times its cumulative trapezoid with the half steps ``dx``
    (:func:`_add_cumulative_rows`)."""
    for a in range(y.shape[0]):
        _add_cumulative_rows(y[a], k[a], dx)

# Every loop is single-threaded (no parallel=True): fit_many spreads
# work over cores with forked worker processes (spectra.fitting.workers), which numba's OpenMP
# thread pool would not survive ("fork() called from a process already using GNU OpenMP"), and
# threads inside each worker would only compete with the other workers.
# the XPS line kernel: vectorised loops, exp included, and tails skipped made it 3x faster (0.50 ms
# instead of 1.50 ms for 128 S 2p spectra × 4 lines × 341 points)
xps = njit(cache=True, fastmath=_FAST_IN_ORDER)(xps_loop)
# the XPS lines, background, residual and normal equations of each spectrum in one pass (the sums in
# any order, as in moments_loop; the lines' arithmetic in order, as in xps_loop)
xps_moments = njit(cache=True, fastmath=_FAST_IN_ORDER)(xps_moments_loop)
exp = njit(cache=True, fastmath=_FAST_IN_ORDER)(exp_loop)
# the Shirley iteration keeps IEEE arithmetic (no fastmath): it must equal the numpy loop
shirley = njit(cache=True)(shirley_loop)
cumulative = njit(cache=True)(cumulative_loop)
add_cumulative = njit(cache=True)(add_cumulative_loop)
# sums in any order (fastmath reassociation): the same numbers as numpy's to rounding, not bit for bit
moments = njit(cache=True, fastmath=True)(moments_loop)
solve = njit(cache=True)(solve_loop)
