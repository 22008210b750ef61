"""The compiled loops of :mod:`spectra.kernels` (imported only when numba is installed
and the kernels are used, so ``import spectra`` never pays for numba)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

_FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))
_ROOT_2PI = math.sqrt(2.0 * math.pi)
_FOUR_LN2 = 4.0 * math.log(2.0)


def xps_loop(x, center, fwhm, area, area_factor, ratio_factor, constants, rows, want, total, jac):
    """The fused loop of :func:`xps_lines`, for numba."""
    n_spec, n_lines = center.shape
    for b in range(n_spec):
        for k in range(n_lines):
            c, w, a = center[b, k], fwhm[b, k], area[b, k]
            form, p1, p2, p3 = constants[k, 0], constants[k, 1], constants[k, 2], constants[k, 3]
            for i in range(x.size):
                u = (x[i] - c) / w
                if form == 0:  # a/w (α e + β lor)
                    e = math.exp(-_FOUR_LN2 * u * u)
                    lor = 1.0 / (1.0 + 4.0 * u * u)
                    unit = p1 * e + p2 * lor
                    slope = -2.0 * _FOUR_LN2 * u * p1 * e - 8.0 * u * p2 * lor * lor
                    y = a / w * unit
                    d_c, d_w, d_a = -a * slope / (w * w), -y / w - a * slope * u / (w * w), unit / w
                else:  # a k/w exp(-4 ln2 (1-f) v²)/(1 + 4 f v²), v = width·u
                    v = p2 * u
                    den = 1.0 + 4.0 * p1 * v * v
                    g = math.exp(-_FOUR_LN2 * (1.0 - p1) * v * v) / den
                    dg = g * (-2.0 * _FOUR_LN2 * (1.0 - p1) * v - 8.0 * p1 * v / den)
                    y = a * p3 / w * g
                    d_c = -a * p3 / w * dg * p2 / w
                    d_w, d_a = -y / w - a * p3 / w * dg * v / w, p3 / w * g
                total[b, i] += y
                if want:
                    if rows[k, 0] >= 0:
                        jac[b, rows[k, 0], i] += d_c
                    if rows[k, 1] >= 0:
                        jac[b, rows[k, 1], i] += d_c
                    if rows[k, 2] >= 0:
                        jac[b, rows[k, 2], i] += d_w
                    if rows[k, 3] >= 0:
                        jac[b, rows[k, 3], i] += d_a * area_factor[b, k]
                    if rows[k, 4] >= 0:
                        jac[b, rows[k, 4], i] += d_a * ratio_factor[b, k]
                    if rows[k, 5] >= 0:  # the region's charge shift
                        jac[b, rows[k, 5], i] += d_c
                    if rows[k, 6] >= 0:  # the centre this line's centre is an offset from
                        jac[b, rows[k, 6], i] += d_c


@njit(inline="always", fastmath=True)
def _pseudo_voigt_point(d, e, inv_s2, g_norm, h2, l_norm, inv_w):
    """Unit-area pseudo-Voigt at offset ``d`` from its centre and its derivatives by centre, FWHM
    and η (the per-line constants precomputed from the FWHM)."""
    d2 = d * d
    z2 = d2 * inv_s2
    g = g_norm * math.exp(-0.5 * z2) if z2 < 1400.0 else 0.0
    inv_den = 1.0 / (d2 + h2)
    lo = l_norm * inv_den
    unit = (1 - e) * g + e * lo
    d_c = (1 - e) * g * d * inv_s2 + e * lo * 2.0 * d * inv_den
    d_w = (1 - e) * g * (z2 - 1.0) * inv_w + e * (d2 - h2) * inv_den * inv_den / (2.0 * math.pi)
    return unit, d_c, d_w, lo - g


def lines_loop(x, c1, c2, w, eta, area, ratio, sens, cols, want, total, jac):
    """The fused loop of :func:`pseudo_voigt_lines`, for numba: per grid point, all lines are summed
    into local accumulators and each Jacobian element is written once. A Gaussian term below
    exp(-700) is exactly zero in double precision and is not computed."""
    n_spec, n_lines = c1.shape
    n_free = jac.shape[1]
    for b in range(n_spec):
        acc = np.zeros(n_free)
        inv_s2 = np.empty(n_lines)
        g_norm = np.empty(n_lines)
        h2 = np.empty(n_lines)
        l_norm = np.empty(n_lines)
        inv_w = np.empty(n_lines)
        for k in range(n_lines):
            sigma = w[b, k] * _FWHM_TO_SIGMA
            inv_s2[k] = 1.0 / (sigma * sigma)
            g_norm[k] = 1.0 / (sigma * _ROOT_2PI)
            h2[k] = 0.25 * w[b, k] * w[b, k]
            l_norm[k] = 0.5 * w[b, k] / math.pi
            inv_w[k] = 1.0 / w[b, k]
        for i in range(x.size):
            tot = 0.0
            if want:
                for f in range(n_free):
                    acc[f] = 0.0
            for k in range(n_lines):
                a, e = area[b, k], eta[b, k]
                unit, d_c1, d_w, d_eta = _pseudo_voigt_point(x[i] - c1[b, k], e, inv_s2[k], g_norm[k], h2[k],
                                                             l_norm[k], inv_w[k])
                d_c2 = 0.0
                if ratio > 0:
                    unit2, d_c2, d_w2, d_eta2 = _pseudo_voigt_point(x[i] - c2[b, k], e, inv_s2[k], g_norm[k], h2[k],
                                                                    l_norm[k], inv_w[k])
                    unit += ratio * unit2
                    d_c2 *= ratio
                    d_w += ratio * d_w2
                    d_eta += ratio * d_eta2
                tot += a * unit
                if want:
                    for m in range(cols.shape[1]):
                        f = cols[k, m]
                        if f < 0:
                            break
                        acc[f] += unit * sens[4, b, k, f] + a * (
                            d_c1 * sens[0, b, k, f] + d_c2 * sens[1, b, k, f] + d_w * sens[2, b, k, f]
                            + d_eta * sens[3, b, k, f])
            total[b, i] = tot
            if want:
                for f in range(n_free):
                    jac[b, f, i] = acc[f]


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
    """The cumulative trapezoid of :func:`spectra.kernels.cumulative_trapezoid`, for numba: rows of
    ``y`` (M, n) with the half steps ``dx`` (n - 1,) into ``out`` (M, n), in the numpy order of
    operations (the same numbers)."""
    for r in range(y.shape[0]):
        acc = 0.0
        out[r, 0] = 0.0
        for i in range(1, y.shape[1]):
            acc += (y[r, i] + y[r, i - 1]) * dx[i - 1]
            out[r, i] = acc


# fastmath (no NaN/inf special cases, reassociation) gains 15-30 %; results still agree with numpy
# to ~1e-12 relative (tested). Every loop is single-threaded (no parallel=True): fit_many spreads
# work over cores with forked worker processes (spectra.fitting.workers), which numba's OpenMP
# thread pool would not survive ("fork() called from a process already using GNU OpenMP"), and
# threads inside each worker would only compete with the other workers.
lines = njit(cache=True, fastmath=True)(lines_loop)
xps = njit(cache=True, fastmath=True)(xps_loop)
# the Shirley iteration keeps IEEE arithmetic (no fastmath): it must equal the numpy loop
shirley = njit(cache=True)(shirley_loop)
cumulative = njit(cache=True)(cumulative_loop)
