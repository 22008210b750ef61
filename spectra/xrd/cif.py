"""Phases from CIF files: read a crystal structure into a :class:`~spectra.xrd.structure.Structure`
and write one back.

A CIF (COD, ICSD, Materials Project, a paper's supplement) is read with gemmi. The result is the
same kind of object as a shipped phase (asymmetric unit + space group), so its reflection list,
pattern and weight fraction are computed by the same code.

What is taken from the CIF, and how:

* **cell** — ``_cell_length_a/b/c`` (required) and ``_cell_angle_*`` (90° when absent);
* **space group** — the symmetry operators (``_space_group_symop_operation_xyz`` or
  ``_symmetry_equiv_pos_as_xyz``) when listed, else the Hall symbol, else the H-M symbol, else
  the IT number (gemmi's order). Operators that match no tabulated setting are applied here and
  the structure is stored as its full cell in P 1 (the reflection list is the same);
* **sites** — label, element (from ``_atom_site_type_symbol``, else the label; charges are dropped
  and neutral-atom scattering factors used, as for the shipped phases), fractional position,
  occupancy (1 when absent);
* **displacements** — isotropic B = 8π²U from ``_atom_site_U_iso_or_equiv`` or
  ``_atom_site_B_iso_or_equiv``; anisotropic ``_atom_site_aniso_U_ij`` or ``_B_ij`` are averaged to
  the equivalent isotropic value U_eq = ⅓ Σᵢⱼ Uⁱʲ aᵢ* aⱼ* aᵢ·aⱼ (Fischer & Tillmanns, Acta Cryst. C44
  (1988) 775) and take precedence. With neither, B = 0 and the phase's ``notes`` say so;
* **symmetry-equivalent sites** — a site whose position is in the orbit of an earlier site is
  merged into it: a different element becomes a co-occupant of that site (B the occupancy-weighted
  mean), the same element is a duplicate listing and is dropped (both recorded in ``notes``);
* **Z and formula mass** — ``_cell_formula_units_Z`` (else Z = round(cell mass / mass of
  ``_chemical_formula_sum``), else 1) and ``_chemical_formula_weight`` (else the cell mass from the
  sites divided by Z).
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, RegionError, SpectraError
from .structure import Site, Structure, _operations, reciprocal_metric

_EIGHT_PI2 = 8 * math.pi**2
_SAME = 1e-4   # fractional distance under which two positions are the same


def load_phase(path: str | os.PathLike, *, name: str | None = None, block: str | None = None) -> Structure:
    """Read a crystal structure from a CIF file.

    Parameters
    ----------
    path : str or PathLike
        The CIF file.
    name : str, optional
        Phase name; by default the data block's name (``data_<name>``).
    block : str, optional
        Data block to read when the file holds several (required then).

    Returns
    -------
    Structure
        Asymmetric unit and space group (see the module notes for what is read and how), with
        ``source`` from the CIF's citation and ``extra = {"cif": path, "block": block name}``.

    Raises
    ------
    spectra.errors.FileFormatError
        The file cannot be read or parsed as CIF, or it has no (or an impossible) cell, no atom
        sites, a site with an unknown element or a missing coordinate, or a space group gemmi does
        not know (naming the file and, where it can, the line).
    spectra.errors.RegionError
        Several data blocks and ``block`` not given, or no block named ``block``.
    """
    import gemmi

    path = Path(path)
    try:
        doc = gemmi.cif.read(str(path))
    except (OSError, ValueError, RuntimeError) as exc:
        raise FileFormatError(path, f"cannot read as CIF: {_strip_location(exc)}", line=_gemmi_line(exc)) from None
    b = _choose_block(doc, path, block)
    cell = _cell(b, path)
    ss = gemmi.make_small_structure_from_block(b)
    spacegroup, ops = _spacegroup(ss, path)
    aniso = _aniso_b(b, cell)
    rows = []
    for site in ss.sites:
        element = "H" if site.element.atomic_number == 1 else site.element.name   # D, T scatter X-rays as H
        if site.element.atomic_number == 0 or not _has_f0(element):
            raise FileFormatError(path, f"atom site {site.label!r}: unknown element symbol "
                                  f"{site.type_symbol or site.label!r}", line=_row_line(path, site.label))
        xyz = (site.fract.x, site.fract.y, site.fract.z)
        if not all(math.isfinite(v) for v in xyz):
            raise FileFormatError(path, f"atom site {site.label!r}: fractional coordinate missing",
                                  line=_row_line(path, site.label))
        occ = site.occ if math.isfinite(site.occ) else 1.0
        b_iso = aniso.get(site.label, _EIGHT_PI2 * site.u_iso if math.isfinite(site.u_iso) else 0.0)
        rows.append((site.label, element, xyz, occ, b_iso))
    if not rows:
        raise FileFormatError(path, f"data block {b.name!r} has no atom sites (_atom_site_fract_x/y/z loop)")
    notes = [f"read from {path.name} (data block {b.name})"]
    if not aniso and not _has_any(b, "_atom_site_U_iso_or_equiv", "_atom_site_B_iso_or_equiv"):
        notes.append("the CIF gives no displacement parameters: B = 0")
    elif aniso:
        notes.append(f"B from U_eq of the anisotropic displacements of {', '.join(sorted(aniso))}")
    sites, merge_notes = _merge(rows, ops, _wyckoff_letters(b))
    notes += merge_notes
    if spacegroup is None:
        notes.append("symmetry operators match no tabulated setting: stored as the full cell in P 1")
        sites = _full_cell(sites, ops)
        spacegroup, ops = "P 1", _operations("P 1")
    z, formula_mass, mass_notes = _z_and_mass(b, sites, ops)
    notes += mass_notes
    return Structure(name or b.name, spacegroup, cell, tuple(sites), _source(b, path), z, formula_mass, "crystal",
                     "; ".join(notes), {"cif": str(path), "block": b.name})


def write_cif(structure: Structure, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a crystalline structure as a CIF that :func:`load_phase` reads back to the same phase.

    The space group is written as its IT number, H-M and Hall symbols and the full list of
    symmetry operators (which fix the setting); sites with several species become one atom-site
    row per species at the same position (the first keeps the site's label); B is written as
    ``_atom_site_B_iso_or_equiv``; the source goes to ``_publ_section_references``.

    Parameters
    ----------
    structure : Structure
        A phase of kind ``"crystal"``.
    path : str or PathLike
        Target file, written atomically.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    spectra.errors.SpectraError
        The structure is not crystalline, or ``path`` exists and ``overwrite`` is false.
    """
    import gemmi

    from ..io.write import atomic_write_text

    if structure.kind != "crystal":
        raise SpectraError(f"{structure.name} is {structure.kind}, not a crystal structure: nothing to write as CIF")
    sg = gemmi.SpaceGroup(structure.spacegroup)
    doc = gemmi.cif.Document()
    b = doc.add_new_block(re.sub(r"\s+", "_", structure.name))
    for key, value in zip(("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma"),
                          structure.cell):
        b.set_pair(f"_cell_{key}", _num(value))
    b.set_pair("_cell_formula_units_Z", _num(structure.z))
    if structure.formula_mass:
        b.set_pair("_chemical_formula_weight", _num(structure.formula_mass))
    b.set_pair("_space_group_IT_number", str(sg.number))
    b.set_pair("_space_group_name_H-M_alt", gemmi.cif.quote(sg.hm))
    b.set_pair("_space_group_name_Hall", gemmi.cif.quote(sg.hall))
    b.set_pair("_publ_section_references", gemmi.cif.quote(structure.source))
    symops = b.init_loop("_space_group_symop_", ["id", "operation_xyz"])
    for i, op in enumerate(sg.operations(), start=1):
        symops.add_row([str(i), gemmi.cif.quote(op.triplet())])
    atoms = b.init_loop("_atom_site_", ["label", "type_symbol", "Wyckoff_symbol", "fract_x", "fract_y", "fract_z",
                                        "occupancy", "B_iso_or_equiv", "adp_type"])
    for site in structure.sites:
        letter = site.wyckoff.lstrip("0123456789") or "?"
        for i, (species, occ) in enumerate(site.species):
            label = site.label if i == 0 else f"{site.label}_{species}"
            atoms.add_row([gemmi.cif.quote(label), species, letter, *(_num(v) for v in site.xyz), _num(occ),
                           _num(site.b_iso), "Biso"])
    return atomic_write_text(path, doc.as_string(), overwrite=overwrite)


def _num(value: float) -> str:
    return repr(float(value))


def _strip_location(exc: Exception) -> str:
    """gemmi's message without its leading ``file:line:col(offset):`` part."""
    return re.sub(r"^.*?:\d+:\d+(\(\d+\))?:\s*", "", str(exc))


def _gemmi_line(exc: Exception) -> int | None:
    m = re.search(r":(\d+):\d+", str(exc))
    return int(m.group(1)) if m else None


def _choose_block(doc, path: Path, block: str | None):
    names = [b.name for b in doc]
    if block is not None:
        b = doc.find_block(block)
        if b is None:
            raise RegionError(f"{path}: no data block {block!r}; blocks: {', '.join(names)}")
        return b
    if not names:
        raise FileFormatError(path, "no data block")
    if len(names) > 1:
        raise RegionError(f"{path}: {len(names)} data blocks ({', '.join(names)}); choose one with block=")
    return doc[0]


def _has_any(b, *tags: str) -> bool:
    return any(len(b.find_values(t)) > 0 for t in tags)


def _cell(b, path: Path) -> tuple[float, ...]:
    import gemmi

    values = []
    for key, default in (("length_a", None), ("length_b", None), ("length_c", None), ("angle_alpha", 90.0),
                         ("angle_beta", 90.0), ("angle_gamma", 90.0)):
        raw = b.find_value(f"_cell_{key}")
        value = gemmi.cif.as_number(raw) if raw is not None else math.nan
        if not math.isfinite(value):
            if default is None:
                raise FileFormatError(path, f"data block {b.name!r}: cell length _cell_{key} missing",
                                      line=_item_line(b, f"_cell_{key}"))
            value = default
        values.append(float(value))
    ca, cb, cg = (math.cos(math.radians(v)) for v in values[3:])
    if (min(values[:3]) <= 0 or not all(0 < v < 180 for v in values[3:])
            or not 1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg > 0):
        raise FileFormatError(path, f"data block {b.name!r}: impossible cell {tuple(values)}")
    return tuple(values)


def _item_line(b, tag: str) -> int | None:
    item = b.find_pair_item(tag)
    return item.line_number if item is not None and item.line_number > 0 else None


def _spacegroup(ss, path: Path):
    """(gemmi H-M symbol with setting, or None when the operators match no table entry; operators)."""
    import gemmi

    if ss.symops:
        try:
            ops = [gemmi.Op(t) for t in ss.symops]
        except (RuntimeError, ValueError) as exc:
            raise FileFormatError(path, f"unreadable symmetry operator: {exc}") from None
        group = gemmi.GroupOps(ops)
        sg = gemmi.find_spacegroup_by_ops(group)
        if sg is None:
            return None, [(np.array(op.rot, float) / op.DEN, np.array(op.tran, float) / op.DEN) for op in group]
    else:
        sg = ss.spacegroup
        if sg is None and (ss.spacegroup_hm or ss.spacegroup_hall):
            symbol = ss.spacegroup_hall or ss.spacegroup_hm
            raise FileFormatError(path, f"space group {symbol!r} is not one gemmi knows")
        if sg is None:
            sg = gemmi.SpaceGroup("P 1")   # no symmetry given: the sites are the whole cell
    return sg.xhm(), _operations(sg.xhm())


def _row_line(path: Path, label: str) -> int | None:
    """1-based line of the atom-site row holding the token ``label`` (after the atom-site loop's tags)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    start = next((i for i, text in enumerate(lines) if text.strip().lower().startswith("_atom_site_fract_x")), 0)
    for i in range(start, len(lines)):
        if label in (t.strip("'\"") for t in lines[i].split()):
            return i + 1
    return None


def _has_f0(element: str) -> bool:
    import xraydb

    return element in xraydb.f0_ions()


def _aniso_b(b, cell) -> dict[str, float]:
    """B_eq = 8π² U_eq (Å²) per label from the anisotropic loop (U_ij or B_ij); empty when there is none."""
    import gemmi

    for kind, factor in (("U", 1.0), ("B", 1 / _EIGHT_PI2)):
        tags = ["_atom_site_aniso_label"] + [f"_atom_site_aniso_{kind}_{ij}" for ij in ("11", "22", "33", "12", "13",
                                                                                         "23")]
        table = b.find(tags)
        if len(table) == 0:
            continue
        gstar = reciprocal_metric(cell)
        g = np.linalg.inv(gstar)
        astar = np.sqrt(np.diag(gstar))
        out = {}
        for row in table:
            u11, u22, u33, u12, u13, u23 = (gemmi.cif.as_number(row[i]) * factor for i in range(1, 7))
            u = np.array([[u11, u12, u13], [u12, u22, u23], [u13, u23, u33]])
            if np.all(np.isfinite(u)):
                out[row.str(0)] = _EIGHT_PI2 * float(np.einsum("ij,i,j,ij->", u, astar, astar, g)) / 3
        return out
    return {}


def _wyckoff_letters(b) -> dict[str, str]:
    table = b.find(["_atom_site_label", "?_atom_site_Wyckoff_symbol"])
    if len(table) == 0 or not table.has_column(1):
        return {}
    return {row.str(0): row.str(1) for row in table if row.has(1) and row.str(1) not in ("?", ".")}


def _orbit(xyz, ops) -> np.ndarray:
    positions: list[np.ndarray] = []
    for rot, tran in ops:
        p = np.mod(rot @ np.asarray(xyz) + tran, 1.0)
        if not any(np.all(np.abs(((p - q) + 0.5) % 1.0 - 0.5) < _SAME) for q in positions):
            positions.append(p)
    return np.array(positions)


def _merge(rows, ops, letters) -> tuple[list[Site], list[str]]:
    """Group rows whose positions are symmetry-equivalent into sites (see the module notes)."""
    groups: list[dict] = []
    notes = []
    for label, element, xyz, occ, b_iso in rows:
        home = next((g for g in groups
                     if np.any(np.all(np.abs(((g["orbit"] - np.asarray(xyz)) + 0.5) % 1.0 - 0.5) < _SAME, axis=1))),
                    None)
        if home is None:
            groups.append({"label": label, "xyz": xyz, "orbit": _orbit(xyz, ops), "species": {element: occ},
                           "b": [(occ, b_iso)]})
        elif element in home["species"]:
            notes.append(f"site {label} repeats {home['label']} (symmetry-equivalent, same element): dropped")
        else:
            home["species"][element] = occ
            home["b"].append((occ, b_iso))
            notes.append(f"site {label} shares the position of {home['label']}: merged as a co-occupant")
    sites = []
    for g in groups:
        total = sum(o for o, _ in g["b"])
        b_iso = sum(o * bb for o, bb in g["b"]) / total if total > 0 else g["b"][0][1]
        wyckoff = f"{len(g['orbit'])}{letters.get(g['label'], '')}"
        sites.append(Site(g["label"], tuple(g["species"].items()), wyckoff, tuple(float(v) for v in g["xyz"]),
                          float(b_iso)))
    return sites, notes


def _full_cell(sites: list[Site], ops) -> list[Site]:
    out = []
    for site in sites:
        for i, p in enumerate(_orbit(site.xyz, ops)):
            out.append(Site(f"{site.label}_{i + 1}", site.species, "1", tuple(float(v) for v in p), site.b_iso))
    return out


def _cell_mass(sites: list[Site], ops) -> float:
    import gemmi

    return sum(len(_orbit(s.xyz, ops)) * occ * gemmi.Element(sp).weight for s in sites for sp, occ in s.species)


def _formula_sum_mass(text: str) -> float | None:
    import gemmi

    parts = re.findall(r"([A-Z][a-z]?)\s*([0-9.]*)", text)
    if not parts:
        return None
    mass = 0.0
    for symbol, count in parts:
        element = gemmi.Element(symbol)
        if element.atomic_number == 0:
            return None
        mass += element.weight * (float(count) if count else 1.0)
    return mass


def _z_and_mass(b, sites: list[Site], ops) -> tuple[float, float, list[str]]:
    import gemmi

    cell_mass = _cell_mass(sites, ops)
    raw_z = b.find_value("_cell_formula_units_Z")
    z = gemmi.cif.as_number(raw_z) if raw_z is not None else math.nan
    notes = []
    if not (math.isfinite(z) and z > 0):
        raw = b.find_value("_chemical_formula_sum")
        unit = _formula_sum_mass(gemmi.cif.as_string(raw)) if raw is not None else None
        z = max(1.0, float(round(cell_mass / unit))) if unit else 1.0
        notes.append(f"Z = {z:g} derived from the sites" if unit else "no Z in the CIF: one formula unit = the cell")
    raw_m = b.find_value("_chemical_formula_weight")
    mass = gemmi.cif.as_number(raw_m) if raw_m is not None else math.nan
    if not (math.isfinite(mass) and mass > 0):
        mass = cell_mass / z
    elif abs(mass * z - cell_mass) > 0.02 * cell_mass:
        notes.append(f"Z × formula weight = {mass * z:.1f} g/mol but the sites hold {cell_mass:.1f} g/mol per cell")
    return float(z), float(mass), notes


def _source(b, path: Path) -> str:
    import gemmi

    def value(tag):
        raw = b.find_value(tag)
        return gemmi.cif.as_string(raw).strip() if raw is not None and raw not in ("?", ".") else ""

    stated = value("_publ_section_references")
    if stated:
        return stated
    authors = [gemmi.cif.as_string(a) for a in b.find_values("_publ_author_name")]
    journal = " ".join(x for x in (value("_journal_name_full") or value("_citation_journal_full"),
                                   value("_journal_volume"), f"({value('_journal_year')})" if value("_journal_year")
                                   else "", value("_journal_page_first")) if x)
    database = "; ".join(f"{db} {value(tag)}" for db, tag in (("COD", "_cod_database_code"),
                                                               ("ICSD", "_database_code_ICSD")) if value(tag))
    parts = [p for p in (", ".join(authors), journal, database) if p]
    return f"CIF {path.name}" + (": " + "; ".join(parts) if parts else "")
