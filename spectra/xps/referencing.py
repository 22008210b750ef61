"""Binding-energy referencing: shift a spectrum's energy scale and record how and why.

Three methods, as carbon-free and carbon-containing anodes need different ones (C 1s = 284.8 eV is
a convention that is unreliable here: Greczynski & Hultman, Prog. Mater. Sci. 107 (2020) 100591,
and the sp² carbon of carbon-containing anodes sits near 284.4 eV):

* :func:`c1s_shift` — adventitious C 1s (C–C/C–H component) at a stated value;
* :func:`internal_shift` — a fitted component at a stated value (e.g. PS4 S 2p3/2 at 161.6 eV or the
  argyrodite Cl 2p3/2 at 198.7 eV);
* :func:`separation_shift` — a stated BE separation from a component of another region
  (Wood & Teeter, ACS Appl. Energy Mater. 1 (2018) 4493).

Each returns an :class:`EnergyShift`; :func:`apply` puts it on a spectrum: the axis moves, the
uncorrected axis is kept as ``binding_energy_measured``, and ``energy_reference`` and
``energy_shift`` (eV) record the method.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .result import XPSFitResult


@dataclass(frozen=True)
class EnergyShift:
    """A shift (eV, added to binding energies), its standard error and the method in words.

    Attributes
    ----------
    shift : float
        Added to every binding energy (eV).
    stderr : float
        Standard error of the shift (eV); NaN when unknown.
    method : str
        How the shift was determined, recorded in ``energy_reference``.
    """

    shift: float
    stderr: float
    method: str


def internal_shift(result: XPSFitResult, component: str, reference: float, *, what: str | None = None) -> EnergyShift:
    """Shift that puts ``component``'s fitted major-line centre at ``reference`` eV.

    Parameters
    ----------
    result : XPSFitResult
        A fit containing ``component``.
    component : str
        Component name.
    reference : float
        Binding energy the component is set to (eV).
    what : str, optional
        How to name the component in ``method``; by default ``"<region> <component>"``.

    Returns
    -------
    EnergyShift
        ``reference − fitted centre``, with the centre's standard error.
    """
    position = result.centers()[component]  # the line's position (with any charge shift or offset)
    center, err = position.n, position.s
    label = what or f"{result.spec.region} {component}"
    return EnergyShift(reference - center, err, f"internal reference: {label} set to {reference:.3f} eV "
                                                f"(measured {center:.3f} eV)")


def c1s_shift(result: XPSFitResult, *, component: str = "C_C", reference: float = 284.8) -> EnergyShift:
    """Shift that puts the adventitious C 1s component at ``reference`` eV (284.8 by convention).

    Parameters
    ----------
    result : XPSFitResult
        A C 1s fit.
    component : str
        The C–C/C–H component.
    reference : float
        Binding energy it is set to (eV).

    Returns
    -------
    EnergyShift
        As :func:`internal_shift`, the method named a C 1s reference.
    """
    shift = internal_shift(result, component, reference, what="adventitious C 1s (C-C/C-H)")
    return EnergyShift(shift.shift, shift.stderr, shift.method.replace("internal reference", "C 1s reference"))


def separation_shift(reference: XPSFitResult, reference_component: str, target: XPSFitResult, target_component: str,
                     separation: float) -> EnergyShift:
    """Shift for the *target* region so that ``target_center = reference_center - separation``.

    E.g. with the S 2p3/2 of Li2S as reference and the Li 1s of Li2S as target, ``separation`` is the
    BE difference S 2p3/2 − Li 1s of Li2S measured on a reference sample.

    Parameters
    ----------
    reference : XPSFitResult
        Fit of the reference region.
    reference_component : str
        Component of ``reference`` whose centre is kept.
    target : XPSFitResult
        Fit of the region to shift.
    target_component : str
        Component of ``target`` placed ``separation`` below the reference component.
    separation : float
        Stated BE separation (eV).

    Returns
    -------
    EnergyShift
        ``reference_center − separation − target_center``; its standard error combines both centres'
        in quadrature (correlations ignored).
    """
    ref_position, tgt_position = reference.centers()[reference_component], target.centers()[target_component]
    ref, tgt = ref_position.n, tgt_position.n
    err = float(np.hypot(ref_position.s, tgt_position.s))
    return EnergyShift(ref - separation - tgt, err,
                       f"BE separation: {target.spec.region} {target_component} placed {separation:.3f} eV below "
                       f"{reference.spec.region} {reference_component} ({ref:.3f} eV)")


def apply(da: xr.DataArray, shift: EnergyShift) -> xr.DataArray:
    """Return ``da`` with its binding-energy axis shifted and the method recorded.

    Parameters
    ----------
    da : xarray.DataArray
        A spectrum with dim ``binding_energy``.
    shift : EnergyShift
        The shift to add.

    Returns
    -------
    xarray.DataArray
        A copy whose ``binding_energy`` is shifted, with the coordinate ``binding_energy_measured``
        holding ``da``'s axis, ``energy_reference`` describing the method (and the previous reference)
        and ``energy_shift`` (eV) accumulating the shifts applied.

    Raises
    ------
    ValueError
        ``da`` has no ``binding_energy`` dim.
    """
    if "binding_energy" not in da.dims:
        raise ValueError("referencing needs a binding_energy axis")
    measured = da["binding_energy"].values
    out = da.assign_coords(binding_energy=("binding_energy", measured + shift.shift, da["binding_energy"].attrs))
    out = out.assign_coords(binding_energy_measured=("binding_energy", measured,
                                                     {"units": "eV", "long_name": "binding energy as measured"}))
    previous = da.attrs.get("energy_reference", "")
    out.attrs = {**da.attrs, "energy_reference": f"{shift.method}; shift {shift.shift:+.3f} eV "
                                                 f"(± {shift.stderr:.3f}); before: {previous}",
                 "energy_shift": float(da.attrs.get("energy_shift", 0.0)) + shift.shift}
    return out
