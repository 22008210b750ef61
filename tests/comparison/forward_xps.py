"""An XPS forward calculation in plain numpy for the comparison recovery tests, independent of
``spectra.simulate`` and of the core-level library file: line positions, widths and spin-orbit
splittings are written out here (values of ``../shared/REFERENCE.md``), the CasaXPS GL(30) product
line shape is coded from its definition and normalised numerically, the background is
``constant + k·∫ peaks`` (the active-Shirley form) plus a linear slope, and the noise is Poisson.
Region areas follow the composition: atoms × sensitivity (the sensitivities are the convention under
test elsewhere, so they are taken from ``spectra.xps.quantify``).
"""
from __future__ import annotations

import math

import numpy as np

from spectra.dataarray import xps_spectrum
from spectra.xps.quantify import quantify

#: region → (window, doublet splitting or None, {species: (centre eV, FWHM eV)})
LINES = {
    "S 2p": ((155.0, 172.0), 1.18, {"PS4": (161.6, 1.1), "Li2S": (160.0, 1.2), "P2Sx": (162.9, 1.3)}),
    "Li 1s": ((50.0, 61.0), None, {"Li6PS5Cl": (55.9, 1.5), "Li2S": (55.25, 1.5)}),
    "Si 2p": ((94.0, 107.0), 0.61, {"Si0": (99.4, 0.7), "SiO2": (103.45, 1.7), "LixSi": (97.5, 1.5)}),
    "P 2p": ((124.0, 138.0), 0.87, {"PS4": (132.1, 1.1), "P2Sx": (133.2, 1.3)}),
    "Cl 2p": ((194.0, 205.0), 1.60, {"argyrodite": (198.7, 1.2)}),
}
ELEMENT = {"S 2p": "S", "Li 1s": "Li", "Si 2p": "Si", "P 2p": "P", "Cl 2p": "Cl"}


def gl30(x, centre, fwhm):
    """CasaXPS GL(30): exp(−4 ln2 (1 − m) u²) / (1 + 4 m u²), u = (x − centre)/FWHM, m = 0.3; unit area."""
    def shape(t):
        u = (t - centre) / fwhm
        return np.exp(-4 * math.log(2) * 0.7 * u**2) / (1 + 4 * 0.3 * u**2)

    fine = np.linspace(centre - 20 * fwhm, centre + 20 * fwhm, 40001)
    return shape(x) / np.trapezoid(shape(fine), fine)


def region(name: str, fractions: dict, area: float, *, charge: float, slope_fraction: float, rng,
           step: float = 0.05):
    """One region on a descending BE axis with Poisson noise."""
    (lo, hi), split, species = LINES[name]
    x = np.round(np.arange(hi, lo - step / 2, -step), 10)
    total = sum(fractions.values())
    peaks = np.zeros_like(x)
    for s, f in fractions.items():
        c, w = species[s]
        line = gl30(x, c + charge, w)
        if split is not None:
            line = (line + 0.5 * gl30(x, c + charge + split, w)) / 1.5
        peaks += area * f / total * line
    height = float(peaks.max())
    asc = np.argsort(x)
    cumulative = np.empty_like(x)
    xa, pa = x[asc], peaks[asc]
    cumulative[asc] = np.concatenate([[0.0], np.cumsum(0.5 * (pa[1:] + pa[:-1]) * np.diff(xa))])
    baseline = 0.4 * height
    expected = baseline + 0.3 * height * cumulative / cumulative.max() + peaks
    expected += slope_fraction * baseline / (hi - lo) * (x - lo)
    counts = rng.poisson(expected).astype(float)
    return xps_spectrum(x, counts, energy_axis="binding", excitation_energy=1486.6, units="counts", region=name,
                        dwell_time=1.0, n_scans=1)


def sample(condition, seed: int, *, s2p_area: float = 4e4):
    """Every region of one replicate of a :class:`spectra.simulate.Condition` (its fractions and
    composition), one charge shift for all, a slope per region."""
    rng = np.random.default_rng(seed)
    charge = float(rng.uniform(*condition.charge))
    regions = [r for r in LINES if r in condition.xps]
    sens = {row.name: row.sensitivity for row in quantify({r: (r, 1.0) for r in regions})}
    k = s2p_area / (condition.composition["S"] * sens["S 2p"])
    out = []
    for r in regions:
        area = k * condition.composition[ELEMENT[r]] * sens[r]
        da = region(r, condition.xps[r], area, charge=charge, slope_fraction=float(rng.uniform(-0.05, 0.11)), rng=rng)
        da.attrs["sample"] = f"seed{seed}"
        out.append(da)
    return out
