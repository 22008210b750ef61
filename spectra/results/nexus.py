"""The layout of a results file: fit Datasets ↔ a NeXus-shaped tree of HDF5 groups (h5netcdf).

::

    /                               NXroot    @creator, @file_time, @spectra_results (layout version),
                                              @provenance (JSON)
    /<entry>                        NXentry   title (the block's name, e.g. "S 2p"), start_time;
                                              XPS blocks also definition = "NXxps" and method = "XPS"
    /<entry>/fit                    NXfit     label, and the fit table: value, stderr, covariance, success,
                                              flags, derived quantities ... (dims spectrum, param, ...;
                                              attrs: recipe, versions, ...)
    /<entry>/fit/data               NXdata    the spectra on the axis: input_independent (the axis),
                                              input_dependent (data), input_dependent_errors (σ),
                                              fit_sum (model), residual (and the technique's extra curves)
    /<entry>/fit/peak_<component>   NXpeak    label; data (NXdata: position, intensity above the
                                              background); function (NXfit_function: function_type)
    /<entry>/fit/background_<kind>  NXpeak    label; data (position, intensity); function
    /<entry>/process                NXprocess program, version, date
    /<entry>/process/recipe         NXnote    type, data (the recipe's text, TOML or JSON), algorithm,
                                              checksum (SHA-256)

Group classes are ``NX_class`` attributes and NeXus fields are HDF5 datasets: NeXus tools see the
NXentry / NXfit / NXpeak / NXdata / NXprocess structure of the NXfit base class (as NXxps places
it), while ``xr.open_datatree(path)`` reads every group as a Dataset. Curves are stored once: each
component's curve in its peak group, the background in the background group; the names NXfit gives
them (and σ as the NeXus ``FIELD_errors`` sibling) are mapped to and from the Dataset's here. XPS
entries validate as NXxps with ``pynx validate --ignore-undocumented`` (pynxtools); instrument,
sample and user groups, which a fit result does not know, are not written.
"""
from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import xarray as xr

from .curves import axis_of, curve_variables

#: version of this layout, stored as the root attribute ``spectra_results``
LAYOUT_VERSION = "1"
#: version of the NXxps application definition the XPS entries follow
NXXPS_VERSION = "1.0"
#: Dataset variable name -> NXfit/NXdata field name
NEXUS_NAMES = {"data": "input_dependent", "sigma": "input_dependent_errors", "best_fit": "fit_sum"}
_DATASET_NAMES = {v: k for k, v in NEXUS_NAMES.items()}
#: attributes and fields this layout adds (removed again on reading)
_ADDED_ATTRS = ("NX_class", "signal", "axes")
_ADDED_FIELDS = ("label", "input_independent")


def entry_name(title: str, taken: set[str], prefix: str = "entry") -> str:
    """A NeXus-safe group name (``S 2p`` → ``S_2p``), unique among ``taken``."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", title).strip("_") or prefix
    if base[0].isdigit():
        base = f"{prefix}_{base}"
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def _recipe_of(ds: xr.Dataset) -> dict:
    """The recipe stored with a fit (its canonical text: JSON, or the TOML a file held)."""
    text = str(ds.attrs.get("recipe", ""))
    for parse in (json.loads, tomllib.loads):
        try:
            value = parse(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


#: NXfit_function ``function_type`` (an open enumeration of NXxps) of recipe line shapes and backgrounds,
#: by the leading letters of their names; others are written as the recipe names them
_FUNCTION_TYPES = (("sgl", "Gaussian-Lorentzian Sum"), ("gl", "Gaussian-Lorentzian Product"),
                   ("gauss", "Gaussian"), ("lorentz", "Lorentzian"), ("voigt", "Voigt"),
                   ("ds", "Doniach-Sunjic"), ("doniach", "Doniach-Sunjic"), ("active-shirley", "Shirley"),
                   ("shirley", "Shirley"), ("tougaard", "Tougaard"), ("linear", "Linear"), ("step", "Step Down"))


def _function(kind, described: str) -> xr.Dataset:
    """An NXfit_function: the NeXus name of a recipe's line shape or background, and the recipe's own."""
    name = kind.get("kind") if isinstance(kind, dict) else kind
    name = str(name) if name else "see recipe"
    nexus = next((n for prefix, n in _FUNCTION_TYPES if name.lower().startswith(prefix)), name)
    return xr.Dataset({"function_type": ((), nexus), "description": ((), f"{described}: {name}")},
                      attrs={"NX_class": "NXfit_function"})


def _peak(label: str, axis: str, position: xr.DataArray, intensity: xr.DataArray, function: xr.Dataset) -> dict:
    """The nodes of one NXpeak (relative paths)."""
    data = xr.Dataset({"intensity": intensity.reset_coords(drop=True).drop_vars([axis, "spectrum"]).rename(
                           {axis: "point"}),
                       "position": ("point", position.values, position.attrs)},
                      attrs={"NX_class": "NXdata", "signal": "intensity", "axes": ["spectrum", "position"]})
    return {"": xr.Dataset({"label": ((), label)}, attrs={"NX_class": "NXpeak"}), "/data": data,
            "/function": function}


def _fit_nodes(ds: xr.Dataset, title: str) -> dict[str, xr.Dataset]:
    """The NXfit group of one block and its children (paths relative to the entry)."""
    names, axis = curve_variables(ds), axis_of(ds)
    table = ds.drop_vars(names)
    used = set().union(*(v.dims for v in table.data_vars.values()))
    table = table.drop_vars([c for c in table.coords if not set(table[c].dims) <= used])
    nodes = {"fit": table.assign({"label": ((), title)}).assign_attrs(NX_class="NXfit")}
    if not names:
        return nodes
    position = ds[axis]
    data = ds[[n for n in names if n not in ("components", "background")]]
    data = data.drop_vars([c for c in data.coords if c in table.coords and c != "spectrum"])
    data = data.rename({k: v for k, v in NEXUS_NAMES.items() if k in data})
    data["input_independent"] = (axis, position.values, position.attrs)
    if "components" in ds:
        data = data.assign_coords(curve=ds["curve"].values)
    data.attrs = {"NX_class": "NXdata", "signal": NEXUS_NAMES["data"], "axes": ["spectrum", axis]}
    nodes["fit/data"] = data
    recipe = _recipe_of(ds)
    taken: set[str] = set()
    if "components" in ds:
        shape = _function(recipe.get("lineshape", recipe.get("profile")), "line shape of the recipe")
        for curve in ds["curve"].values:
            group = "peak_" + entry_name(str(curve), taken, "peak")
            taken.add(group[5:])
            component = ds["components"].sel(curve=curve, drop=True)
            for path, node in _peak(str(curve), axis, position, component, shape).items():
                nodes[f"fit/{group}{path}"] = node
    if "background" in ds:
        kind = recipe.get("background", json.loads(ds.attrs.get("background", "{}") or "{}"))
        function = _function(kind, "background of the recipe")
        group = "background_" + entry_name(str(function["function_type"].values), set(), "background").lower()
        for path, node in _peak("background", axis, position, ds["background"], function).items():
            nodes[f"fit/{group}{path}"] = node
    return nodes


def to_tree(blocks: dict[str, xr.Dataset], provenance: dict) -> xr.DataTree:
    """The tree of :func:`spectra.results.save_results` for named fit Datasets."""
    created = str(provenance.get("created", ""))
    version = str(provenance.get("versions", {}).get("spectra-xpsxrd", ""))
    nodes: dict[str, xr.Dataset] = {"/": xr.Dataset(attrs={
        "NX_class": "NXroot", "creator": f"spectra {version}".strip(), "file_time": created,
        "spectra_results": LAYOUT_VERSION, "provenance": json.dumps(provenance, default=str)})}
    taken: set[str] = set()
    for title, ds in blocks.items():
        name = entry_name(title, taken)
        taken.add(name)
        entry = xr.Dataset({"title": ((), title), "start_time": ((), created)}, attrs={"NX_class": "NXentry"})
        if ds.attrs.get("technique") == "xps":
            entry["definition"] = ((), "NXxps", {"version": NXXPS_VERSION})
            entry["method"] = ((), "XPS")
        nodes[f"/{name}"] = entry
        nodes.update({f"/{name}/{path}": node for path, node in _fit_nodes(ds, title).items()})
        nodes[f"/{name}/process"] = xr.Dataset(
            {"program": ((), "spectra"), "version": ((), version), "date": ((), created)},
            attrs={"NX_class": "NXprocess"})
        recipe = str(ds.attrs.get("recipe", ""))
        nodes[f"/{name}/process/recipe"] = xr.Dataset(
            {"type": ((), "application/json" if recipe.lstrip().startswith("{") else "application/toml"),
             "algorithm": ((), "sha256"), "checksum": ((), str(ds.attrs.get("recipe_sha256", "")))},
            attrs={"NX_class": "NXnote"})
    return xr.DataTree.from_dict(nodes)


def write(blocks: dict[str, xr.Dataset], provenance: dict, path: str) -> None:
    """Write the tree of :func:`to_tree` to ``path``, then each recipe's text as its NXnote's ``data``
    (NX_BINARY: a scalar byte string, which xarray would store as an array of characters)."""
    import h5py

    tree = to_tree(blocks, provenance)
    tree.to_netcdf(path, engine="h5netcdf")
    with h5py.File(path, "r+") as f:
        for name, entry in f.items():
            recipe = str(blocks[entry["title"][()].decode()].attrs.get("recipe", ""))
            entry["process/recipe"].create_dataset("data", data=np.bytes_(recipe.encode("utf-8")))


def _own(node: xr.DataTree) -> xr.Dataset:
    ds = node.to_dataset(inherit=False)
    ds = ds.drop_vars([n for n in _ADDED_FIELDS if n in ds.data_vars])
    ds.attrs = {k: v for k, v in ds.attrs.items() if k not in _ADDED_ATTRS}
    return ds


def _intensity(peak: xr.DataTree, axis: str) -> xr.DataArray:
    return peak["data"].to_dataset(inherit=False)["intensity"].rename({"point": axis})


def _curves(fit: xr.DataTree, ds: xr.Dataset) -> xr.Dataset:
    """The Dataset of a block with the curves of its NXfit group put back."""
    data = _own(fit["data"])
    data = data.rename({k: v for k, v in _DATASET_NAMES.items() if k in data})
    axis = next(d for d in data["data"].dims if d != "spectrum")
    curves = dict(data.data_vars)
    peaks = {str(child["label"].values): child for name, child in fit.children.items() if name.startswith("peak_")}
    for name, child in fit.children.items():
        if name.startswith("background_"):
            curves["background"] = _intensity(child, axis).assign_coords({axis: data[axis]})
    if "curve" in data.coords:
        stacked = [_intensity(peaks[str(c)], axis) for c in data["curve"].values]
        curves["components"] = xr.concat(stacked, dim="curve").transpose("spectrum", "curve", axis).assign_coords(
            {axis: data[axis], "curve": data["curve"]})
        curves["components"].attrs = stacked[0].attrs
    return ds.assign(curves)


def from_tree(tree: xr.DataTree) -> tuple[dict[str, xr.Dataset], dict]:
    """The named fit Datasets and the provenance of a tree read from a results file.

    Raises
    ------
    ValueError
        The tree is not a spectra results file.
    """
    if "spectra_results" not in tree.attrs:
        raise ValueError("not a spectra results file (no 'spectra_results' attribute at its root)")
    blocks = {}
    for entry in tree.children.values():
        if entry.attrs.get("NX_class") != "NXentry" or "fit" not in entry.children:
            continue
        fit = entry["fit"]
        ds = _own(fit)
        if "data" in fit.children:
            ds = _curves(fit, ds)
        blocks[str(entry["title"].values)] = ds
    return blocks, json.loads(tree.attrs.get("provenance", "{}"))
