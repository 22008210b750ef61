"""Line shapes for peak fitting (pure numpy/scipy).

Every shape takes ``x`` and ``center``, ``fwhm``, ``area``, plus its own shape parameters, and the two
words mean exactly what they say: the returned curve has its full width at half maximum equal to
``fwhm`` and integrates to ``area``. Where no closed form exists, the shape's FWHM and area are found
numerically (root finding and quadrature) once per shape-parameter value and cached.

Asymmetric shapes (Doniach–Šunjić, LA) put their tail on the **high-binding-energy side**, i.e. at
``x > center`` (the BE convention). Their "area" is the integral over ``center ± window·fwhm``
(``window`` = 30 by default; the Doniach–Šunjić tail does not integrate to a finite value).

Shapes
------
gaussian, lorentzian, pseudo_voigt (Lorentzian fraction ``eta``), voigt (Lorentzian FWHM ``gamma_fwhm``),
gl_product (CasaXPS GL(m), m in %), gl_sum (CasaXPS SGL(m)), doniach_sunjic (asymmetry ``alpha``,
convolved with a Gaussian taking ``gaussian_share`` of the FWHM), la (CasaXPS-style LA(α, β, m):
a Lorentzian raised to ``alpha`` on the high-BE side and ``beta`` on the low-BE side, convolved with
a Gaussian whose FWHM is ``m`` % of the Lorentzian's ... see :func:`la`), pearson7 (exponent ``m``:
1 is the Lorentzian, large ``m`` approaches the Gaussian).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special

LN2 = math.log(2.0)
GAUSS_AREA = math.sqrt(math.pi / (4.0 * LN2))  # area of a unit-height, unit-FWHM Gaussian
WINDOW = 30.0


def gaussian(x, center, fwhm, area):
    """Gaussian with the given FWHM and area."""
    sigma = fwhm / (2.0 * math.sqrt(2.0 * LN2))
    return area / (sigma * math.sqrt(2.0 * math.pi)) * np.exp(-0.5 * ((x - center) / sigma) ** 2)


def lorentzian(x, center, fwhm, area):
    """Lorentzian (Cauchy) with the given FWHM and area."""
    half = 0.5 * fwhm
    return area / math.pi * half / ((x - center) ** 2 + half**2)


def pseudo_voigt(x, center, fwhm, area, eta=0.3):
    """Area-weighted sum ``(1 - eta)·Gaussian + eta·Lorentzian`` sharing one FWHM (exact FWHM)."""
    return (1.0 - eta) * gaussian(x, center, fwhm, area) + eta * lorentzian(x, center, fwhm, area)


@functools.lru_cache(maxsize=4096)
def _voigt_sigma(fwhm: float, gamma_fwhm: float) -> float:
    """Gaussian σ that gives a Voigt of total FWHM ``fwhm`` with Lorentzian FWHM ``gamma_fwhm``."""
    gamma = 0.5 * gamma_fwhm

    def excess(sigma):
        peak = special.voigt_profile(0.0, sigma, gamma)
        return special.voigt_profile(0.5 * fwhm, sigma, gamma) - 0.5 * peak

    upper = fwhm / (2.0 * math.sqrt(2.0 * LN2))
    if gamma_fwhm <= 0:
        return upper
    return optimize.brentq(excess, 1e-12 * fwhm, upper, xtol=1e-15 * fwhm, rtol=1e-15, maxiter=200)


def voigt(x, center, fwhm, area, gamma_fwhm=0.1):
    """Voigt profile: a Lorentzian of FWHM ``gamma_fwhm`` (e.g. the natural width) convolved with the
    Gaussian that makes the total FWHM ``fwhm`` (``gamma_fwhm`` must be below ``fwhm``)."""
    if not 0 <= gamma_fwhm < fwhm:
        return np.full(np.shape(x), np.nan)
    sigma = _voigt_sigma(float(fwhm), float(gamma_fwhm))
    return area * special.voigt_profile(x - center, sigma, 0.5 * gamma_fwhm)


def _gl_unit(u, m):
    """CasaXPS GL(m) product at unit width parameter, m as a fraction."""
    return np.exp(-4.0 * LN2 * (1.0 - m) * u**2) / (1.0 + 4.0 * m * u**2)


@functools.lru_cache(maxsize=256)
def gl_product_norm(m: float) -> tuple[float, float]:
    """(true FWHM, area) of the unit-width, unit-height GL(m) product."""
    half = optimize.brentq(lambda u: _gl_unit(u, m) - 0.5, 0.0, 1.0, xtol=1e-16, rtol=1e-15)
    if m >= 1.0:
        return 2.0 * half, math.pi / 2.0
    area = 2.0 * integrate.quad(lambda u: _gl_unit(u, m), 0.0, np.inf, epsabs=0, epsrel=1e-13, limit=500)[0]
    return 2.0 * half, area


def gl_product(x, center, fwhm, area, m=30.0):
    """CasaXPS GL(m): ``exp(-4 ln2 (1-m)u²) / (1 + 4 m u²)``, m in % Lorentzian (0 Gaussian,
    100 Lorentzian), rescaled so that ``fwhm`` and ``area`` are exact (the product's true FWHM
    is not its width parameter)."""
    frac = float(m) / 100.0
    width, unit_area = gl_product_norm(frac)
    scale = fwhm / width
    return area / (unit_area * scale) * _gl_unit((x - center) / scale, frac)


def gl_sum(x, center, fwhm, area, m=30.0):
    """CasaXPS SGL(m): ``(1-m)·G + m·L`` of equal height and FWHM (exact FWHM), m in % Lorentzian."""
    frac = float(m) / 100.0
    u = (x - center) / fwhm
    unit = (1.0 - frac) * np.exp(-4.0 * LN2 * u**2) + frac / (1.0 + 4.0 * u**2)
    unit_area = (1.0 - frac) * GAUSS_AREA + frac * math.pi / 2.0
    return area / (unit_area * fwhm) * unit


def pearson7_norm(m):
    """(k, height) of the unit-FWHM, unit-area Pearson VII ``height·(1 + k u²)^(-m)``.

    ``k = 4(2^(1/m) - 1)`` puts the half maximum at ``u = ±1/2`` for every ``m``; the integral of
    ``(1 + k u²)^(-m)`` is ``√(π/k)·Γ(m - ½)/Γ(m)`` (finite for ``m > ½``), so
    ``height = √(k/π)·Γ(m)/Γ(m - ½)`` (through log-gamma, stable for large ``m``). ``m`` may be an
    array (floats in, floats out).
    """
    k = 4.0 * (2.0 ** (1.0 / m) - 1.0)
    height = np.sqrt(k / math.pi) * np.exp(special.gammaln(m) - special.gammaln(m - 0.5))
    return (k, float(height)) if np.ndim(height) == 0 else (k, height)


def pearson7(x, center, fwhm, area, m=2.0):
    """Pearson VII ``(1 + 4(2^(1/m) - 1)·u²)^(-m)``, ``u = (x - center)/fwhm``, with exponent ``m``
    (1: Lorentzian; large ``m``: approaches the Gaussian), normalised through gamma functions
    (:func:`pearson7_norm`) so that ``fwhm`` and ``area`` are exact for every ``m > ½``."""
    m = float(m)
    k, height = pearson7_norm(m)
    u = (np.asarray(x) - center) / fwhm
    return area / fwhm * (height * (1.0 + k * u**2) ** -m)


@dataclass(frozen=True)
class _Tabulated:
    """A unit-FWHM, unit-area shape tabulated on a fine grid (u = (x - center)/fwhm)."""

    u: np.ndarray
    y: np.ndarray

    def __call__(self, u):
        return np.interp(u, self.u, self.y, left=0.0, right=0.0)


def _normalise(u: np.ndarray, y: np.ndarray, window: float) -> _Tabulated:
    """Rescale a tabulated profile so that its FWHM is 1 and its area over ±window FWHM is 1."""
    top = int(np.argmax(y))
    half = 0.5 * y[top]
    left = np.interp(half, y[:top + 1], u[:top + 1])
    right = np.interp(-half, -y[top:], u[top:])
    width = right - left
    centre = u[top]
    us = (u - centre) / width
    # exact integral of the piecewise-linear interpolant over [-window, window]
    inside = np.abs(us) < window
    edges = np.interp([-window, window], us, y)
    area = np.trapezoid(np.concatenate(([edges[0]], y[inside], [edges[1]])),
                        np.concatenate(([-window], us[inside], [window])))
    return _Tabulated(us, y / area)


def _convolve_gauss(u, y, g_fwhm):
    if g_fwhm <= 0:
        return y
    step = u[1] - u[0]
    kernel_u = np.arange(-4 * g_fwhm, 4 * g_fwhm + step / 2, step)
    kernel = np.exp(-4 * LN2 * (kernel_u / g_fwhm) ** 2)
    kernel /= kernel.sum()
    from scipy.signal import fftconvolve

    return fftconvolve(y, kernel, mode="same")


def _grid(narrowest: float, widest: float, window: float) -> np.ndarray:
    """A grid fine enough for the narrowest feature and wide enough for ±(window+2)·widest."""
    half_span = (window + 2.0) * widest
    step = narrowest / 400.0
    n = int(min(2 * half_span / step, 2_000_000)) | 1
    return np.linspace(-half_span, half_span, n)


def _tabulate(profile, narrowest: float, widest: float, window: float) -> _Tabulated:
    """:func:`_normalise` of ``profile`` on :func:`_grid`, widened until the table spans ±window FWHM
    (a profile much wider than ``widest``, e.g. a strongly asymmetric one, would otherwise be cut
    short of the window its area is defined over)."""
    for _ in range(8):
        u = _grid(narrowest, widest, window)
        table = _normalise(u, profile(u), window)
        reach = min(-table.u[0], table.u[-1])
        if reach >= window:
            return table
        widest *= (window + 4.0) / reach
    raise ValueError(f"could not tabulate the profile over ±{window} FWHM")


@functools.lru_cache(maxsize=128)
def _ds_table(alpha: float, gaussian_share: float, window: float) -> _Tabulated:
    # Doniach–Šunjić with unit Lorentzian half width, tail towards +u (higher binding energy)
    g_fwhm = 2.0 * gaussian_share / max(1e-9, 1 - gaussian_share)
    a = alpha

    def profile(u):
        v = -u  # the textbook form (kinetic energy) tails to -v: mirror it so the tail is at higher BE
        ds = np.cos(math.pi * a / 2 + (1 - a) * np.arctan(v)) / (1 + v**2) ** ((1 - a) / 2)
        return _convolve_gauss(u, ds, g_fwhm)

    return _tabulate(profile, min(2.0, max(g_fwhm, 0.5)), 2.0 + g_fwhm, window)


def doniach_sunjic(x, center, fwhm, area, alpha=0.1, gaussian_share=0.5, window=WINDOW):
    """Doniach–Šunjić (asymmetry ``alpha``) convolved with a Gaussian, tail to higher BE.

    ``gaussian_share`` sets the Gaussian FWHM relative to the Lorentzian's (share/(1-share)); the
    result is rescaled to the given total ``fwhm`` and to ``area`` over ``center ± window·fwhm``.
    ``center`` is the position of the maximum.
    """
    table = _ds_table(float(alpha), float(gaussian_share), float(window))
    return area / fwhm * table((np.asarray(x) - center) / fwhm)


@functools.lru_cache(maxsize=128)
def _la_table(alpha: float, beta: float, m: float, window: float) -> _Tabulated:
    # full width at half maximum of the Lorentzian raised to a power p: sqrt(2**(1/p) - 1)
    widths = [math.sqrt(2.0 ** (1.0 / p) - 1.0) for p in (alpha, beta)]

    def profile(u):
        lor = 1.0 / (1.0 + 4.0 * u**2)
        return _convolve_gauss(u, np.where(u >= 0, lor**alpha, lor**beta), m / 100.0)

    return _tabulate(profile, min(min(widths), max(m / 100.0, 0.5)), max(widths) + m / 100.0, window)


def la(x, center, fwhm, area, alpha=1.0, beta=1.0, m=100.0, window=WINDOW):
    """LA(α, β, m) after CasaXPS: a unit-FWHM Lorentzian raised to ``alpha`` on the high-BE side
    (``x > center``) and ``beta`` on the low-BE side, convolved with a Gaussian of FWHM ``m``/100
    of that Lorentzian width; rescaled to ``fwhm`` and to ``area`` over ``center ± window·fwhm``.

    CasaXPS documents ``m`` only as an integer 0–499 setting the Gaussian width, so this ``m`` is
    spectra's own (a percentage of the Lorentzian FWHM), not a CasaXPS-identical number.
    """
    table = _la_table(float(alpha), float(beta), float(m), float(window))
    return area / fwhm * table((np.asarray(x) - center) / fwhm)
