"""calibrate(): stages, result surface (summary, table, figures), refusals, the range warning, and a
recipe naming the saved instrument file fitting exactly as one with the same values written out."""
from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

import spectra
from spectra import simulate
from spectra.errors import SpectraError
from spectra.xrd.calibrate import STANDARDS, Calibration, calibrate, rwp
from spectra.xrd.instrument import Instrument, parameter_names

matplotlib.use("Agg")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

INSTRUMENT = {"u": 0.006, "v": -0.003, "w": 0.003, "x": 0.001, "y": 0.015}


@pytest.fixture(scope="module")
def lab6():
    da, _ = simulate.xrd({"LaB6": {"scale": 400.0, "size": 5000.0, "a": 4.156826}}, two_theta=(18, 80), step=0.02,
                         instrument=INSTRUMENT, background=(150.0, -20.0, 5.0), seed=3)
    return da


@pytest.fixture(scope="module")
def calibration(lab6):
    return calibrate(lab6, "LaB6", background_order=3)


def test_certified_cells_are_the_certificates():
    assert {k: s.a for k, s in STANDARDS.items()} == {"LaB6": 4.156826, "Si_SRM640": 5.431179, "CeO2": 5.411651}
    assert all("NIST SRM" in s.certificate for s in STANDARDS.values())


def test_stages_and_what_the_calibration_reports(calibration):
    cal = calibration
    assert isinstance(cal, Calibration) and isinstance(cal.instrument, Instrument)
    assert list(cal.stages)[:3] == ["positions", "widths", "shape"]
    chi = [r.redchi for r in cal.stages.values()]
    assert chi[1] < chi[0]  # widths improve on positions alone
    assert cal.result.success and cal.result.redchi < 1.5
    inst = cal.instrument
    assert set(inst.values) == set(parameter_names())
    assert inst.standard == "LaB6" and inst.certified_a == 4.156826 and len(inst.source_sha256) == 64
    lo, hi = inst.two_theta_range
    assert 21.0 < lo < 22.0 and 75.0 < hi < 80.0
    for n in parameter_names():  # σ is a positive number or NaN, never 0
        assert math.isnan(inst.stderr[n]) or inst.stderr[n] > 0
    table = cal.table()
    assert list(table.columns) == ["quantity", "value", "stderr", "unit", "flag"]
    assert set(parameter_names()) <= set(table.quantity)
    text = cal.summary()
    for word in ("stage positions", "stage widths", "stage shape", "corr(zero, displacement)", "Rwp", "NIST SRM 660c"):
        assert word in text, word
    assert -1.0 <= cal.zero_displacement_correlation() <= 1.0
    assert 0 < rwp(cal.result) < 100


def test_figures_return_axes(calibration, tmp_path):
    import matplotlib.pyplot as plt

    ax = calibration.plot_fwhm()
    assert ax.get_xlabel() == "2θ (degree)" and len(ax.lines) >= 2
    axes = calibration.plot()
    assert len(axes) == 2
    axes[0].figure.savefig(tmp_path / "calibration.png")
    plt.close("all")
    fwhms = calibration.line_fwhms()
    assert len(fwhms) >= 6 and np.all(fwhms.fwhm > 0)


def test_range_not_covered_warns_and_flags(lab6):
    with pytest.warns(UserWarning, match="not the range 10–100"):
        cal = calibrate(lab6, "LaB6", intensities="structure", background_order=3, use_range=(10, 100))
    assert cal.result.redchi < 1.5  # the simulation's own intensities: the structure fit is as good
    assert not cal.ok and "extrapolated" in cal.flags[0]
    assert "extrapolated" in cal.summary()


def test_refusals(lab6):
    with pytest.raises(SpectraError, match="unknown standard 'Unobtainium'"):
        calibrate(lab6, "Unobtainium")
    with pytest.raises(SpectraError, match="intensities must be"):
        calibrate(lab6, "LaB6", intensities="pawley-ish")
    with pytest.raises(SpectraError, match="needs at least 3"):
        calibrate(lab6, "LaB6", window=(25.0, 40.0))


def test_recipe_with_instrument_file_fits_as_the_written_values(calibration, tmp_path):
    """H12b's recipe side: ``instrument = "file.toml"`` merges the file's keys as fixed values."""
    path = calibration.instrument.save(tmp_path / "diffractometer.toml")
    da, _ = simulate.xrd({"Si": {"scale": 8.0, "size": 300.0}, "Li2S": {"scale": 150.0, "size": 8.0}},
                         two_theta=(20, 70), step=0.02, instrument=INSTRUMENT, seed=5)
    common = {"technique": "xrd", "phases": ["Si", "Li2S"], "background": {"kind": "chebyshev", "order": 2},
              "phase_options": {"Si": {"size": {"value": 300, "vary": False}}}}
    from_file = spectra.fit(da, {**common, "instrument": str(path)})
    written = spectra.fit(da, {**common, **calibration.instrument.recipe_keys()})
    assert from_file.varying == written.varying
    for name in from_file.values:
        assert from_file.values[name] == pytest.approx(written.values[name], rel=1e-9, abs=1e-12), name
    assert from_file.values["zero"] == calibration.instrument.values["zero"]
    assert from_file.values["inst_u"] == calibration.instrument.values["u"]
    assert "zero" not in from_file.varying and "inst_u" not in from_file.varying


def test_a_standard_from_a_cif_holds_the_cif_cell(lab6, tmp_path):
    from spectra.xrd.cif import write_cif
    from spectra.xrd.structure import load_structure

    s = load_structure("LaB6")
    path = write_cif(s.with_cell((4.156826,) * 3 + s.cell[3:]), tmp_path / "my_lab6.cif")
    cal = calibrate(lab6, path, window=(18.0, 56.0), background_order=2)
    assert cal.instrument.standard == str(path) and cal.instrument.certified_a == pytest.approx(4.156826)
    assert "my_lab6.cif" in cal.instrument.certificate and cal.result.success
    with pytest.raises(SpectraError, match="unknown standard"):
        calibrate(lab6, tmp_path / "my_lab6.txt")
