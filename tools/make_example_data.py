"""Regenerate the synthetic example files in spectra/data (seeded, so the output is reproducible).

Each example is made by the package's own forward model with exactly the model its documented
recipe (``spectra.examples.RECIPES``, the recipes of the README) fits:

* ``S2p_carbon_anode.vms``: :func:`spectra.simulate.xps` — PS4(3-) and Li2S doublets in GL(30)
  (CasaXPS product), 1.18 eV splitting, 2:1 areas, on ``constant + k·∫ peaks`` (the active-Shirley
  form), Poisson noise;
* ``Li2S_argyrodite_xrd.xy``: :func:`spectra.simulate.xrd` — Li6PS5Cl, Li2S and Si from the package's
  own reflection lists (``reference_patterns/``), the carbon-black bands, a Chebyshev background of
  order 3, the recipe's instrument function, Kα1/Kα2, Poisson noise.

The truth (every simulated parameter, the seed and the recipe) is stored in each file's metadata
(``json.loads(da.attrs["metadata"])["truth"]``). Written with spectra's own writers.

Run: python tools/make_example_data.py
"""
from __future__ import annotations

import json
from pathlib import Path

from spectra import examples, simulate
from spectra.dataarray import xps_spectrum, xrd_pattern
from spectra.io.write import write_columns, write_vamas

OUT = Path(__file__).resolve().parents[1] / "spectra" / "data"
S2P_SEED = 20261123
XRD_SEED = 20261124
SAMPLE = "synthetic Li6PS5Cl | Si-C (20 wt% C) after cycling"


def s2p_example() -> Path:
    """The S 2p example: argyrodite PS4(3-) and Li2S grown at a carbon-containing Si anode."""
    name = "S2p_carbon_anode.vms"
    recipe = examples.RECIPES[name]
    fractions = {"PS4": 0.58, "Li2S": 0.42}
    centers = {"PS4": 161.70, "Li2S": 160.00}
    fwhm = {"PS4": 1.10, "Li2S": 1.30}
    sim, truth = simulate.xps("S 2p", fractions, peak_counts=2.0e4, lineshape=recipe["lineshape"], step=0.05,
                              centers=centers, fwhm=fwhm, background=0.1, shirley_step=0.3, seed=S2P_SEED)
    record = {
        "components": {k: {"center_2p3/2_eV": truth.centers[k], "fwhm_eV": truth.fwhm[k],
                           "area_counts_eV": truth.areas[k], "fraction": truth.fractions[k]} for k in fractions},
        "background": {"constant_counts": truth.background_constant, "k": truth.background_k,
                       "form": "constant + k * cumulative integral of the peaks (active Shirley)"},
        "lineshape": truth.lineshape, "doublet": "1.18 eV splitting, 2:1 areas, equal FWHM",
        "model": "spectra.simulate.xps", "seed": S2P_SEED, "recipe": recipe,
    }
    meta = {"truth": record, "note": "synthetic: GL(30) doublets (PS4, Li2S), 1.18 eV splitting, 2:1 areas, "
                                     "active-Shirley background, Poisson noise; fit with spectra.examples.RECIPES"}
    da = xps_spectrum(sim.binding_energy.values, sim.values, energy_axis="binding", excitation_energy=1486.6,
                      units="counts", region="S 2p", sample=SAMPLE, pass_energy=20.0, dwell_time=0.1, n_scans=10,
                      anode="Al mono", metadata=meta)
    return write_vamas(da, OUT / name, overwrite=True)


def xrd_example() -> Path:
    """The XRD example: argyrodite, Si and nanocrystalline Li2S with carbon black, Cu Kα."""
    name = "Li2S_argyrodite_xrd.xy"
    recipe = examples.RECIPES[name]
    phases = {"Li6PS5Cl": {"scale": 6.0, "size": 80.0}, "Li2S": {"scale": 12.0, "size": 5.0},
              "Si": {"scale": 5.0, "size": 200.0}}
    sim, truth = simulate.xrd(phases, two_theta=(10.0, 70.0), step=0.02, anode="Cu",
                              amorphous={"carbon_black": 400.0}, displacement=-40.0,
                              background=(80.0, -10.0, 6.0, -2.0), instrument=recipe["instrument"], seed=XRD_SEED)
    record = {"params": {k: float(v) for k, v in truth.params.items()}, "phases": phases,
              "model": "spectra.simulate.xrd (reflection lists of reference_patterns/)", "seed": XRD_SEED,
              "recipe": recipe}
    meta = {"truth": record, "note": "synthetic: Li6PS5Cl + Si + nanocrystalline Li2S + carbon black from the "
                                     "package's reflection lists, Ka1/Ka2, Poisson noise; fit with "
                                     "spectra.examples.RECIPES"}
    da = xrd_pattern(sim.two_theta.values, sim.values, units="counts", anode="Cu",
                     wavelength_ka1=sim.attrs["wavelength_ka1"], wavelength_ka2=sim.attrs["wavelength_ka2"],
                     ka2_ratio=sim.attrs["ka2_ratio"], counting_time=1.0, region="scan 1", sample=SAMPLE,
                     metadata=meta)
    return write_columns(da, OUT / name, overwrite=True)


if __name__ == "__main__":
    for path in (s2p_example(), xrd_example()):
        truth = json.loads(__import__("spectra").load(path).attrs["metadata"])["truth"]
        print("wrote", path.name, "seed", truth["seed"])
