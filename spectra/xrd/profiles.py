"""Powder-diffraction line profiles, widths and positions (2θ in degrees).

* :data:`PROFILES` — the registry of line profiles recipes choose with ``profile``: one
  :class:`Profile` entry each (its shape terms in the instrument table and its unit-area function
  with partials, used by both fitting engines): ``pseudo-voigt`` (the Thompson–Cox–Hastings
  pseudo-Voigt), ``pearson7`` and ``split-pseudo-voigt``.
* :func:`asymmetry` — the Bérar–Baldinozzi asymmetry factor; :func:`axial_divergence` — the
  axial-divergence average of displaced profiles.
* :func:`line_curves` — lines of any profile (with asymmetry) on a grid, with their partials.
* :func:`tch_parameters` — Thompson–Cox–Hastings (J. Appl. Cryst. 20 (1987) 79): Gaussian and
  Lorentzian FWHM combined into one FWHM and mixing η by the TCH polynomials.
* :func:`caglioti_fwhm`, :func:`lorentz_fwhm` — instrument widths U, V, W (Gaussian) and X, Y
  (Lorentzian); :func:`scherrer_fwhm` — size broadening; :func:`strain_fwhm` — microstrain.
* :func:`ka2_position`, :func:`displacement_shift` — the Kα2 line and specimen displacement.
* :func:`march_dollase` — the March–Dollase preferred-orientation factor.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..lineshapes.shapes import pearson7_norm

#: the instrument terms and their defaults: Caglioti U, V, W (degrees²), Lorentzian X, Y (degrees) and the
#: Bérar–Baldinozzi asymmetry P1…P4 (dimensionless; :func:`asymmetry`) and the axial-divergence shift
#: (degrees; :func:`axial_divergence`). The recipe module re-exports it
#: (:data:`spectra.xrd.recipe.DEFAULT_INSTRUMENT`)
DEFAULT_INSTRUMENT = {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.0, "y": 0.02,
                      "asym_p1": 0.0, "asym_p2": 0.0, "asym_p3": 0.0, "asym_p4": 0.0, "axial": 0.0}
#: default bounds of the instrument terms (a recipe table may give others)
INSTRUMENT_BOUNDS = {"u": (0.0, 1.0), "v": (-1.0, 1.0), "w": (0.0, 1.0), "x": (0.0, 1.0), "y": (0.0, 1.0),
                     "asym_p1": (-0.5, 0.5), "asym_p2": (-0.5, 0.5), "asym_p3": (-0.5, 0.5), "asym_p4": (-0.5, 0.5),
                     "axial": (0.0, 1.0)}
#: the Bérar–Baldinozzi terms
ASYMMETRY_TERMS = ("asym_p1", "asym_p2", "asym_p3", "asym_p4")
#: instrument terms that are parameters only when the recipe's instrument table names them (off: 0)
OPTIONAL_INSTRUMENT = (*ASYMMETRY_TERMS, "axial")
#: Gauss–Legendre nodes t and weights on [0, 1] of the axial-divergence average (:func:`axial_divergence`)
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
AXIAL_NODES, AXIAL_WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2

#: TCH coefficients: FWHM⁵ = Σ_k TCH_FWHM[k] G^(5-k) L^k, and η = Σ_k TCH_ETA[k] (L/FWHM)^(k+1)
TCH_FWHM = (1.0, 2.69269, 2.42843, 4.47163, 0.07842, 1.0)
TCH_ETA = (1.36603, -0.47719, 0.11116)


def tch_parameters(gaussian_fwhm, lorentzian_fwhm):
    """(total FWHM, η) of the TCH pseudo-Voigt for given Gaussian and Lorentzian FWHM.

    Parameters
    ----------
    gaussian_fwhm, lorentzian_fwhm : float or array_like
        Gaussian and Lorentzian FWHM (degrees 2θ); broadcast against each other.

    Returns
    -------
    total : numpy.ndarray
        Pseudo-Voigt FWHM (degrees 2θ).
    eta : numpy.ndarray
        Lorentzian fraction η of the pseudo-Voigt.
    """
    g, lo = np.asarray(gaussian_fwhm, dtype=float), np.asarray(lorentzian_fwhm, dtype=float)
    total = sum(c * g ** (5 - k) * lo**k for k, c in enumerate(TCH_FWHM)) ** 0.2
    q = lo / total
    eta = sum(c * q ** (k + 1) for k, c in enumerate(TCH_ETA))
    return total, eta


def caglioti_fwhm(two_theta, u, v, w):
    """Gaussian FWHM (degrees) from U tan²θ + V tanθ + W (degrees²), never below 1e-4°.

    Parameters
    ----------
    two_theta : float or array_like
        Peak position (degrees 2θ).
    u, v, w : float
        Caglioti coefficients (degrees²).

    Returns
    -------
    numpy.ndarray
        ``sqrt(max(U tan²θ + V tanθ + W, 1e-8))`` in degrees 2θ, shaped like ``two_theta``.
    """
    t = np.tan(np.radians(np.asarray(two_theta) / 2))
    return np.sqrt(np.maximum(u * t**2 + v * t + w, 1e-8))


def lorentz_fwhm(two_theta, x, y):
    """Lorentzian FWHM (degrees) X tanθ + Y / cosθ.

    Parameters
    ----------
    two_theta : float or array_like
        Peak position (degrees 2θ).
    x, y : float
        Strain-like (X) and size-like (Y) coefficients (degrees).

    Returns
    -------
    numpy.ndarray
        Lorentzian FWHM in degrees 2θ, shaped like ``two_theta``.
    """
    theta = np.radians(np.asarray(two_theta) / 2)
    return x * np.tan(theta) + y / np.cos(theta)


def scherrer_fwhm(two_theta, size_nm, wavelength, k=0.9):
    """Size broadening (degrees 2θ) of crystallites of ``size_nm`` nm: K λ / (L cosθ).

    Parameters
    ----------
    two_theta : float or array_like
        Peak position (degrees 2θ).
    size_nm : float
        Crystallite size L in nm.
    wavelength : float
        λ in Å.
    k : float
        Scherrer constant.

    Returns
    -------
    numpy.ndarray
        FWHM in degrees 2θ, shaped like ``two_theta``.
    """
    theta = np.radians(np.asarray(two_theta) / 2)
    return np.degrees(k * wavelength / (size_nm * 10.0 * np.cos(theta)))


def ka2_position(two_theta_ka1, ka1, ka2):
    """2θ of the Kα2 line of a reflection seen at ``two_theta_ka1`` with Kα1.

    Parameters
    ----------
    two_theta_ka1 : float or array_like
        Kα1 peak position (degrees 2θ).
    ka1, ka2 : float
        Kα1 and Kα2 wavelengths (Å).

    Returns
    -------
    numpy.ndarray
        Kα2 peak position (degrees 2θ); sinθ is clipped to 1, so lines beyond 180° end at 180°.
    """
    s = np.sin(np.radians(np.asarray(two_theta_ka1) / 2)) * ka2 / ka1
    return 2 * np.degrees(np.arcsin(np.clip(s, -1, 1)))


def displacement_shift(two_theta, displacement_um, radius_mm):
    """Peak shift (degrees 2θ) of a displaced specimen: Δ2θ = −2 s cosθ / R.

    Parameters
    ----------
    two_theta : float or array_like
        Peak position (degrees 2θ).
    displacement_um : float
        Specimen displacement s in µm (positive: above the focusing circle, peaks move to lower 2θ).
    radius_mm : float
        Goniometer radius R in mm.

    Returns
    -------
    numpy.ndarray
        Shift in degrees 2θ, shaped like ``two_theta``.
    """
    theta = np.radians(np.asarray(two_theta) / 2)
    return np.degrees(-2.0 * (displacement_um * 1e-3) * np.cos(theta) / radius_mm)


def overspill(two_theta, critical):
    """Beam-overspill factor of a fixed divergence slit and its derivative by 2θc.

    Below θc, where the beam's footprint equals the specimen's length, the specimen catches the share
    f = sinθ / sinθc of the beam; above it all of it: f = min(1, sinθ / sinθc). For θ < θc,
    ∂f/∂(2θc) = −(π/360) sinθ cosθc / sin²θc (θc in radians, 2θc in degrees); 0 above.

    Parameters
    ----------
    two_theta : float or array_like
        Grid (degrees 2θ).
    critical : float or array_like
        2θc (degrees), broadcast against ``two_theta``; 0 < 2θc < 180.

    Returns
    -------
    factor, derivative : numpy.ndarray
        f (dimensionless) and ∂f/∂(2θc) (per degree), broadcast shape.
    """
    sin = np.sin(np.radians(np.asarray(two_theta, dtype=float) / 2))
    theta_c = np.radians(np.asarray(critical, dtype=float) / 2)
    sin_c = np.sin(theta_c)
    below = sin < sin_c
    factor = np.where(below, sin / sin_c, 1.0)
    derivative = np.where(below, -(math.pi / 360.0) * sin * np.cos(theta_c) / sin_c**2, 0.0)
    return factor, derivative


def strain_fwhm(two_theta, strain):
    """Microstrain broadening (degrees 2θ): 4 ε tanθ (Stokes–Wilson; the Williamson–Hall term).

    Parameters
    ----------
    two_theta : float or array_like
        Peak position (degrees 2θ).
    strain : float or array_like
        Microstrain ε (dimensionless), broadcast against ``two_theta``.

    Returns
    -------
    numpy.ndarray
        FWHM in degrees 2θ (added to the Lorentzian width, as the Scherrer term is).
    """
    return np.degrees(4.0 * strain * np.tan(np.radians(np.asarray(two_theta) / 2)))


def march_dollase(cos_alpha, weights, r):
    """March–Dollase preferred-orientation factor of reflections (W. A. Dollase, J. Appl. Cryst. 19
    (1986) 267): ``P = Σ_j w_j (r² cos²α_j + sin²α_j / r)^(-3/2)`` over the symmetry-equivalent
    planes j of each reflection (weights ``w_j`` summing to 1 per reflection).

    Parameters
    ----------
    cos_alpha, weights : numpy.ndarray, shape (n_lines, n_planes)
        cos of the angle between each plane normal and the preferred direction; the planes' weights
        (0 pads).
    r : float or numpy.ndarray, shape (N, 1, 1)
        March–Dollase r (1: random orientation; < 1 platelets lying on the preferred plane).

    Returns
    -------
    P, dP_dr : numpy.ndarray
        Shape (n_lines,) for a float ``r``, (N, n_lines) for an array.
    """
    c2 = cos_alpha**2
    base = r**2 * c2 + (1.0 - c2) / r
    p = np.sum(weights * base**-1.5, axis=-1)
    dp = np.sum(weights * -1.5 * base**-2.5 * (2 * r * c2 - (1.0 - c2) / r**2), axis=-1)
    return p, dp


_G0 = math.sqrt(4.0 * math.log(2.0) / math.pi)   # height of the unit-FWHM, unit-area Gaussian
_FOUR_LN2 = 4.0 * math.log(2.0)


def _pv_unit(u, eta):
    """Unit-FWHM, unit-area pseudo-Voigt at ``u``, its derivative in ``u`` and its derivative in η."""
    g = _G0 * np.exp(-_FOUR_LN2 * u * u)
    lo = (2.0 / math.pi) / (1.0 + 4.0 * u * u)
    value = (1.0 - eta) * g + eta * lo
    slope = (1.0 - eta) * g * (-2.0 * _FOUR_LN2 * u) + eta * lo * (-8.0 * u / (1.0 + 4.0 * u * u))
    return value, slope, lo - g


def _pseudo_voigt(d, w, eta, shape):
    u = d / w
    v, dv, deta = _pv_unit(u, eta)
    return v / w, dv / (w * w), -(v + u * dv) / (w * w), deta / w, {}


def _split_pseudo_voigt(d, w, eta, shape):
    s = shape["split"]
    sign = np.where(d < 0, 1.0, -1.0)   # d(side)/d(split): the low-angle half widens for split > 0
    side = 1.0 + sign * s
    u = d / (w * side)
    v, dv, deta = _pv_unit(u, eta)
    return v / w, dv / (w * w * side), -(v + u * dv) / (w * w), deta / w, {"split": -dv * u * sign / side / w}


def _pearson7(d, w, eta, shape):
    m = shape["pearson_m"]
    k, height = pearson7_norm(m)
    u = d / w
    base = 1.0 + k * u * u
    y = height / w * base**-m
    ratio = 2.0 * m * k * u / base
    dk = -4.0 * 2.0 ** (1.0 / m) * math.log(2.0) / m**2
    dlog_height = 0.5 * dk / k + special.digamma(m) - special.digamma(m - 0.5)
    dm = y * (dlog_height - np.log(base) - m * u * u * dk / base)
    return y, -y * ratio / w, -y / w + y * ratio * u / w, np.zeros_like(y), {"pearson_m": dm}


@dataclass(frozen=True)
class Profile:
    """A line profile recipes may choose (``profile = "<name>"``).

    Attributes
    ----------
    name : str
        Registry key.
    parameters : dict
        Its shape terms in the recipe's instrument table (parameters ``inst_<key>``):
        key → (default, min, max).
    unit : callable
        ``unit(d, w, eta, shape) -> (y, ∂y/∂d, ∂y/∂w, ∂y/∂η, {key: ∂y/∂key})`` for ``d = 2θ − centre``,
        FWHM ``w`` and TCH mixing η (arrays broadcasting together), shape terms ``shape`` by key: a
        profile of unit area and FWHM ``w``.
    description : str
        What the profile is, for the recipe reference and reports.
    """

    name: str
    parameters: dict
    unit: Callable
    description: str


#: the line profiles by recipe name; a new profile is one entry (its unit function and its shape terms)
PROFILES = {p.name: p for p in (
    Profile("pseudo-voigt", {}, _pseudo_voigt,
            "Thompson-Cox-Hastings pseudo-Voigt: FWHM and eta from the Gaussian (Caglioti) and Lorentzian widths"),
    Profile("pearson7", {"pearson_m": (2.0, 0.6, 20.0)}, _pearson7,
            "Pearson VII of the TCH FWHM and exponent instrument.pearson_m (1: Lorentzian; large: Gaussian)"),
    Profile("split-pseudo-voigt", {"split": (0.0, -0.9, 0.9)}, _split_pseudo_voigt,
            "TCH pseudo-Voigt with half-widths w(1 + split)/2 below and w(1 - split)/2 above the centre"),
)}


def asymmetry(d, w, a, b):
    """Bérar–Baldinozzi asymmetry factor ``A = 1 + a·Fa(z) + b·Fb(z)`` with ``z = d / w``,
    ``Fa(z) = 2z·exp(−z²)`` and ``Fb(z) = 2(2z² − 3)·Fa(z)`` (J.-F. Bérar and G. Baldinozzi, J. Appl.
    Cryst. 26 (1993) 128, in the form of the FullProf manual); the fit uses ``a = P1/tanθ + P3/tan 2θ``
    and ``b = P2/tanθ + P4/tan 2θ`` (:func:`asymmetry_weights`). ``Fa`` and ``Fb`` are odd, so a
    symmetric line keeps its area. Large weights (|a| ≳ 1.2) make the factor negative in a tail: the
    model then no longer describes a physical line.

    Parameters
    ----------
    d, w : numpy.ndarray
        2θ − centre and the line's FWHM (degrees), broadcasting.
    a, b : numpy.ndarray
        Weights of ``Fa`` and ``Fb``.

    Returns
    -------
    factor, dfactor_dz, fa, fb : numpy.ndarray
    """
    z = d / w
    e = np.exp(-z * z)
    fa = 2.0 * z * e
    fb = 2.0 * (2.0 * z * z - 3.0) * fa
    dfa = 2.0 * e * (1.0 - 2.0 * z * z)
    dfb = 8.0 * z * fa + 2.0 * (2.0 * z * z - 3.0) * dfa
    return 1.0 + a * fa + b * fb, a * dfa + b * dfb, fa, fb


def asymmetry_weights(two_theta, p1, p2, p3, p4):
    """Weights ``(a, b)`` of the Bérar–Baldinozzi factor at line positions ``two_theta`` (degrees):
    ``a = P1/tanθ + P3/tan 2θ``, ``b = P2/tanθ + P4/tan 2θ``, and their derivatives by 2θ (per degree).

    Parameters
    ----------
    two_theta : numpy.ndarray
        Line positions (degrees 2θ, the Kα1 Bragg angle).
    p1, p2, p3, p4 : float or numpy.ndarray
        The asymmetry terms (broadcasting).

    Returns
    -------
    a, b, da, db : numpy.ndarray
    """
    theta = np.radians(np.asarray(two_theta) / 2)
    cot, cot2 = np.cos(theta) / np.sin(theta), np.cos(2 * theta) / np.sin(2 * theta)
    dcot = -(math.pi / 360) / np.sin(theta) ** 2          # d cotθ / d(2θ in degrees)
    dcot2 = -(math.pi / 180) / np.sin(2 * theta) ** 2     # d cot 2θ / d(2θ in degrees)
    return p1 * cot + p3 * cot2, p2 * cot + p4 * cot2, p1 * dcot + p3 * dcot2, p2 * dcot + p4 * dcot2


def axial_divergence(two_theta, axial):
    """The axial-divergence shift ``s = A·cot 2θ`` (degrees) of lines at ``two_theta`` (degrees) and
    its derivative by 2θ (per degree).

    A ray diverging axially by ψ from the diffraction plane is seen at 2θ − k ψ² cot 2θ (to second
    order; W. Cheary and A. Coelho, J. Appl. Cryst. 31 (1998) 851, the geometry behind Finger, Cox and
    Jephcoat, J. Appl. Cryst. 27 (1994) 892). With ψ uniform over the acceptance the line is the
    average of its profile shifted by ``−s·t²``, t uniform on [0, 1] (a tail to low angles below 90°
    2θ, to high angles above, growing as cot 2θ), evaluated with the Gauss–Legendre rule of
    :data:`AXIAL_NODES` — the sum of displaced profiles of H. Howard, J. Appl. Cryst. 15 (1982) 615.
    ``A`` is the largest shift at 2θ = 45°.

    Parameters
    ----------
    two_theta : numpy.ndarray
        Line positions (degrees 2θ).
    axial : float or numpy.ndarray
        A (degrees).

    Returns
    -------
    s, ds : numpy.ndarray
    """
    two = np.radians(np.asarray(two_theta))
    return axial * np.cos(two) / np.sin(two), -axial * (math.pi / 180) / np.sin(two) ** 2


def line_curves(profile: str, x, center, w, eta, area, shape: dict, asym=None, axial=None, *,
                partials: bool = False):
    """Lines of a profile on a grid, with the asymmetry factor and axial-divergence average when given.

    Parameters
    ----------
    profile : str
        Key of :data:`PROFILES`.
    x : numpy.ndarray
        Grid (degrees 2θ), broadcasting against the line arrays (e.g. (1, 1, n) against (N, K, 1)).
    center, w, eta, area : numpy.ndarray
        Each line's centre, FWHM, TCH η and integrated area.
    shape : dict
        The profile's shape terms by key (arrays broadcasting with the lines).
    asym : tuple of numpy.ndarray, optional
        ``(a, b)`` of :func:`asymmetry` per line; None: symmetric lines.
    axial : numpy.ndarray, optional
        Each line's axial-divergence shift ``s`` (:func:`axial_divergence`); None: no axial term.
    partials : bool
        Also return the partial derivatives.

    Returns
    -------
    curves : numpy.ndarray
        Each line's curve ``area · profile · A`` (broadcast shape).
    partials : dict, only when asked
        ∂curves/∂ ``c`` (centre), ``w``, ``eta``, ``area``, each shape key, ``asym_a``/``asym_b``
        when ``asym`` is given and ``axial_s`` when ``axial`` is.
    """
    if axial is not None:
        curves, out = 0.0, {}
        for t, weight in zip(AXIAL_NODES, AXIAL_WEIGHTS):
            part = line_curves(profile, x, center - axial * t * t, w, eta, weight * area, shape, asym,
                               partials=partials)
            if not partials:
                curves = curves + part
                continue
            curves = curves + part[0]
            for key, value in part[1].items():
                value = weight * value if key == "area" else value
                out[key] = out.get(key, 0.0) + value
            out["axial_s"] = out.get("axial_s", 0.0) - t * t * part[1]["c"]
        return (curves, out) if partials else curves
    d = x - center
    y, dy_dd, dy_dw, dy_deta, dy_shape = PROFILES[profile].unit(d, w, eta, shape)
    if asym is None:
        curves = area * y
        if not partials:
            return curves
        out = {"c": -area * dy_dd, "w": area * dy_dw, "eta": area * dy_deta, "area": y}
        out.update({k: area * v for k, v in dy_shape.items()})
        return curves, out
    factor, dfactor_dz, fa, fb = asymmetry(d, w, *asym)
    curves = area * y * factor
    if not partials:
        return curves
    z = d / w
    out = {"c": -area * (dy_dd * factor + y * dfactor_dz / w), "w": area * (dy_dw * factor - y * dfactor_dz * z / w),
           "eta": area * dy_deta * factor, "area": y * factor, "asym_a": area * y * fa, "asym_b": area * y * fb}
    out.update({k: area * v * factor for k, v in dy_shape.items()})
    return curves, out
