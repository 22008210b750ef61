"""Layouts that used to be refused or misread, and reader bugs found while documenting the readers."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import spectra
from spectra.errors import FileFormatError
from spectra.io import _text, pdcif, stoe
from spectra.io._registry import detect

from . import _builders as B

# --- 7. Bruker RAW v4 with 8-byte data points ----------------------------------------------------------


def test_raw_v4_with_8_byte_points_is_read(tmp_path):
    counts = np.array([10.0, 20.5, 30.0, 40.0, 55.0])
    flags = np.array([0, 1, 0, 0, 7])
    (tmp_path / "eight.raw").write_bytes(B.raw4(counts, start=20.0, step=0.01, datum_size=8, flags=flags))
    (da,) = spectra.read(tmp_path / "eight.raw")
    np.testing.assert_array_equal(da.values, counts)
    np.testing.assert_allclose(da.two_theta.values, 20.0 + 0.01 * np.arange(5))
    np.testing.assert_array_equal(da.datum_flag.values, flags)
    assert da.attrs["counting_time"] == 1.5 and '"datum_size": 8' in da.attrs["metadata"]
    (tmp_path / "four.raw").write_bytes(B.raw4(counts, start=20.0, step=0.01))
    np.testing.assert_array_equal(spectra.load(tmp_path / "four.raw").values, counts)


def test_raw_v4_8_byte_points_are_checked_against_the_file_size(tmp_path):
    data = B.raw4(np.arange(100.0), datum_size=8)
    (tmp_path / "cut.raw").write_bytes(data[:-4])  # the last record lacks its flag
    with pytest.raises(FileFormatError, match=r"100 points of 8 bytes") as info:
        spectra.read(tmp_path / "cut.raw")
    assert info.value.offset == B.RAW4_DATA


def test_raw_v4_unknown_point_size_is_refused(tmp_path):
    (tmp_path / "six.raw").write_bytes(B.raw4(np.arange(3.0), datum_size=6))
    with pytest.raises(FileFormatError, match="6-byte data points") as info:
        spectra.read(tmp_path / "six.raw")
    assert info.value.offset == B.RAW4_DATUM


# --- 8. numeric_rows --------------------------------------------------------------------------------------


def test_ragged_rows_filling_a_rectangle_are_refused():
    with pytest.raises(FileFormatError, match="row has 1 columns where earlier rows have 2") as info:
        _text.numeric_rows(["1 2", "3", "4 5 6"], "f", first_line=10)
    assert info.value.line == 11


def test_empty_field_with_an_explicit_delimiter_is_refused():
    with pytest.raises(FileFormatError, match="empty field") as info:
        _text.numeric_rows(["1,2", "3,,4", "5,6"], "f", delimiter=",", first_line=1)
    assert info.value.line == 2


def test_numeric_rows_names_the_line_of_a_non_finite_value_past_blank_lines():
    with pytest.raises(FileFormatError, match="column 2 holds inf") as info:
        _text.numeric_rows(["1 2", "", "3 4", "", "5 inf"], "f", first_line=7)
    assert info.value.line == 11
    np.testing.assert_array_equal(_text.numeric_rows(["1 2 nan"], "f"), [[1, 2, np.nan]])  # only axis and y


# --- 8. UXD ranges and BRML views -----------------------------------------------------------------------------

UXD_NO_DRIVE = """_FILEVERSION=2
_WL1=1.5406
_START=10
_STEPSIZE=0.1
_STEPTIME=1
_COUNTS
1
2
3
_START=20
_STEPSIZE=0.2
_COUNTS
4
5
"""


def test_uxd_ranges_without_drive_are_kept_apart(tmp_path):
    (tmp_path / "a.uxd").write_text(UXD_NO_DRIVE)
    got = spectra.read(tmp_path / "a.uxd")
    assert [da.attrs["region"] for da in got] == ["range 1", "range 2"]
    np.testing.assert_array_equal(got[0].values, [1, 2, 3])
    np.testing.assert_allclose(got[1].two_theta.values, [20.0, 20.2])


def test_uxd_data_for_range_comments_start_ranges(tmp_path):
    text = ("_FILEVERSION=3\n_WL1=1.5406\n; Data for range 1\n_2THETACOUNTS\n10 1\n10.1 2\n"
            "; Data for range 2\n_2THETACOUNTS\n20 3\n20.1 4\n")
    (tmp_path / "a.uxd").write_text(text)
    got = spectra.read(tmp_path / "a.uxd")
    assert len(got) == 2 and got[1].values.tolist() == [3, 4]
    text = text.replace("; Data for range 1\n", "; Data for range 1\n_DRIVE=COUPLED\n")
    (tmp_path / "b.uxd").write_text(text)
    assert len(spectra.read(tmp_path / "b.uxd")) == 2  # a comment then _DRIVE is one range, not two


def test_uxd_second_data_block_in_one_range_is_refused(tmp_path):
    (tmp_path / "a.uxd").write_text("_FILEVERSION=2\n_DRIVE=C\n_START=1\n_STEPSIZE=1\n_COUNTS\n1\n2\n_COUNTS\n3\n")
    with pytest.raises(FileFormatError, match="second data block") as info:
        spectra.read(tmp_path / "a.uxd")
    assert info.value.line == 8


def test_brml_view_without_start_is_refused_not_read_as_the_last_column(tmp_path):
    (tmp_path / "ok.brml").write_bytes(B.brml())
    np.testing.assert_array_equal(spectra.load(tmp_path / "ok.brml").values, [100, 110, 120])
    (tmp_path / "a.brml").write_bytes(B.brml(start_attr=None))
    with pytest.raises(FileFormatError, match="'Counter1D' without a column number") as info:
        spectra.read(tmp_path / "a.brml")
    assert info.value.line == 13 and "Experiment0/RawData0.xml" in str(info.value)


# --- 8. columns: PE is not a photon energy -------------------------------------------------------------------


def test_pass_energy_is_not_taken_for_the_photon_energy(tmp_path):
    (tmp_path / "a.csv").write_text("# KE/eV counts\n# PE: 20 eV\n100,1\n100.1,2\n100.2,3\n")
    da = spectra.load(tmp_path / "a.csv")
    assert da.dims == ("kinetic_energy",) and da.attrs.get("excitation_energy") is None
    (tmp_path / "b.csv").write_text("# KE/eV counts\n# hv = 600 eV\n100,1\n100.1,2\n100.2,3\n")
    assert spectra.load(tmp_path / "b.csv").attrs["excitation_energy"] == 600.0


# --- 8. GSAS, pdCIF ------------------------------------------------------------------------------------------


def test_gsas_const_bank_with_six_fields_is_a_located_error(tmp_path):
    (tmp_path / "a.gsa").write_text("title\nBANK 1 4 1 CONST 1000\n       1       2       3       4\n")
    with pytest.raises(FileFormatError, match="CONST BANK line needs") as info:
        spectra.read(tmp_path / "a.gsa")
    assert info.value.line == 2 and not info.value.unanticipated


PDCIF_TWO_BLOCKS = """data_first
_pd_meas_2theta_range_min 10
_pd_meas_2theta_range_inc 0.1
loop_
_pd_meas_counts_total
1
2
3

data_second
_pd_meas_2theta_range_min 50
_pd_meas_2theta_range_inc 0.5
_diffrn_radiation_wavelength 1.5406
"""


def test_pdcif_loops_and_tags_are_looked_up_within_their_block(tmp_path):
    (tmp_path / "a.cif").write_text(PDCIF_TWO_BLOCKS)
    (da,) = spectra.read(tmp_path / "a.cif")  # the second block has no profile and lends nothing
    assert da.attrs["region"] == "first" and da.attrs.get("wavelength_ka1") is None
    np.testing.assert_allclose(da.two_theta.values, [10.0, 10.1, 10.2])
    swapped = ("data_meta\n_pd_meas_2theta_range_min 50\n_pd_meas_2theta_range_inc 0.5\n\n"
               "data_profile\nloop_\n_pd_meas_counts_total\n1\n2\n")
    (tmp_path / "b.cif").write_text(swapped)
    with pytest.raises(FileFormatError, match="profile without 2θ column") as info:
        spectra.read(tmp_path / "b.cif")  # used to borrow the first block's range
    assert info.value.line == 5


def test_pdcif_uncertainty_scales_with_the_exponent():
    assert pdcif._value("1.2e3(4)") == (1200.0, 400.0)
    assert pdcif._value("5540(160)") == (5540.0, 160.0)
    assert pdcif._value("0.0123(5)") == pytest.approx((0.0123, 0.0005))
    assert pdcif._value("-1.5E-2(3)") == pytest.approx((-0.015, 0.003))


# --- 8. PHI: the binary spectrum count bounds the regions read ----------------------------------------------


def test_phi_more_regions_than_binary_spectra_is_a_located_error(tmp_path):
    regions = [("C1s", np.arange(5.0), 290.0, -0.1), ("O1s", np.arange(5.0), 535.0, -0.1)]
    (tmp_path / "ok.spe").write_bytes(B.phi(regions))
    assert [da.attrs["region"] for da in spectra.read(tmp_path / "ok.spe")] == ["C1s", "O1s"]
    (tmp_path / "a.spe").write_bytes(B.phi(regions, n_spectra=1))
    with pytest.raises(FileFormatError, match="defines 2 regions, the binary header 1 spectra") as info:
        spectra.read(tmp_path / "a.spe")
    assert info.value.offset is not None and not info.value.unanticipated


# --- 8. Rigaku ---------------------------------------------------------------------------------------------


def test_rasx_profiles_are_ordered_by_number(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in (10, 2, 1):
            archive.writestr(f"Data0/Profile{n}.txt", f"10 {n} 1\n11 {n} 1\n")
    (tmp_path / "a.rasx").write_bytes(buf.getvalue())
    assert [da.attrs["region"] for da in spectra.read(tmp_path / "a.rasx")] == ["Data0 1", "Data0 2", "Data0 10"]


def test_ras_bad_data_count_is_a_format_error(tmp_path):
    (tmp_path / "a.ras").write_text("*RAS_DATA_START\n*RAS_HEADER_START\n*MEAS_DATA_COUNT \"2.5.1\"\n"
                                    "*RAS_HEADER_END\n*RAS_INT_START\n10 1 1\n11 2 1\n*RAS_INT_END\n")
    with pytest.raises(FileFormatError, match="MEAS_DATA_COUNT") as info:
        spectra.read(tmp_path / "a.ras")
    assert info.value.line == 3 and not info.value.unanticipated


# --- 8. STOE magic, XRDML area attenuation, SpecsLab .xy extra columns ------------------------------------------


def test_stoe_reader_checks_its_magic(tmp_path):
    path = tmp_path / "a.raw"
    path.write_bytes(b"RAW_2.00Other" + bytes(3000))
    with pytest.raises(FileFormatError, match="no STOE magic") as info:
        stoe.read(path)
    assert info.value.offset == 0
    assert stoe.sniff(stoe.MAGIC_PREFIX + b"06" + stoe.MAGIC_TAG, path)


def test_xrdml_area_measurement_keeps_attenuation_factors(tmp_path):
    scans = [{"counts": [1, 2, 3], "attenuation": [1, 2, 1], "omega": 10.0},
             {"counts": [4, 5, 6], "attenuation": [1, 1, 3], "omega": 10.5}]
    (tmp_path / "a.xrdml").write_bytes(B.xrdml(scans, measurement_type="Area measurement"))
    (da,) = spectra.read(tmp_path / "a.xrdml")
    assert da.dims == ("scan", "two_theta")
    np.testing.assert_array_equal(da.attenuation_factor.values, [[1, 2, 1], [1, 1, 3]])
    np.testing.assert_array_equal(da.values, [[1, 4, 3], [4, 5, 18]])  # raw counts times factors
    np.testing.assert_array_equal(da.omega.values, [10.0, 10.5])


SPECS_TWO_BLOCKS = """# Created by:        SpecsLab Prodigy, Version 4.0
# Group:             g
# Region:            C1s
# Excitation Energy: 1486.6
#
# Cycle: 0, Curve: 0
# ColumnLabels: energy counts/s transmission scaling
290.0 1 0.5 {a}
289.9 2 0.6 {a}
#
# Cycle: 1, Curve: 0
# ColumnLabels: energy counts/s transmission scaling
290.0 3 0.5 {b}
289.9 4 0.6 {b}
"""


def test_specs_xy_extra_columns_are_kept_for_several_blocks(tmp_path):
    (tmp_path / "a.xy").write_text(SPECS_TWO_BLOCKS.format(a=1, b=2))
    (da,) = spectra.read(tmp_path / "a.xy")
    assert da.dims == ("scan", "binding_energy")
    np.testing.assert_array_equal(da.transmission.values, [0.5, 0.6])  # the same in every block: 1-D
    assert da.scaling.dims == ("scan", "binding_energy")  # differs between blocks: 2-D
    np.testing.assert_array_equal(da.scaling.values, [[1, 1], [2, 2]])


# --- content over extension in detection -----------------------------------------------------------------------


def test_extension_only_readers_are_tried_last(tmp_path):
    (tmp_path / "a.dset").write_bytes(B.xrdml([{"counts": [1, 2]}]))
    assert detect(tmp_path / "a.dset").name == "xrdml"
    (tmp_path / "b.ibw").write_bytes(B.xrdml([{"counts": [1, 2]}]))
    assert detect(tmp_path / "b.ibw").name == "xrdml"
