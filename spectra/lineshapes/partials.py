"""Line shapes with their analytic partial derivatives, broadcasting over spectra.

Each function returns ``(y, dy/dcenter, dy/dfwhm, dy/darea)`` for arrays that broadcast (e.g.
``x`` of shape (1, n) and parameters of shape (N, 1)); the values equal those of
:mod:`spectra.lineshapes` (tested). Shape parameters (``eta``, ``m``) are held fixed.
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


#: line shapes the batched engine supports, with the shape parameters it passes on (fixed)
SUPPORTED = {"gaussian": (gaussian, ()), "lorentzian": (lorentzian, ()), "pseudo_voigt": (pseudo_voigt, ("eta",)),
             "gl_product": (gl_product, ("m",)), "gl_sum": (gl_sum, ("m",))}


#: the two families the compiled kernel evaluates (see :func:`kernel_constants`)
SUM_FORM, PRODUCT_FORM = 0, 1


def kernel_constants(lineshape: str, shape: list[float]) -> tuple[int, float, float, float]:
    """A supported line shape as one of the two families of :mod:`spectra.fitting.kernels`.

    With ``u = (x - c)/w``: the *sum form* ``a/w · (α·exp(-4 ln2 u²) + β/(1 + 4u²))`` covers the
    Gaussian, the Lorentzian, the pseudo-Voigt and SGL(m); the *product form*
    ``a·k/w · exp(-4 ln2 (1-f) v²)/(1 + 4 f v²)`` with ``v = u·width`` is GL(m). Returns
    ``(form, α, β, 0)`` or ``(form, f, width, k)``.
    """
    lorentz_area = math.pi / 2.0
    if lineshape == "gaussian":
        return SUM_FORM, 1.0 / lineshapes.GAUSS_AREA, 0.0, 0.0
    if lineshape == "lorentzian":
        return SUM_FORM, 0.0, 1.0 / lorentz_area, 0.0
    if lineshape == "pseudo_voigt":
        eta = shape[0]
        return SUM_FORM, (1.0 - eta) / lineshapes.GAUSS_AREA, eta / lorentz_area, 0.0
    frac = shape[0] / 100.0
    if lineshape == "gl_sum":
        unit_area = (1.0 - frac) * lineshapes.GAUSS_AREA + frac * lorentz_area
        return SUM_FORM, (1.0 - frac) / unit_area, frac / unit_area, 0.0
    width, unit_area = lineshapes.gl_product_norm(frac)
    return PRODUCT_FORM, frac, width, width / unit_area
