"""Synthetic spectra with known truth, for tests, tutorials and recovery studies.

:func:`xps` builds a region from core-level library species: doublets (or singlets) with the chosen
line shape, a Shirley-type background generated from the peaks themselves
(``constant + k·∫ peaks``, the form an active-Shirley fit assumes), Poisson counting noise at a chosen
count level and an optional charge shift. It returns the spectrum and the truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from . import backgrounds, lineshapes
from .dataarray import xps_spectrum
from .xps import library


@dataclass
class XPSTruth:
    """What :func:`xps` put into a spectrum.

    Attributes
    ----------
    region : str
        Library region name.
    centers : dict of str to float
        Major-line centre of each component (eV, charge shift included).
    fwhm : dict of str to float
        FWHM of each component (eV).
    areas : dict of str to float
        Total area of each component (both doublet lines), counts·eV.
    fractions : dict of str to float
        Normalised component fractions.
    background_constant : float
        Constant background (counts).
    background_k : float
        Shirley factor: the background is ``constant + k·∫ peaks``.
    charge_shift : float
        Shift added to every centre (eV).
    lineshape : str
        Line shape of every component.
    expected : numpy.ndarray
        Noise-free counts, shape ``(n,)``.
    """

    region: str
    centers: dict[str, float]
    fwhm: dict[str, float]
    areas: dict[str, float]          # total area of each component (both doublet lines), counts·eV
    fractions: dict[str, float]
    background_constant: float
    background_k: float
    charge_shift: float
    lineshape: str
    expected: np.ndarray             # noise-free counts


def xps(region: str, fractions: dict[str, float], *, peak_counts: float = 1e4, lineshape: str = "GL(30)",
        step: float = 0.05, window: tuple[float, float] | None = None, centers: dict[str, float] | None = None,
        fwhm: dict[str, float] | None = None, background: float = 0.1, shirley_step: float = 0.3,
        charge_shift: float = 0.0, seed: int | None = None, noise: bool = True) -> tuple[xr.DataArray, XPSTruth]:
    """A synthetic XPS region with Poisson noise and its truth.

    Parameters
    ----------
    region : str
        Library region (``"S 2p"``, ``"Li 1s"``, ``"Si 2p"``, ...).
    fractions : dict
        Component name → fraction of the summed component area (normalised to 1).
    peak_counts : float
        Height (counts) of the tallest point of the peak envelope above the background.
    lineshape : str
        Line shape for every component (``"GL(30)"``, ``"voigt"``, ...).
    step : float
        Energy step (eV); the axis runs from high to low binding energy, as instruments record it.
    window : (float, float), optional
        Energy range; the library window by default.
    centers, fwhm : dict, optional
        Override the library's centres / FWHM (eV) per component.
    background : float
        Constant background at the low-BE end as a fraction of ``peak_counts``.
    shirley_step : float
        Shirley step height at the high-BE end as a fraction of ``peak_counts``.
    charge_shift : float
        Added to every centre (eV), e.g. differential charging.
    seed : int, optional
        Seed of the Poisson noise.
    noise : bool
        False returns the noise-free expectation.

    Returns
    -------
    spectrum : xarray.DataArray
        Dim ``binding_energy`` (eV, descending), units ``counts``, excitation energy 1486.6 eV.
    truth : XPSTruth
        What went into it.

    Raises
    ------
    spectra.errors.RecipeError
        ``region`` is not in the core-level library.
    """
    reg = library.region(region)
    lo, hi = window or reg.window
    x = np.round(np.arange(hi, lo - step / 2, -step), 10)
    shape, shape_values = lineshapes.parse(lineshape)
    total = sum(fractions.values())
    fr = {k: v / total for k, v in fractions.items()}
    cen = {k: (centers or {}).get(k, reg.species[k].center) + charge_shift for k in fr}
    wid = {k: (fwhm or {}).get(k, reg.species[k].fwhm) for k in fr}
    unit_peaks = {}
    for name in fr:
        curve = shape.function(x, cen[name], wid[name], 1.0, **shape_values)
        if reg.doublet is not None:
            curve = curve + shape.function(x, cen[name] + reg.doublet.splitting, wid[name], reg.doublet.ratio,
                                           **shape_values)
            curve = curve / (1.0 + reg.doublet.ratio)
        unit_peaks[name] = curve
    envelope = sum(fr[n] * unit_peaks[n] for n in fr)
    scale = peak_counts / envelope.max()
    peaks = scale * envelope
    cumulative = backgrounds.cumulative_peak_integral(x, peaks)
    k = shirley_step * peak_counts / cumulative.max()
    constant = background * peak_counts
    expected = constant + k * cumulative + peaks
    rng = np.random.default_rng(seed)
    counts = rng.poisson(expected).astype(float) if noise else expected.copy()
    areas = {n: scale * fr[n] for n in fr}
    truth = XPSTruth(reg.name, cen, wid, areas, fr, constant, k, charge_shift, lineshape, expected)
    da = xps_spectrum(x, counts, energy_axis="binding", excitation_energy=1486.6, units="counts", region=reg.name,
                      sample="synthetic", dwell_time=1.0, n_scans=1, source="spectra.simulate.xps",
                      metadata={"truth_fractions": fr, "truth_centers": cen, "seed": seed})
    return da, truth


@dataclass
class XRDTruth:
    """What :func:`xrd` put into a pattern: every model parameter and the noise-free counts.

    Attributes
    ----------
    params : dict of str to float
        Every model parameter (see :mod:`spectra.xrd.pattern_model`).
    recipe : dict
        The XRD recipe of the model.
    expected : numpy.ndarray
        Noise-free counts, shape ``(n,)``.
    """

    params: dict[str, float]
    recipe: dict
    expected: np.ndarray


def xrd(phases: dict[str, dict], *, two_theta: tuple[float, float] = (15.0, 60.0), step: float = 0.02,
        anode: str = "Cu", humps: list[dict] | None = None, amorphous: dict[str, float] | None = None,
        displacement: float = 0.0, background: tuple[float, ...] = (200.0, -20.0, 10.0),
        instrument: dict[str, float] | None = None, seed: int | None = None, noise: bool = True
        ) -> tuple[xr.DataArray, XRDTruth]:
    """A synthetic powder pattern from reference phases, and its truth.

    Parameters
    ----------
    phases : dict
        Phase name → ``{"scale": s, "size": nm, "a": Å (optional), "c": Å (optional)}``; the scale
        multiplies the per-cell intensities m|F|²LP/V² (see :mod:`spectra.xrd.pattern_model`).
    two_theta : (float, float)
        First and last 2θ (degrees).
    step : float
        2θ step (degrees).
    anode : str
        Lab anode; Kα2 at 0.5 of Kα1.
    humps : list of dict
        Broad components ``{"name", "center", "fwhm", "area"}`` (e.g. amorphous Li–Si near 20°).
    amorphous : dict
        Amorphous references (``"carbon_black"``) → area of their first band.
    displacement : float
        Specimen displacement (µm).
    background : tuple
        Chebyshev coefficients (counts) over the range.
    instrument : dict
        Caglioti ``u, v, w`` and ``x, y``; typical lab values by default.
    seed : int, optional
        Seed of the Poisson noise.
    noise : bool
        False returns the noise-free expectation.

    Returns
    -------
    pattern : xarray.DataArray
        Dim ``two_theta`` (degrees, ascending), units ``counts``, with the anode's wavelengths.
    truth : XRDTruth
        What went into it.

    Raises
    ------
    spectra.errors.RecipeError
        A phase or amorphous reference is not in ``reference_patterns`` (or is of the wrong kind).
    """
    from .xrd.pattern_model import XRDModel
    from .xrd.recipe import DEFAULT_INSTRUMENT, parse_xrd_recipe

    inst = {**DEFAULT_INSTRUMENT, **(instrument or {})}
    recipe = {"technique": "xrd", "anode": anode, "phases": list(phases), "instrument": inst,
              "background": {"kind": "chebyshev", "order": len(background) - 1},
              "humps": [{"name": h["name"], "center": h["center"], "fwhm": h["fwhm"]} for h in humps or []],
              "amorphous": list(amorphous or {})}
    spec = parse_xrd_recipe(recipe)
    x = np.round(np.arange(two_theta[0], two_theta[1] + step / 2, step), 10)
    model = XRDModel(spec, x, np.ones_like(x))
    p = model.defaults()
    for name, values in phases.items():
        p[f"{name}_scale"] = values["scale"]
        p[f"{name}_size"] = values.get("size", 100.0)
        for key in ("a", "c"):
            if key in values:
                p[f"{name}_{key}"] = values[key]
    for h in humps or []:
        p[f"{h['name']}_center"], p[f"{h['name']}_fwhm"], p[f"{h['name']}_area"] = h["center"], h["fwhm"], h["area"]
    for name, area in (amorphous or {}).items():
        p[f"{name}_area"] = area
    p["displacement"] = displacement
    for k, c in enumerate(background):
        p[f"bg_c{k}"] = c
    expected, _, _ = model.evaluate(p)
    rng = np.random.default_rng(seed)
    counts = rng.poisson(np.clip(expected, 0, None)).astype(float) if noise else expected.copy()
    from .dataarray import xrd_pattern
    from .xrd.wavelengths import ANODES

    r = ANODES[anode]
    da = xrd_pattern(x, counts, units="counts", anode=anode, wavelength_ka1=r.ka1, wavelength_ka2=r.ka2,
                     ka2_ratio=r.ka2_ratio, counting_time=1.0, source="spectra.simulate.xrd",
                     metadata={"truth": {k: float(v) for k, v in p.items()}, "seed": seed})
    return da, XRDTruth(dict(p), recipe, expected)
