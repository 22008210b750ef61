"""Line shapes with their analytic partial derivatives, broadcasting over spectra, and the constants
of the compiled kernel (:func:`spectra.kernels.xps_lines`) for the shapes it evaluates.

Each partials function takes ``(x, center, fwhm, area, *shape)`` with the shape parameters in the
order of the line shape's registry entry (:data:`spectra.lineshapes.LINESHAPES`) and returns
``(y, dy/dcenter, dy/dfwhm, dy/darea)`` for arrays that broadcast (e.g. ``x`` of shape (1, n) and
parameters of shape (N, 1)); the values equal those of the line-shape functions (tested for every
entry in ``tests/lineshapes/test_contract.py``). Shape parameters are held fixed.
"""
from __future__ import annotations

import math

import numpy as np

from . import shapes as lineshapes

LN2 = math.log(2.0)


def gaussian(x, c, w, a):
    sigma = w / (2.0 * math.sqrt(2.0 * LN2))
    d = x - c
    y = a / (sigma * math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * (d / sigma) ** 2)
    return y, y * d / sigma**2, y * ((d / sigma) ** 2 - 1.0) / w, y / a


def lorentzian(x, c, w, a):
    h = 0.5 * w
    d = x - c
    den = d**2 + h**2
    y = a / math.pi * h / den
    return y, y * 2.0 * d / den, a / (2.0 * math.pi) * (d**2 - h**2) / den**2, y / a


def pseudo_voigt(x, c, w, a, eta):
    g = gaussian(x, c, w, a)
    lo = lorentzian(x, c, w, a)
    return tuple((1.0 - eta) * gi + eta * li for gi, li in zip(g, lo))


def gl_product(x, c, w, a, m):
    frac = float(m) / 100.0
    width, unit_area = lineshapes.gl_product_norm(frac)
    k = a * width / unit_area
    u = (x - c) * width / w
    den = 1.0 + 4.0 * frac * u**2
    g = np.exp(-4.0 * LN2 * (1.0 - frac) * u**2) / den
    dg = g * (-8.0 * LN2 * (1.0 - frac) * u - 8.0 * frac * u / den)
    y = k / w * g
    return y, -k / w * dg * width / w, -y / w - k / w * dg * u / w, y / a


def gl_sum(x, c, w, a, m):
    frac = float(m) / 100.0
    unit_area = (1.0 - frac) * lineshapes.GAUSS_AREA + frac * math.pi / 2.0
    u = (x - c) / w
    e = np.exp(-4.0 * LN2 * u**2)
    lor = 1.0 / (1.0 + 4.0 * u**2)
    unit = (1.0 - frac) * e + frac * lor
    dunit = (1.0 - frac) * (-8.0 * LN2 * u) * e + frac * (-8.0 * u) * lor**2
    k = a / (unit_area * w)
    y = k * unit
    return y, -k * dunit / w, -y / w - k * dunit * u / w, y / a


def pearson7(x, c, w, a, m):
    """Pearson VII (:func:`spectra.lineshapes.pearson7`) and its partials, the exponent ``m`` held fixed.

    Parameters
    ----------
    x, c, w, a : array_like
        Grid, centre, FWHM and area, broadcasting (e.g. (1, n) and (N, 1)).
    m : float
        Exponent.

    Returns
    -------
    y, dy/dc, dy/dw, dy/da : ndarray
    """
    m = float(m)
    k, height = lineshapes.pearson7_norm(m)
    u = (x - c) / w
    base = 1.0 + k * u**2
    unit = height * base ** -m  # unit area, unit FWHM, at u
    y = a / w * unit
    slope = -2.0 * m * k * u / base * unit  # d unit / du
    return y, -a / w**2 * slope, -y / w - a / w**2 * slope * u, unit / w


#: the two families the compiled kernel evaluates (see :func:`spectra.kernels.xps_lines`)
SUM_FORM, PRODUCT_FORM = 0, 1
_LORENTZ_AREA = math.pi / 2.0  # area of a unit-height, unit-FWHM Lorentzian

# Kernel constants: a line shape as one of the two families of the compiled kernel. With
# ``u = (x - c)/w``, the *sum form* ``a/w · (α·exp(-4 ln2 u²) + β/(1 + 4u²))`` covers the Gaussian, the
# Lorentzian, the pseudo-Voigt and SGL(m) and is given as ``(SUM_FORM, α, β, 0)``; the *product form*
# ``a·k/w · exp(-4 ln2 (1-f) v²)/(1 + 4 f v²)`` with ``v = u·width`` is GL(m), given as
# ``(PRODUCT_FORM, f, width, k)``. Each function takes the shape parameters in the registry's order.


def gaussian_kernel() -> tuple[int, float, float, float]:
    """Kernel constants of :func:`gaussian` (the sum form with β = 0).

    Returns
    -------
    tuple of (int, float, float, float)
        ``(SUM_FORM, α, β, 0)``.
    """
    return SUM_FORM, 1.0 / lineshapes.GAUSS_AREA, 0.0, 0.0


def lorentzian_kernel() -> tuple[int, float, float, float]:
    """Kernel constants of :func:`lorentzian` (the sum form with α = 0).

    Returns
    -------
    tuple of (int, float, float, float)
        ``(SUM_FORM, α, β, 0)``.
    """
    return SUM_FORM, 0.0, 1.0 / _LORENTZ_AREA, 0.0


def pseudo_voigt_kernel(eta) -> tuple[int, float, float, float]:
    """Kernel constants of :func:`pseudo_voigt` with Lorentzian fraction ``eta``.

    Returns
    -------
    tuple of (int, float, float, float)
        ``(SUM_FORM, α, β, 0)``.
    """
    return SUM_FORM, (1.0 - eta) / lineshapes.GAUSS_AREA, eta / _LORENTZ_AREA, 0.0


def gl_sum_kernel(m) -> tuple[int, float, float, float]:
    """Kernel constants of :func:`gl_sum` SGL(m), ``m`` in %.

    Returns
    -------
    tuple of (int, float, float, float)
        ``(SUM_FORM, α, β, 0)``.
    """
    frac = m / 100.0
    unit_area = (1.0 - frac) * lineshapes.GAUSS_AREA + frac * _LORENTZ_AREA
    return SUM_FORM, (1.0 - frac) / unit_area, frac / unit_area, 0.0


def gl_product_kernel(m) -> tuple[int, float, float, float]:
    """Kernel constants of :func:`gl_product` GL(m), ``m`` in % (the product form).

    Returns
    -------
    tuple of (int, float, float, float)
        ``(PRODUCT_FORM, f, width, k)``.
    """
    frac = m / 100.0
    width, unit_area = lineshapes.gl_product_norm(frac)
    return PRODUCT_FORM, frac, width, width / unit_area
