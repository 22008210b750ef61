"""What a comparison is given: groups of files (folders, globs, lists) or DataArrays, turned into
one record per spectrum (group, replicate, what it is, where it came from), and the reasons for
everything skipped."""
from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from .. import recipes as default_recipes
from ..xps import library

#: an XPS block wider than this (eV) is a survey, not a region
SURVEY_SPAN = 60.0
#: file-name endings that name the technique rather than the sample (``p1_xps.vms`` and ``p1_xrd.xrdml``
#: are one replicate)
_TECHNIQUE_SUFFIX = re.compile(r"[_\-. ](xps|xrd|vms|xrdml|pattern|regions?)$", re.IGNORECASE)


@dataclass
class Record:
    """One spectrum to fit.

    Attributes
    ----------
    group, replicate : str
        Group label and replicate (sample) name.
    key : str
        What it is: an XPS region (``"S 2p"``) or ``"xrd"``.
    source : str
        File it came from (or ``"<group>[i]"`` for a DataArray given directly).
    data : xarray.DataArray
        The spectrum or pattern.
    """

    group: str
    replicate: str
    key: str
    source: str
    data: xr.DataArray


def expand(spec) -> list:
    """The items of one group: a folder (every file in it, sorted), a glob, a path, or a list of
    paths and DataArrays.

    Parameters
    ----------
    spec : str, PathLike, DataArray or list of them

    Returns
    -------
    list
        Paths (``pathlib.Path``) and DataArrays.
    """
    if isinstance(spec, xr.DataArray):
        return [spec]
    if isinstance(spec, (str, os.PathLike)):
        p = Path(spec)
        if p.is_dir():
            return sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith("."))
        if any(c in str(spec) for c in "*?["):
            return sorted(Path(f) for f in glob.glob(str(spec)) if Path(f).is_file())
        return [p]
    out = []
    for item in spec:
        out += expand(item)
    return out


def replicate_name(path: Path) -> str:
    """The replicate a file belongs to: its name without extension and without a trailing
    technique word (``p1_xps.vms`` and ``p1_xrd.xrdml`` → ``p1``)."""
    return _TECHNIQUE_SUFFIX.sub("", path.stem) or path.stem


def classify(da: xr.DataArray) -> tuple[str | None, str]:
    """What a spectrum is for the comparison: an XPS region, ``"xrd"``, or None with the reason.

    XPS regions are recognised from the ``region`` attribute (loosely spelt: ``S2p``, ``S 2p``) and,
    when that names none, from the energy window: the library region whose peaks the window covers.

    Parameters
    ----------
    da : xarray.DataArray

    Returns
    -------
    (str or None, str)
        The key and an empty reason, or None and why the spectrum is not used.
    """
    technique = str(da.attrs.get("technique", "")).lower()
    if technique == "xrd" or "two_theta" in da.dims:
        if da.ndim != 1:
            return None, f"XRD data with dims {da.dims}: the comparison takes 1-D patterns"
        return "xrd", ""
    if technique != "xps" or "binding_energy" not in da.dims:
        return None, f"neither XPS nor XRD (technique {technique or 'unknown'}, dims {da.dims})"
    if da.ndim != 1:
        return None, f"XPS data with dims {da.dims} (a depth profile or map): the comparison takes 1-D regions"
    be = da["binding_energy"].values
    span = float(be.max() - be.min())
    if span > SURVEY_SPAN:
        return None, f"a survey ({span:.0f} eV wide), not a region"
    name = default_recipes.canonical(str(da.attrs.get("region", "")))
    if name in library.regions():
        return name, ""
    lo, hi = float(be.min()), float(be.max())
    for region in library.regions():
        centres = [s.center for s in library.region(region).species.values()]
        if lo <= min(centres) - 1.0 and max(centres) + 1.0 <= hi:
            return region, ""
    return None, f"region {da.attrs.get('region')!r} ({lo:.1f}-{hi:.1f} eV) is none of {', '.join(library.regions())}"


def collect(groups: dict) -> tuple[list[Record], dict[str, str]]:
    """Read every group's items into records; unreadable or unusable items are skipped with a reason.

    Parameters
    ----------
    groups : dict
        Label → folder, glob, path, DataArray or list of them.

    Returns
    -------
    records : list of Record
    skipped : dict
        Source (file, or file and block) → reason, naming the group.
    """
    from ..io import read

    records, skipped, taken = [], {}, {}
    for label, spec in groups.items():
        items = expand(spec)
        if not items:
            skipped[f"{label}: {spec}"] = f"group {label!r}: no files found at {spec}"
        for i, item in enumerate(items):
            if isinstance(item, xr.DataArray):
                source = f"{label}[{i}]" + (f" ({item.attrs['source']})" if item.attrs.get("source") else "")
                replicate = str(item.attrs.get("sample") or f"{label}_{i + 1}")
                blocks = [item]
            else:
                source, replicate = str(item), replicate_name(item)
                try:
                    blocks = read(item)
                except Exception as exc:  # noqa: BLE001 - any unreadable file is skipped with its reason
                    skipped[source] = f"group {label!r}, sample {replicate!r}: cannot be read: {exc}"
                    continue
            seen = set()
            for b, da in enumerate(blocks):
                key, reason = classify(da)
                where = source if len(blocks) == 1 else f"{source} [block {b + 1}: {da.attrs.get('region', '')}]"
                if key is None:
                    skipped[where] = f"group {label!r}, sample {replicate!r}: {reason}"
                    continue
                if key in seen:
                    skipped[where] = (f"group {label!r}, sample {replicate!r}: a second {key} spectrum in the same "
                                      "file (the first is used)")
                    continue
                seen.add(key)
                if (label, replicate, key) in taken:
                    skipped[where] = (f"group {label!r}, sample {replicate!r}: a second {key} spectrum for this "
                                      f"sample (the one in {taken[label, replicate, key]} is used)")
                    continue
                taken[label, replicate, key] = where
                records.append(Record(label, replicate, key, where if key != "xrd" else source, da))
    return records, skipped
