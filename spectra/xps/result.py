"""The result of fitting one XPS region: :class:`XPSFitResult`."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import uncertainties

from ..fitting.result import LeastSquaresResult
from .peak_model import XPSModel, line_center

#: j = l ± 1/2 of a spin-orbit doublet, major line first, by the orbital letter of the region
_SUBSHELLS = {"p": ("3/2", "1/2"), "d": ("5/2", "3/2"), "f": ("7/2", "5/2")}


@dataclass
class XPSFitResult(LeastSquaresResult):
    """An XPS fit: the fields and views of :class:`~spectra.fitting.result.LeastSquaresResult`, and

    Attributes
    ----------
    background_info : dict
        How a static background was computed (kind, settings, iterations, converged).
    """

    background_info: dict = field(default_factory=dict)

    @property
    def charge_shift(self) -> uncertainties.UFloat | float | None:
        """The region's charge estimate: the fitted ``shift`` of a recipe with one.

        Returns
        -------
        uncertainties.UFloat, float or None
            The shift (eV) with its σ (σ NaN when it has none, e.g. at a bound); a float when the
            recipe fixed it; None for a recipe without a shift.
        """
        if self.spec.shift is None:
            return None
        return self.uvalues()["shift"]

    def centers(self) -> dict[str, uncertainties.UFloat]:
        """Each component's absolute major-line centre, where the line sits in the spectrum.

        Returns
        -------
        dict
            Component name → centre (eV) with uncertainty: its ``_center`` parameter, plus the
            reference's centre for a centre given ``offset_from`` another, plus the region's
            ``shift``; σ through the covariance of the parameters involved (NaN when none of them
            varied, or when one of them has no σ).
        """
        u = self.uvalues()
        out = {}
        for comp in self.spec.components:
            c = line_center(self.spec, comp, u)
            out[comp.name] = c if isinstance(c, uncertainties.UFloat) else uncertainties.ufloat(c, float("nan"))
        return out

    @property
    def total_areas(self) -> dict[str, float]:
        """Area of each component over both doublet lines (counts·eV)."""
        return {name: a.n for name, a in self.areas().items()}

    def areas(self) -> dict[str, uncertainties.UFloat]:
        """Each component's total area (both doublet lines), counts·eV, with uncertainty."""
        u = self.uvalues()
        out = {}
        for comp in self.spec.components:
            a = u[f"{comp.name}_area"]
            a = a * (1 + u[f"{comp.name}_ratio"]) if comp.is_doublet else a
            out[comp.name] = a if isinstance(a, uncertainties.UFloat) else uncertainties.ufloat(a, float("nan"))
        return out

    def fractions(self) -> dict[str, uncertainties.UFloat]:
        """Each component's fraction of the summed component areas of the region, with the
        uncertainty propagated through the full covariance (correlations included)."""
        areas = self.areas()
        total = sum(areas.values())
        return {name: a / total for name, a in areas.items()}

    def component_table(self) -> pd.DataFrame:
        """One row per component, as CasaXPS's table: absolute centre (the line's position, with the
        region's charge shift and any offset from another component included; :meth:`centers`), FWHM,
        area and fraction with σ (and the Monte Carlo spread of the fraction when replicas were
        fitted)."""
        areas, fractions, centers = self.areas(), self.fractions(), self.centers()
        rows = []
        for comp in self.spec.components:
            n = comp.name
            w = comp.fwhm_same_as or n
            row = {"name": n, "label": comp.label, "center_eV": centers[n].n,
                   "center_stderr": centers[n].s, "fwhm_eV": self.values[f"{w}_fwhm"],
                   "fwhm_stderr": self.stderr[f"{w}_fwhm"], "area": areas[n].n, "area_stderr": areas[n].s,
                   "fraction": fractions[n].n, "fraction_stderr": fractions[n].s}
            if self.monte_carlo:
                mc = self.monte_carlo["fractions"][n]
                row.update(fraction_mc_std=mc["std"], fraction_mc_p16=mc["p16"], fraction_mc_p84=mc["p84"])
            rows.append(row)
        return pd.DataFrame(rows)

    def caveats(self) -> list[str]:
        """A static background's σ caveat: it was computed before the fit and held fixed, so the
        standard errors leave out the noise of its end levels (README "Uncertainties")."""
        info = self.background_info or {}
        if info.get("kind") not in ("shirley", "tougaard"):
            return []
        points = info.get("settings", {}).get("average_points", "?")
        return [f"the static {info['kind']} background was computed from the data before the fit and held fixed; "
                f"these σ leave out the noise of its averaged end levels ({points} points each), which makes them "
                "about 2x too small on S 2p recovery studies. Quote the Monte Carlo σ (mc_replicas ≥ 100), or fit "
                'with background = "active-shirley"']

    def line_curves(self) -> dict[tuple[str, str], np.ndarray]:
        """Each line on its own: a doublet's major and minor line (e.g. S 2p3/2 and 2p1/2), a singlet
        as itself, above the background.

        Returns
        -------
        dict
            (component, line label such as ``"2p3/2"``, or ``""`` for a singlet) → curve on ``x``;
            a doublet's two lines add up to its curve in ``components``.
        """
        model = XPSModel(self.spec, self.x, self.y, starts=self.start, bounds=(self.lo, self.hi))
        major = model.component_curves({**self.values, **{f"{c.name}_ratio": 0.0 for c in self.spec.components
                                                          if c.is_doublet}})
        labels = _line_labels(self.spec.region)
        out = {}
        for comp in self.spec.components:
            if comp.is_doublet:
                out[(comp.name, labels[0])] = major[comp.name]
                out[(comp.name, labels[1])] = self.components[comp.name] - major[comp.name]
            else:
                out[(comp.name, "")] = self.components[comp.name]
        return out

    def to_dataset(self, *, curves: bool = True):
        """As :meth:`LeastSquaresResult.to_dataset`, with how the background was computed in
        ``attrs["background"]``; with ``curves``, also ``lines`` (dims ``spectrum``, ``line``,
        ``binding_energy``): every line on its own (:meth:`line_curves`), its component in the
        coordinate ``line_component`` and its label (``2p3/2``, ``2p1/2`` or "") in ``line_label``."""
        ds = super().to_dataset(curves=curves)
        ds.attrs["background"] = json.dumps(self.background_info, default=str)
        if curves:
            lines = self.line_curves()
            ds = ds.assign_coords(line=[f"{c} {lab}".strip() for c, lab in lines],
                                  line_component=("line", [c for c, _ in lines]),
                                  line_label=("line", [lab for _, lab in lines]))
            ds["lines"] = (("spectrum", "line", "binding_energy"), np.array(list(lines.values()))[None],
                           {"units": self.data_units, "long_name": "each line above the background (a doublet's "
                            "major and minor line apart)"})
        return ds


def _line_labels(region: str) -> tuple[str, str]:
    """("2p3/2", "2p1/2") for ``S 2p``; ("3d5/2", "3d3/2") for a d level; ("major", "minor") when the
    region names no orbital."""
    m = re.search(r"(\d)([pdf])\b", region)
    if not m:
        return ("major", "minor")
    j = _SUBSHELLS[m.group(2)]
    return (f"{m.group(0)}{j[0]}", f"{m.group(0)}{j[1]}")
