"""Crystallite size and microstrain from peak widths: Scherrer (with the instrumental width removed)
and Williamson–Hall. Widths in degrees 2θ; uncertainties propagate when inputs are ``uncertainties``
numbers.

Scherrer: ``L = K λ / (β cos θ)`` with β the sample broadening in radians, K = 0.9 by default
(spherical crystallites, FWHM-based; state it when reporting). The instrumental width is removed as
``β = β_obs − β_inst`` for Lorentzian profiles and ``β² = β_obs² − β_inst²`` for Gaussian ones.
Williamson–Hall: ``β cos θ = K λ / L + 4 ε sin θ``, fitted by weighted least squares.
"""
from __future__ import annotations

import numpy as np
import uncertainties
from uncertainties import umath


def sample_broadening(beta_observed, beta_instrument, *, profile: str = "lorentzian"):
    """Sample FWHM (degrees) after removing the instrument's.

    Parameters
    ----------
    beta_observed, beta_instrument : float, UFloat or array_like
        FWHM of the observed peak and of the instrument (degrees 2θ).
    profile : {"lorentzian", "gaussian"}
        ``β_obs − β_inst`` for Lorentzian, ``sqrt(β_obs² − β_inst²)`` for Gaussian profiles.

    Returns
    -------
    float, UFloat or array_like
        Sample broadening (degrees 2θ), of the inputs' type.

    Raises
    ------
    ValueError
        ``profile`` is neither ``"lorentzian"`` nor ``"gaussian"``.
    """
    if profile == "lorentzian":
        return beta_observed - beta_instrument
    if profile == "gaussian":
        return (beta_observed**2 - beta_instrument**2) ** 0.5
    raise ValueError("profile must be 'lorentzian' or 'gaussian'")


def scherrer(two_theta, beta_observed, *, wavelength: float, beta_instrument=0.0, k: float = 0.9,
             profile: str = "lorentzian"):
    """Crystallite size (nm) from one reflection.

    Parameters
    ----------
    two_theta : float
        Peak position (degrees).
    beta_observed, beta_instrument : float or UFloat
        FWHM of the observed peak and of the instrument at that angle (degrees 2θ).
    wavelength : float
        Å.
    k : float
        Scherrer constant (0.9: spherical crystallites, FWHM-based).
    profile : {"lorentzian", "gaussian"}
        How the instrumental width is removed (see :func:`sample_broadening`).

    Returns
    -------
    float or UFloat
        Crystallite size in nm (a ``UFloat`` when a width is one).

    Raises
    ------
    ValueError
        ``profile`` is neither ``"lorentzian"`` nor ``"gaussian"``.
    """
    beta = sample_broadening(beta_observed, beta_instrument, profile=profile)
    theta = np.radians(two_theta / 2)
    rad = beta * np.pi / 180
    cos = umath.cos(theta) if isinstance(rad, uncertainties.UFloat) else np.cos(theta)
    return k * wavelength / (rad * cos) / 10


def williamson_hall(two_theta, beta, *, wavelength: float, k: float = 0.9):
    """Size (nm) and microstrain ε from several reflections.

    Parameters
    ----------
    two_theta : array_like
        Positions (degrees).
    beta : array_like of float or UFloat
        Sample broadening (degrees 2θ, instrument removed), one per position.
    wavelength : float
        Å.
    k : float
        Scherrer constant.

    Returns
    -------
    size : UFloat
        Crystallite size in nm.
    strain : UFloat
        Microstrain ε (dimensionless), correlated with ``size``. σ come from the weighted fit when
        every width carries an uncertainty, else from the scatter about an unweighted fit.
    """
    tt = np.asarray(two_theta, dtype=float)
    theta = np.radians(tt / 2)
    values = np.array([getattr(b, "n", b) for b in beta], dtype=float)
    errors = np.array([getattr(b, "s", 0.0) for b in beta], dtype=float)
    yv = np.radians(values) * np.cos(theta)
    ye = np.radians(errors) * np.cos(theta)
    a = np.column_stack([np.ones_like(theta), 4 * np.sin(theta)])
    if np.all(ye > 0):
        w = 1 / ye
        coef, *_ = np.linalg.lstsq(a * w[:, None], yv * w, rcond=None)
        cov = np.linalg.inv((a * w[:, None]).T @ (a * w[:, None]))
    else:
        coef, *_ = np.linalg.lstsq(a, yv, rcond=None)
        dof = max(len(yv) - 2, 1)
        resid = yv - a @ coef
        cov = np.linalg.inv(a.T @ a) * float(resid @ resid) / dof
    intercept, strain = uncertainties.correlated_values(coef, cov)
    size = k * wavelength / intercept / 10
    return size, strain
