"""XRD recovery against a forward calculation written here in plain numpy, independent of the package.

Why: the package's own recovery tests simulate with :class:`spectra.xrd.pattern_model.XRDModel` and
fit with the same model, so an error shared by both (a wrong LP factor, displacement sign, Kα2
position, TCH coefficient, Scherrer constant) cannot show. Here the patterns are made from the
published physics only, using nothing of ``spectra`` but the committed reference data:

* reflections (d, multiplicity m, |F|²) from ``reference_patterns/<phase>.reflections.csv`` and the
  cell, Z and formula mass from ``reference_patterns/<phase>.toml`` (read with csv / tomllib);
* positions by Bragg's law for Cu Kα1 = 1.540562 Å and Kα2 = 1.544390 Å (J. A. Bearden, Rev. Mod.
  Phys. 39 (1967) 78, the values of shared/REFERENCE.md), Kα2 at half the Kα1 intensity; every
  quantity of a Kα2 line (position, LP, widths) is evaluated at its own Bragg angle;
* specimen displacement Δ2θ = −2 s cosθ / R (radians; s = 60 µm above the focusing circle, R = 240 mm:
  peaks move to lower 2θ);
* integrated intensities S·m·|F|²·LP/V² with LP = (1 + cos²2θ) / (sin²θ cosθ) — no monochromator.
  :mod:`spectra.xrd.reflections` documents LP = (1 + cos²2θm cos²2θ) / (sin²θ cosθ (1 + cos²2θm)),
  which for 2θm = 0 is this LP divided by 2, so the package's scales are twice the ones used here
  (checked below); weight fractions are ratios and do not see the factor;
* Thompson–Cox–Hastings pseudo-Voigt profiles (J. Appl. Cryst. 20 (1987) 79): Gaussian FWHM² =
  U tan²θ + V tanθ + W, Lorentzian FWHM = X tanθ + Y / cosθ plus the Scherrer width K λ / (L cosθ)
  with K = 0.9, combined with the published fifth-order polynomial and η(Γ_L/Γ) cubic;
* a cubic Chebyshev background over the 2θ range and Poisson counting noise with a seed.

The patterns are then fitted with :func:`spectra.fit` and :func:`spectra.fit_many` using a recipe
with the same instrument values, phases Si and Li2S and the displacement free, and the stated
tolerances are asserted: Li2S crystallite size within 10 % (3, 10, 20 nm), displacement within 3σ
and 5 µm, and the Li2S weight-fraction pulls of 20 seeds with |mean| < 0.5 and sd in 0.6–1.5.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from numpy.polynomial import chebyshev

import spectra

from . import forward as fw
from .forward import pseudo_voigt, tch

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

REFERENCE = Path(__file__).resolve().parents[2] / "reference_patterns"
#: Cu Kα1, Kα2 (Å; Bearden 1967, as shared/REFERENCE.md) and I(Kα2)/I(Kα1)
KA1, KA2, KA2_RATIO = 1.540562, 1.544390, 0.5
DISPLACEMENT_UM, RADIUS_MM = 60.0, 240.0
INSTRUMENT = {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.0, "y": 0.02}
BACKGROUND = (300.0, -40.0, 15.0, -5.0)  # Chebyshev coefficients (counts) over the 2θ range
SCHERRER_K = 0.9
#: truth: phase -> (scale S of m|F|²LP/V² with the LP above, crystallite size in nm)
SI = (40.0, 200.0)
LI2S_SCALE = 200.0
TWO_THETA = np.round(np.arange(20.0, 60.0 + 1e-9, 0.02), 10)
RECIPE = {"technique": "xrd", "anode": "Cu", "window": [20.0, 60.0], "phases": ["Si", "Li2S"],
          "instrument": INSTRUMENT, "background": {"kind": "chebyshev", "order": 3}, "radius_mm": RADIUS_MM,
          "displacement": {"value": 0.0, "min": -500.0, "max": 500.0}}

def read_phase(name: str) -> dict:
    """The committed reflection list and the structure's cubic cell, Z and formula mass."""
    phase = fw.read_phase(name)
    assert phase["volume"] == phase["a"] ** 3, f"{name}: this calculation handles cubic cells only"
    return phase


PHASES = {name: read_phase(name) for name in ("Si", "Li2S")}


def lorentz_polarisation(theta):
    return (1.0 + np.cos(2.0 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))


def phase_pattern(x, name: str, scale: float, size_nm: float, displacement_um: float) -> np.ndarray:
    """Kα1 + Kα2 lines of a phase on the 2θ grid ``x`` (degrees)."""
    ph = PHASES[name]
    volume = ph["volume"]
    out = np.zeros_like(x)
    for lam, weight in ((KA1, 1.0), (KA2, KA2_RATIO)):
        theta = np.arcsin(lam / (2.0 * ph["d"]))  # every line is inside 90° 2θ
        shift = np.degrees(-2.0 * (displacement_um * 1e-3) * np.cos(theta) / RADIUS_MM)
        center = 2.0 * np.degrees(theta) + shift
        area = weight * scale * ph["m"] * ph["f2"] * lorentz_polarisation(theta) / volume ** 2
        t = np.tan(theta)
        gauss = np.sqrt(INSTRUMENT["u"] * t ** 2 + INSTRUMENT["v"] * t + INSTRUMENT["w"])
        lorentz = (INSTRUMENT["x"] * t + INSTRUMENT["y"] / np.cos(theta)
                   + np.degrees(SCHERRER_K * lam / (size_nm * 10.0 * np.cos(theta))))
        fwhm, eta = tch(gauss, lorentz)
        out += (area * pseudo_voigt(x[:, None], center[None], fwhm[None], eta[None])).sum(axis=1)
    return out


def expected_counts(li2s_size: float, x=TWO_THETA) -> np.ndarray:
    u = 2.0 * (x - x.min()) / (x.max() - x.min()) - 1.0
    return (chebyshev.chebval(u, BACKGROUND) + phase_pattern(x, "Si", *SI, DISPLACEMENT_UM)
            + phase_pattern(x, "Li2S", LI2S_SCALE, li2s_size, DISPLACEMENT_UM))


def noisy(expected: np.ndarray, seed: int) -> xr.DataArray:
    y = np.random.default_rng(seed).poisson(expected).astype(float)
    return xr.DataArray(y, dims=("two_theta",), coords={"two_theta": TWO_THETA},
                        attrs={"units": "counts", "anode": "Cu", "source": f"independent forward, seed {seed}"})


def true_li2s_weight_fraction() -> float:
    """Hill–Howard W = S·Z·M·V / Σ S·Z·M·V."""
    zmv = {n: p["z"] * p["mass"] * p["a"] ** 3 for n, p in PHASES.items()}
    si, li2s = SI[0] * zmv["Si"], LI2S_SCALE * zmv["Li2S"]
    return li2s / (si + li2s)


# ---------------------------------------------------------------------- the calculation checks itself
def test_forward_profiles_are_normalised_with_the_stated_widths():
    x = np.linspace(-60.0, 60.0, 240001)[:, None]
    for g, lo in ((0.1, 0.0), (0.0, 0.1), (0.08, 0.05)):
        fwhm, eta = tch(g, lo)
        y = pseudo_voigt(x, 0.0, fwhm, eta)[:, 0]
        half = x[:, 0][y >= y.max() / 2]
        assert half.max() - half.min() == pytest.approx(float(fwhm), abs=1e-3)
        assert np.trapezoid(y, x[:, 0]) == pytest.approx(1.0, abs=2e-3)  # Lorentz tails beyond ±60°
    assert tch(0.1, 0.0) == (pytest.approx(0.1), pytest.approx(0.0))
    assert tch(0.0, 0.1) == (pytest.approx(0.1), pytest.approx(1.0, abs=1e-5))
    # Si 111 from the committed d: 28.44° 2θ for Kα1; the displacement moves the whole pattern down,
    # by 2·0.060 mm / 240 mm = 5e-4 rad = 0.02865° times cosθ (0.9694 at 14.22°): 0.02777° here
    theta = math.asin(KA1 / (2 * PHASES["Si"]["d"][0]))
    assert 2 * math.degrees(theta) == pytest.approx(28.443, abs=2e-3)
    x = np.round(np.arange(28.0, 29.0, 0.0005), 6)
    moved, still = (phase_pattern(x, "Si", 1.0, 200.0, s) for s in (DISPLACEMENT_UM, 0.0))
    assert x[np.argmax(moved)] - x[np.argmax(still)] == pytest.approx(-0.02777, abs=1e-3)


# ------------------------------------------------------------------------------------ recovery
@pytest.mark.parametrize("size", [3.0, 10.0, 20.0])
def test_single_fit_recovers_size_displacement_and_fractions(size):
    da = noisy(expected_counts(size), seed=int(size) + 1)
    r = spectra.fit(da, RECIPE)
    assert r.success, r.message
    assert 0.8 < r.redchi < 1.2
    fitted = r.values["Li2S_size"]
    assert abs(fitted / size - 1) < 0.10, f"Li2S size {fitted:.3f} nm for a true {size} nm"
    d, sd = r.values["displacement"], r.stderr["displacement"]
    assert abs(d - DISPLACEMENT_UM) < 3 * sd, f"displacement {d:.2f} ± {sd:.2f} µm, true {DISPLACEMENT_UM}"
    assert abs(d - DISPLACEMENT_UM) < 5.0
    w = r.weight_fractions()["Li2S"]
    assert abs(w.n - true_li2s_weight_fraction()) < 3 * w.s
    # the package's LP is this LP / (1 + cos²2θm) = LP / 2: its scales are twice the truth (±1 %)
    for name, truth in (("Si", SI[0]), ("Li2S", LI2S_SCALE)):
        assert r.values[f"{name}_scale"] / (2 * truth) == pytest.approx(1.0, abs=0.01), name


def test_weight_fraction_pulls_over_twenty_seeds():
    expected = expected_counts(10.0)
    data = [noisy(expected, seed) for seed in range(100, 120)]
    ds = spectra.fit_many(data, RECIPE)
    assert ds.success.values.all(), ds.message.values
    w = ds.weight_fraction.sel(phase="Li2S").values
    sw = ds.weight_fraction_stderr.sel(phase="Li2S").values
    pulls = (w - true_li2s_weight_fraction()) / sw
    assert abs(pulls.mean()) < 0.5, pulls
    assert 0.6 < pulls.std(ddof=1) < 1.5, pulls
    d = ds.value.sel(param="displacement").values
    sd = ds.stderr.sel(param="displacement").values
    assert np.all(np.abs(d - DISPLACEMENT_UM) < 5.0), d
    assert np.mean(np.abs(d - DISPLACEMENT_UM) < 3 * sd) >= 0.9, (d, sd)
    assert abs(d.mean() - DISPLACEMENT_UM) < 3 * d.std(ddof=1) / math.sqrt(len(d)), d  # no bias
    size = ds.size.sel(phase="Li2S").values
    assert np.all(np.abs(size / 10.0 - 1) < 0.10), size


# ------------------------------------------------------------------------- where the physics differs
def test_cu_wavelengths_are_the_cited_values():
    """:mod:`spectra.xrd.wavelengths` cites Bearden (1967) for Cu: Kα1 1.540562 Å, Kα2 1.544390 Å. (An
    earlier version cited Hölzer et al. 1997 while using these values; this test caught it.)"""
    from spectra.xrd import wavelengths

    cu = wavelengths.ANODES["Cu"]
    assert "Bearden" in wavelengths.__doc__
    assert abs(cu.ka1 - KA1) < 1e-6 and abs(cu.ka2 - KA2) < 1e-6, (cu.ka1, cu.ka2)


def test_displacement_with_si_cell_fixed():
    """Si as an internal standard (its cell held at the tabulated a): the displacement must still be
    unbiased. Any wavelength error now has nowhere to go but the displacement."""
    recipe = {**RECIPE, "phase_options": {"Si": {"refine_cell": False}}}
    expected = expected_counts(10.0)
    ds = spectra.fit_many([noisy(expected, seed) for seed in range(200, 220)], recipe)
    assert ds.success.values.all(), ds.message.values
    d = ds.value.sel(param="displacement").values
    sd = ds.stderr.sel(param="displacement").values
    assert np.all(np.abs(d - DISPLACEMENT_UM) < 5.0), d
    pull = (d - DISPLACEMENT_UM) / sd
    assert abs(pull.mean()) < 1.0, (
        f"displacement {d.mean():.2f} ± {d.std(ddof=1):.2f} µm (mean σ {sd.mean():.2f}) for a true "
        f"{DISPLACEMENT_UM} µm: mean pull {pull.mean():+.1f}; with the cell fixed a wavelength or position "
        "error has nowhere to go but the displacement")
