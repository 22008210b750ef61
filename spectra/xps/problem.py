"""XPS as a technique of the fitting engine: :class:`XPSProblem` (registered as ``xps``)."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import backgrounds
from ..fitting import propagate
from ..fitting.params import ParamInfo
from ..fitting.problem import Item, Problem
from .batched import BatchedXPS, supported
from .peak_model import (
    StartRow,
    XPSModel,
    background_rows,
    layout_params,
    parameter_layout,
    start_table,
    static_backgrounds,
)
from .recipe import parse_xps_recipe
from .result import XPSFitResult


class XPSProblem(Problem):
    """XPS regions: peaks (singlets and spin-orbit doublets) on a static or fitted background, on
    ``binding_energy``; derived component areas and area fractions."""

    name = "xps"
    axis = "binding_energy"
    #: measured ~1.8x faster per fit than 2,000 on 2 cores
    default_chunk = 128
    #: 2 workers measured slower than one process for 1,000 varied S 2p spectra, faster from ~2,000
    items_per_worker = 1024
    allows_negative = False
    fraction_dim = "component"
    fraction_attrs: ClassVar[dict] = {"units": "1", "long_name": "fraction of the summed component areas"}

    def parse(self, source, attrs):
        return parse_xps_recipe(source)

    def parameters(self) -> list[ParamInfo]:
        return layout_params(self.spec)

    @property
    def file_region(self) -> str:
        """The recipe's region: the block read from a file holding several regions."""
        return self.spec.region

    @property
    def fraction_labels(self) -> list[str]:
        return [c.name for c in self.spec.components]

    def unsupported(self) -> str | None:
        return supported(self.spec)

    def attach_models(self, items: list[Item], *, start: np.ndarray | None = None) -> None:
        """Static backgrounds, bounds and start values of items on one grid, computed for the group at
        once. With ``start`` (P,) given, the data's start values (the charge-shift search and the area
        solve of :func:`start_table`) are not computed: every item starts at ``start``, clipped into its
        bounds; the static backgrounds and the bounds are made from each item's data as without it."""
        x, y = items[0].x, np.stack([it.y for it in items])
        infos, static, curves, b = static_backgrounds(self.spec, x, y)
        rows = start_table(self.spec, x, y, static, b) if start is None else self._rows_at(start, x, y, b)
        values = np.stack([r.value for r in rows], axis=1)
        lo = np.stack([np.broadcast_to(r.min, len(items)) for r in rows], axis=1).astype(float)
        hi = np.stack([np.broadcast_to(r.max, len(items)) for r in rows], axis=1).astype(float)
        if start is not None:
            values = np.clip(values, lo, hi)
        for k, item in enumerate(items):
            item.start, item.lo, item.hi, item.background_info = values[k], lo[k], hi[k], infos[k]
            item.background = None if curves is None else curves[k]

    def _rows_at(self, start: np.ndarray, x: np.ndarray, y: np.ndarray, seeds: dict) -> list[StartRow]:
        """:func:`start_table`'s rows for N spectra ``y`` (N, n) with every value ``start`` (P,): the
        recipe's bounds, and the fitted background's bounds from the data (its registry entry's
        ``start``, given the peaks' values in ``start``)."""
        n_spec, value = len(y), dict(zip(self.names, np.asarray(start, dtype=float)))
        rows = [StartRow(name, np.full(n_spec, value[name]), p.min, p.max, p.vary, unit)
                for name, p, unit in parameter_layout(self.spec) if not name.startswith("bg_")]
        low, high = backgrounds.end_levels(y[:, np.argsort(x)], self.spec.background.options.get("average", 5))
        fitted = background_rows(self.spec, x, y, low, high, rows, seeds)
        return rows + [r._replace(value=np.full(n_spec, value[r.name])) for r in fitted]

    def batched_model(self, items: list[Item]) -> BatchedXPS:
        background = None if items[0].background is None else np.stack([it.background for it in items])
        return BatchedXPS(self.spec, self.names, self.vary, items[0].x, background)

    def lmfit_model(self, item: Item) -> XPSModel:
        return XPSModel(self.spec, item.x, item.y, item.background_info, starts=item.start, bounds=(item.lo, item.hi))

    def make_result(self, item: Item, model: XPSModel, fit) -> XPSFitResult:
        info = model.background_info
        if info is not None:
            background = {"kind": info.kind, "settings": info.settings, "iterations": info.iterations,
                          "converged": info.converged, "message": info.message}
        else:
            background = {"kind": self.spec.background.kind, "settings": self.spec.background.options}
        return XPSFitResult(self.spec, item.x, item.y, item.sigma, fit.best_fit, fit.background, fit.curves,
                            fit.values, fit.stderr, fit.varying, fit.covariance, fit.chisqr, fit.redchi, fit.nfev,
                            fit.success, fit.message, problem=self, background_info=background)

    def note(self, item: Item) -> str:
        """A static Shirley background that did not converge, or fell back to a straight line (the
        fit used that background as it stood)."""
        info = item.background_info
        if info is None or info.converged or info.kind != "shirley":
            return ""
        return f"Shirley background: {info.message}"

    def derived(self, value, covariance):
        """Component areas (both doublet lines) and area fractions, with standard errors by the delta
        method through the full covariance; and the fractions (N, C)."""
        index = {n: i for i, n in enumerate(self.names)}
        free = propagate.free_index(self.names, self.vary)
        n_spec, n_comp = value.shape[0], len(self.spec.components)
        area = np.empty((n_spec, n_comp))
        grad = np.zeros((n_spec, n_comp, len(free)))  # ∂area_c / ∂θ_free
        for c, comp in enumerate(self.spec.components):
            a = value[:, index[f"{comp.name}_area"]]
            ratio = value[:, index[f"{comp.name}_ratio"]] if comp.is_doublet else np.zeros(n_spec)
            area[:, c] = a * (1 + ratio)
            if f"{comp.name}_area" in free:
                grad[:, c, free[f"{comp.name}_area"]] = 1 + ratio
            if comp.is_doublet and f"{comp.name}_ratio" in free:
                grad[:, c, free[f"{comp.name}_ratio"]] = a
        area_cov = propagate.linear(grad, covariance)
        fraction, fraction_cov = propagate.shares(area, area_cov)
        dims = ("spectrum", "component")
        variables = {
            "area": (dims, area, {"units": "counts*eV", "long_name": "component area (both doublet lines)"}),
            "area_stderr": (dims, propagate.diagonal_sd(area_cov),
                            {"units": "counts*eV", "long_name": "standard error of the component area"}),
            "fraction": (dims, fraction, self.fraction_attrs),
            "fraction_stderr": (dims, propagate.diagonal_sd(fraction_cov),
                                {"units": "1", "long_name": "standard error of the fraction (full covariance; a static "
                                 "background is held fixed)"}),
        }
        return variables, fraction
