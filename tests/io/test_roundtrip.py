"""A spectrum survives VAMAS, column text and NetCDF/HDF5 with its values and attrs intact."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import spectra
from spectra.errors import SpectraError
from spectra.io.write import write_columns, write_netcdf, write_vamas

from ..conftest import shared_files

pytestmark = pytest.mark.filterwarnings("ignore:.*not ISO 14976 conformant:UserWarning")

ONE_D = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for path in shared_files():
        try:
            ONE_D += [(path, i) for i, da in enumerate(spectra.read(path)) if da.ndim == 1]
        except SpectraError:
            pass


def _evenly_spaced_energy(da):
    x = da[da.dims[-1]].values
    return (da.dims[-1] in ("binding_energy", "kinetic_energy") and x.size > 1
            and np.allclose(np.diff(x), (x[-1] - x[0]) / (x.size - 1), rtol=1e-9, atol=1e-9))


@pytest.mark.parametrize("path,index", ONE_D, ids=lambda v: getattr(v, "name", str(v)))
def test_columns_and_netcdf_round_trip(path, index, tmp_path):
    da = spectra.read(path)[index]
    back = spectra.load(write_columns(da, tmp_path / "spectrum.txt"))
    assert back.identical(da)
    nc = xr.load_dataarray(write_netcdf(da, tmp_path / "spectrum.nc"), engine="h5netcdf")
    assert nc.identical(da)


@pytest.mark.parametrize("path,index", [(p, i) for p, i in ONE_D if _evenly_spaced_energy(spectra.read(p)[i])],
                         ids=lambda v: getattr(v, "name", str(v)))
def test_vamas_round_trip(path, index, tmp_path):
    da = spectra.read(path)[index]
    back = spectra.load(write_vamas(da, tmp_path / "spectrum.vms"))
    np.testing.assert_array_equal(back.values, da.values)
    assert back.attrs == da.attrs
    assert set(back.coords) == set(da.coords)
    # REGULAR VAMAS stores start and step: the axis comes back to rounding
    np.testing.assert_allclose(back[back.dims[-1]].values, da[da.dims[-1]].values, rtol=1e-12, atol=1e-9)


def test_writers_never_overwrite_unless_asked(tmp_path):
    da = spectra.dataarray.xrd_pattern(np.arange(5.0), np.ones(5))
    target = tmp_path / "a.txt"
    target.write_text("precious")
    with pytest.raises(SpectraError, match="exists"):
        write_columns(da, target)
    assert target.read_text() == "precious"
    write_columns(da, target, overwrite=True)
    back = spectra.load(target)
    np.testing.assert_array_equal(back.values, da.values)
    assert da.attrs.items() <= back.attrs.items()  # reading adds source, format and region


def test_failed_write_leaves_no_partial_file(tmp_path):
    da = spectra.dataarray.xrd_pattern(np.arange(5.0), np.ones(5))
    with pytest.raises(SpectraError, match="energy spectra"):
        write_vamas(da, tmp_path / "a.vms")
    assert list(tmp_path.iterdir()) == []


def test_written_vamas_is_read_by_the_vamas_package(tmp_path):
    vamas = pytest.importorskip("vamas", reason="the peer reader 'vamas' is not installed")
    da = spectra.dataarray.xps_spectrum(np.linspace(170.0, 155.0, 151), np.arange(151.0) + 10, energy_axis="binding",
                                    excitation_energy=1486.6, region="S 2p")
    block = vamas.Vamas(str(write_vamas(da, tmp_path / "s.vms"))).blocks[0]
    np.testing.assert_array_equal(block.corresponding_variables[0].y_values, da.values)
    assert block.x_start == pytest.approx(170.0) and block.x_step == pytest.approx(-0.1)


def test_xarray_backend_entry_point(shared_data):
    ds = xr.open_dataset(shared_data / "xps/importtool_phi_multipak.SPE", engine="spectra", region="O1s")
    da = spectra.load(shared_data / "xps/importtool_phi_multipak.SPE", region="O1s")
    np.testing.assert_array_equal(ds["intensity"].values, da.values)
    assert ds.attrs["region"] == "O1s"
