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
        """Open one spectrum of a file as a Dataset (called by :func:`xarray.open_dataset`).

        Parameters
        ----------
        filename_or_obj : str or PathLike
            The instrument file.
        drop_variables : list of str, optional
            Variables or coordinates to drop; names not present are ignored.
        region : str or int, optional
            Region name or index, as for :func:`spectra.io.load`.

        Returns
        -------
        xarray.Dataset
            The variable ``intensity`` with the spectrum's coordinates; its attrs are also the
            Dataset's.

        Raises
        ------
        spectra.errors.RegionError
            The file holds several spectra and ``region`` does not pick exactly one.
        spectra.errors.FileFormatError
            The file is damaged or not what it claims to be.
        spectra.errors.UnknownFormatError
            No reader recognises the file.
        """
        from . import load

        da = load(os.fspath(filename_or_obj), region=region)
        ds = da.to_dataset(name="intensity", promote_attrs=True)
        return ds.drop_vars(drop_variables or [], errors="ignore")

    def guess_can_open(self, filename_or_obj) -> bool:
        """Whether the extension belongs to a specific (not catch-all text) reader.

        Parameters
        ----------
        filename_or_obj : str, PathLike or object
            What :func:`xarray.open_dataset` was given; non-path objects are declined.

        Returns
        -------
        bool
            True when a non-generic reader lists the file's extension.
        """
        from ._registry import readers

        try:
            suffix = os.path.splitext(os.fspath(filename_or_obj))[1].lower()
        except TypeError:
            return False
        return any(suffix in r.extensions for r in readers() if not r.generic)
