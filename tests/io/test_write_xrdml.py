"""The XRDML writer: spectra.load reads back exactly what was written, and no file is overwritten."""
from __future__ import annotations

import numpy as np
import pytest

import spectra
from spectra.dataarray import xrd_pattern
from spectra.errors import SpectraError
from spectra.io.write import write_xrdml


@pytest.mark.parametrize("step", [0.02, 0.0171])
def test_round_trip_is_exact(tmp_path, step):
    x = np.round(np.arange(15.0, 60.0, step), 10)
    y = np.random.default_rng(3).poisson(800.0, x.size).astype(float)
    y[5] = 0.5  # a non-integer survives too
    da = xrd_pattern(x, y, units="counts", anode="Cu", wavelength_ka1=1.540598, wavelength_ka2=1.544426,
                     ka2_ratio=0.5, counting_time=1.5, sample="Si & <Li6PS5Cl>")
    path = write_xrdml(da, tmp_path / "p.xrdml")
    back = spectra.load(path)
    assert back.attrs["format"] == "xrdml"
    assert np.array_equal(back["two_theta"].values, x)
    assert np.array_equal(back.values, y)
    for key in ("sample", "anode", "wavelength_ka1", "wavelength_ka2", "ka2_ratio", "counting_time", "units"):
        assert back.attrs[key] == da.attrs[key]


def test_never_overwrites_and_refuses_non_patterns(tmp_path):
    da = xrd_pattern(np.linspace(10, 20, 11), np.ones(11), units="counts")
    write_xrdml(da, tmp_path / "a.xrdml")
    with pytest.raises(SpectraError, match="exists"):
        write_xrdml(da, tmp_path / "a.xrdml")
    xps = spectra.simulate.xps("S 2p", {"PS4": 1.0}, seed=1)[0]
    with pytest.raises(SpectraError, match="2θ"):
        write_xrdml(xps, tmp_path / "b.xrdml")
