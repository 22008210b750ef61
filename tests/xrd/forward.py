"""An XRD forward calculation in plain numpy, independent of ``spectra``, for the recovery tests of the
profile terms, intensity-free fits and statistics (``test_profile_terms``, ``test_intensity_free``,
``test_statistics``, ``test_recipe_phases``).

Only the committed reference data are read (``reference_patterns/<phase>.reflections.csv`` for hkl, d,
multiplicity and |F|², ``<phase>.toml`` for the cell, Z and formula mass, with csv / tomllib). Everything
else is written out here from the published physics:

* Bragg's law with Cu Kα1 = 1.540562 Å and Kα2 = 1.544390 Å (Bearden 1967); the Kα2 line at
  ``ka2_ratio`` of the Kα1 intensity, every quantity of it (position, LP, widths, asymmetry) at its own
  Bragg angle;
* integrated intensities S·m·|F|²·LP/V²·P with LP = (1 + cos²2θ)/(sin²θ cosθ) (no monochromator; the
  package's LP is half of it, so its scales are twice these) and P the March–Dollase factor
  (r² cos²α + sin²α / r)^(−3/2) (Dollase 1986) for a hexagonal phase oriented along [001], where every
  plane of a family has cos α = l d / c;
* Gaussian FWHM² = U tan²θ + V tanθ + W; Lorentzian FWHM = X tanθ + Y/cosθ + Kλ/(L cosθ) (K = 0.9,
  radians → degrees) + 4ε tanθ; combined by the Thompson–Cox–Hastings polynomials (1987);
* line shapes: the pseudo-Voigt (1 − η)G + ηL; the Pearson VII (1 + 4(2^(1/m) − 1)u²)^(−m) normalised with
  Γ functions; the split pseudo-Voigt whose half below the centre has FWHM w(1 + s), above w(1 − s);
  each multiplied by the Bérar–Baldinozzi factor 1 + (P1 Fa(z) + P2 Fb(z))/tanθ + (P3 Fa + P4 Fb)/tan 2θ
  with z = (2θ − c)/w, Fa = 2z e^(−z²), Fb = 2(2z² − 3)Fa (Bérar & Baldinozzi 1993, FullProf's form);
* axial divergence: the line averaged over rays diverging axially by ψ uniform over the acceptance,
  each seen at 2θ − A cot 2θ · t², t = ψ/ψ_max (Cheary & Coelho 1998), here by a 400-point midpoint
  rule in t;
* specimen displacement Δ2θ = −2 s cosθ / R, a zero shift, a Chebyshev background, Poisson noise.
"""
from __future__ import annotations

import csv
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import xarray as xr
from numpy.polynomial import chebyshev

REFERENCE = Path(__file__).resolve().parents[2] / "reference_patterns"
KA1, KA2 = 1.540562, 1.544390
RADIUS_MM = 240.0
INSTRUMENT = {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.0, "y": 0.02}
_TCH_GAMMA = (1.0, 2.69269, 2.42843, 4.47163, 0.07842, 1.0)
_TCH_ETA = (1.36603, -0.47719, 0.11116)


def read_phase(name: str) -> dict:
    """Lines (hkl, d, m, |F|²) and cell, Z, formula mass of a committed phase (cubic or hexagonal)."""
    with open(REFERENCE / f"{name}.reflections.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    structure = tomllib.loads((REFERENCE / f"{name}.toml").read_text(encoding="utf-8"))
    cell = structure["cell"]
    a = float(cell["a"])
    c = float(cell.get("c", a))
    volume = a**3 if set(cell) == {"a"} else a * a * c * math.sin(math.radians(cell.get("gamma", 90.0)))
    return {"hkl": [r["hkl"].split()[0] for r in rows], "d": np.array([float(r["d_A"]) for r in rows]),
            "m": np.array([int(r["multiplicity"]) for r in rows], dtype=float),
            "f2": np.array([float(r["F2"]) for r in rows]), "a": a, "c": c, "volume": volume,
            "z": int(structure["z"]), "mass": float(structure["formula_mass"])}


def l_index(hkl: str) -> int:
    """The l of an hkl string such as ``"002"`` or ``"10-1"``."""
    return int(re.findall(r"-?\d", hkl)[2])


def tch(gauss, lorentz):
    """Total FWHM and Lorentzian fraction η of the TCH pseudo-Voigt from its Gaussian and Lorentzian
    FWHMs (Thompson, Cox & Hastings, J. Appl. Cryst. 20 (1987) 79: Γ⁵ = Γ_G⁵ + 2.69269 Γ_G⁴Γ_L
    + 2.42843 Γ_G³Γ_L² + 4.47163 Γ_G²Γ_L³ + 0.07842 Γ_GΓ_L⁴ + Γ_L⁵, η = 1.36603 q − 0.47719 q²
    + 0.11116 q³, q = Γ_L/Γ)."""
    g, lo = np.asarray(gauss, float), np.asarray(lorentz, float)
    gamma = sum(c * g ** (5 - k) * lo**k for k, c in enumerate(_TCH_GAMMA)) ** 0.2
    q = lo / gamma
    return gamma, sum(c * q ** (k + 1) for k, c in enumerate(_TCH_ETA))


def unit_profile(d, fwhm, eta, profile: str, shape: float):
    """Unit-area line of FWHM ``fwhm`` at offset ``d`` = 2θ − centre."""
    if profile == "pearson7":
        m = shape
        k = 4.0 * (2.0 ** (1.0 / m) - 1.0)
        height = math.sqrt(k / math.pi) * math.exp(math.lgamma(m) - math.lgamma(m - 0.5))
        return height / fwhm * (1.0 + k * (d / fwhm) ** 2) ** -m
    width = fwhm * np.where(d < 0, 1.0 + shape, 1.0 - shape) if profile == "split" else fwhm
    return pseudo_voigt(d, 0.0, width, eta) * width / fwhm  # the split halves keep the total area 1


def pseudo_voigt(x, center, fwhm, eta):
    """Unit-area (1 − η)·Gauss + η·Lorentz with one FWHM (arrays broadcast)."""
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    gauss = np.exp(-0.5 * ((x - center) / sigma) ** 2) / (sigma * math.sqrt(2.0 * math.pi))
    half = fwhm / 2.0
    return (1.0 - eta) * gauss + eta * half / (math.pi * ((x - center) ** 2 + half**2))


def phase_pattern(x, name: str, scale: float, size_nm: float, *, strain: float = 0.0, po_r: float | None = None,
                  instrument=None, profile: str = "pseudo-voigt", shape: float = 0.0, asym=(0.0, 0.0),
                  ka2_ratio: float = 0.5, displacement_um: float = 0.0, zero: float = 0.0, areas: dict | None = None,
                  axial: float = 0.0):
    """Kα1 + Kα2 lines of a phase on the grid ``x`` (degrees); ``areas`` (optional) collects the Kα1
    integrated intensity (counts·degree) of each line on the grid by hkl."""
    inst = {**INSTRUMENT, **(instrument or {})}
    ph = read_phase(name)
    out = np.zeros_like(x)
    for lam, weight in ((KA1, 1.0), (KA2, ka2_ratio)):
        s = lam / (2.0 * ph["d"])
        ok = s < 1
        theta = np.arcsin(s[ok])
        shift = np.degrees(-2.0 * (displacement_um * 1e-3) * np.cos(theta) / RADIUS_MM) + zero
        center = 2.0 * np.degrees(theta) + shift
        lp = (1.0 + np.cos(2.0 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))
        area = scale * ph["m"][ok] * ph["f2"][ok] * lp / ph["volume"] ** 2
        if po_r is not None:
            cos2 = (np.array([l_index(h) for h, k in zip(ph["hkl"], ok) if k]) * ph["d"][ok] / ph["c"]) ** 2
            area = area * (po_r**2 * cos2 + (1 - cos2) / po_r) ** -1.5
        if areas is not None and weight == 1.0:  # lines whose Kα1 centre is on the grid
            areas.update({h: float(a) for h, a, c in zip([h for h, k in zip(ph["hkl"], ok) if k], area, center)
                          if x.min() <= c <= x.max()})
        t = np.tan(theta)
        gauss = np.sqrt(inst["u"] * t**2 + inst["v"] * t + inst["w"])
        lorentz = (inst["x"] * t + inst["y"] / np.cos(theta) + np.degrees(0.9 * lam / (size_nm * 10.0 * np.cos(theta)))
                   + np.degrees(4.0 * strain * t))
        fwhm, eta = tch(gauss, lorentz)
        if axial:
            t_mid = (np.arange(400) + 0.5) / 400
            reach = axial / np.tan(2 * theta)
            line = sum(unit_profile(x[:, None] - (center - reach * t * t)[None], fwhm[None], eta[None], profile, shape)
                       for t in t_mid) / t_mid.size
            out += weight * (area[None] * line).sum(axis=1)
            continue
        d = x[:, None] - center[None]
        line = unit_profile(d, fwhm[None], eta[None], profile, shape)
        if any(asym):
            p1, p2, p3, p4 = (*asym, 0.0, 0.0)[:4]
            z = d / fwhm[None]
            fa = 2 * z * np.exp(-z * z)
            fb = 2 * (2 * z * z - 3) * fa
            line = line * (1 + (p1 * fa + p2 * fb) / t[None] + (p3 * fa + p4 * fb) / np.tan(2 * theta)[None])
        out += weight * (area[None] * line).sum(axis=1)
    return out


def background(x, coefficients=(300.0, -40.0, 15.0, -5.0)):
    u = 2.0 * (x - x.min()) / (x.max() - x.min()) - 1.0
    return chebyshev.chebval(u, coefficients)


def noisy(x, expected: np.ndarray, seed: int) -> xr.DataArray:
    y = np.random.default_rng(seed).poisson(expected).astype(float)
    return xr.DataArray(y, dims=("two_theta",), coords={"two_theta": x},
                        attrs={"units": "counts", "anode": "Cu", "source": f"independent forward, seed {seed}"})
