"""CasaXPS peak models stored in VAMAS comments, turned into spectra recipes.

CasaXPS saves each region (``CASA region``) and component (``CASA comp``) in the block comment; the
VAMAS reader parses them into ``metadata['casa_regions']`` and ``['casa_components']``.
:func:`recipe_from_casa` converts them: kinetic-energy limits and positions become binding energies
(BE = hν − KE, CasaXPS's convention), CasaXPS's FWHM parameter becomes a true FWHM (for GL(m) the
product's true FWHM is ``r(m)·F``), and the background settings map onto spectra's backgrounds.

Line shapes map as GL(m) → ``gl_product``, SGL(m) → ``gl_sum``, LA(α,β,m) and LF(α,β,w,m) → ``la``
(spectra has no tail-damping term ``w``; see :func:`spectra.lineshapes.la`).
"""
from __future__ import annotations

import json
import re

import xarray as xr

from .. import lineshapes
from ..errors import RecipeError

_FLOATS = re.compile(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?")


def casa_model(da: xr.DataArray) -> tuple[list[dict], list[dict]]:
    """The CasaXPS regions and components saved with a spectrum (empty lists when none).

    Parameters
    ----------
    da : xarray.DataArray
        A spectrum read from VAMAS (its ``metadata`` attribute is parsed).

    Returns
    -------
    regions : list of dict
        ``metadata['casa_regions']``.
    components : list of dict
        ``metadata['casa_components']``.
    """
    meta = json.loads(da.attrs.get("metadata", "{}"))
    return meta.get("casa_regions", []), meta.get("casa_components", [])


def casa_lineshape(name: str) -> tuple[str, dict]:
    """spectra line-shape name and shape parameters for a CasaXPS line-shape string.

    Parameters
    ----------
    name : str
        CasaXPS line shape, e.g. ``"GL(30)"``, ``"SGL(20)"``, ``"LA(1.1,2.3,5)"``, ``"LF(1,1,25,280)"``.

    Returns
    -------
    lineshape : str
        ``"gl_product"``, ``"gl_sum"`` or ``"la"``.
    shape : dict
        ``{"m": ...}`` (default 30) for GL/SGL; ``{"alpha", "beta", "m"}`` for LA/LF (defaults 1, 1,
        100; ``m`` capped at 499; LF's ``w`` is dropped).

    Raises
    ------
    spectra.errors.RecipeError
        The line shape has no spectra equivalent.
    """
    numbers = [float(v) for v in _FLOATS.findall(name[name.find("("):])] if "(" in name else []
    key = name.split("(")[0].strip().upper()
    if key == "GL":
        return "gl_product", {"m": numbers[0] if numbers else 30.0}
    if key == "SGL":
        return "gl_sum", {"m": numbers[0] if numbers else 30.0}
    if key in ("LA", "LF"):
        alpha, beta = (numbers + [1.0, 1.0])[:2]
        m = numbers[3] if key == "LF" and len(numbers) > 3 else (numbers[2] if len(numbers) > 2 else 100.0)
        return "la", {"alpha": alpha, "beta": beta, "m": min(m, 499.0)}
    raise RecipeError(f"CasaXPS line shape {name!r} has no spectra equivalent")


def true_fwhm(casa_fwhm: float, lineshape: str, shape: dict) -> float:
    """The true FWHM of a CasaXPS component whose width parameter is ``casa_fwhm``.

    Parameters
    ----------
    casa_fwhm : float
        CasaXPS's width parameter (eV).
    lineshape : str
        spectra line-shape name (from :func:`casa_lineshape`).
    shape : dict
        Its shape parameters.

    Returns
    -------
    float
        FWHM in eV: ``r(m)·F`` for ``gl_product``, ``casa_fwhm`` unchanged otherwise.
    """
    if lineshape == "gl_product":
        width, _ = lineshapes.gl_product_norm(float(shape["m"]) / 100.0)
        return casa_fwhm * width
    return casa_fwhm


def recipe_from_casa(da: xr.DataArray, region_index: int = 0) -> dict:
    """A spectra recipe that reproduces the CasaXPS model saved with ``da``.

    Parameters
    ----------
    da : xarray.DataArray
        A spectrum read from a CasaXPS-saved VAMAS block (with ``kinetic_energy`` kept).
    region_index : int
        Which CASA region of the block.

    Returns
    -------
    dict
        A recipe (``components_extra`` named ``c1``, ``c2``, ... in CasaXPS's order): window and
        positions in binding energy (eV), every component of the block, shape parameters fixed.

    Raises
    ------
    spectra.errors.RecipeError
        No CASA region in the comments, or a background or line shape with no spectra equivalent.
    """
    regions, comps = casa_model(da)
    if not regions:
        raise RecipeError("no CASA region in this spectrum's comments")
    hv = float(da.attrs["excitation_energy"])
    reg = regions[region_index]
    window = sorted([hv - reg["start"], hv - reg["end"]])
    kind = reg["background"].strip().lower()
    average = int(2 * reg.get("average_width", 0) + 1)
    if kind == "shirley":
        background = {"kind": "shirley", "average": average,
                      "offsets": [reg.get("end_offset", 0.0), reg.get("start_offset", 0.0)]}
    elif "tougaard" in kind:
        raw = json.loads(da.attrs["metadata"])["block_comment"]
        line = next(s for s in raw.splitlines() if s.startswith("CASA region"))
        numbers = [float(v) for v in _FLOATS.findall(re.sub(r"\(\*.*?\*\)", " ", line))]
        b, c, d = numbers[6], numbers[7], numbers[8]
        background = {"kind": "tougaard", "b": b, "c": c, "d": d if kind.startswith("u 3") else 0.0,
                      "average": average}
    elif kind == "linear":
        background = {"kind": "linear"}
    else:
        raise RecipeError(f"CasaXPS background {reg['background']!r} has no spectra equivalent")
    extra = {}
    for k, comp in enumerate(comps, 1):
        shape_name, shape = casa_lineshape(comp["lineshape"])
        lo, hi = sorted(hv - v for v in comp.get("position_bounds", [comp["position"]] * 2))
        center = hv - comp["position"]
        fwhm = true_fwhm(comp["mfwhm"], shape_name, shape)
        f_lo, f_hi = (true_fwhm(v, shape_name, shape) for v in comp.get("mfwhm_bounds", [0.1 * fwhm, 10 * fwhm]))
        extra[f"c{k}"] = {
            "label": f"{comp['name']} #{k} ({comp['lineshape']})",
            "center": {"value": center, "min": min(lo, center), "max": max(hi, center)},
            "fwhm": {"value": fwhm, "min": min(f_lo, fwhm), "max": max(f_hi, fwhm)},
            "lineshape": {"gl_product": "GL", "gl_sum": "SGL", "la": "LA"}[shape_name],
            "shape": {name: {"value": value, "vary": False} for name, value in shape.items()},
        }
    return {"technique": "xps", "region": regions[region_index]["name"], "window": window,
            "background": background, "components_extra": extra}
