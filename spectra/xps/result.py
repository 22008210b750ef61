"""The result of fitting one XPS region: :class:`XPSFitResult`."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd
import uncertainties

from ..fitting.result import LeastSquaresResult
from .peak_model import line_center


@dataclass
class XPSFitResult(LeastSquaresResult):
    """An XPS fit: the fields and views of :class:`~spectra.fitting.result.LeastSquaresResult`, and

    Attributes
    ----------
    background_info : dict
        How a static background was computed (kind, settings, iterations, converged).
    """

    background_info: dict = field(default_factory=dict)

    axis_label = "binding energy (eV)"
    reversed_axis = True

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

    def to_dataset(self, *, curves: bool = True):
        """As :meth:`LeastSquaresResult.to_dataset`, with how the background was computed in
        ``attrs["background"]``."""
        ds = super().to_dataset(curves=curves)
        ds.attrs["background"] = json.dumps(self.background_info, default=str)
        return ds
