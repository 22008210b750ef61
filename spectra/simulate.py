"""Synthetic spectra with known truth, for tests, tutorials and recovery studies.

:func:`xps` builds a region from core-level library species: doublets (or singlets) with the chosen
line shape, a Shirley-type background generated from the peaks themselves
(``constant + k·∫ peaks``, the form an active-Shirley fit assumes), Poisson counting noise at a chosen
count level and an optional charge shift. It returns the spectrum and the truth.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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
    slope: float = 0.0               # linear background term, counts/eV times (E - E_low)


def xps(region: str, fractions: dict[str, float], *, peak_counts: float = 1e4, lineshape: str = "GL(30)",
        step: float = 0.05, window: tuple[float, float] | None = None, centers: dict[str, float] | None = None,
        fwhm: dict[str, float] | None = None, background: float = 0.1, shirley_step: float = 0.3,
        charge_shift: float = 0.0, seed: int | None = None, noise: bool = True, area: float | None = None,
        slope: float = 0.0, sample: str = "synthetic") -> tuple[xr.DataArray, XPSTruth]:
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
    area : float, optional
        Summed area of the components (counts·eV, both doublet lines); when given it sets the
        intensity instead of ``peak_counts`` (``background`` and ``shirley_step`` stay fractions of
        the resulting envelope height).
    slope : float
        A linear background term ``slope · (E − E_low)`` (counts/eV), as a neighbouring line's tail
        or a secondary-electron slope adds; the fitted ``bg_linear`` of a recipe with
        ``background = {..., linear = true}`` is the same term.
    sample : str
        The spectrum's ``sample`` attribute.

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
    scale = peak_counts / envelope.max() if area is None else float(area)
    peaks = scale * envelope
    height = float(peaks.max())
    cumulative = backgrounds.cumulative_peak_integral(x, peaks)
    k = shirley_step * height / cumulative.max()
    constant = background * height
    expected = constant + k * cumulative + peaks + slope * (x - x.min())
    rng = np.random.default_rng(seed)
    counts = rng.poisson(expected).astype(float) if noise else expected.copy()
    areas = {n: scale * fr[n] for n in fr}
    truth = XPSTruth(reg.name, cen, wid, areas, fr, constant, k, charge_shift, lineshape, expected, slope)
    da = xps_spectrum(x, counts, energy_axis="binding", excitation_energy=1486.6, units="counts", region=reg.name,
                      sample=sample, dwell_time=1.0, n_scans=1, source="spectra.simulate.xps",
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


# ----------------------------------------------------------------------------------------------------------------
# A comparison study: groups of samples, each an XPS file (several regions) and an XRD pattern
# ----------------------------------------------------------------------------------------------------------------

#: the element whose atoms a region counts (for region areas proportional to composition)
REGION_ELEMENT = {"S 2p": "S", "Li 1s": "Li", "Si 2p": "Si", "Cl 2p": "Cl", "P 2p": "P", "C 1s": "C"}
#: Si 2p components counted as oxide in ``xps:Si 2p:oxide_fraction``
SI_OXIDES = ("Si_suboxide", "SiO2", "Li_silicate")
#: XPS line positions of the study that differ from the library defaults (eV, 2p3/2 or 1s): the argyrodite
#: and Li2S Li 1s lines 0.65 eV apart (the study's Li 1s moves to lower BE with Li2S, ≈55.6 eV and below)
STUDY_CENTERS = {"Li 1s": {"Li6PS5Cl": 55.9, "Li2S": 55.25}}


@dataclass(frozen=True)
class Condition:
    """The truth of one group of a comparison study (every replicate shares it).

    Attributes
    ----------
    label : str
        Group label (folder name of the bundled study).
    description : str
        What the samples are.
    xps : dict
        Region → component → fraction of the region's component area.
    composition : dict
        Element → relative number of atoms in the probed surface; region areas are proportional to
        atoms × sensitivity (Scofield σ × TPP-2M λ × KE^-0.5, :mod:`spectra.xps.quantify`).
    phases : dict
        XRD phase → ``{"scale", "size"}`` (see :func:`xrd`).
    humps : dict
        Amorphous hump name → ``{"center", "fwhm", "area"}`` (degrees, degrees, counts·degree).
    amorphous : dict
        Amorphous reference (``carbon_black``) → area.
    charge : (float, float)
        Range of the per-replicate charge shift (eV), drawn uniformly.
    """

    label: str
    description: str
    xps: dict
    composition: dict
    phases: dict
    humps: dict = field(default_factory=dict)
    amorphous: dict = field(default_factory=dict)
    charge: tuple = (0.0, 0.5)


def study_design(decomposition: float = 1.0, *, carbon_free_decomposition: float | None = None) -> dict:
    """The three groups of the Si | Li6PS5Cl study, with a chosen extent of decomposition.

    Modelled on the study's observations (``../shared/REFERENCE.md``): with 20 wt% carbon the
    argyrodite reflections fade and broad nanocrystalline Li2S appears, S 2p Li2S grows and PS4(3-)
    falls, Li 1s moves to the Li2S line, Si is left unreacted; without carbon the argyrodite stays,
    an amorphous Li–Si hump appears near 20° 2θ and a LixSi component in Si 2p, with smaller
    Li2S growth. Pristine argyrodite already shows a Li2S-like S 2p signal (one free S²⁻ of five S).

    Parameters
    ----------
    decomposition : float
        0 (nothing happens: every group equals pristine) to 1 (the study's extent) for the
        carbon-containing group.
    carbon_free_decomposition : float, optional
        The same for the carbon-free group; by default ``decomposition``.

    Returns
    -------
    dict
        Label → :class:`Condition` for ``pristine``, ``lithiated_carbon_free``, ``lithiated_carbon``.
    """
    c = float(decomposition)
    f = c if carbon_free_decomposition is None else float(carbon_free_decomposition)

    def mix(a: dict, b: dict, t: float) -> dict:
        keys = list(dict.fromkeys([*a, *b]))
        out = {k: (1 - t) * a.get(k, 0.0) + t * b.get(k, 0.0) for k in keys}
        return {k: v for k, v in out.items() if v > 1e-9}

    pristine_xps = {"S 2p": {"PS4": 0.78, "Li2S": 0.17, "P2Sx": 0.05},
                    "Li 1s": {"Li6PS5Cl": 1.0},
                    "Si 2p": {"Si0": 0.55, "SiO2": 0.45},
                    "Cl 2p": {"argyrodite": 1.0},
                    "P 2p": {"PS4": 0.92, "P2Sx": 0.08},
                    "C 1s": {"C_C": 0.75, "C_O": 0.15, "C_dO": 0.10}}
    carbon_free_end = {"S 2p": {"PS4": 0.62, "Li2S": 0.31, "P2Sx": 0.07},
                       "Li 1s": {"Li6PS5Cl": 0.7, "Li2S": 0.3},
                       "Si 2p": {"Si0": 0.35, "SiO2": 0.30, "LixSi": 0.35},
                       "P 2p": {"PS4": 0.88, "P2Sx": 0.12}}
    carbon_end = {"S 2p": {"PS4": 0.25, "Li2S": 0.60, "P2Sx": 0.15},
                  "Li 1s": {"Li6PS5Cl": 0.2, "Li2S": 0.8},
                  "P 2p": {"PS4": 0.70, "P2Sx": 0.30},
                  "C 1s": {"C_sp2": 0.55, "C_C": 0.30, "C_O": 0.09, "C_dO": 0.06}}
    pristine_comp = {"Li": 6.0, "P": 1.0, "S": 5.0, "Cl": 1.0, "Si": 2.0, "C": 3.0}
    pristine_phases = {"Li6PS5Cl": {"scale": 6.0, "size": 80.0}, "Si": {"scale": 3.0, "size": 120.0}}
    groups = {"pristine": Condition("pristine", "pristine Si-SSE (no cycling)", pristine_xps, pristine_comp,
                                    pristine_phases, charge=(0.2, 0.8))}
    groups["lithiated_carbon_free"] = Condition(
        "lithiated_carbon_free", "lithiated Si-SSE, carbon-free",
        {r: mix(pristine_xps[r], carbon_free_end.get(r, pristine_xps[r]), f) for r in pristine_xps},
        {**pristine_comp, "Li": 6.0 + 1.5 * f, "Si": 2.0 - 0.4 * f},
        {"Li6PS5Cl": {"scale": 6.0 * (1 - 0.12 * f), "size": 80.0},
         "Si": {"scale": 3.0 * (1 - 0.2 * f), "size": 120.0}},
        humps={"LiSi": {"center": 20.0, "fwhm": 6.0, "area": 2500.0 * f}} if f > 0 else {},
        charge=(0.5, 1.5))
    groups["lithiated_carbon"] = Condition(
        "lithiated_carbon", "lithiated Si-SSE with 20 wt% carbon",
        {r: mix(pristine_xps[r], carbon_end.get(r, pristine_xps[r]), c) for r in pristine_xps},
        {**pristine_comp, "Li": 6.0 + 2.0 * c, "C": 3.0 + 5.0 * c, "Si": 2.0 - 0.8 * c},
        {"Li6PS5Cl": {"scale": 6.0 * (1 - 0.75 * c), "size": 80.0}, "Si": {"scale": 3.0, "size": 120.0},
         **({"Li2S": {"scale": 12.0 * c, "size": 6.0}} if c > 0 else {})},
        amorphous={"carbon_black": 1500.0 * c} if c > 0 else {},
        charge=(0.0, 0.4))
    return groups


def study_sample(condition: Condition, *, seed: int, sample: str = "sample", s2p_peak_counts: float = 3e4,
                 two_theta: tuple[float, float] = (15.0, 60.0), step: float = 0.02,
                 xrd_background: tuple[float, ...] = (900.0, -250.0, 80.0)) -> tuple[list, xr.DataArray, dict]:
    """One replicate of a study group: its XPS regions and its XRD pattern, with Poisson noise.

    Every region of the replicate carries the same charge shift (drawn from ``condition.charge``)
    and its own background slope (−5 % to +11 % of the baseline across the window, as real regions
    show). Region areas follow the composition: area ∝ atoms × sensitivity, scaled so that the
    S 2p envelope peaks near ``s2p_peak_counts``.

    Parameters
    ----------
    condition : Condition
        The group's truth.
    seed : int
        Seed of everything random (charge, slopes, intensity, noise).
    sample : str
        Sample name written into the spectra.
    s2p_peak_counts : float
        Approximate S 2p peak height (counts).
    two_theta : (float, float)
        XRD range (degrees).
    step : float
        XRD step (degrees).
    xrd_background : tuple
        Chebyshev background coefficients of the pattern (counts).

    Returns
    -------
    regions : list of xarray.DataArray
        One per region of ``condition.xps``.
    pattern : xarray.DataArray
        The Cu Kα pattern.
    info : dict
        ``charge_shift`` (eV), ``slopes`` (region → counts/eV) and ``intensity`` (counts·eV per
        atom per unit sensitivity).
    """
    from .xps.quantify import quantify

    rng = np.random.default_rng(seed)
    charge = float(rng.uniform(*condition.charge))
    lines = {r: (r, 1.0) for r in condition.xps}
    sensitivity = {row.name: row.sensitivity for row in quantify(lines)}
    s_area = condition.composition["S"] * sensitivity["S 2p"]
    intensity = s2p_peak_counts * 1.5 / s_area * float(rng.uniform(0.9, 1.1))
    regions, slopes = [], {}
    for k, (region, fractions) in enumerate(condition.xps.items()):
        area = intensity * condition.composition[REGION_ELEMENT[region]] * sensitivity[region]
        probe, _ = xps(region, fractions, area=area, centers=STUDY_CENTERS.get(region), noise=False)
        height = float(np.ptp(probe.values))
        baseline = 0.4 * height
        lo, hi = library.region(region).window
        slope = float(rng.uniform(-0.05, 0.11)) * baseline / (hi - lo)
        da, _ = xps(region, fractions, area=area, centers=STUDY_CENTERS.get(region), background=0.4, slope=slope,
                    charge_shift=charge, seed=int(rng.integers(2**31)), sample=sample)
        regions.append(da)
        slopes[region] = slope
    pattern, _ = xrd(condition.phases, two_theta=two_theta, step=step, background=xrd_background,
                     humps=[{"name": n, **h} for n, h in condition.humps.items()] or None,
                     amorphous=condition.amorphous or None, seed=int(rng.integers(2**31)))
    pattern.attrs["sample"] = sample
    return regions, pattern, {"charge_shift": charge, "slopes": slopes, "intensity": intensity}


def study_truth(design: dict, reference: str) -> dict:
    """The metrics of :mod:`spectra.comparison` as the truth of a study design says them.

    Parameters
    ----------
    design : dict
        Label → :class:`Condition` (e.g. :func:`study_design`).
    reference : str
        The reference group's label.

    Returns
    -------
    dict
        Label → metric name → true value (units as the comparison reports them). Statistics without
        a true value (``xrd:Li2S:significance``) are left out; components absent from a group have
        fraction 0.
    """
    from .xrd.structure import load_structure

    ref = design[reference]
    species = {r: list(dict.fromkeys(s for c in design.values() for s in c.xps.get(r, {}))) for r in ref.xps}
    out = {}
    for label, cond in design.items():
        t = {}
        fr = {r: {s: v / sum(f.values()) for s, v in f.items()} for r, f in cond.xps.items()}
        ref_fr = {r: {s: v / sum(f.values()) for s, v in f.items()} for r, f in ref.xps.items()}
        for region in ("S 2p", "Li 1s"):
            for s in species.get(region, []):
                t[f"xps:{region}:fraction:{s}"] = fr[region].get(s, 0.0)
        if "S 2p" in fr:
            growth = fr["S 2p"].get("Li2S", 0.0) - ref_fr["S 2p"].get("Li2S", 0.0)
            t["xps:S 2p:li2s_growth"] = growth
        if "Li 1s" in fr:
            centers = {s: STUDY_CENTERS.get("Li 1s", {}).get(s, library.region("Li 1s").species[s].center)
                       for s in fr["Li 1s"]}
            t["xps:Li 1s:centroid"] = sum(fr["Li 1s"][s] * centers[s] for s in fr["Li 1s"])
        if "Si 2p" in fr:
            si = fr["Si 2p"]
            t["xps:Si 2p:lithiated_fraction"] = si.get("LixSi", 0.0) / (si.get("Si0", 0.0) + si.get("LixSi", 0.0))
            t["xps:Si 2p:oxide_fraction"] = sum(si.get(s, 0.0) for s in SI_OXIDES)
        for element in ("Li", "P", "Cl"):
            region = next((r for r, e in REGION_ELEMENT.items() if e == element), None)
            if region in cond.xps and "S 2p" in cond.xps:
                t[f"xps:atomic_ratio:{element}/S"] = cond.composition[element] / cond.composition["S"]
        for phase, p in ref.phases.items():
            t[f"xrd:{phase}:retention"] = cond.phases.get(phase, {}).get("scale", 0.0) / p["scale"]
        terms = {}
        for phase, p in cond.phases.items():
            s = load_structure(phase)
            terms[phase] = p["scale"] * s.z * s.formula_mass * s.volume
        if "Li2S" in cond.phases:
            t["xrd:Li2S:size"] = cond.phases["Li2S"]["size"]
        t["xrd:Li2S:weight_fraction"] = terms.get("Li2S", 0.0) / sum(terms.values())
        for name in dict.fromkeys(n for c in design.values() for n in c.humps):
            t[f"xrd:hump:{name}:area"] = cond.humps.get(name, {}).get("area", 0.0)
        ref_li2s = ref_fr["S 2p"].get("Li2S", 0.0)
        xps_part = (fr["S 2p"].get("Li2S", 0.0) - ref_li2s) / (1 - ref_li2s)
        xrd_part = 1.0 - t["xrd:Li6PS5Cl:retention"]
        t["index:decomposition"] = 0.5 * (xps_part + xrd_part)
        out[label] = t
    return out
