"""The data model: dims, coordinates, attrs, and the direct DataArray assembly."""
from __future__ import annotations

import json

import numpy as np
import xarray as xr

from spectra.dataarray import xps_spectrum, xrd_pattern


def test_kinetic_axis_becomes_binding_with_kinetic_kept():
    ke = np.linspace(1300.0, 1320.0, 11)
    da = xps_spectrum(ke, np.ones(11), energy_axis="kinetic", excitation_energy=1486.6, region="C 1s")
    assert da.dims == ("binding_energy",)
    np.testing.assert_allclose(da.binding_energy, 1486.6 - ke)
    np.testing.assert_allclose(da.kinetic_energy, ke)
    assert da.binding_energy.attrs["units"] == "eV" and da.attrs["units"] == "counts"


def test_kinetic_axis_without_excitation_energy_stays_kinetic():
    da = xps_spectrum(np.arange(5.0), np.ones(5), energy_axis="kinetic")
    assert da.dims == ("kinetic_energy",) and "no excitation energy" in da.attrs["energy_reference"]


def test_attrs_are_netcdf_safe_and_metadata_is_json():
    da = xrd_pattern(np.arange(3.0), np.ones(3), sample="x", counting_time=np.float32(0.5), flag=True,
                     missing=None, metadata={"nested": {"a": [1, 2]}})
    assert da.attrs["flag"] == 1 and "missing" not in da.attrs
    assert isinstance(da.attrs["counting_time"], float)
    assert json.loads(da.attrs["metadata"]) == {"nested": {"a": [1, 2]}}


def test_direct_assembly_equals_public_constructor():
    ke = np.linspace(1300.0, 1320.0, 11)
    y = np.random.default_rng(0).random((3, 11))
    fast = xps_spectrum(ke, y, energy_axis="kinetic", excitation_energy=1486.6, leading={"cycle": [0, 1, 2]},
                        extra_coords={"transmission": np.ones(11)}, region="S 2p")
    public = xr.DataArray(y, dims=("cycle", "binding_energy"),
                          coords={"cycle": [0, 1, 2],
                                  "binding_energy": ("binding_energy", 1486.6 - ke, dict(fast.binding_energy.attrs)),
                                  "kinetic_energy": ("binding_energy", ke, dict(fast.kinetic_energy.attrs)),
                                  "transmission": ("binding_energy", np.ones(11))},
                          attrs=dict(fast.attrs))
    assert fast.identical(public)
    assert set(fast.indexes) == {"cycle", "binding_energy"}
    assert float(fast.sel(binding_energy=176.5, method="nearest").binding_energy) == float(fast.binding_energy[5])
