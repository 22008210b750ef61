"""Every file in ../shared/data reads, and what it holds matches values obtained independently of
spectra's readers (the ``source`` of each entry in ``tests/data/reader_expectations.json`` says how:
a peer reader, or the file's own text and bytes parsed with plain numpy/regex/struct)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import spectra
from spectra.errors import FileFormatError

from ..conftest import SHARED_DATA

EXPECTED = json.loads((Path(__file__).parents[1] / "data" / "reader_expectations.json").read_text())
#: files that must be refused with a clear error, and why
REFUSED = {
    "xps/importtool_kratos_vision.dset": "undocumented binary",
    "xps/pynxtools-xps_FeO_analyzed_results.csv": "CasaXPS peak/quantification table, not a spectrum",
}


def _read(name: str):
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} not found (real-data folder absent)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return spectra.read(path)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_file_matches_independent_values(name):
    want = EXPECTED[name]
    got = _read(name)
    assert len(got) == want["n"]
    assert [da.attrs["technique"] for da in got] == want["technique"]
    assert [da.attrs["region"] for da in got] == want["regions"]
    assert [da.shape[-1] for da in got] == want["npoints"]
    axes = [da[da.dims[-1]].values for da in got]
    # atol: float32 header fields (STOE, Bruker v4) carry ~1e-6 degree rounding
    np.testing.assert_allclose([a[0] for a in axes], want["first"], rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose([a[-1] for a in axes], want["last"], rtol=1e-9, atol=1e-5)
    np.testing.assert_allclose([float(np.nansum(da.values)) for da in got], want["sum"], rtol=1e-9)


def test_every_shared_file_is_covered(shared_data):
    names = {f"{p.parent.name}/{p.name}" for p in shared_data.glob("*/*") if p.name not in ("README.md",)}
    names.discard("provenance.json")
    assert names - set(EXPECTED) - set(REFUSED) == set()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_get_a_clear_error(name, shared_data):
    with pytest.raises(FileFormatError) as info:
        spectra.read(shared_data / name)
    assert str(shared_data / name) in str(info.value)
    assert REFUSED[name] in str(info.value)


def test_malformed_omicron_vamas_is_read_leniently_with_a_warning(shared_data):
    with pytest.warns(UserWarning, match="not ISO 14976 conformant.*2 of the 7 declared blocks"):
        got = spectra.read(shared_data / "xps/feranick_omicron_MALFORMED_no_sample_id.vms")
    assert [da.attrs["sample"] for da in got] == ["", ""]


def test_kinetic_axis_converted_with_excitation_energy_and_kept(shared_data):
    da = spectra.load(shared_data / "xps/pynxtools-xps_regular.vms")
    assert da.dims == ("binding_energy",)
    np.testing.assert_allclose(da.binding_energy + da.kinetic_energy, 1486.61)
    assert "hv - KE" in da.attrs["energy_reference"]


def test_twin_files_agree(shared_data):
    """Same measurement, different formats: the readers must give the same numbers."""
    # (binary or XML file, text export of it, axis tolerance: the export's printed decimals)
    pairs = [("xrd/xylib_bruker_BT86_v3.raw", "xrd/xylib_bruker_BT86_.UXD", 5e-3),
             ("xrd/dxtools_sin2psi_multiscan.brml", "xrd/dxtools_sin2psi_multiscan.uxd", 1e-5),
             ("xps/pynxtools-xps_scienta_Ag_0001.ibw", "xps/pynxtools-xps_scienta_Ag_0001.txt", 1e-9),
             ("xps/importtool_scienta_ses_sample1.pxt", "xps/importtool_scienta_ses_sample1.txt", 1e-9),
             ("xrd/yadg_210520step1_30min_v1.6.xrdml", "xrd/yadg_210520step1_30min.csv", 5e-9)]
    for a, b, axis_tol in pairs:
        for x, y in zip(spectra.read(shared_data / a), spectra.read(shared_data / b), strict=True):
            np.testing.assert_allclose(x.values, y.values, rtol=1e-6, err_msg=f"{a} vs {b}")
            np.testing.assert_allclose(x[x.dims[-1]].values, y[y.dims[-1]].values, atol=axis_tol,
                                       err_msg=f"{a} vs {b}")
    # Prodigy .xy (counts/s) and the CasaXPS IRREGULAR VAMAS save of the same survey
    xy = spectra.load(shared_data / "xps/pynxtools-xps_MgFe2O4_small.xy", region="Survey")
    vms = spectra.load(shared_data / "xps/pynxtools-xps_irregular.vms")
    np.testing.assert_allclose(xy.binding_energy, vms.binding_energy, atol=1e-6)
    np.testing.assert_allclose(xy.values, vms.values, rtol=1e-5)


def test_casaxps_exports_use_be_equals_hv_minus_ke(shared_data):
    """CasaXPS's own exports carry both scales: they satisfy BE = hv - KE exactly (no work function),
    the convention spectra applies to kinetic-energy VAMAS blocks."""
    for da in spectra.read(shared_data / "xps/pynxtools-xps_casaxps_txt_export.txt"):
        np.testing.assert_allclose(da.binding_energy + da.kinetic_energy, da.attrs["excitation_energy"], atol=1e-6)
    report = spectra.load(shared_data / "xps/importtool_casaxps_report.TXT")
    np.testing.assert_allclose(report.binding_energy + report.kinetic_energy, 1486.6, atol=0.006)  # 2-3 decimals


def test_casaxps_peak_table(shared_data):
    from spectra.io.casaxps import read_peak_table

    rows = read_peak_table(shared_data / "xps/pynxtools-xps_FeO_analyzed_results.csv")
    assert [r["name"] for r in rows] == ["Fe 2p"] * 4
    assert [r["position"] for r in rows] == [709.03, 715.73, 722.18, 730.22]  # the file's text
    assert sum(r["at_conc"] for r in rows) == pytest.approx(100.0, abs=0.01)
