"""Line shapes of the independent forward calculations used by tests and benchmarks: written here in
plain numpy and scipy, never taken from :mod:`spectra.lineshapes`, so that a fit of data made with
them checks the package's shapes instead of repeating them."""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize


def _gl30_unit(u):
    """The CasaXPS GL(30) product exp(−4 ln2 (1 − m) u²) / (1 + 4 m u²), m = 0.3, at unit width
    parameter and unit height."""
    return np.exp(-4 * math.log(2) * 0.7 * u * u) / (1 + 4 * 0.3 * u * u)


#: half width at half maximum and area of the unit GL(30), found numerically
_HALF = optimize.brentq(lambda u: _gl30_unit(u) - 0.5, 0.0, 1.0)
_AREA = 2 * integrate.quad(_gl30_unit, 0.0, np.inf)[0]


def gl30(x, center, fwhm, area):
    """GL(30) with exact FWHM and area (arrays broadcast).

    Parameters
    ----------
    x : array_like
        Energies (eV).
    center, fwhm, area : float or array_like
        Centre (eV), full width at half maximum (eV) and area (counts·eV).

    Returns
    -------
    ndarray
    """
    scale = np.asarray(fwhm) / (2 * _HALF)
    return area / (_AREA * scale) * _gl30_unit((np.asarray(x) - center) / scale)
