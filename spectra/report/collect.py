"""What a report is made of: the inputs a user gives (fit results, :func:`spectra.fit_many` datasets,
results files, comparisons, in any nesting of lists and dicts) turned into one entry per fit, one
row per failure and the comparisons."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from ..plotting import fitdata


@dataclass
class Entry:
    """One fit of a report.

    Attributes
    ----------
    ds : xarray.Dataset
        The fit (:func:`spectra.plotting.fitdata.one_fit`: no ``spectrum`` dim).
    sample, region, technique, source : str
    """

    ds: xr.Dataset
    sample: str
    region: str
    technique: str
    source: str


@dataclass
class Failure:
    """A spectrum or file that gave no fit: where it came from and why."""

    source: str
    reason: str


@dataclass
class Contents:
    """Everything a report shows, in input order."""

    entries: list[Entry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    comparisons: list = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)


def is_comparison(obj) -> bool:
    """Whether ``obj`` is a comparison (:class:`spectra.comparison.Comparison` or alike: ``table()``
    and ``to_dataset()`` without being a fit result)."""
    return callable(getattr(obj, "table", None)) and callable(getattr(obj, "to_dataset", None)) and \
        not hasattr(obj, "problem")


def collect(inputs, comparison=None) -> Contents:
    """Sort a report's inputs.

    Parameters
    ----------
    inputs : object or sequence
        Fit results, datasets of :func:`spectra.fit_many` (each spectrum one entry; a failed spectrum
        a failure with its message), paths of results files (read with :func:`spectra.load_results`
        where it exists, else as NetCDF), comparisons (their ``fits``, when they keep them, become
        entries too, named by group and replicate; the files they skipped are failures), and lists or
        dicts of these.
    comparison : Comparison, optional
        A comparison given apart.

    Returns
    -------
    Contents
    """
    out = Contents()
    _add(out, inputs)
    if comparison is not None:
        _add(out, comparison)
    return out


def _add(out: Contents, obj, sample: str = "") -> None:
    """Add ``obj``; ``sample`` names its fits when the container said whose they are (a comparison's
    fits are keyed by (group, replicate, region))."""
    if obj is None:
        return
    if isinstance(obj, (str, os.PathLike)):
        out.inputs.append(str(obj))
        try:
            loaded = _load(Path(obj))
        except (OSError, ValueError) as exc:
            out.failures.append(Failure(str(obj), f"cannot read results file: {exc}"))
            return
        _add(out, loaded)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _add(out, value, " · ".join(map(str, key[:-1])) if isinstance(key, tuple) and len(key) > 1 else sample)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _add(out, value, sample)
    elif isinstance(obj, xr.Dataset):
        _add_dataset(out, obj, sample)
    elif hasattr(obj, "to_dataset") and hasattr(obj, "problem"):
        _add_dataset(out, obj.to_dataset(curves=True), sample)
    elif is_comparison(obj):
        out.comparisons.append(obj)
        out.failures += [Failure(str(where), str(why)) for where, why in (getattr(obj, "skipped", None) or {}).items()]
        _add(out, getattr(obj, "fits", None))
    else:
        raise TypeError(f"a report takes fit results, fit_many datasets, results files and comparisons, "
                        f"not {type(obj).__name__}")


def _add_dataset(out: Contents, ds: xr.Dataset, sample: str = "") -> None:
    if "value" not in ds or "param" not in ds.dims:
        raise TypeError("this dataset is not a fit result (no 'value' over 'param'); fit_many and "
                        "result.to_dataset() make them")
    n = ds.sizes.get("spectrum", 1)
    for k in range(n):
        one = ds.isel(spectrum=k) if "spectrum" in ds.dims else ds
        if not bool(one["success"]) and not np.isfinite(one["value"].values).any():  # never fitted
            out.failures.append(Failure(fitdata.source(one) or f"spectrum {k}", str(one["message"].values)))
            continue
        out.entries.append(Entry(one, sample or fitdata.sample(one) or f"spectrum {k}", fitdata.region(one),
                                 str(ds.attrs.get("technique", "")), fitdata.source(one)))


def _load(path: Path):
    import spectra

    load = getattr(spectra, "load_results", None)
    if load is not None:
        return load(path)
    with xr.open_dataset(path) as ds:
        return ds.load()
