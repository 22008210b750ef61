"""Phases from CIF files (spectra.xrd.cif).

* Round trip: every shipped crystalline phase written as CIF and read back gives the reflection list
  of the shipped TOML structure (2θ within 1e-4°, relative intensities within 0.01).
* Independent check: fluorite CaF2 from a hand-written CIF against a structure-factor sum written
  here over the full cell, with IT92 f0 (International Tables Vol. C, via gemmi) and Cromer–Liberman
  f′, f″ (gemmi) — not the Waasmaier–Kirfel/Chantler factors the package uses.
* Published values: |F|² of the structure in a COD powder CIF against the F²calc its authors'
  Rietveld refinement lists in the same file.
* Refusals name the file and, for a bad atom site, its line.
"""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from spectra.errors import FileFormatError, RegionError, SpectraError
from spectra.xrd import reflections, structure
from spectra.xrd.cif import load_phase, write_cif

CRYSTALS = [p for p in structure.phase_names() if structure.load_structure(p).kind == "crystal"]

CELL = """_cell_length_a {a}
_cell_length_b {a}
_cell_length_c {a}
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
"""
SITES = """loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
_atom_site_B_iso_or_equiv
"""
NACL = "data_NaCl\n" + CELL.format(a=5.6402) + "_symmetry_space_group_name_H-M 'F m -3 m'\n" + SITES + \
    "Na1 Na1+ 0 0 0 1 1.6\nCl1 Cl1- 0.5 0.5 0.5 1 1.2\n"


def _write(tmp_path, text, name="x.cif"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _same_lines(a, b, *, position=1e-4, relative=0.01):
    assert len(a.d) == len(b.d)
    assert a.hkl == b.hkl
    np.testing.assert_allclose(a.two_theta, b.two_theta, atol=position, rtol=0)
    np.testing.assert_allclose(a.relative, b.relative, atol=relative, rtol=0)


@pytest.mark.parametrize("phase", CRYSTALS)
def test_shipped_phase_round_trips_through_cif(phase, tmp_path):
    shipped = structure.load_structure(phase)
    path = write_cif(shipped, tmp_path / f"{phase}.cif")
    back = load_phase(path)
    assert back is not shipped and back.name == phase
    _same_lines(reflections.compute(shipped), reflections.compute(back))
    assert back.z * back.formula_mass == pytest.approx(shipped.z * shipped.formula_mass, rel=1e-9)
    assert back.source == shipped.source
    assert [s.label for s in back.sites] == [s.label for s in shipped.sites]   # structural parameters find X_4d etc.


def _fluorite_reference(a, b_ca, b_f, wavelength, two_theta_max):
    """Relative intensities of CaF2 by an explicit sum over the 12 atoms of the cell."""
    import gemmi

    fcc = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    atoms = [("Ca", p, b_ca) for p in fcc] + [("F", p + 0.25, b_f) for p in fcc] + [("F", p + 0.75, b_f) for p in fcc]
    energy = 12398.419843 / wavelength
    lines: dict[float, list] = {}
    n = int(2 * a / wavelength) + 1
    for hkl in itertools.product(range(-n, n + 1), repeat=3):
        if hkl == (0, 0, 0):
            continue
        d = a / math.sqrt(sum(h * h for h in hkl))
        if wavelength / (2 * d) > math.sin(math.radians(two_theta_max / 2)):
            continue
        s2 = 1 / (4 * d * d)
        f = 0j
        for element, xyz, b in atoms:
            e = gemmi.Element(element)
            fp, fpp = gemmi.cromer_liberman(z=e.atomic_number, energy=energy)
            f += (e.it92.calculate_sf(s2) + fp + 1j * fpp) * math.exp(-b * s2) * np.exp(2j * math.pi * np.dot(hkl, xyz))
        lines.setdefault(round(d, 6), []).append(abs(f) ** 2)
    out = {}
    for d, f2 in lines.items():
        tt = 2 * math.asin(wavelength / (2 * d))
        lp = (1 + math.cos(tt) ** 2) / (math.sin(tt / 2) ** 2 * math.cos(tt / 2))
        intensity = sum(f2) * lp                     # multiplicity × mean |F|² = Σ |F|²
        if intensity > 1e-6:
            out[round(math.degrees(tt), 4)] = intensity
    top = max(out.values())
    return {tt: 100 * i / top for tt, i in out.items()}


def test_fluorite_from_a_hand_written_cif_matches_an_independent_structure_factor_sum(tmp_path):
    # CaF2, Fm-3m, a = 5.4630 Å (Batchelder & Simmons, J. Chem. Phys. 41 (1964) 2324, room temperature);
    # B values round numbers of the order reported for fluorite.
    text = ("data_fluorite\n" + CELL.format(a=5.4630) + "_space_group_name_H-M_alt 'F m -3 m'\n"
            + SITES + "Ca1 Ca 0 0 0 1 0.50\nF1 F 0.25 0.25 0.25 1 0.70\n")
    phase = load_phase(_write(tmp_path, text))
    computed = reflections.compute(phase, two_theta_max=120)
    expected = _fluorite_reference(5.4630, 0.50, 0.70, computed.wavelength, 120)
    listed = {tt: rel for tt, rel in expected.items() if rel >= 0.05}
    # 111 200 220 311 222 400 331 420 422 511/333 440 531 600/442; 200, 222, 420 (F ∝ f_Ca − 2 f_F) are weak
    assert len(computed.two_theta) == len(listed) == 13
    for tt, rel in zip(computed.two_theta, computed.relative):
        match = min(listed, key=lambda t: abs(t - tt))
        assert tt == pytest.approx(match, abs=1e-3)
        # WK/Chantler (package) and IT92/Cromer–Liberman (here) differ by well under 1 % of f
        assert rel == pytest.approx(listed[match], abs=0.3), f"line at {tt:.2f}°"
    assert phase.z == 1 and phase.formula_mass == pytest.approx(4 * 78.075, rel=1e-3)   # no Z in the CIF


def test_structure_factors_match_the_published_rietveld_values_of_a_cod_pdcif(shared_data):
    """COD 1501688 (ethylammonium chloride, P2₁/m; Migliorati et al., J. Phys. Chem. B 115 (2011) 4887)
    lists the structure and, per reflection, the F²calc of the authors' GSAS refinement, made with
    International Tables Vol. C f0 and f′ = f″ = 0 (its _atom_type loop). Our |F|² from the structure
    read from the same file, without anomalous terms, agree within 3 % of the strongest F² (the
    coordinates are published to 4 decimals; WK and IT92 f0 differ slightly, most for H)."""
    import gemmi

    path = shared_data / "xrd/xrdpattern_pdCIF_COD1501688_xray.cif"
    phase = load_phase(path)
    assert phase.spacegroup == "P 1 21/m 1" and len(phase.sites) == 9 and phase.z == 2
    table = gemmi.cif.read(str(path)).sole_block().find(
        ["_refln_index_h", "_refln_index_k", "_refln_index_l", "_pd_refln_wavelength_id", "_refln_F_squared_calc"])
    rows = [[float(row[i]) for i in (0, 1, 2, 4)] for row in table if row[3] == "1"]
    hkl, published = np.array(rows)[:, :3], np.array(rows)[:, 3]
    assert len(rows) == 204
    ours = np.abs(structure.structure_factors(phase, hkl, energy_ev=None)) ** 2
    assert np.max(np.abs(ours - published)) < 0.03 * published.max()
    strong = published > 0.1 * published.max()
    assert np.median(ours[strong] / published[strong]) == pytest.approx(1.0, abs=0.01)


def test_p1_full_cell_and_shifted_origin_settings_give_the_same_pattern(tmp_path):
    """NaCl as Fm-3m asymmetric unit, as eight atoms in P 1, and with operators of a non-tabulated
    setting (origin moved by ⅛ ⅛ ⅛, coordinates moved with it; stored as the full cell in P 1)."""
    nacl = load_phase(_write(tmp_path, NACL, "a.cif"))
    standard = reflections.compute(nacl)
    fcc = [(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)]
    rows = "".join(f"Na{i} Na {x} {y} {z} 1 1.6\nCl{i} Cl {x + 0.5} {y + 0.5} {z + 0.5} 1 1.2\n"
                   for i, (x, y, z) in enumerate(fcc))
    p1 = load_phase(_write(tmp_path, "data_p1\n" + CELL.format(a=5.6402) + SITES + rows, "b.cif"))
    assert p1.spacegroup == "P 1" and len(p1.sites) == 8
    _same_lines(standard, reflections.compute(p1))
    import gemmi

    ops = []
    for op in gemmi.SpaceGroup("F m -3 m").operations():
        shifted = gemmi.Op("x+1/8,y+1/8,z+1/8") * op * gemmi.Op("x-1/8,y-1/8,z-1/8")
        ops.append(f"'{shifted.triplet()}'")
    text = ("data_shifted\n" + CELL.format(a=5.6402) + "loop_\n_space_group_symop_operation_xyz\n" + "\n".join(ops)
            + "\n" + SITES + "Na1 Na 0.125 0.125 0.125 1 1.6\nCl1 Cl 0.625 0.625 0.625 1 1.2\n")
    shifted = load_phase(_write(tmp_path, text, "c.cif"))
    assert shifted.spacegroup == "P 1" and "no tabulated setting" in shifted.notes
    _same_lines(standard, reflections.compute(shifted))
    for other in (p1, shifted):   # the same cell contents: 4 NaCl, 233.8 g/mol
        assert other.z * other.formula_mass == pytest.approx(nacl.z * nacl.formula_mass, rel=1e-9)
    assert nacl.z * nacl.formula_mass == pytest.approx(4 * 58.443, rel=1e-4)


def test_symmetry_equivalent_sites_are_merged(tmp_path):
    duplicated = NACL + "Na2 Na 0.5 0.5 0 1 1.6\nS1 S 0 0.5 0.5 0.25 1.6\n"
    phase = load_phase(_write(tmp_path, duplicated))
    assert [s.label for s in phase.sites] == ["Na1", "Cl1"]          # Na2 is Na1's 4a orbit: dropped
    assert phase.sites[0].species == (("Na", 1.0), ("S", 0.25))       # S1 on 4a too: a co-occupant
    assert "Na2 repeats Na1" in phase.notes and "S1 shares the position of Na1" in phase.notes
    assert phase.sites[0].wyckoff == "4"


def test_anisotropic_displacements_are_averaged_to_u_eq(tmp_path):
    """Monoclinic cell: U_eq = ⅓ trace of the Cartesian tensor (A N U N Aᵀ), computed here."""
    a, b, c, beta = 5.0, 6.0, 7.0, 100.0
    u = {"11": 0.010, "22": 0.020, "33": 0.015, "12": 0.0, "13": 0.004, "23": 0.0}
    text = (f"data_mono\n_cell_length_a {a}\n_cell_length_b {b}\n_cell_length_c {c}\n_cell_angle_beta {beta}\n"
            "_symmetry_space_group_name_H-M 'P 1 2/m 1'\n" + SITES + "Si1 Si 0.1 0.2 0.3 1 9.9\n"
            "loop_\n_atom_site_aniso_label\n" + "".join(f"_atom_site_aniso_U_{k}\n" for k in u)
            + "Si1 " + " ".join(str(v) for v in u.values()) + "\n")
    phase = load_phase(_write(tmp_path, text))
    cb, sb = math.cos(math.radians(beta)), math.sin(math.radians(beta))
    basis = np.array([[a, 0, c * cb], [0, b, 0], [0, 0, c * sb]])       # columns: a, b, c in Cartesian Å
    n = np.diag(np.linalg.norm(np.linalg.inv(basis), axis=1))          # a*, b*, c*
    uf = np.array([[u["11"], u["12"], u["13"]], [u["12"], u["22"], u["23"]], [u["13"], u["23"], u["33"]]])
    u_eq = np.trace(basis @ n @ uf @ n @ basis.T) / 3
    assert phase.sites[0].b_iso == pytest.approx(8 * math.pi**2 * u_eq, rel=1e-9)   # not the Biso 9.9 column
    assert phase.cell == (5.0, 6.0, 7.0, 90.0, 100.0, 90.0)


def test_block_choice_name_and_z(tmp_path):
    two = NACL + "\n" + NACL.replace("data_NaCl", "data_other").replace("5.6402", "5.7")
    path = _write(tmp_path, two)
    with pytest.raises(RegionError, match=r"x\.cif: 2 data blocks \(NaCl, other\); choose one with block="):
        load_phase(path)
    with pytest.raises(RegionError, match="no data block 'nope'"):
        load_phase(path, block="nope")
    other = load_phase(path, block="other", name="rock salt")
    assert other.name == "rock salt" and other.cell[0] == 5.7
    z4 = load_phase(_write(tmp_path, NACL + "_cell_formula_units_Z 4\n", "z.cif"))
    assert z4.z == 4 and z4.formula_mass == pytest.approx(58.44, abs=0.01)
    derived = load_phase(_write(tmp_path, NACL + "_chemical_formula_sum 'Cl Na'\n", "f.cif"))
    assert derived.z == 4 and "Z = 4 derived" in derived.notes


@pytest.mark.parametrize("text, message, line", [
    ("data_x\n" + CELL.format(a=5) + "_symmetry_space_group_name_H-M 'P 1'\n", "has no atom sites", None),
    (NACL.replace("Cl1 Cl1- ", "Cl1 Qq "), "atom site 'Cl1': unknown element symbol 'Qq'", 18),
    (NACL.replace("Cl1 Cl1- 0.5 0.5 0.5", "Cl1 Cl 0.5 ? 0.5"), "atom site 'Cl1': fractional coordinate missing", 18),
    (NACL.replace("_cell_length_b 5.6402\n", ""), "cell length _cell_length_b missing", None),
    (NACL.replace("'F m -3 m'", "'F m -3 q'"), "space group 'F m -3 q' is not one gemmi knows", None),
    (NACL.replace("_cell_angle_gamma 90", "_cell_angle_gamma 190"), "impossible cell", None),
    (NACL.replace("Na1 Na1+", "Na1 'Na1+"), "cannot read as CIF: unterminated 'string'", 17),
    ("just some text\n", "cannot read as CIF: expected block header", 1),
])
def test_refusals_name_the_file_and_line(tmp_path, text, message, line):
    path = _write(tmp_path, text, "bad.cif")
    with pytest.raises(FileFormatError, match=re.escape(message)) as info:
        load_phase(path)
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert info.value.line == line


def test_deuterium_scatters_as_hydrogen_and_no_symmetry_means_p1(tmp_path):
    text = "data_d\n" + CELL.format(a=4.0) + SITES + "D1 D 0 0 0 1 1.0\nO1 O 0.5 0.5 0.5 1 1.0\n"
    phase = load_phase(_write(tmp_path, text))
    assert phase.spacegroup == "P 1" and phase.sites[0].species == (("H", 1.0),)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(FileFormatError, match="cannot read as CIF"):
        load_phase(tmp_path / "absent.cif")


def test_write_cif_refuses_amorphous_phases_and_existing_files(tmp_path):
    with pytest.raises(SpectraError, match="carbon_black is amorphous"):
        write_cif(structure.load_structure("carbon_black"), tmp_path / "cb.cif")
    target = _write(tmp_path, "keep me", "si.cif")
    with pytest.raises(SpectraError):
        write_cif(structure.load_structure("Si"), target)
    assert target.read_text() == "keep me"
    write_cif(structure.load_structure("Si"), target, overwrite=True)
    assert load_phase(target).spacegroup == "F d -3 m:1"
