"""The labelled data model: how a spectrum or a diffraction pattern is held in memory.

A spectrum is a 1-D (or, for 2-D scans, N-D) :class:`xarray.DataArray`:

* XPS: dim ``binding_energy`` (eV). A kinetic-energy axis is converted with the recorded excitation
  energy, ``BE = hv - KE`` (the CasaXPS convention, no work function), and kept as the coordinate
  ``kinetic_energy``. Where a file gives no excitation energy (or the technique is AES) the dim stays
  ``kinetic_energy``.
* XRD: dim ``two_theta`` (degrees).
* The axis keeps the order of the file.

Attributes are scalars or strings only (so NetCDF/HDF5 round-trips), with every other header field of
the file in ``attrs['metadata']`` as a JSON string.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from xarray.core.indexes import PandasIndex

AXIS_ATTRS = {
    "binding_energy": {"units": "eV", "long_name": "binding energy"},
    "kinetic_energy": {"units": "eV", "long_name": "kinetic energy"},
    "photon_energy": {"units": "eV", "long_name": "photon energy"},
    "two_theta": {"units": "degree", "long_name": "2θ"},
}

BE_FROM_KE = "BE = hv - KE (no work function; CasaXPS convention)"


def _clean_attr(value: Any) -> Any:
    """Turn a value into something NetCDF can store, or ``None`` to drop it."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) else value
    if isinstance(value, str):
        return value
    return str(value)


def metadata_json(metadata: Mapping[str, Any] | None) -> str:
    """Serialise a header dictionary as the JSON string kept in ``attrs['metadata']``.

    Parameters
    ----------
    metadata : mapping or None
        Header fields; values JSON cannot encode are written with ``str``.

    Returns
    -------
    str
        A JSON object (``"{}"`` for ``None``), non-ASCII characters kept as they are.
    """
    return json.dumps(dict(metadata or {}), default=str, ensure_ascii=False)


def make_attrs(attrs: Mapping[str, Any], metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    """Clean ``attrs`` and add ``metadata`` as JSON; ``None`` values are dropped.

    Booleans become ints, numpy scalars Python numbers, NaN floats are dropped and any other
    non-string value is converted with ``str``.

    Parameters
    ----------
    attrs : mapping
        Attribute names and values.
    metadata : mapping or None
        Header fields for ``attrs['metadata']``.

    Returns
    -------
    dict
        The cleaned attributes plus ``metadata`` (a JSON string, see :func:`metadata_json`).
    """
    out = {}
    for key, value in attrs.items():
        clean = _clean_attr(value)
        if clean is not None:
            out[key] = clean
    out["metadata"] = metadata_json(metadata)
    return out


def _axis(dim: str, values) -> xr.IndexVariable:
    return xr.IndexVariable(dim, pd.Index(np.asarray(values, dtype=float), name=dim), dict(AXIS_ATTRS[dim]))


def _leading_coords(leading: Mapping[str, Any] | None) -> tuple[list[str], dict[str, Any]]:
    dims, coords = [], {}
    for name, values in (leading or {}).items():
        dims.append(name)
        coords[name] = xr.IndexVariable(name, pd.Index(np.asarray(values), name=name))
    return dims, coords


def _dataarray(data: np.ndarray, dims: tuple[str, ...], coords: dict[str, xr.Variable], attrs: dict) -> xr.DataArray:
    """Assemble a DataArray from ready-made variables.

    xarray's public constructor re-validates and deep-copies everything, which costs ~0.3 ms per
    spectrum and dominated the read time of many-block files; the variables here are already
    consistent, so the direct path is used (``tests/test_model.py`` checks the result is identical
    to the public constructor's).
    """
    indexes = {name: PandasIndex(var.to_index(), name) for name, var in coords.items() if var.dims == (name,)}
    try:
        return xr.DataArray(xr.Variable(dims, data, attrs), coords=coords, indexes=indexes, fastpath=True)
    except TypeError:  # pragma: no cover - an xarray without the direct path
        return xr.DataArray(data, dims=dims, coords=coords, attrs=attrs)


def xps_spectrum(energy, intensity, *, energy_axis: str, excitation_energy: float | None = None,
                 units: str = "counts", technique: str = "xps", leading: Mapping[str, Any] | None = None,
                 extra_coords: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
                 **attrs: Any) -> xr.DataArray:
    """Build an XPS (or UPS/AES) spectrum in the spectra data model.

    Parameters
    ----------
    energy : array_like, shape (n,)
        Energy axis in eV, in file order.
    intensity : array_like, shape (..., n)
        Measured intensity; leading dims are named by ``leading``.
    energy_axis : {"binding", "kinetic", "photon"}
        What ``energy`` is; ``photon`` for constant-final-state (absorption) scans, kept as they are.
    excitation_energy : float, optional
        Photon energy (eV), used to convert a kinetic axis to binding energy.
    units : str
        ``counts`` or ``counts/s`` (or what the file says).
    technique : str
        ``xps``, ``ups`` or ``aes``.
    leading : mapping, optional
        Ordered names and coordinates of leading dims (e.g. ``{"cycle": [...]}``).
    extra_coords : mapping, optional
        Further 1-D coordinates along the energy dim (e.g. ``transmission``).
    metadata : mapping, optional
        Every other header field of the file.
    **attrs
        Standard attributes (``source``, ``format``, ``region``, ``sample``, ``pass_energy``, ...).

    Returns
    -------
    xarray.DataArray
        Dims ``(*leading, energy_dim)`` where ``energy_dim`` is ``binding_energy`` (binding axis, or a
        kinetic axis converted with ``BE = hv - KE``, the kinetic values then kept as the coordinate
        ``kinetic_energy``), ``photon_energy``, or ``kinetic_energy`` (AES, or no usable excitation
        energy). Attributes include ``technique``, ``units``, ``excitation_energy`` (when given),
        ``energy_reference`` and ``metadata`` (JSON).

    Raises
    ------
    ValueError
        ``energy_axis`` is not one of the three accepted values.
    """
    energy = np.asarray(energy, dtype=float)
    if energy_axis not in ("binding", "kinetic", "photon"):
        raise ValueError(f"energy_axis must be 'binding', 'kinetic' or 'photon', not {energy_axis!r}")
    dims, coords = _leading_coords(leading)
    reference = attrs.pop("energy_reference", None)
    convertible = (energy_axis == "kinetic" and technique != "aes" and excitation_energy is not None
                   and math.isfinite(excitation_energy) and excitation_energy > 0)
    if energy_axis == "binding":
        dim = "binding_energy"
        coords[dim] = _axis(dim, energy)
        reference = reference or "binding energy as recorded in the file"
    elif energy_axis == "photon":
        dim = "photon_energy"
        coords[dim] = _axis(dim, energy)
        reference = reference or "photon energy (constant-final-state scan)"
    elif convertible:
        dim = "binding_energy"
        coords[dim] = _axis(dim, excitation_energy - energy)
        coords["kinetic_energy"] = xr.Variable(dim, energy, dict(AXIS_ATTRS["kinetic_energy"]))
        reference = reference or BE_FROM_KE
    else:
        dim = "kinetic_energy"
        coords[dim] = _axis(dim, energy)
        reference = reference or "kinetic energy (no excitation energy to convert with)"
    for name, values in (extra_coords or {}).items():
        coords[name] = xr.Variable(dim, np.asarray(values))
    attrs.update(technique=technique, units=units, excitation_energy=excitation_energy,
                 energy_reference=reference)
    attrs.setdefault("long_name", "intensity")
    return _dataarray(np.asarray(intensity, dtype=float), (*dims, dim), coords, make_attrs(attrs, metadata))


def xrd_pattern(two_theta, intensity, *, units: str = "counts", leading: Mapping[str, Any] | None = None,
                extra_coords: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
                **attrs: Any) -> xr.DataArray:
    """Build an XRD pattern in the spectra data model (dim ``two_theta`` in degrees).

    Standard XRD attributes are ``anode``, ``wavelength_ka1``, ``wavelength_ka2`` (Å), ``ka2_ratio``
    and ``counting_time`` (s per step).

    Parameters
    ----------
    two_theta : array_like, shape (n,)
        Diffraction angle 2θ in degrees, in file order.
    intensity : array_like, shape (..., n)
        Measured intensity; leading dims are named by ``leading``.
    units : str
        ``counts`` or ``counts/s`` (or what the file says).
    leading : mapping, optional
        Ordered names and coordinates of leading dims.
    extra_coords : mapping, optional
        Further 1-D coordinates along ``two_theta`` (e.g. ``attenuation_factor``).
    metadata : mapping, optional
        Every other header field of the file.
    **attrs
        Standard attributes (``source``, ``format``, ``region``, ``sample``, ``anode``, ...).

    Returns
    -------
    xarray.DataArray
        Dims ``(*leading, "two_theta")``, with attributes ``technique="xrd"``, ``units``, the cleaned
        ``attrs`` and ``metadata`` (JSON).
    """
    dims, coords = _leading_coords(leading)
    coords["two_theta"] = _axis("two_theta", np.asarray(two_theta, dtype=float))
    for name, values in (extra_coords or {}).items():
        coords[name] = xr.Variable("two_theta", np.asarray(values))
    attrs.update(technique="xrd", units=units)
    attrs.setdefault("long_name", "intensity")
    return _dataarray(np.asarray(intensity, dtype=float), (*dims, "two_theta"), coords, make_attrs(attrs, metadata))
