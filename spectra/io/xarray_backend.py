"""An xarray backend, so ``xr.open_dataset(path, engine="spectra", region=...)`` reads any format
spectra knows (registered under the ``xarray.backends`` entry point group)."""
from __future__ import annotations

import os

import xarray as xr
from xarray.backends import BackendEntrypoint


class SpectraBackend(BackendEntrypoint):
    """Open one spectrum of an instrument file as a Dataset with the variable ``intensity``."""

    description = "XPS and XRD instrument files (VAMAS, XRDML, Bruker RAW/BRML, PHI, SPECS, ...) via spectra"
    url = "https://pypi.org/project/spectra-xpsxrd/"
    open_dataset_parameters = ("filename_or_obj", "drop_variables", "region")

    def open_dataset(self, filename_or_obj, *, drop_variables=None, region=None) -> xr.Dataset:
        from . import load

        da = load(os.fspath(filename_or_obj), region=region)
        ds = da.to_dataset(name="intensity", promote_attrs=True)
        return ds.drop_vars(drop_variables or [], errors="ignore")

    def guess_can_open(self, filename_or_obj) -> bool:
        from ._registry import readers

        try:
            suffix = os.path.splitext(os.fspath(filename_or_obj))[1].lower()
        except TypeError:
            return False
        return any(suffix in r.extensions for r in readers() if not r.generic)
