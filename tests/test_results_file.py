"""Result files (:mod:`spectra.results`): what goes in comes back equal and redraws the same figure;
the layout is NeXus-shaped; provenance is recorded; bad files are refused by name."""
from __future__ import annotations

import datetime
import hashlib
import json

import h5py
import numpy as np
import pytest

import spectra
from spectra import examples
from spectra.errors import FileFormatError, SpectraError
from spectra.results import Results, save_results, with_curves

S2P, XRD = "S2p_carbon_anode.vms", "Li2S_argyrodite_xrd.xy"


@pytest.fixture(scope="module")
def s2p_fit():
    return spectra.fit(spectra.load(examples.path(S2P)), examples.RECIPES[S2P], mc_replicas=4, seed=3)


def test_single_fit_round_trip(s2p_fit, tmp_path):
    path = save_results(s2p_fit, tmp_path / "one.h5")
    back = spectra.load_results(path)
    assert isinstance(back, Results) and list(back) == ["S 2p"]
    assert back == s2p_fit and back == s2p_fit.to_dataset(curves=True)
    assert back.fit("S 2p").identical(s2p_fit.to_dataset(curves=True))
    ds = back["S 2p"]
    assert ds["mc_fraction"].sizes["quantile"] == 5 and "components" in ds and "lines" in ds
    # provenance: the input's SHA-256, versions, command line, UTC time
    source = str(examples.path(S2P))
    assert back.provenance["inputs"] == {source: hashlib.sha256(examples.path(S2P).read_bytes()).hexdigest()}
    assert back.provenance["versions"]["spectra-xpsxrd"] == spectra.__version__
    created = datetime.datetime.fromisoformat(back.provenance["created"])
    assert created.utcoffset() == datetime.timedelta(0)
    assert isinstance(back.provenance["command"], list)


def test_not_equal_when_a_number_differs(s2p_fit, tmp_path):
    back = spectra.load_results(save_results(s2p_fit, tmp_path / "one.h5"))
    other = s2p_fit.to_dataset(curves=True)
    other["value"][0, 0] += 1e-9
    assert back != other and not back == other


def test_batch_on_two_grids_with_a_failure(tmp_path):
    """fit_many over spectra on different grids (and one unreadable file): the curves share the union
    of the grids, and each fit comes back on exactly its own points."""
    da = spectra.load(examples.path(S2P))
    cropped = da.isel(binding_energy=slice(3, -5))  # another grid, still covering the window
    shifted = da.assign_coords(binding_energy=da.binding_energy + 0.013)  # points between the others
    data = [da, cropped, str(tmp_path / "missing.vms"), shifted]
    ds = with_curves(spectra.fit_many(data, examples.RECIPES[S2P], engine="lmfit"), data, examples.RECIPES[S2P])
    path = save_results({"S 2p": ds}, tmp_path / "batch.h5")
    back = spectra.load_results(path)
    assert back == {"S 2p": ds}
    assert not np.isfinite(back["S 2p"]["data"].values[2]).any()  # never fitted: no curves
    for k, spectrum in ((0, da), (1, cropped), (3, shifted)):
        one = back.fit("S 2p", k)
        single = spectra.fit(spectrum, examples.RECIPES[S2P])
        np.testing.assert_array_equal(one["binding_energy"].values, single.x)
        np.testing.assert_array_equal(one["data"].values[0], single.y)
        np.testing.assert_allclose(one["best_fit"].values[0], single.best_fit, rtol=1e-6)
        np.testing.assert_allclose(one["components"].values[0], np.array(list(single.components.values())),
                                   rtol=1e-6, atol=1e-6 * single.y.max())


def test_xrd_round_trip(tmp_path):
    result = spectra.fit(spectra.load(examples.path(XRD)), examples.RECIPES[XRD])
    back = spectra.load_results(save_results(result, tmp_path / "xrd.h5"))
    assert back == result
    assert set(back[next(iter(back))]["curve"].values) >= {"Li6PS5Cl", "Li2S", "Si"}


def test_nexus_layout(s2p_fit, tmp_path):
    path = save_results({"S 2p": s2p_fit, "S 2p again": s2p_fit}, tmp_path / "nx.h5")
    with h5py.File(path) as f:
        assert f.attrs["NX_class"] == "NXroot" and f.attrs["spectra_results"] == "1"
        assert json.loads(f.attrs["provenance"])["inputs"]
        assert sorted(f) == ["S_2p", "S_2p_again"]
        entry = f["S_2p"]
        assert entry.attrs["NX_class"] == "NXentry" and entry["title"][()].decode() == "S 2p"
        assert entry["definition"][()].decode() == "NXxps" and entry["method"][()].decode() == "XPS"
        fit = entry["fit"]
        assert fit.attrs["NX_class"] == "NXfit" and fit["label"][()].decode() == "S 2p"
        assert "value" in fit and "covariance" in fit and "fraction_stderr" in fit
        data = fit["data"]
        assert data.attrs["NX_class"] == "NXdata" and data.attrs["signal"] == "input_dependent"
        assert list(data.attrs["axes"]) == ["spectrum", "binding_energy"]
        for field in ("input_independent", "input_dependent", "input_dependent_errors", "fit_sum", "residual"):
            assert field in data, field
        np.testing.assert_array_equal(data["input_dependent"][0], s2p_fit.y)
        np.testing.assert_array_equal(data["input_independent"][:], s2p_fit.x)
        for name, curve in s2p_fit.components.items():  # one NXpeak per component
            peak = fit[f"peak_{name}"]
            assert peak.attrs["NX_class"] == "NXpeak" and peak["label"][()].decode() == name
            np.testing.assert_array_equal(peak["data/intensity"][0], curve)
            np.testing.assert_array_equal(peak["data/position"][:], s2p_fit.x)
            assert peak["function/function_type"][()].decode() == "Gaussian-Lorentzian Product"  # GL(30)
        background = fit["background_shirley"]  # active Shirley: NXxps calls it Shirley
        np.testing.assert_array_equal(background["data/intensity"][0], s2p_fit.background)
        assert "active-shirley" in background["function/description"][()].decode()
        assert entry["process"].attrs["NX_class"] == "NXprocess"
        assert entry["process/program"][()].decode() == "spectra"
        note = entry["process/recipe"]
        assert note.attrs["NX_class"] == "NXnote" and note["type"][()].decode() == "application/json"
        text = note["data"][()].decode()
        assert text == s2p_fit.problem.text
        assert note["checksum"][()].decode() == hashlib.sha256(text.encode()).hexdigest()


def test_figure_redrawn_from_the_file_is_the_same(s2p_fit, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from spectra.plotting import plot_fit

    back = spectra.load_results(save_results(s2p_fit, tmp_path / "one.h5"))
    drawn = [plot_fit(fit) for fit in (s2p_fit, back.fit("S 2p"))]
    lines = [[line.get_xydata() for line in ax.figure.findobj(matplotlib.lines.Line2D)] for ax in drawn]
    texts = [[t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)] for ax in drawn]
    assert len(lines[0]) == len(lines[1]) > 3
    for a, b in zip(*lines):
        np.testing.assert_array_equal(a, b)
    assert texts[0] == texts[1]
    plt.close("all")


def test_existing_file_is_not_replaced(s2p_fit, tmp_path):
    path = tmp_path / "taken.h5"
    path.write_text("precious")
    with pytest.raises(SpectraError, match="exists"):
        save_results(s2p_fit, path)
    assert path.read_text() == "precious"
    save_results(s2p_fit, path, overwrite=True)
    assert spectra.load_results(path) == s2p_fit


def test_files_that_are_not_results_are_refused_by_name(tmp_path):
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(FileFormatError, match="notes.h5"):
        spectra.load_results(text)
    netcdf = tmp_path / "spectrum.nc"
    spectra.io.write.write_netcdf(spectra.load(examples.path(S2P)), netcdf)
    with pytest.raises(FileFormatError, match="spectrum.nc.*not a spectra results file"):
        spectra.load_results(netcdf)
    with pytest.raises(FileNotFoundError):
        spectra.load_results(tmp_path / "absent.h5")


def test_validates_as_nxxps_with_pynxtools(s2p_fit, tmp_path):
    """Optional: FAIRmat's NeXus validator (pynxtools, ~40 packages, not a dependency of spectra). Set
    SPECTRA_PYNX to a ``pynx`` executable (e.g. of a separate environment), or install pynxtools here."""
    import os
    import shutil
    import subprocess

    pynx = os.environ.get("SPECTRA_PYNX") or shutil.which("pynx")
    if not pynx:
        pytest.skip("pynxtools' `pynx` not found (pip install pynxtools, or set SPECTRA_PYNX to its path)")
    path = save_results(s2p_fit, tmp_path / "s2p.nxs")
    run = subprocess.run([pynx, "validate", "--ignore-undocumented", str(path)], capture_output=True, text=True,
                         timeout=600)
    assert "is valid according to the `NXxps` application definition" in run.stdout + run.stderr, run.stderr
