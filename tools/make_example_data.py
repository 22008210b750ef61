"""Regenerate the synthetic example files in spectra/data (seeded, so the output is reproducible).

Run: python tools/make_example_data.py
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from spectra.dataarray import xps_spectrum, xrd_pattern
from spectra.io.write import write_columns, write_vamas

OUT = Path(__file__).resolve().parents[1] / "spectra" / "data"
RNG = np.random.default_rng(20261123)


def gl_peak(x, center, fwhm, area, mix=0.3):
    """Gaussian-Lorentzian sum peak with the given area (for the examples only)."""
    sigma = fwhm / (2 * np.sqrt(2 * np.log(2)))
    gauss = np.exp(-0.5 * ((x - center) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))
    lorentz = (fwhm / (2 * np.pi)) / ((x - center) ** 2 + (fwhm / 2) ** 2)
    return area * ((1 - mix) * gauss + mix * lorentz)


def s2p_example():
    be = np.round(np.arange(172.0, 155.0 - 1e-9, -0.05), 4)
    truth = {"PS4": (161.70, 1.10, 30000.0), "Li2S": (160.00, 1.30, 22000.0)}
    peaks = np.zeros_like(be)
    for center, fwhm, area in truth.values():
        peaks += gl_peak(be, center, fwhm, area) + gl_peak(be, center + 1.18, fwhm, area / 2)
    # Shirley-type step: proportional to the peak area at lower binding energy
    order = np.argsort(be)
    step = np.empty_like(be)
    step[order] = np.cumsum(peaks[order]) / peaks.sum()
    expected = 400.0 + 250.0 * step + peaks
    counts = RNG.poisson(expected).astype(float)
    meta = {"truth": {k: {"center_2p3/2_eV": c, "fwhm_eV": w, "area_2p3/2_counts_eV": a} for k, (c, w,
                                                                                                 a) in truth.items()},
            "note": "synthetic: GL(30) doublets, 1.18 eV splitting, 2:1 areas, Shirley-type step, Poisson noise"}
    da = xps_spectrum(be, counts, energy_axis="binding", excitation_energy=1486.6, units="counts",
                      region="S 2p", sample="synthetic Li6PS5Cl | Si-C (20 wt% C) after cycling",
                      pass_energy=20.0, dwell_time=0.1, n_scans=10, anode="Al mono", metadata=meta)
    write_vamas(da, OUT / "S2p_carbon_anode.vms", overwrite=True)


def xrd_example():
    two_theta = np.round(np.arange(10.0, 70.0 + 1e-9, 0.02), 4)
    wavelength, ka2 = 1.540562, 1.544390
    phases = {  # (2θ Kα1, relative intensity, FWHM deg)
        "Li6PS5Cl": [(15.57, 45, 0.12), (18.00, 20, 0.12), (25.56, 60, 0.12), (30.06, 100, 0.12),
                     (31.44, 45, 0.12), (45.05, 40, 0.13), (47.95, 35, 0.13), (52.51, 50, 0.14)],
        "Si": [(28.44, 100, 0.10), (47.30, 68, 0.11), (56.12, 40, 0.12), (69.13, 11, 0.13)],
        "Li2S": [(27.00, 100, 1.7), (31.27, 24, 1.7), (44.81, 55, 1.9), (53.10, 37, 2.0)],
    }
    scale = {"Li6PS5Cl": 60.0, "Si": 120.0, "Li2S": 90.0}
    y = 80.0 + 30.0 * np.exp(-((two_theta - 22.0) / 6.0) ** 2)
    for name, reflections in phases.items():
        for pos, rel, fwhm in reflections:
            theta = np.radians(pos / 2)
            pos2 = 2 * np.degrees(np.arcsin(np.sin(theta) * ka2 / wavelength))
            y = y + gl_peak(two_theta, pos, fwhm, scale[name] * rel / 100 * fwhm * 10, 0.5)
            y = y + 0.5 * gl_peak(two_theta, pos2, fwhm, scale[name] * rel / 100 * fwhm * 10, 0.5)
    counts = RNG.poisson(y).astype(float)
    da = xrd_pattern(two_theta, counts, units="counts", anode="Cu", wavelength_ka1=wavelength, wavelength_ka2=ka2,
                     ka2_ratio=0.5, counting_time=1.0, region="scan 1",
                     sample="synthetic Li6PS5Cl | Si-C (20 wt% C) after cycling",
                     metadata={"note": "synthetic: argyrodite + Si + nanocrystalline Li2S, Ka1/Ka2, Poisson noise"})
    write_columns(da, OUT / "Li2S_argyrodite_xrd.xy", overwrite=True)


if __name__ == "__main__":
    s2p_example()
    xrd_example()
    print("wrote", *sorted(p.name for p in OUT.iterdir()))
