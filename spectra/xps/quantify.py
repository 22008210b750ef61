"""Quantification: atomic % across regions, with uncertainties.

Two routes, never mixed (vendor RSFs already contain transmission and escape-depth factors):

* ``method="scofield"``: sensitivity ``S = σ(line) · λ(KE) · T(KE)``, with σ the Scofield cross
  section relative to C 1s (library), λ the TPP-2M inelastic mean free path of the matrix
  (Tanuma, Powell & Penn, Surf. Interface Anal. 21 (1994) 165) and T the analyser transmission
  (a callable of kinetic energy, or the power law ``KE**exponent``; the exponent is stated in the
  output, default −0.5).
* ``method="rsf"``: ``S`` from a vendor relative-sensitivity-factor table given by the user.

``at.% = (I/S) / Σ(I/S) · 100``; area uncertainties (``uncertainties`` numbers, e.g. from
:meth:`XPSFitResult.areas`) propagate into the atomic %.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import uncertainties

from ..errors import RecipeError
from . import library

EXCITATION = {"al_ka": 1486.6, "mg_ka": 1253.6}


@dataclass(frozen=True)
class Material:
    """Matrix parameters for TPP-2M: density (g/cm³), valence electrons per formula unit, molar mass
    (g/mol) and band gap (eV).

    Attributes
    ----------
    name : str
        Material name.
    density : float
        g/cm³.
    valence_electrons : float
        Valence electrons per formula unit.
    molar_mass : float
        g/mol.
    band_gap : float
        eV.
    """

    name: str
    density: float
    valence_electrons: float
    molar_mass: float
    band_gap: float


#: TPP-2M matrices used in this study (research/xps.md 4.4; Li2S: 8 valence e⁻, 45.95 g/mol, 1.66 g/cm³)
MATERIALS = {
    "Li6PS5Cl": Material("Li6PS5Cl", 1.64, 48.0, 268.4, 3.0),
    "Li2S": Material("Li2S", 1.66, 8.0, 45.95, 3.9),
    "Si": Material("Si", 2.33, 4.0, 28.086, 1.1),
}


def tpp2m(kinetic_energy: float, material: Material) -> float:
    """Inelastic mean free path (nm) from the TPP-2M formula at a kinetic energy (eV).

    Parameters
    ----------
    kinetic_energy : float
        Electron kinetic energy (eV).
    material : Material
        The matrix.

    Returns
    -------
    float
        IMFP in nm.
    """
    e = kinetic_energy
    rho, nv, m, eg = material.density, material.valence_electrons, material.molar_mass, material.band_gap
    ep = 28.8 * math.sqrt(nv * rho / m)
    beta = -0.10 + 0.944 / math.sqrt(ep**2 + eg**2) + 0.069 * rho**0.1
    gamma = 0.191 * rho**-0.5
    u = nv * rho / m
    c = 1.97 - 0.91 * u
    d = 53.4 - 20.8 * u
    angstrom = e / (ep**2 * (beta * math.log(gamma * e) - c / e + d / e**2))
    return angstrom / 10.0


@dataclass
class QuantRow:
    """One line of the quantification table (CasaXPS-like).

    Attributes
    ----------
    name : str
        Peak name (key of ``areas``).
    line : str
        Core level, e.g. ``"S 2p"``.
    raw_area : UFloat or float
        Area as given (counts·eV).
    sensitivity : float
        S: σ·λ·T (Scofield route) or the vendor RSF.
    cross_section : float or None
        Scofield σ relative to C 1s; None on the RSF route.
    imfp_nm : float or None
        TPP-2M inelastic mean free path (nm); None on the RSF route.
    transmission : float or None
        Analyser transmission used; None on the RSF route.
    corrected_area : UFloat or float
        ``raw_area / sensitivity``.
    atomic_percent : UFloat, float or None
        Atomic %, filled in by :func:`quantify`.
    """

    name: str
    line: str
    raw_area: uncertainties.UFloat | float
    sensitivity: float
    cross_section: float | None
    imfp_nm: float | None
    transmission: float | None
    corrected_area: uncertainties.UFloat | float
    atomic_percent: uncertainties.UFloat | float | None


def transmission_of(da) -> float | None:
    """Mean analyser transmission over a spectrum, when the file recorded it, else None.

    Parameters
    ----------
    da : xarray.DataArray
        A spectrum, e.g. with the SPECS ``transmission`` coordinate.

    Returns
    -------
    float or None
        Mean of the ``transmission`` coordinate; None when there is none.
    """
    if "transmission" in da.coords:
        return float(da["transmission"].mean())
    return None


def quantify(areas: Mapping[str, tuple], *, method: str = "scofield",
             excitation: str = "al_ka", material: str | Material = "Li6PS5Cl",
             transmission: Callable[[float], float] | None = None, transmission_exponent: float = -0.5,
             rsf: Mapping[str, float] | None = None) -> list[QuantRow]:
    """Atomic % of the named peaks.

    Parameters
    ----------
    areas : mapping
        Name → (line, area) or (line, area, transmission), e.g.
        ``{"S": ("S 2p", ufloat(5e4, 500)), "Li": ("Li 1s", ufloat(1e3, 80))}``. Areas in counts·eV of
        the *whole* line (both spin-orbit components); a third item is that line's analyser
        transmission from the file (see :func:`transmission_of`), used instead of the power law.
    method : {"scofield", "rsf"}
        Sensitivities from Scofield σ, TPP-2M λ and transmission, or from ``rsf``.
    excitation : {"al_ka", "mg_ka"}
        Al Kα (1486.6 eV) or Mg Kα (1253.6 eV), for kinetic energies and cross sections.
    material : str or Material
        Matrix for the TPP-2M inelastic mean free path (Scofield route); a string names an entry of
        :data:`MATERIALS`.
    transmission : callable, optional
        T(kinetic energy in eV); default ``KE**transmission_exponent``. A transmission given in
        ``areas`` takes precedence.
    transmission_exponent : float
        Exponent of the default power-law transmission.
    rsf : mapping, optional
        Line → vendor RSF (RSF route only).

    Returns
    -------
    list of QuantRow
        One per entry of ``areas``, in order, with ``atomic_percent`` filled in (summing to 100).

    Raises
    ------
    spectra.errors.RecipeError
        ``method`` is unknown, the RSF route has no table or no RSF for a line, or (Scofield route) a
        line is not in the cross-section table.
    KeyError
        ``material`` or ``excitation`` is not a known name.
    """
    if method not in ("scofield", "rsf"):
        raise RecipeError(f"method must be 'scofield' or 'rsf', not {method!r}")
    if method == "rsf" and not rsf:
        raise RecipeError("the RSF route needs an rsf table {line: RSF}")
    mat = MATERIALS[material] if isinstance(material, str) else material
    hv = EXCITATION[excitation]
    rows = []
    for name, entry in areas.items():
        line, area = entry[0], entry[1]
        file_t = entry[2] if len(entry) > 2 else None
        area = area if isinstance(area, uncertainties.UFloat) else float(area)
        if method == "rsf":
            if line not in rsf:
                raise RecipeError(f"no RSF for {line!r} in the table")
            s, sigma, lam, t = float(rsf[line]), None, None, None
        else:
            ke = hv - library.line_binding_energy(line)
            sigma = library.cross_section(line, excitation=excitation)
            lam = tpp2m(ke, mat)
            if file_t is not None:
                t = float(file_t)
            else:
                t = transmission(ke) if transmission else ke**transmission_exponent
            s = sigma * lam * t
        rows.append(QuantRow(name, line, area, s, sigma, lam, t, area / s, None))
    total = sum(r.corrected_area for r in rows)
    for r in rows:
        r.atomic_percent = 100.0 * r.corrected_area / total
    return rows


def table(rows: list[QuantRow]) -> str:
    """A plain-text table in CasaXPS's column order.

    Parameters
    ----------
    rows : list of QuantRow
        As returned by :func:`quantify`.

    Returns
    -------
    str
        A header and one line per row: name, line, raw area, S, area/S and at. % ± σ.
    """
    head = f"{'Name':<10}{'Line':<8}{'Raw Area':>14}{'S':>10}{'Area/S':>14}{'At %':>16}"
    lines = [head]
    for r in rows:
        raw = getattr(r.raw_area, "n", r.raw_area)
        corrected = getattr(r.corrected_area, "n", r.corrected_area)
        lines.append(f"{r.name:<10}{r.line:<8}{raw:>14.4g}{r.sensitivity:>10.4g}{corrected:>14.4g}"
                     f"{getattr(r.atomic_percent, 'n', r.atomic_percent):>9.2f} ± "
                     f"{getattr(r.atomic_percent, 's', float('nan')):<5.2f}")
    return "\n".join(lines)
