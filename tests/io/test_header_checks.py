"""No silent garbage: header numbers that are NaN, infinite, 0 (a step) or absurd (1e308), and
non-finite intensities, are refused with the line or byte where they were read.

Every file is built here; each case changes one number of a file the reader accepts as built.
"""
from __future__ import annotations

import struct

import numpy as np
import pytest

import spectra
from spectra.dataarray import xps_spectrum
from spectra.errors import FileFormatError
from spectra.io.write import write_vamas

from . import _builders as B

HOSTILE = ["nan", "inf", "-inf", "1e308"]


def _refused(path, *, line=None, offset=None, match=None) -> FileFormatError:
    with pytest.raises(FileFormatError) as info:
        spectra.read(path)
    error = info.value
    assert not error.unanticipated, error
    assert error.line is not None or error.offset is not None, error
    if line is not None:
        assert error.line == line, error
    if offset is not None:
        assert error.offset == offset, error
    if match is not None:
        assert match in str(error), error
    return error


# --- Bruker RAW --------------------------------------------------------------------------------------

@pytest.mark.parametrize("field,at,fmt", [("start", B.RAW4_START, "<d"), ("step", B.RAW4_STEP, "<d")])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e308])
def test_raw_v4_start_and_step_must_be_finite(tmp_path, field, at, fmt, value):
    data = bytearray(B.raw4(np.arange(5.0)))
    struct.pack_into(fmt, data, at, value)
    (tmp_path / "a.raw").write_bytes(bytes(data))
    _refused(tmp_path / "a.raw", offset=B.RAW4_START, match="2θ")


def test_raw_v4_zero_step_and_zero_steps_are_refused(tmp_path):
    data = bytearray(B.raw4(np.arange(5.0)))
    struct.pack_into("<d", data, B.RAW4_STEP, 0.0)
    (tmp_path / "a.raw").write_bytes(bytes(data))
    _refused(tmp_path / "a.raw", offset=B.RAW4_START, match="step is 0")
    (tmp_path / "b.raw").write_bytes(B.raw4([]))
    _refused(tmp_path / "b.raw", offset=B.RAW4_STEPS, match="0 steps")


def test_raw_v4_nan_count_is_located(tmp_path):
    (tmp_path / "a.raw").write_bytes(B.raw4([1.0, 2.0, np.nan, 4.0]))
    _refused(tmp_path / "a.raw", offset=B.RAW4_DATA + 8, match="nan")


def test_raw_v1_with_100000_empty_ranges_is_refused_at_the_first(tmp_path):
    empty = B.raw1_range([], following=1)
    (tmp_path / "a.raw").write_bytes(b"RAW " + empty * 100_000)
    _refused(tmp_path / "a.raw", offset=4, match="0 steps")


def test_raw_v1_nan_time_per_step_is_located(tmp_path):
    data = bytearray(b"RAW " + B.raw1_range([1.0, 2.0, 3.0]))
    struct.pack_into("<f", data, 4 + 4, float("nan"))
    (tmp_path / "a.raw").write_bytes(bytes(data))
    _refused(tmp_path / "a.raw", offset=8, match="time per step")


# --- Igor ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("at,value", [(B.IBW_SFA, float("nan")), (B.IBW_SFA, 0.0), (B.IBW_SFB, float("inf")),
                                      (B.IBW_SFB, 1e308)])
def test_igor_scaling_must_be_finite_and_non_zero(tmp_path, at, value):
    data = bytearray(B.ibw(np.arange(5.0)))
    struct.pack_into("<d", data, at, value)
    (tmp_path / "a.ibw").write_bytes(bytes(data))
    _refused(tmp_path / "a.ibw", offset=B.IBW_SFA, match="x scaling")


def test_igor_note_numbers_are_checked(tmp_path):
    (tmp_path / "a.ibw").write_bytes(B.ibw(np.arange(5.0), note="Excitation Energy=nan\rStep Time=200\r"))
    _refused(tmp_path / "a.ibw", match="Excitation Energy")


# --- PHI -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start,step,match", [(290.0, 0.0, "step is 0"), (float("nan"), -0.1, "start"),
                                              (1e308, -0.1, "implausible")])
def test_phi_region_axis_is_checked(tmp_path, start, step, match):
    (tmp_path / "a.spe").write_bytes(B.phi([("C1s", np.arange(5.0), start, step)]))
    _refused(tmp_path / "a.spe", line=5, match=match)


def test_phi_photon_energy_is_checked(tmp_path):
    (tmp_path / "a.spe").write_bytes(B.phi([("C1s", np.arange(5.0), 290.0, -0.1)], source="Al inf mono"))
    _refused(tmp_path / "a.spe", line=3, match="XraySource")


# --- SpecsLab XML / XY, SpecsLab 1, Omicron ---------------------------------------------------------------

@pytest.mark.parametrize("field,value,line", [("scan_delta", "0", 12), ("scan_delta", "nan", 12),
                                              ("kinetic_energy", "inf", 13), ("excitation_energy", "1e308", 15)])
def test_specs_xml_region_numbers_are_checked(tmp_path, field, value, line):
    (tmp_path / "a.xml").write_bytes(B.specs_xml(**{field: value}))
    _refused(tmp_path / "a.xml", line=line)


def test_specs_xml_non_finite_counts_are_located(tmp_path):
    (tmp_path / "a.xml").write_bytes(B.specs_xml(counts="1 2 nan 4 5"))
    error = _refused(tmp_path / "a.xml", line=22, match="value 3 of sequence 'counts'")
    assert "struct[@name='region']" not in str(error) and "sequence[@name='counts']" in str(error)


SPECS_XY = """# Created by:        SpecsLab Prodigy, Version 4.0
#
# Group:             g
# Region:            C1s
# Acquisition Date:  2020-01-01
# Dwell Time:        {dwell}
# Excitation Energy: {hv}
# Pass Energy:       20
#
# ColumnLabels: energy counts
{rows}
"""


@pytest.mark.parametrize("dwell,hv,line,match", [("inf", "1486.6", 6, "Dwell Time"), ("0.1", "nan", 7, "Excitation"),
                                                 ("-1", "1486.6", 6, "below 0"), ("0.1", "1e308", 7, "above")])
def test_specs_xy_header_numbers_are_checked(tmp_path, dwell, hv, line, match):
    rows = "\n".join(f"{290 - 0.1 * i:.1f} {i}" for i in range(5))
    (tmp_path / "a.xy").write_text(SPECS_XY.format(dwell=dwell, hv=hv, rows=rows))
    _refused(tmp_path / "a.xy", line=line, match=match)


def test_specs_xy_nan_intensity_and_constant_axis_are_located(tmp_path):
    (tmp_path / "a.xy").write_text(SPECS_XY.format(dwell="0.1", hv="1486.6", rows="290 1\n289.9 nan\n289.8 3"))
    _refused(tmp_path / "a.xy", line=12, match="column 2")
    (tmp_path / "b.xy").write_text(SPECS_XY.format(dwell="0.1", hv="1486.6", rows="290 1\n290 2\n290 3"))
    _refused(tmp_path / "b.xy", line=11, match="constant")


OMICRON = """title
   {start}  {end}     {step}     5.00000     0.10000  3    46.1  {hv}
region
10
20
30
"""


@pytest.mark.parametrize("start,end,step,hv,match", [("100", "100.2", "0", "1253.6", "step is 0"),
                                                     ("nan", "100.2", "0.1", "1253.6", "start"),
                                                     ("100", "100.2", "0.1", "inf", "excitation"),
                                                     ("1e308", "1e308", "0.1", "1253.6", "implausible")])
def test_omicron_region_line_is_checked(tmp_path, start, end, step, hv, match):
    (tmp_path / "a.1").write_text(OMICRON.format(start=start, end=end, step=step, hv=hv))
    _refused(tmp_path / "a.1", line=2, match=match)


def test_specslab_exp_range_is_checked(tmp_path):
    (tmp_path / "a.exp").write_text("region: 1\nrange: 520 520 0\nscans: 1\ndata: 2\n1\n2\n")
    _refused(tmp_path / "a.exp", line=2, match="step is 0")


# --- VAMAS ----------------------------------------------------------------------------------------------

def _vamas_lines(tmp_path) -> list[str]:
    da = xps_spectrum(np.linspace(290.0, 289.0, 11), np.arange(11.0), energy_axis="binding", region="C 1s",
                      excitation_energy=1486.6, pass_energy=20.0)
    return write_vamas(da, tmp_path / "good.vms").read_text().splitlines()


def _vamas_line_of(lines: list[str], value: str, after: int = 0) -> int:
    return next(i for i in range(after, len(lines)) if lines[i] == value)


@pytest.mark.parametrize("value", HOSTILE)
def test_vamas_excitation_energy_is_checked(tmp_path, value):
    lines = _vamas_lines(tmp_path)
    i = _vamas_line_of(lines, "1486.6")
    lines[i] = value
    (tmp_path / "a.vms").write_text("\n".join(lines) + "\n")
    _refused(tmp_path / "a.vms", line=i + 1, match="excitation_energy")


@pytest.mark.parametrize("value", ["0", "nan", "inf", "1e308"])
def test_vamas_abscissa_increment_is_checked(tmp_path, value):
    lines = _vamas_lines(tmp_path)
    start = _vamas_line_of(lines, "290.0")
    lines[start + 1] = value
    (tmp_path / "a.vms").write_text("\n".join(lines) + "\n")
    _refused(tmp_path / "a.vms", line=start + 1, match="abscissa")


def test_vamas_sentinel_1e37_still_means_no_value(tmp_path):
    lines = _vamas_lines(tmp_path)
    lines[_vamas_line_of(lines, "1486.6")] = "1E37"
    (tmp_path / "a.vms").write_text("\n".join(lines) + "\n")
    da = spectra.load(tmp_path / "a.vms")
    assert da.dims == ("binding_energy",)


def test_vamas_nan_ordinate_is_located(tmp_path):
    lines = _vamas_lines(tmp_path)
    lines[-5] = "nan"
    (tmp_path / "a.vms").write_text("\n".join(lines) + "\n")
    _refused(tmp_path / "a.vms", line=len(lines) - 4, match="intensity value nan")


# --- XRDML, GSAS, UXD, pdCIF, columns ------------------------------------------------------------------------

@pytest.mark.parametrize("scan,match", [({"counts": [1, 2, 3], "start": "nan"}, "startPosition"),
                                        ({"counts": [1, 2, 3], "start": 10, "end": 10}, "constant axis"),
                                        ({"counts": [1, 2, 3], "end": "1e308"}, "implausible"),
                                        ({"counts": [1, "nan", 3]}, "value 2 of <counts>"),
                                        ({"counts": [1, 2, 3], "attenuation": [1, 0, 1]}, "not positive"),
                                        ({"counts": [1, 2, 3], "positions": [10, "inf", 12]}, "listPositions")])
def test_xrdml_numbers_are_checked_with_element_and_line(tmp_path, scan, match):
    (tmp_path / "a.xrdml").write_bytes(B.xrdml([scan]))
    error = _refused(tmp_path / "a.xrdml", match=match)
    assert "(at <xrdMeasurements/xrdMeasurement/scan/dataPoints" in str(error) and error.line in (7, 8, 9, 10, 11)


@pytest.mark.parametrize("bank,match", [("BANK 1 4 1 CONST 1000 0 0 0 STD", "step is 0"),
                                        ("BANK 1 4 1 CONST nan 1 0 0 STD", "start"),
                                        ("BANK 1 4 1 CONST 1000 inf 0 0 STD", "step")])
def test_gsas_bank_start_and_step_are_checked(tmp_path, bank, match):
    (tmp_path / "a.gsa").write_text(f"title\n{bank}\n       1       2       3       4\n")
    _refused(tmp_path / "a.gsa", line=2, match=match)


def test_uxd_zero_step_is_located(tmp_path):
    (tmp_path / "a.uxd").write_text("_FILEVERSION=2\n_DRIVE='COUPLED'\n_START=10\n_STEPSIZE=0\n_COUNTS\n1\n2\n")
    _refused(tmp_path / "a.uxd", line=4, match="step is 0")


def test_pdcif_nan_range_is_located(tmp_path):
    (tmp_path / "a.cif").write_text("data_x\n_pd_meas_2theta_range_min 10\n_pd_meas_2theta_range_inc 0\n"
                                    "loop_\n_pd_meas_counts_total\n1\n2\n3\n")
    _refused(tmp_path / "a.cif", line=3, match="step is 0")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_columns_non_finite_intensity_is_refused_with_its_line(tmp_path, value):
    (tmp_path / "a.xy").write_text(f"# 2theta intensity\n10 1\n11 2\n12 {value}\n13 4\n")
    _refused(tmp_path / "a.xy", line=4, match=value)


def test_columns_nan_sigma_is_kept(tmp_path):
    """σ columns may hold NaN (Bruker EVA writes NaN where it has no estimate): kept, not refused."""
    (tmp_path / "a.xye").write_text("10 1 nan\n11 2 0.5\n12 3 nan\n")
    da = spectra.load(tmp_path / "a.xye")
    assert np.isnan(da.sigma.values).sum() == 2


def test_columns_nan_axis_and_constant_axis_are_refused(tmp_path):
    (tmp_path / "a.xy").write_text("10 1\nnan 2\n12 3\n")
    _refused(tmp_path / "a.xy", line=2)
    (tmp_path / "b.xy").write_text("10 1\n10 2\n10 3\n")
    _refused(tmp_path / "b.xy", line=1, match="constant")


def test_casaxps_empty_intensity_cell_is_located(tmp_path):
    (tmp_path / "a.csv").write_text("Characteristic Energy eV,1486.6,Acquisition Time s,0.1\n"
                                    "BE_C1s,CPS_C1s\n290,1\n289.9,\n289.8,3\n")
    _refused(tmp_path / "a.csv", line=4, match="intensity value nan")


def test_thermo_nan_intensity_is_located(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "a.xlsx"
    B.thermo_workbook(path, {"C1s Scan": [(290.0, 1.0), (289.9, float("inf")), (289.8, 3.0)]})
    _refused(path, line=5, match="C1s Scan")


# --- a missing worksheet part raises ----------------------------------------------------------------------

def test_xlsx_missing_worksheet_part_is_an_error_not_a_missing_spectrum(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "a.xlsx"
    B.thermo_workbook(path, {"C1s Scan": [(290.0, 1.0), (289.9, 2.0)], "O1s Scan": [(530.0, 1.0), (529.9, 2.0)]})
    assert len(spectra.read(path)) == 2
    B.rezip(path, {"xl/worksheets/sheet2.xml": None})
    error = _refused(path, match="sheet 'O1s Scan': its part xl/worksheets/sheet2.xml is missing")
    assert "xl/workbook.xml" in str(error)
