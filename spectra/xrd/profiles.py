"""Powder-diffraction line widths and positions (2θ in degrees); the profile itself is the
pseudo-Voigt of :mod:`spectra.lineshapes`.

* :func:`tch_parameters` — Thompson–Cox–Hastings (J. Appl. Cryst. 20 (1987) 79): Gaussian and
  Lorentzian FWHM combined into one FWHM and mixing η by the TCH polynomials.
* :func:`caglioti_fwhm`, :func:`lorentz_fwhm` — instrument widths U, V, W (Gaussian) and X, Y
  (Lorentzian); :func:`scherrer_fwhm` — size broadening.
* :func:`ka2_position`, :func:`displacement_shift` — the Kα2 line and specimen displacement.
"""
from __future__ import annotations

import numpy as np

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
