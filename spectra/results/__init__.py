"""Result files: every fit of a run, with the spectra and curves to redraw it, in one HDF5/NetCDF file.

:func:`save_results` writes fit results (a single fit, a :func:`spectra.fit_many` Dataset, or named
blocks of either) atomically; :func:`load_results` reads them back as :class:`Results`, which compare
equal to what was saved. The file layout (NeXus NXentry / NXfit / NXdata / NXprocess groups, read by
``xr.open_datatree`` too) is described in :mod:`spectra.results.nexus`; what each block holds:

* the fit table of :func:`spectra.fit_many` (parameters with standard errors, covariance of the
  varying parameters, flags, derived quantities such as areas, fractions, weight fractions and sizes,
  the recipe and its hash);
* the curves, when the results carry them (``result.to_dataset(curves=True)``, or
  :func:`~spectra.results.curves.with_curves` for a batch): data and axis, σ, model, background,
  residual and components;
* provenance: the input files' SHA-256, package versions, command line and UTC time
  (:mod:`spectra.results.provenance`).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import FileFormatError
from ..io.write import atomic_write
from . import nexus
from .curves import with_curves
from .provenance import provenance as make_provenance

__all__ = ["Results", "load_results", "save_results", "with_curves"]


def _as_dataset(obj) -> xr.Dataset:
    """A fit result as its Dataset (a single fit: ``to_dataset(curves=True)``)."""
    if isinstance(obj, xr.Dataset):
        return obj
    if hasattr(obj, "to_dataset"):
        return obj.to_dataset(curves=True)
    raise TypeError(f"not a fit result or fit_many Dataset: {type(obj).__name__}")


def _block_name(ds: xr.Dataset) -> str:
    return str(ds.attrs.get("region") or ds.attrs.get("technique") or "fit")


def _as_blocks(results) -> dict[str, xr.Dataset]:
    """Named Datasets of a fit result, a fit_many Dataset or a mapping of names to either."""
    if isinstance(results, Mapping) and not isinstance(results, xr.Dataset):
        return {str(name): _as_dataset(value) for name, value in results.items()}
    ds = _as_dataset(results)
    return {_block_name(ds): ds}


class Results(dict):
    """The blocks of a results file: block name (e.g. ``"S 2p"``) → fit Dataset, plus provenance.

    A ``dict`` (so anything that takes a dict of fit Datasets takes it). Two ``Results`` are equal
    when they hold the same block names with identical Datasets (values, coordinates and attributes;
    provenance is not compared). A ``Results`` with one block also equals that block's Dataset, or
    the single fit result it was saved from.

    Parameters
    ----------
    blocks : dict of str to xarray.Dataset
    provenance : dict, optional
        ``created``, ``command``, ``versions``, ``inputs`` (path → SHA-256), … (see
        :func:`spectra.results.provenance.provenance`).
    """

    def __init__(self, blocks: dict[str, xr.Dataset], provenance: dict | None = None):
        super().__init__(blocks)
        self.provenance = dict(provenance or {})

    def __eq__(self, other) -> bool:
        try:
            blocks = _as_blocks(other)
        except TypeError:
            return NotImplemented
        if len(self) == 1 and (isinstance(other, xr.Dataset) or not isinstance(other, Mapping)):
            return next(iter(self.values())).identical(next(iter(blocks.values())))
        return list(self) == list(blocks) and all(self[n].identical(blocks[n]) for n in self)

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None

    def __repr__(self) -> str:
        lines = [f"<spectra.Results: {len(self)} block(s)>"]
        for name, ds in self.items():
            n, ok = ds.sizes.get("spectrum", 0), int(np.sum(ds["ok"].values)) if "ok" in ds else 0
            failed = int(np.sum(~ds["success"].values.astype(bool))) if "success" in ds else 0
            lines.append(f"  {name}: {n} spectra, {ok} ok, {failed} failed"
                         + (", with curves" if "data" in ds else ""))
        return "\n".join(lines)

    def fit(self, block: str, index: int = 0) -> xr.Dataset:
        """One fit of a block: the N = 1 slice (dim ``spectrum`` of length 1) in the layout of
        ``result.to_dataset(curves=True)``, axis points where this spectrum has no data dropped.

        Parameters
        ----------
        block : str
            A block name.
        index : int
            Position along ``spectrum``.
        """
        ds = self[block].isel(spectrum=[index])
        if "data" in ds:
            axis = next(d for d in ds["data"].dims if d != "spectrum")
            ds = ds.isel({axis: np.flatnonzero(np.isfinite(ds["data"].values[0]))})
        return ds


def save_results(results, path: str | os.PathLike, *, overwrite: bool = False,
                 provenance: dict | None = None) -> Path:
    """Write fit results to an HDF5/NetCDF-4 file (h5netcdf), atomically.

    Parameters
    ----------
    results : fit result, xarray.Dataset, or mapping of str to either
        A single fit (:func:`spectra.fit`; stored with its curves), a :func:`spectra.fit_many`
        Dataset (with curves when :func:`~spectra.results.curves.with_curves` added them), or named
        blocks of these (a :class:`Results` too). A single result is named after its region.
    path : str or PathLike
        Target file (``.h5``, ``.nc`` or ``.nxs``); never replaced unless ``overwrite``.
    overwrite : bool
        Replace an existing file (the new one is complete before it takes the old one's place).
    provenance : dict, optional
        The provenance record; by default that of a :class:`Results` given, else
        :func:`spectra.results.provenance.provenance` of the fitted files (hashed when they exist)
        and ``sys.argv``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    spectra.errors.SpectraError
        ``path`` exists and ``overwrite`` is False.
    """
    blocks = _as_blocks(results)
    if provenance is None:
        provenance = (results.provenance if isinstance(results, Results) else None) or make_provenance(
            s for ds in blocks.values() if "source" in ds.coords for s in np.atleast_1d(ds["source"].values))
    return atomic_write(path, lambda tmp: nexus.write(blocks, provenance, tmp), overwrite=overwrite)


def load_results(path: str | os.PathLike) -> Results:
    """Read a results file written by :func:`save_results` (or ``spectra fit``).

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    Results
        Block name → fit Dataset (in memory; the file is closed), with ``provenance``.

    Raises
    ------
    spectra.errors.FileFormatError
        The file is not a spectra results file (or not HDF5).
    """
    try:
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            blocks, prov = nexus.from_tree(tree.load())
    except (OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise FileFormatError(path, f"not a spectra results file: {exc}") from None
    return Results(blocks, prov)
