"""The result of fitting one XPS region: :class:`XPSFitResult`."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd
import uncertainties

from ..fitting.result import LeastSquaresResult


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
        """One row per component, as CasaXPS's table: centre, FWHM, area and fraction with σ (and the
        Monte Carlo spread of the fraction when replicas were fitted)."""
        areas, fractions = self.areas(), self.fractions()
        rows = []
        for comp in self.spec.components:
            n = comp.name
            w = comp.fwhm_same_as or n
            row = {"name": n, "label": comp.label, "center_eV": self.values[f"{n}_center"],
                   "center_stderr": self.stderr[f"{n}_center"], "fwhm_eV": self.values[f"{w}_fwhm"],
                   "fwhm_stderr": self.stderr[f"{w}_fwhm"], "area": areas[n].n, "area_stderr": areas[n].s,
                   "fraction": fractions[n].n, "fraction_stderr": fractions[n].s}
            if self.monte_carlo:
                mc = self.monte_carlo["fractions"][n]
                row.update(fraction_mc_std=mc["std"], fraction_mc_p16=mc["p16"], fraction_mc_p84=mc["p84"])
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dataset(self, *, curves: bool = True):
        """As :meth:`LeastSquaresResult.to_dataset`, with how the background was computed in
        ``attrs["background"]``."""
        ds = super().to_dataset(curves=curves)
        ds.attrs["background"] = json.dumps(self.background_info, default=str)
        return ds
