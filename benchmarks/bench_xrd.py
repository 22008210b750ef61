"""Time of one joint XRD phase fit with spectra next to an lmfit composite model of the same
problem, measured in the same run.

Problem: a synthetic Cu Kα pattern (15–56°, 0.03° steps, 1367 points) of a lithiated anode with
carbon: Li6PS5Cl, Li2S (8 nm) and Si templates with Kα1/Kα2, specimen displacement, carbon-black
bands and a quadratic Chebyshev background, Poisson noise. The lmfit composite is built as a user
would: one ``lmfit.Model`` per phase (its reflections from spectra's reflection lists, TCH profiles,
Kα2) plus a carbon-hump model and a Chebyshev background, summed into a CompositeModel. Both start
from the same values and reach the same minimum (checked).

Run: python benchmarks/bench_xrd.py
"""
from __future__ import annotations

import warnings

import lmfit
import numpy as np
from _timing import median_time
from numpy.polynomial import chebyshev

import spectra
from spectra import lineshapes, simulate
from spectra.xrd import profiles
from spectra.xrd.pattern_model import PhaseTemplate
from spectra.xrd.reflections import lorentz_polarisation
from spectra.xrd.structure import load_structure

LAM1, LAM2 = 1.540562, 1.544390
PHASES = {"Li6PS5Cl": {"scale": 1.0, "size": 150.0}, "Li2S": {"scale": 60.0, "size": 8.0},
          "Si": {"scale": 8.0, "size": 300.0}}
RECIPE = {"technique": "xrd", "phases": list(PHASES), "amorphous": ["carbon_black"],
          "background": {"kind": "chebyshev", "order": 2},
          "phase_options": {"Li6PS5Cl": {"size": {"value": 150, "vary": False}},
                            "Si": {"size": {"value": 300, "vary": False}},
                            "Li2S": {"size": {"value": 10, "min": 1, "max": 300}}}}


def phase_function(name, x_max):
    """A user's phase model: lines from the reference list, cubic cell a, TCH + Kα2, displacement."""
    template = PhaseTemplate(load_structure(name), LAM1, x_max)
    hkl, mf2 = template.lines.indices, template.m_f2

    def model(x, scale, a, size, displacement):
        d = a / np.sqrt((hkl**2).sum(axis=1))
        tt = 2 * np.degrees(np.arcsin(np.clip(LAM1 / (2 * d), -1, 1)))
        keep = tt < x.max() + 3
        tt, m = tt[keep], mf2[keep]
        area = scale * m * lorentz_polarisation(tt) / a**6
        g = profiles.caglioti_fwhm(tt, 0.004, -0.002, 0.002)
        lo = profiles.lorentz_fwhm(tt, 0.0, 0.02) + profiles.scherrer_fwhm(tt, size, LAM1)
        total, eta = profiles.tch_parameters(g, lo)
        shift = profiles.displacement_shift(tt, displacement, 240.0)
        y = lineshapes.pseudo_voigt(x[:, None], tt + shift, total, area, eta).sum(axis=1)
        tt2 = profiles.ka2_position(tt, LAM1, LAM2)
        return y + lineshapes.pseudo_voigt(x[:, None], tt2 + shift, total, 0.5 * area, eta).sum(axis=1)
    return model


def carbon(x, area, center, fwhm):
    return (lineshapes.pseudo_voigt(x, center, fwhm, area, 0.0)
            + lineshapes.pseudo_voigt(x, center + 18.5, fwhm * 1.2, 0.3 * area, 0.0))


def background(x, c0, c1, c2):
    u = 2 * (x - x.min()) / (x.max() - x.min()) - 1
    return chebyshev.chebval(u, [c0, c1, c2])


def lmfit_composite(x, y, start):
    model = lmfit.Model(background, prefix="bg_") + lmfit.Model(carbon, prefix="cb_")
    for name in PHASES:
        model = model + lmfit.Model(phase_function(name, x.max()), prefix=f"{name}_")
    params = model.make_params()
    for k in range(3):
        params[f"bg_c{k}"].set(value=start[f"bg_c{k}"])
    params["cb_area"].set(value=start["carbon_black_area"], min=0)
    params["cb_center"].set(value=25.0, min=23, max=27)
    params["cb_fwhm"].set(value=5.0, min=2.5, max=10)
    for name in PHASES:
        a = load_structure(name).cell[0]
        params[f"{name}_scale"].set(value=start[f"{name}_scale"], min=0)
        params[f"{name}_a"].set(value=a, min=a * 0.97, max=a * 1.03)
        size = RECIPE["phase_options"][name]["size"]
        params[f"{name}_size"].set(value=size["value"], min=1, max=1e4, vary=size.get("vary", True))
        if name != "Li6PS5Cl":  # one shared displacement
            params[f"{name}_displacement"].set(expr="Li6PS5Cl_displacement")
    params["Li6PS5Cl_displacement"].set(value=0.0, min=-1000, max=1000)
    return model.fit(y, params, x=x, weights=1 / np.sqrt(np.maximum(y, 1)))




def main() -> int:
    warnings.simplefilter("ignore")
    da, _truth = simulate.xrd(PHASES, two_theta=(15.0, 56.0), step=0.03, amorphous={"carbon_black": 3000.0},
                             displacement=60.0, seed=1, background=(150.0, -20.0, 5.0))
    x, y = da.two_theta.values, da.values
    ours = spectra.fit(da, RECIPE)
    theirs = lmfit_composite(x, y, ours.model.defaults())
    assert abs(ours.values["Li2S_size"] - theirs.params["Li2S_size"].value) < 0.05 * ours.values["Li2S_size"]
    t_ours = median_time(lambda: spectra.fit(da, RECIPE), 5)
    t_lmfit = median_time(lambda: lmfit_composite(x, y, ours.model.defaults()), 5)
    print(f"one joint XRD fit (1367 points, 3 phases + carbon + Chebyshev, Kα2, displacement): spectra "
          f"{t_ours * 1e3:.0f} ms, lmfit composite {t_lmfit * 1e3:.0f} ms, "
          f"ratio lmfit/spectra = {t_lmfit / t_ours:.2f}")
    print(f"  Li2S size {ours.size('Li2S'):.2f} nm (truth {PHASES['Li2S']['size']}), lmfit "
          f"{theirs.params['Li2S_size'].value:.2f} nm; nfev spectra {ours.nfev} / lmfit {theirs.nfev}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
