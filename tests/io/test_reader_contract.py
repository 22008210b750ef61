"""The contract every registered reader keeps, checked over the reader registry.

``tests/io/test_real_files.py`` checks *what* each shared file holds (counts, axis ends, sums,
regions) against independently obtained values, file by file. This module checks *how* every
reader delivers it, reader by reader, so that a newly registered reader is held to the same data
model (:mod:`spectra.dataarray`) as soon as a shared file of its format exists:

* ``spectra.read`` gives a non-empty list of numeric DataArrays whose last dim is the spectral axis:
  ``binding_energy``, ``kinetic_energy`` or ``photon_energy`` (eV) or ``two_theta`` (degree);
* the axis coordinate is 1-D, finite, as long as the data, and carries its ``units``;
* ``attrs`` has ``technique`` (``xrd`` exactly for ``two_theta``), ``units``, ``source`` (the path
  read) and ``format`` (the reader's registered name), and holds only strings and numbers, with
  ``metadata`` a JSON string (so every spectrum can be written to NetCDF).

Files are assigned to readers by the registry's own detection (content first, extension second).
A reader with no shared file, or whose only shared files are refused by design
(``test_real_files.REFUSED``), is skipped with that reason.
"""
from __future__ import annotations

import functools
import json
import os
import re
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import spectra
import spectra.errors
from spectra.io import _registry

from ..conftest import SHARED_DATA, shared_files
from .test_real_files import REFUSED

AXIS_UNITS = {"binding_energy": "eV", "kinetic_energy": "eV", "photon_energy": "eV", "two_theta": "degree"}
TECHNIQUES = {"xps", "ups", "aes", "xrd"}
FORMATS = [f["name"] for f in spectra.io.formats()]


@functools.cache
def files_by_reader() -> dict[str, list[Path]]:
    """Shared instrument files grouped by the reader the registry detects for them."""
    groups = defaultdict(list)
    for path in shared_files():
        if path.name in ("README.md", "provenance.json"):
            continue
        groups[_registry.detect(path).name].append(path)
    return dict(groups)


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_registry_lists_each_reader_once():
    assert len(FORMATS) == len(set(FORMATS)) > 0
    assert FORMATS == [r.name for r in _registry.readers()]
    for f in spectra.io.formats():
        assert f["technique"] in ("xps", "xrd"), f
        assert f["description"], f
        assert all(e.startswith(".") and e == e.lower() for e in f["extensions"]), f


@pytest.mark.parametrize("name", FORMATS)
def test_reader_keeps_the_data_model(name):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real instrument files not found at {SHARED_DATA} (clone with ../shared beside the repo)")
    files = files_by_reader().get(name, [])
    if not files:
        pytest.skip(f"no file in {SHARED_DATA} is detected as {name!r}")
    readable = [p for p in files if _label(p) not in REFUSED]
    for path in files:
        if _label(path) in REFUSED:  # readers that exist to refuse a format say so, naming the file
            with pytest.raises(spectra.errors.FileFormatError, match=re.escape(os.fspath(path))):
                spectra.read(path)
    for path in readable:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = spectra.read(path)
        where = _label(path)
        assert isinstance(found, list) and found, where
        for k, da in enumerate(found):
            at = f"{where}[{k}]"
            assert isinstance(da, xr.DataArray), at
            assert np.issubdtype(da.dtype, np.number), (at, da.dtype)
            dim = da.dims[-1]
            assert dim in AXIS_UNITS, (at, da.dims)
            axis = da[dim]
            assert axis.dims == (dim,) and axis.size == da.shape[-1] > 0, at
            assert np.issubdtype(axis.dtype, np.number) and np.all(np.isfinite(axis.values)), at
            assert axis.attrs.get("units") == AXIS_UNITS[dim], (at, axis.attrs)
            attrs = da.attrs
            assert attrs.get("technique") in TECHNIQUES, (at, attrs.get("technique"))
            assert (attrs["technique"] == "xrd") == (dim == "two_theta"), (at, attrs["technique"], dim)
            assert isinstance(attrs.get("units"), str) and attrs["units"], (at, attrs.get("units"))
            assert attrs.get("source") == os.fspath(path), (at, attrs.get("source"))
            assert attrs.get("format") == name, (at, attrs.get("format"))
            odd = {key: type(v).__name__ for key, v in attrs.items()
                   if isinstance(v, bool) or not isinstance(v, (str, int, float))}
            assert odd == {}, (at, odd)
            assert isinstance(json.loads(attrs.get("metadata", "{}")), dict), at


def test_every_shared_file_has_a_reader(shared_data):
    """Detection assigns every shared file to a registered reader (none falls through)."""
    assigned = {p for group in files_by_reader().values() for p in group}
    expected = {p for p in shared_files() if p.name not in ("README.md", "provenance.json")}
    assert assigned == expected
    assert set(files_by_reader()) <= set(FORMATS)
