"""Per-replicate metrics from one sample's fits, named ``<technique>:<region or phase>:<quantity>[:<component>]``.

Each metric of a replicate is an :class:`Observation`: value, standard error (from the fit's
covariance, correlations kept through :mod:`uncertainties`), unit and a note. A component removed
as absent (its area ended at zero, :mod:`spectra.comparison.fits`) has fraction 0 with σ NaN and the
note ``absent``. Metrics defined against the reference group (``li2s_growth``, ``retention``,
``index:decomposition``) are formed from group means in :mod:`spectra.comparison.statistics`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import uncertainties

from ..simulate import SI_OXIDES
from ..xps import quantify, referencing

#: the atomic ratios and the region of each element
RATIOS = {"Li/S": ("Li 1s", "S 2p"), "P/S": ("P 2p", "S 2p"), "Cl/S": ("Cl 2p", "S 2p")}
#: the default energy reference: the argyrodite PS4(3-) S 2p3/2 line (library centre)
DEFAULT_REFERENCE = "S 2p:PS4=161.6"
UNITS = {"fraction": "1", "centroid": "eV", "lithiated_fraction": "1", "oxide_fraction": "1", "atomic_ratio": "1",
         "scale": "1", "size": "nm", "weight_fraction": "1", "significance": "1", "area": "counts·degree",
         "retention": "1", "li2s_growth": "1", "decomposition": "1"}


@dataclass
class Observation:
    """One metric of one replicate.

    Attributes
    ----------
    value, stderr : float
        Value and standard error (NaN when the fit gives none).
    unit : str
    note : str
        ``absent``, a flag of the fit, or why the σ is missing (empty when none).
    """

    value: float
    stderr: float
    unit: str
    note: str = ""


def _obs(x, unit: str, note: str = "") -> Observation:
    if isinstance(x, uncertainties.UFloat):
        s = float(x.s)
        return Observation(float(x.n), s if math.isfinite(s) and s > 0 else math.nan, unit, note)
    return Observation(float(x), math.nan, unit, note)


def parse_reference(reference: str | None) -> tuple[str, str, float] | None:
    """``"S 2p:PS4=161.6"`` → (region, component, energy); None or ``"none"`` → None.

    ``"C 1s"`` is short for ``"C 1s:C_C=284.8"`` (adventitious carbon convention).
    """
    if reference is None or str(reference).lower() == "none":
        return None
    text = str(reference).strip()
    if text == "C 1s":
        text = "C 1s:C_C=284.8"
    try:
        where, energy = text.split("=")
        region, component = where.split(":")
        return region.strip(), component.strip(), float(energy)
    except ValueError:
        raise ValueError(f"energy reference {reference!r}: expected 'REGION:COMPONENT=EV', e.g. "
                         f"{DEFAULT_REFERENCE!r}, 'C 1s' or 'none'") from None


def energy_shift(fits: dict, reference: str | None):
    """The referencing shift of one replicate (:mod:`spectra.xps.referencing`), or the reason there is none.

    Returns
    -------
    (EnergyShift or None, str)
    """
    ref = parse_reference(reference)
    if ref is None:
        return referencing.EnergyShift(0.0, 0.0, "none (energies as measured)"), ""
    region, component, energy = ref
    fitted = fits.get(region)
    if fitted is None or fitted.result is None:
        return None, f"no {region} fit to reference the energy scale ({reference})"
    if component in fitted.absent or component not in fitted.result.centers():
        return None, f"{region} has no {component} line to reference the energy scale"
    result = fitted.result
    shift = (referencing.c1s_shift(result, component=component, reference=energy) if region == "C 1s"
             else referencing.internal_shift(result, component, energy))
    return shift, ""


def _fractions(fitted, components: list[str]) -> dict:
    fr = fitted.result.fractions()
    return {c: fr[c] if c in fr else 0.0 for c in components}


def replicate_metrics(fits: dict, recipes: dict, *, reference: str | None = DEFAULT_REFERENCE,
                      excitation: str = "al_ka", referenced=()) -> tuple[dict[str, Observation], dict[str, str],
                                                                       dict]:
    """Every metric one replicate's fits give.

    Parameters
    ----------
    fits : dict
        Key (region or ``"xrd"``) → :class:`~spectra.comparison.fits.Fitted`.
    recipes : dict
        Key → the recipe the key was fitted with (before absent components were removed).
    reference : str or None
        Energy reference (see :func:`parse_reference`).
    excitation : str
        For quantification (``al_ka`` or ``mg_ka``).
    referenced : collection of str
        Regions whose spectra were put on the referenced scale before fitting (only the shift's σ
        is added to their energies).

    Returns
    -------
    observations : dict
        Metric → :class:`Observation`.
    missing : dict
        Metric → why this replicate does not have it.
    info : dict
        ``energy_reference`` (how the scale was set) and ``energy_shift`` (eV).
    """
    out, missing, info = {}, {}, {}
    ok = {k: f for k, f in fits.items() if f.result is not None}

    def absent_note(fitted, comps):
        return "absent: " + ", ".join(c for c in comps if c in fitted.absent) if any(
            c in fitted.absent for c in comps) else ""

    def flag(fitted):
        return f"fit flagged: {fitted.result.flags}" if fitted.result.flags else ""

    for region in ("S 2p", "Li 1s"):
        if region in ok:
            f = ok[region]
            for comp, x in _fractions(f, recipes[region]["components"]).items():
                out[f"xps:{region}:fraction:{comp}"] = _obs(x, "1", "absent" if comp in f.absent else flag(f))
    shift, why = energy_shift(ok, reference)
    info["energy_reference"] = shift.method if shift else why
    info["energy_shift"] = float(shift.shift) if shift else math.nan
    if "Li 1s" in ok:
        f = ok["Li 1s"]
        if shift is None:
            missing["xps:Li 1s:centroid"] = why
        else:
            areas, centres = f.result.areas(), f.result.centers()
            total = sum(areas.values())
            centroid = sum(areas[c] * centres[c] for c in areas) / total
            err = shift.stderr if math.isfinite(shift.stderr) else 0.0
            s = uncertainties.ufloat(0.0 if "Li 1s" in referenced else shift.shift, err) if err > 0 else (
                0.0 if "Li 1s" in referenced else shift.shift)
            out["xps:Li 1s:centroid"] = _obs(centroid + s, "eV", flag(f))
    if "Si 2p" in ok:
        f = ok["Si 2p"]
        fr = _fractions(f, recipes["Si 2p"]["components"])
        si = fr.get("Si0", 0.0) + fr.get("LixSi", 0.0)
        lith = fr.get("LixSi", 0.0) / si if not (isinstance(si, float) and si == 0.0) else math.nan
        out["xps:Si 2p:lithiated_fraction"] = _obs(lith, "1", absent_note(f, ["LixSi"]) or flag(f))
        oxides = [c for c in fr if c in SI_OXIDES]
        out["xps:Si 2p:oxide_fraction"] = _obs(sum(fr[c] for c in oxides), "1", absent_note(f, oxides) or flag(f))
    for name, (line, s_line) in RATIOS.items():
        if line in ok and s_line in ok:
            areas = {k: (k, sum(ok[k].result.areas().values())) for k in (line, s_line)}
            rows = {r.name: r.atomic_percent for r in quantify.quantify(areas, excitation=excitation)}
            out[f"xps:atomic_ratio:{name}"] = _obs(rows[line] / rows[s_line], "1")
        elif line in recipes or s_line in recipes:
            missing[f"xps:atomic_ratio:{name}"] = f"needs both {line} and {s_line}"
    if "xrd" in ok:
        f = ok["xrd"]
        r = f.result
        for phase in recipes["xrd"].get("phases", []):
            if phase in f.absent:
                out[f"xrd:{phase}:scale"] = Observation(0.0, math.nan, "1", "absent")
            else:
                out[f"xrd:{phase}:scale"] = _obs(r.uvalue(f"{phase}_scale"), "1", flag(f))
        if "Li2S" in recipes["xrd"].get("phases", []):
            if "Li2S" in f.absent:
                out["xrd:Li2S:weight_fraction"] = Observation(0.0, math.nan, "1", "absent")
                out["xrd:Li2S:significance"] = Observation(0.0, 1.0, "1", "absent")
            else:
                out["xrd:Li2S:size"] = _obs(r.size("Li2S"), "nm", flag(f))
                out["xrd:Li2S:weight_fraction"] = _obs(r.weight_fractions()["Li2S"], "1", flag(f))
                sig = r.significance("Li2S")
                out["xrd:Li2S:significance"] = Observation(sig, 1.0 if math.isfinite(sig) else math.nan, "1",
                                                           "σ of a z-score is 1")
        for hump in recipes["xrd"].get("humps", []):
            name = hump["name"]
            metric = f"xrd:hump:{name}:area"
            out[metric] = (Observation(0.0, math.nan, "counts·degree", "absent") if name in f.absent
                           else _obs(r.uvalue(f"{name}_area"), "counts·degree", flag(f)))
    for key, f in fits.items():
        if f.result is None:
            missing[f"({key})"] = f.error
    return out, missing, info
