"""Varied S 2p spectra for the batch benchmark, made by an independent forward calculation in plain
numpy (not ``spectra.simulate`` and not the package's model), and the recipe they are fitted with.

Each spectrum has its own composition (Li2S 5–60 % of the S 2p area, the rest PS4), peak height
(2×10³–2×10⁴ counts), FWHM per component (1.0–1.3 eV), PS4 centre (161.4–161.8 eV) and Li2S offset
below it (1.45–1.75 eV), charge shift (±0.2 eV; every centre stays within its library range), and a
sloped Shirley-type background: a constant (0.3–1.0 × height), a step proportional to the cumulative
integral of the true peaks (0.1–0.4 × height) and a slope across the window of −5 % to +11 % of the
height (as real S 2p regions show). Lines are CasaXPS GL(30) products normalised numerically to
their FWHM and area, spin-orbit doublets with 1.18 eV splitting and 2:1 areas. Poisson noise, seeded.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.forward_lines
from tests.forward_lines import gl30  # noqa: E402 - the tests' independent GL(30)

#: the documented recipe for sloped, charged S 2p regions (README): active Shirley with a fitted slope,
#: one charge shift, Li2S's centre given relative to PS4's
RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)",
          "background": {"kind": "active-shirley", "linear": True}, "shift": {"value": 0, "min": -3, "max": 3},
          "overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": -1.6, "min": -1.8, "max": -1.4}}}}
#: the package's default S 2p recipe (static Shirley, no slope, no shift), as issue 15 first tried it
DEFAULT_RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley", "lineshape": "GL(30)"}
WINDOW, STEP, SPLITTING = (155.0, 172.0), 0.05, 1.18


def varied(n: int, seed: int) -> tuple[xr.DataArray, dict]:
    """``n`` varied spectra (dims ``spectrum``, ``binding_energy``) and their truth (arrays of n)."""
    rng = np.random.default_rng(seed)
    x = np.round(np.arange(WINDOW[0], WINDOW[1] + STEP / 2, STEP), 10)
    f, height = rng.uniform(0.05, 0.60, n), rng.uniform(2e3, 2e4, n)
    charge = rng.uniform(-0.2, 0.2, n)
    ps4 = rng.uniform(161.4, 161.8, n) + charge
    li2s = ps4 - rng.uniform(1.45, 1.75, n)
    w_ps4, w_li2s = rng.uniform(1.0, 1.3, n), rng.uniform(1.0, 1.3, n)
    base, step, slope = rng.uniform(0.3, 1.0, n), rng.uniform(0.1, 0.4, n), rng.uniform(-0.05, 0.11, n)
    X, col = x[None, :], (lambda v: v[:, None])
    peaks = np.zeros((n, x.size))
    for center, width, area in ((ps4, w_ps4, 1 - f), (li2s, w_li2s, f)):
        peaks += gl30(X, col(center), col(width), col(area)) + gl30(X, col(center) + SPLITTING, col(width),
                                                                     0.5 * col(area))
    peaks *= col(height) / peaks.max(axis=1, keepdims=True)
    integral = np.concatenate([np.zeros((n, 1)), np.cumsum(0.5 * (peaks[:, 1:] + peaks[:, :-1]) * STEP, axis=1)],
                              axis=1)
    background = col(base * height) + col(step * height) * integral / integral[:, -1:] \
        + col(slope * height) * (X - WINDOW[0]) / (WINDOW[1] - WINDOW[0])
    counts = rng.poisson(peaks + background).astype(float)
    da = xr.DataArray(counts, dims=("spectrum", "binding_energy"), coords={"binding_energy": x},
                      attrs={"technique": "xps", "units": "counts", "region": "S 2p", "excitation_energy": 1486.6,
                             "energy_axis": "binding"})
    return da, {"f": f, "charge": charge, "ps4": ps4, "li2s": li2s, "w_ps4": w_ps4, "w_li2s": w_li2s}
