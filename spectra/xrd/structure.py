"""Crystal structures of reference phases and their kinematic structure factors.

A phase file (``reference_patterns/<name>.toml``) gives the space group (Hermann–Mauguin symbol
with setting, read by gemmi), the cell, the sites (element or ion, Wyckoff letter, fractional
position, occupancy, isotropic B in Å²) and the literature source. Symmetry-equivalent positions come
from gemmi's space-group operators; structure factors use Waasmaier–Kirfel f0 plus Chantler
f′ and f″ at the radiation energy (xraydb), and Debye–Waller factors exp(−B s²).
"""
from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import SpectraError


@dataclass(frozen=True)
class Site:
    """One crystallographic site of a structure.

    Attributes
    ----------
    label : str
        Site label, e.g. ``"X_4d"``.
    species : tuple of (str, float)
        ``(element or ion, occupancy)`` pairs on the site.
    wyckoff : str
        Wyckoff position (multiplicity and letter, e.g. ``"4a"``); may be empty.
    xyz : tuple of float
        Fractional coordinates of the representative position.
    b_iso : float
        Isotropic displacement parameter B in Å².
    """

    label: str
    species: tuple[tuple[str, float], ...]   # (element or ion, occupancy) on the site
    wyckoff: str
    xyz: tuple[float, float, float]
    b_iso: float


@dataclass(frozen=True)
class Structure:
    """A crystal structure: space group, cell (Å, degrees), sites, source.

    Attributes
    ----------
    name : str
        Phase name, e.g. ``"Li6PS5Cl"``.
    spacegroup : str
        Hermann–Mauguin symbol with setting, as gemmi reads it.
    cell : tuple of float
        ``(a, b, c, α, β, γ)`` in Å and degrees.
    sites : tuple of Site
        Asymmetric-unit sites.
    source : str
        Literature source of the structure.
    z : float
        Formula units per cell (for weight fractions).
    formula_mass : float
        g/mol of one formula unit.
    kind : str
        ``"crystal"``, or another kind (e.g. amorphous) for which no reflection list is computed.
    notes : str
        Free text from the phase file.
    extra : dict
        Further phase-file data (e.g. ``humps``); not compared or hashed.
    """

    name: str
    spacegroup: str
    cell: tuple[float, float, float, float, float, float]
    sites: tuple[Site, ...]
    source: str
    z: float = 1.0              # formula units per cell (for weight fractions)
    formula_mass: float = 0.0   # g/mol of one formula unit
    kind: str = "crystal"
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def volume(self) -> float:
        """Cell volume (Å³)."""
        a, b, c, al, be, ga = self.cell
        ca, cb, cg = (math.cos(math.radians(v)) for v in (al, be, ga))
        return a * b * c * math.sqrt(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)

    def with_cell(self, cell) -> Structure:
        """A copy with another cell.

        Parameters
        ----------
        cell : sequence of float
            ``(a, b, c, α, β, γ)`` in Å and degrees.

        Returns
        -------
        Structure
            The same structure with ``cell`` replaced.
        """
        return Structure(self.name, self.spacegroup, tuple(cell), self.sites, self.source, self.z, self.formula_mass,
                         self.kind, self.notes, self.extra)


def _root() -> Path:
    """The ``reference_patterns`` folder (repository checkout or installed wheel)."""
    installed = resources.files("spectra") / "reference_patterns"
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parents[2] / "reference_patterns"


def phase_names() -> list[str]:
    """Names of the phases shipped in ``reference_patterns``.

    Returns
    -------
    list of str
        Sorted stems of every ``*.toml`` file there.
    """
    return sorted(p.stem for p in _root().glob("*.toml"))


@functools.cache
def load_structure(name: str) -> Structure:
    """Read ``reference_patterns/<name>.toml`` (cached: each name is read once).

    Parameters
    ----------
    name : str
        Phase name (see :func:`phase_names`).

    Returns
    -------
    Structure
        The phase; ``b``, ``c`` default to ``a`` and the angles to 90°.

    Raises
    ------
    spectra.errors.SpectraError
        No phase file of that name.
    """
    path = _root() / f"{name}.toml"
    if not path.exists():
        raise SpectraError(f"no reference phase {name!r}; phases: {', '.join(phase_names())}")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    sites = []
    for s in data.get("sites", []):
        species = tuple((sp, float(occ)) for sp, occ in s["species"].items())
        sites.append(Site(s["label"], species, s.get("wyckoff", ""), tuple(float(v) for v in s["xyz"]),
                          float(s.get("b_iso", 0.0))))
    cell = data["cell"]
    return Structure(data["name"], data.get("spacegroup", "P 1"),
                     (cell["a"], cell.get("b", cell["a"]), cell.get("c", cell["a"]), cell.get("alpha", 90.0),
                      cell.get("beta", 90.0), cell.get("gamma", 90.0)),
                     tuple(sites), data["source"], float(data.get("z", 1)), float(data.get("formula_mass", 0.0)),
                     data.get("kind", "crystal"), data.get("notes", ""),
                     {**data.get("extra", {}), **({"humps": data["humps"]} if "humps" in data else {})})


def _replace_species(structure: Structure, label: str, species: dict[str, float]) -> Structure:
    sites = tuple(Site(s.label, tuple(species.items()), s.wyckoff, s.xyz, s.b_iso) if s.label == label else s
                  for s in structure.sites)
    return Structure(structure.name, structure.spacegroup, structure.cell, sites, structure.source, structure.z,
                     structure.formula_mass, structure.kind, structure.notes, structure.extra)


def argyrodite_disorder(structure: Structure, cl_on_4d: float) -> Structure:
    """Li6PS5Cl with a fraction ``cl_on_4d`` of the Cl on the 4d anion site.

    The rest of the Cl is on 4a; S fills the other share of each site. 1.0 is fully ordered, 0.5
    fully disordered.

    Parameters
    ----------
    structure : Structure
        An argyrodite structure with sites labelled ``X_4d`` and ``X_4a``.
    cl_on_4d : float
        Fraction in [0, 1].

    Returns
    -------
    Structure
        A copy with the two anion sites' species replaced.

    Raises
    ------
    spectra.errors.SpectraError
        ``cl_on_4d`` is outside [0, 1].
    """
    if not 0 <= cl_on_4d <= 1:
        raise SpectraError("cl_on_4d must lie in [0, 1]")
    s = _replace_species(structure, "X_4d", {"Cl": cl_on_4d, "S": 1 - cl_on_4d})
    return _replace_species(s, "X_4a", {"Cl": 1 - cl_on_4d, "S": cl_on_4d})


def ncm_exchange(structure: Structure, li_ni_exchange: float) -> Structure:
    """NCM811 with a fraction ``li_ni_exchange`` of Ni on the Li 3a site (and as much Li on 3b).

    Parameters
    ----------
    structure : Structure
        An NCM structure with sites labelled ``Li_3a`` and ``TM_3b``.
    li_ni_exchange : float
        Fraction x in [0, 0.3].

    Returns
    -------
    Structure
        A copy with ``Li_3a`` = Li(1−x)Ni(x) and ``TM_3b`` = Ni(0.8−x)Co(0.1)Mn(0.1)Li(x).

    Raises
    ------
    spectra.errors.SpectraError
        ``li_ni_exchange`` is outside [0, 0.3].
    """
    x = li_ni_exchange
    if not 0 <= x <= 0.3:
        raise SpectraError("li_ni_exchange must lie in [0, 0.3]")
    s = _replace_species(structure, "Li_3a", {"Li": 1 - x, "Ni": x})
    return _replace_species(s, "TM_3b", {"Ni": 0.8 - x, "Co": 0.1, "Mn": 0.1, "Li": x})


#: structural parameters a recipe may set per phase (phase_options.<phase>.<parameter>)
STRUCTURE_PARAMETERS = {"Li6PS5Cl": {"cl_on_4d": argyrodite_disorder}, "NCM811": {"li_ni_exchange": ncm_exchange}}


def variant(name: str, **parameters: float) -> Structure:
    """A shipped phase with its structural parameters (e.g. ``cl_on_4d``, ``li_ni_exchange``) set.

    Parameters
    ----------
    name : str
        Phase name (see :func:`phase_names`).
    **parameters : float
        Structural parameters of that phase (see :data:`STRUCTURE_PARAMETERS`).

    Returns
    -------
    Structure
        The phase with the parameters applied (the cached structure itself when none are given).

    Raises
    ------
    spectra.errors.SpectraError
        No such phase, the phase has no such parameter, or a value is out of range.
    """
    s = load_structure(name)
    for key, value in parameters.items():
        try:
            s = STRUCTURE_PARAMETERS[name][key](s, float(value))
        except KeyError:
            raise SpectraError(f"{name} has no structural parameter {key!r}; "
                               f"parameters: {STRUCTURE_PARAMETERS.get(name, {})}") from None
    return s


@functools.cache
def _operations(spacegroup: str):
    import gemmi

    sg = gemmi.SpaceGroup(spacegroup)
    return [(np.array(op.rot, dtype=float) / op.DEN, np.array(op.tran, dtype=float) / op.DEN)
            for op in sg.operations()]


def expand(structure: Structure) -> list[tuple[Site, np.ndarray]]:
    """Every site with all its symmetry-equivalent fractional positions (duplicates removed).

    Parameters
    ----------
    structure : Structure
        The structure; its space group is read by gemmi.

    Returns
    -------
    list of (Site, numpy.ndarray)
        Each site with its positions, shape ``(multiplicity, 3)``, fractional coordinates in [0, 1).
    """
    out = []
    for site in structure.sites:
        xyz = np.array(site.xyz)
        positions = []
        for rot, tran in _operations(structure.spacegroup):
            p = np.mod(rot @ xyz + tran, 1.0)
            if not any(np.all(np.abs(((p - q) + 0.5) % 1.0 - 0.5) < 1e-4) for q in positions):
                positions.append(p)
        out.append((site, np.array(positions)))
    return out


def reciprocal_metric(cell) -> np.ndarray:
    """Reciprocal metric tensor G* so that 1/d² = hᵀ G* h.

    Parameters
    ----------
    cell : sequence of float
        ``(a, b, c, α, β, γ)`` in Å and degrees.

    Returns
    -------
    numpy.ndarray
        Shape ``(3, 3)``, in Å⁻².
    """
    a, b, c, al, be, ga = cell
    ca, cb, cg = (math.cos(math.radians(v)) for v in (al, be, ga))
    g = np.array([[a * a, a * b * cg, a * c * cb], [a * b * cg, b * b, b * c * ca], [a * c * cb, b * c * ca, c * c]])
    return np.linalg.inv(g)


@functools.cache
def _f_anomalous(species: str, energy_ev: float) -> tuple[float, float]:
    import xraydb

    element = "".join(ch for ch in species if ch.isalpha())
    return float(xraydb.f1_chantler(element, energy_ev)), float(xraydb.f2_chantler(element, energy_ev))


def scattering_factor(species: str, s: np.ndarray, energy_ev: float | None) -> np.ndarray:
    """f0(s) (Waasmaier–Kirfel) + f′ + i f″ (Chantler) for an element or ion, s = sinθ/λ (1/Å).

    Parameters
    ----------
    species : str
        Element or ion symbol as xraydb knows it (e.g. ``"Cl1-"``); f′, f″ use its letters only.
    s : numpy.ndarray
        sinθ/λ in Å⁻¹.
    energy_ev : float or None
        Photon energy (eV) for f′ and f″; ``None`` for f0 alone.

    Returns
    -------
    numpy.ndarray
        Complex scattering factors (electrons), shaped like ``s``.
    """
    import xraydb

    f = np.asarray(xraydb.f0(species, s), dtype=complex)
    if energy_ev is not None:
        f1, f2 = _f_anomalous(species, energy_ev)
        f = f + f1 + 1j * f2
    return f


def structure_factors(structure: Structure, hkl: np.ndarray, *, energy_ev: float | None,
                      debye_waller: bool = True) -> np.ndarray:
    """Complex structure factors F(hkl) (electrons) for an (n, 3) array of indices.

    Parameters
    ----------
    structure : Structure
        The structure.
    hkl : numpy.ndarray
        Shape ``(n, 3)``, Miller indices.
    energy_ev : float or None
        Photon energy (eV) for the anomalous terms; ``None`` leaves them out.
    debye_waller : bool
        Apply each site's exp(−B s²).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, complex, in electrons per cell.
    """
    g = reciprocal_metric(structure.cell)
    inv_d2 = np.einsum("ni,ij,nj->n", hkl, g, hkl)
    s = 0.5 * np.sqrt(inv_d2)
    total = np.zeros(len(hkl), dtype=complex)
    for site, positions in expand(structure):
        phase = np.exp(2j * np.pi * hkl @ positions.T).sum(axis=1)
        dw = np.exp(-site.b_iso * s**2) if debye_waller else 1.0
        for species, occ in site.species:
            total += occ * scattering_factor(species, s, energy_ev) * dw * phase
    return total
