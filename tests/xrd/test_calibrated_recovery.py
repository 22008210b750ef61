"""Calibrate on a synthetic LaB6 pattern, then fit a synthetic mixture with the calibrated instrument —
both patterns made by a forward calculation written here, independent of spectra's pattern model.

The forward calculation uses nothing of ``spectra`` but the committed reference data (reflection lists
``reference_patterns/<phase>.reflections.csv``: d, multiplicity, |F|²; cell from ``<phase>.toml``):

* Bragg positions for Cu Kα1 = 1.540562 Å and Kα2 = 1.544390 Å (Bearden, Rev. Mod. Phys. 39 (1967) 78),
  I(Kα2)/I(Kα1) = 0.5, every quantity of a Kα2 line at its own angle; a zero shift (instrument) and a
  specimen displacement Δ2θ = −2 s cosθ / R (sample);
* integrated intensities S m |F|² LP P_MD / V² with LP = (1 + cos²2θ) / (sin²θ cosθ), and March–Dollase
  preferred orientation P_MD = (r² cos²α + sin²α / r)^(−3/2) averaged over every reflection of the
  family (all sign changes and permutations of h, k, l: the cubic Laue class m-3m of these phases),
  α the angle between the reflection's normal and the preferred direction (W. A. Dollase,
  J. Appl. Cryst. 19 (1986) 267);
* Thompson–Cox–Hastings pseudo-Voigt lines (J. Appl. Cryst. 20 (1987) 79): Gaussian FWHM² =
  U tan²θ + V tanθ + W, Lorentzian FWHM = X tanθ + Y/cosθ + K λ / (L cosθ) (Scherrer, K = 0.9);
* axial-divergence asymmetry as its geometry gives it, not as the fitting model writes it: a ray
  diverging axially by ψ is seen shifted by Δ2θ ∝ −ψ² cot 2θ (e.g. Cheary & Coelho, J. Appl. Cryst.
  31 (1998) 851), so with ψ uniform over the Soller acceptance each line is the average of its profile
  shifted by −A cot 2θ · t², t uniform on [0, 1] (24-point Gauss–Legendre): a tail to low angle below
  90° that grows as cot 2θ;
* a smooth background and Poisson counting noise from a seed.

The fitting model is other code (its own LP, TCH, axial-divergence average, with Bérar–Baldinozzi terms
on top), so what is tested is that the calibration recovers the instrument (axial amplitude, widths,
Kα2 ratio, the cell when freed) and carries it to the sample fit: the Li2S size within 10 % and the
March–Dollase r within 2σ in ≥ 90 % of the trials.
"""
from __future__ import annotations

import csv
import itertools
import math
import os
import tomllib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spectra
from spectra.xrd.calibrate import calibrate

from .forward import pseudo_voigt, tch

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

REFERENCE = Path(__file__).resolve().parents[2] / "reference_patterns"
KA1, KA2, KA2_RATIO = 1.540562, 1.544390, 0.5
RADIUS_MM = 240.0
#: the true instrument: Caglioti U, V, W (degree²), Lorentzian X, Y (degree), axial asymmetry A (degree),
#: zero shift (degree)
TRUE = {"u": 0.006, "v": -0.004, "w": 0.003, "x": 0.002, "y": 0.012, "asym": 0.03, "zero": 0.015}
LAB6_A = 4.156826   # the certified cell the calibration holds
SCHERRER_K = 0.9
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)
_T, _W = (_NODES + 1) / 2, _WEIGHTS / 2


def read_phase(name: str) -> dict:
    with open(REFERENCE / f"{name}.reflections.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    structure = tomllib.loads((REFERENCE / f"{name}.toml").read_text(encoding="utf-8"))
    return {"d": np.array([float(r["d_A"]) for r in rows]), "m": np.array([float(r["multiplicity"]) for r in rows]),
            "f2": np.array([float(r["F2"]) for r in rows]), "hkl": [r["hkl"].split() for r in rows],
            "a": float(structure["cell"]["a"]), "z": int(structure["z"]), "mass": float(structure["formula_mass"])}


PHASES = {name: read_phase(name) for name in ("LaB6", "Si", "Li2S", "Li6PS5Cl")}


def equivalents(family: str) -> np.ndarray:
    """Every reflection of a cubic family (m-3m): sign changes and permutations of its indices."""
    h = [int(c) for c in family]  # one digit per index below 90° 2θ for these cells
    out = {tuple(s * v for s, v in zip(signs, perm)) for perm in itertools.permutations(h)
           for signs in itertools.product((1, -1), repeat=3)}
    return np.array(sorted(out), dtype=float)


def march_dollase(families: list[str], direction, r: float) -> float:
    """P_MD of one line: the mean over every reflection of its families (weighted by their number)."""
    n = np.asarray(direction, float) / np.linalg.norm(direction)
    total, count = 0.0, 0
    for family in families:
        hkl = equivalents(family)
        cos_a = hkl @ n / np.linalg.norm(hkl, axis=1)
        total += np.sum((r**2 * cos_a**2 + (1 - cos_a**2) / r) ** -1.5)
        count += len(hkl)
    return total / count


def true_fwhm(two_theta):
    """The true instrumental FWHM of the symmetric part (degrees 2θ)."""
    t = np.tan(np.radians(np.asarray(two_theta) / 2))
    g = np.sqrt(TRUE["u"] * t**2 + TRUE["v"] * t + TRUE["w"])
    lo = TRUE["x"] * t + TRUE["y"] / np.cos(np.arctan(t))
    return tch(g, lo)[0]


def phase_pattern(x, name, scale, *, size_nm=None, displacement_um=0.0, cell=None, po=None):
    """Kα1 + Kα2 lines of one phase on the 2θ grid ``x`` (degrees)."""
    ph = PHASES[name]
    a = cell or ph["a"]
    d = ph["d"] * a / ph["a"]
    p_md = np.ones(len(d)) if po is None else np.array([march_dollase(f, po[0], po[1]) for f in ph["hkl"]])
    out = np.zeros_like(x)
    for lam, weight in ((KA1, 1.0), (KA2, KA2_RATIO)):
        s = lam / (2.0 * d)
        keep = s < 0.99
        theta = np.arcsin(s[keep])
        shift = np.degrees(-2.0 * displacement_um * 1e-3 * np.cos(theta) / RADIUS_MM) + TRUE["zero"]
        center = 2.0 * np.degrees(theta) + shift
        lp = (1.0 + np.cos(2 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
        area = weight * scale * ph["m"][keep] * ph["f2"][keep] * lp * p_md[keep] / a**6
        t = np.tan(theta)
        g = np.sqrt(TRUE["u"] * t**2 + TRUE["v"] * t + TRUE["w"])
        lo = TRUE["x"] * t + TRUE["y"] / np.cos(theta)
        if size_nm is not None:
            lo = lo + np.degrees(SCHERRER_K * lam / (size_nm * 10.0 * np.cos(theta)))
        fwhm, eta = tch(g, lo)
        reach = TRUE["asym"] / np.tan(2 * theta)   # the largest axial shift of each line (degrees)
        for tk, wk in zip(_T, _W):
            out += wk * (area * pseudo_voigt(x[:, None], (center - reach * tk**2)[None], fwhm[None], eta[None])
                         ).sum(axis=1)
    return out


def pattern(x, counts, seed: int, source: str) -> xr.DataArray:
    y = np.random.default_rng(seed).poisson(counts).astype(float)
    return xr.DataArray(y, dims=("two_theta",), coords={"two_theta": x},
                        attrs={"units": "counts", "anode": "Cu", "technique": "xrd", "source": source})


LAB6_X = np.round(np.arange(18.0, 80.0, 0.02), 6)
MIX_X = np.round(np.arange(24.0, 62.0, 0.02), 6)
MIX = {"Li6PS5Cl": 6.0, "Si": 1.5e3, "Li2S": 60.0}   # scales of m|F|²LP/V² (counts·degree per unit)
LI6_SIZE, DISPLACEMENT_UM, SI_PO = 120.0, 40.0, ((1, 1, 1), 0.8)


def lab6_pattern(seed: int = 1) -> xr.DataArray:
    bg = 150.0 + 60.0 * np.exp(-(LAB6_X - 18.0) / 20.0)
    return pattern(LAB6_X, bg + phase_pattern(LAB6_X, "LaB6", 1.2e3, cell=LAB6_A), seed, "synthetic LaB6")


def mixture(li2s_size: float, seed: int) -> xr.DataArray:
    bg = 250.0 - 1.5 * (MIX_X - 24.0)
    y = (bg + phase_pattern(MIX_X, "Li6PS5Cl", MIX["Li6PS5Cl"], size_nm=LI6_SIZE, displacement_um=DISPLACEMENT_UM)
         + phase_pattern(MIX_X, "Si", MIX["Si"], displacement_um=DISPLACEMENT_UM, po=SI_PO)
         + phase_pattern(MIX_X, "Li2S", MIX["Li2S"], size_nm=li2s_size, displacement_um=DISPLACEMENT_UM))
    return pattern(MIX_X, y, seed, f"synthetic mixture, Li2S {li2s_size} nm, seed {seed}")


def mixture_recipe(instrument_file: Path) -> dict:
    return {"technique": "xrd", "anode": "Cu", "window": [24.0, 62.0], "instrument": str(instrument_file),
            "phases": ["Li6PS5Cl", "Si", "Li2S"], "background": {"kind": "chebyshev", "order": 2},
            "displacement": {"value": 0.0, "min": -300.0, "max": 300.0},
            "phase_options": {"Si": {"size": {"value": 1e4, "vary": False},
                                     "preferred_orientation": {"hkl": [1, 1, 1],
                                                               "r": {"value": 1.0, "min": 0.3, "max": 3.0}}},
                              "Li6PS5Cl": {"size": {"value": 100.0, "min": 5.0, "max": 1e4}}}}


# ---------------------------------------------------------------------- the forward calculation itself
def test_forward_profiles_and_orientation_factor():
    x = np.round(np.arange(20.0, 24.0, 0.0005), 6)
    line = phase_pattern(x, "LaB6", 1.0, cell=LAB6_A)
    # the 100 line's Kα1 maximum sits below its Bragg angle + zero (asymmetry to low angle)
    bragg = 2 * math.degrees(math.asin(KA1 * math.sqrt(1) / (2 * LAB6_A))) + TRUE["zero"]
    near = x < bragg + 0.05
    assert bragg - 0.03 < x[near][np.argmax(line[near])] < bragg
    # March–Dollase: r = 1 changes nothing; the family average of P over a sphere of directions is 1
    assert march_dollase(["111"], (1, 1, 1), 1.0) == pytest.approx(1.0)
    assert march_dollase(["531"], (0, 0, 1), 0.8) == pytest.approx(1.0, abs=0.05)
    # platelets with (111) normals along the specimen normal (r < 1) make 111 stronger, 200 (54.7° off) weaker
    assert march_dollase(["111"], (1, 1, 1), 0.8) > 1 > march_dollase(["200"], (1, 1, 1), 0.8)
    assert len(equivalents("311")) == 24 and len(equivalents("111")) == 8


# ---------------------------------------------------------------------- calibration and recovery
@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    with pytest.warns(UserWarning, match="not the range"):
        cal = calibrate(lab6_pattern(), "LaB6", use_range=(10.0, 80.0))
    path = cal.instrument.save(tmp_path_factory.mktemp("instrument") / "synthetic.toml")
    return cal, path


def test_calibration_recovers_the_instrument_function(calibration):
    """The axial-divergence amplitude, the widths, the Kα2 ratio and (with the cell free) the cell.

    Before the model had an axial-divergence term, the Bérar–Baldinozzi terms alone fitted this pattern
    to χ²ᵣ 36 with P1 at its bound and a cell check 0.0014 Å low."""
    cal, _ = calibration
    assert cal.result.success and cal.result.redchi < 1.5, cal.summary()
    assert cal.instrument.values["axial"] == pytest.approx(TRUE["asym"], rel=0.05)
    assert any("not the range" in f for f in cal.flags)
    tt = np.linspace(25.0, 75.0, 11)
    assert cal.instrument.fwhm(tt) == pytest.approx(true_fwhm(tt), rel=0.08), cal.summary()
    assert cal.instrument.values["ka2_ratio"] == pytest.approx(KA2_RATIO, abs=0.03)
    assert abs(cal.cell.values["LaB6_a"] - LAB6_A) < 5e-4, cal.summary()


def run_trials(path: Path, sizes, seeds):
    data = [mixture(size, seed) for size, seed in zip(sizes, seeds)]
    ds = spectra.fit_many(data, mixture_recipe(path))
    assert ds.success.values.all(), ds.message.values
    size = ds.size.sel(phase="Li2S").values
    r = ds.value.sel(param="Si_po_r").values
    sr = ds.stderr.sel(param="Si_po_r").values
    return np.asarray(sizes), size, r, sr


def test_li2s_size_and_preferred_orientation_after_calibration(calibration):
    _, path = calibration
    sizes = [3.0, 5.0, 10.0, 20.0] * 5
    truth, size, r, sr = run_trials(path, sizes, range(100, 100 + len(sizes)))
    assert np.all(np.abs(size / truth - 1) < 0.10), np.c_[truth, size]
    inside = np.abs(r - SI_PO[1]) < 2 * sr
    assert inside.mean() >= 0.90, np.c_[r, sr]


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SPECTRA_SLOW") != "1", reason="the larger recovery study: SPECTRA_SLOW=1")
def test_preferred_orientation_coverage_over_two_hundred_trials(calibration):
    _, path = calibration
    sizes = [3.0, 5.0, 8.0, 12.0, 20.0] * 40
    truth, size, r, sr = run_trials(path, sizes, range(1000, 1000 + len(sizes)))
    assert np.mean(np.abs(size / truth - 1) < 0.10) >= 0.98
    inside = np.abs(r - SI_PO[1]) < 2 * sr
    assert inside.mean() >= 0.92   # 2σ: 95.4 % expected, 3 binomial σ below for N = 200

