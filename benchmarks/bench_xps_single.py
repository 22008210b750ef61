"""Time of one S 2p fit with spectra next to an lmfit composite model of the same problem, measured
in the same run.

Problem: S 2p region (341 points, 0.05 eV), PS4 and Li2S spin-orbit doublets (GL(30), 1.18 eV
splitting, 2:1 areas, tied FWHM) on an iterative Shirley background computed from the data, Poisson
weights. The lmfit composite is written as a user would: a GL(30) doublet function wrapped in two
prefixed ``lmfit.Model``s, fitted to the Shirley-subtracted data. Both start from the same values and
must reach the same minimum (checked).

Run: python benchmarks/bench_xps_single.py
"""
from __future__ import annotations

import warnings

import lmfit
import numpy as np
from _timing import median_time

import spectra
from spectra import backgrounds, simulate

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley", "lineshape": "GL(30)"}
START = {"PS4": (161.6, 1.1), "Li2S": (160.0, 1.2)}


def gl30(x, center, fwhm):
    """CasaXPS GL(30) with unit area and true FWHM ``fwhm`` (the user's own helper)."""
    return spectra.lineshapes.gl_product(x, center, fwhm, 1.0, 30.0)


def gl30_doublet(x, center, fwhm, area):
    return area * (gl30(x, center, fwhm) + 0.5 * gl30(x, center + 1.18, fwhm))


def lmfit_composite(x, y, sigma):
    bg = backgrounds.shirley(x, y).values
    model = lmfit.Model(gl30_doublet, prefix="PS4_") + lmfit.Model(gl30_doublet, prefix="Li2S_")
    params = model.make_params()
    for name, (center, fwhm) in START.items():
        params[f"{name}_center"].set(value=center, min=center - 0.5, max=center + 0.5)
        params[f"{name}_fwhm"].set(value=fwhm, min=0.8, max=1.6)
        params[f"{name}_area"].set(value=1000.0, min=0)
    return model.fit(y - bg, params, x=x, weights=1.0 / sigma)




def main() -> int:
    warnings.simplefilter("ignore")
    da, truth = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=1)
    x, y = da.binding_energy.values, da.values
    sigma = np.sqrt(np.maximum(y, 1))
    ours = spectra.fit(da, RECIPE)
    theirs = lmfit_composite(x, y, sigma)
    for name in START:  # both reach the same answer
        assert abs(ours.values[f"{name}_center"] - theirs.params[f"{name}_center"].value) < 1e-3
        area = ours.values[f"{name}_area"]
        assert abs(area - theirs.params[f"{name}_area"].value) < 1e-3 * area
    t_ours = median_time(lambda: spectra.fit(da, RECIPE), 30)
    t_lmfit = median_time(lambda: lmfit_composite(x, y, sigma), 30)
    print(f"one S 2p fit (341 points, 2 doublets, Shirley): spectra {t_ours * 1e3:.1f} ms, "
          f"lmfit composite {t_lmfit * 1e3:.1f} ms, ratio lmfit/spectra = {t_lmfit / t_ours:.2f}")
    print(f"  same minimum: Li2S fraction {ours.fractions()['Li2S']:.4f} (truth {truth.fractions['Li2S']:.3f}), "
          f"nfev spectra {ours.nfev} / lmfit {theirs.nfev}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
