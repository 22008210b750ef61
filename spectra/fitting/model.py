"""The XPS peak model built from a :class:`~spectra.recipe.ModelSpec`, evaluated with numpy.

Parameters are named for what they are: ``<component>_center`` (eV, major line), ``_fwhm`` (eV, each
line), ``_area`` (counts·eV of the *major* line, i.e. 2p3/2; the minor line has ``_area · _ratio``),
``_splitting`` and ``_ratio`` for doublets, ``<component>_<shape>`` for line-shape parameters, and
``bg_*`` for fitted backgrounds. The same model serves every fitting engine.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import backgrounds, lineshapes
from ..recipe import ComponentSpec, ModelSpec, ParamSpec
from .params import ParamInfo


def tougaard_unit(info: backgrounds.Background) -> np.ndarray:
    """The Tougaard background of a spectrum per unit B, above its low-level offset (the curve a
    fitted B multiplies)."""
    return (info.values - info.settings["low_level"]) / (info.settings["b"] or 1.0)


class StartRow(NamedTuple):
    """One parameter of N spectra: start values (N,), bounds (scalars or (N,)), vary, unit."""

    name: str
    value: np.ndarray
    min: float | np.ndarray
    max: float | np.ndarray
    vary: bool
    unit: str


def start_table(spec: ModelSpec, x: np.ndarray, y: np.ndarray, static_background: np.ndarray | None = None,
                tougaard_b: np.ndarray | None = None) -> list[StartRow]:
    """The parameters of a recipe with start values for N spectra at once.

    Parameters
    ----------
    spec : ModelSpec
    x : ndarray (n,)
        Binding energies, any order.
    y : ndarray (N, n)
        Intensities of the N spectra.
    static_background : ndarray (N, n), optional
        Their static (Shirley, Tougaard) backgrounds; without one the lower end level is used when
        areas are estimated from peak heights.
    tougaard_b : ndarray (N,), optional
        The Tougaard B of each spectrum (``tougaard-fitted``).

    Returns
    -------
    list of StartRow
        In the model's parameter order. Areas without a recipe value start from the height above
        the background within ±FWHM/2 of the centre × FWHM × 1.064, clipped into their bounds.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_spec = y.shape[0]
    ascending = y[:, np.argsort(x)]
    n_end = max(1, min(5, x.size // 2))
    low, high = ascending[:, :n_end].mean(axis=1), ascending[:, -n_end:].mean(axis=1)
    start_bg = static_background if static_background is not None else np.minimum(low, high)[:, None]

    def row(name, spec_: ParamSpec, unit, value=None):
        v = np.full(n_spec, float(spec_.value)) if value is None else value
        return StartRow(name, v, spec_.min, spec_.max, spec_.vary, unit)

    rows = []
    for comp in spec.components:
        rows.append(row(f"{comp.name}_center", comp.center, "eV"))
        if comp.fwhm_same_as is None:
            rows.append(row(f"{comp.name}_fwhm", comp.fwhm, "eV"))
        area0 = None
        if comp.area.value is None:
            near = np.abs(x - comp.center.value) <= max(comp.fwhm.value, 1e-9) / 2
            height = np.max((y - start_bg)[:, near], axis=1) if near.any() else np.zeros(n_spec)
            floor = 1e-6 * np.maximum(np.max(np.abs(y), axis=1), 1.0)
            area0 = np.maximum(height, floor) * comp.fwhm.value * 1.064
            area0 = np.minimum(np.maximum(area0, comp.area.min) if math.isfinite(comp.area.min) else area0,
                               comp.area.max)
        rows.append(row(f"{comp.name}_area", comp.area, "counts*eV", area0))
        if comp.is_doublet:
            rows += [row(f"{comp.name}_splitting", comp.splitting, "eV"), row(f"{comp.name}_ratio", comp.ratio, "1")]
            if not spec.tie_fwhm:
                rows.append(row(f"{comp.name}_fwhm_minor", comp.fwhm, "eV"))
        for name, shape in comp.shape.items():
            rows.append(row(f"{comp.name}_{name}", shape, "1" if name != "gamma_fwhm" else "eV"))
    kind = spec.background.kind
    span = np.ptp(y, axis=1)
    span = np.where(span > 0, span, 1.0)
    constant = StartRow("bg_constant", low, -math.inf, math.inf, True, "counts")
    if kind == "active-shirley":
        total_peak = np.sum([r.value for r in rows if r.name.endswith("_area")], axis=0)
        total_peak = np.where(total_peak != 0, total_peak, 1.0)
        rows += [constant, StartRow("bg_k", np.maximum(high - low, 0.0) / total_peak, 0.0, math.inf, True, "1/eV")]
    elif kind == "tougaard-fitted":
        rows += [constant, StartRow("bg_b", np.asarray(tougaard_b, dtype=float), 0.0, math.inf, True, "eV^2")]
    elif kind == "linear":
        rows += [constant, StartRow("bg_slope", (high - low) / np.ptp(x), -10 * span, 10 * span, True, "counts/eV")]
    elif kind == "step":
        centers = [c.center.value for c in spec.components]
        rows += [constant,
                 StartRow("bg_step_height", np.maximum(high - low, 0.0), 0.0, math.inf, True, "counts"),
                 StartRow("bg_step_center", np.full(n_spec, float(np.mean(centers))), float(np.min(x)),
                          float(np.max(x)), True, "eV"),
                 StartRow("bg_step_width", np.ones(n_spec), 0.05, float(np.ptp(x)), True, "eV")]
    return rows


class XPSModel:
    """Peaks plus background for one region on a fixed energy grid.

    Parameters
    ----------
    spec : ModelSpec
        The validated recipe.
    x : ndarray
        Binding energies (eV), any order.
    y : ndarray
        The measured intensities on ``x`` (used for starting values and static backgrounds).
    shirley : Background, optional
        A Shirley background already computed for ``y`` with the recipe's settings (batched fits
        compute them for many spectra at once).
    """

    def __init__(self, spec: ModelSpec, x: np.ndarray, y: np.ndarray, shirley: backgrounds.Background | None = None):
        self.spec = spec
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.static_background = None
        self.background_info = None
        kind = spec.background.kind
        options = spec.background.options
        if kind == "shirley":
            self.background_info = shirley or backgrounds.shirley(self.x, self.y, **options)
            self.static_background = self.background_info.values
        elif kind == "tougaard":
            self.background_info = backgrounds.tougaard(self.x, self.y, **options)
            self.static_background = self.background_info.values
        elif kind == "tougaard-fitted":
            info = backgrounds.tougaard(self.x, self.y, **options)
            self.background_info = info
            self._tougaard_unit = tougaard_unit(info)
        elif kind == "none":
            self.static_background = np.zeros_like(self.x)
        self.params = self._parameters()

    # ---------------------------------------------------------------------------------- parameters
    def _parameters(self) -> list[ParamInfo]:
        start_bg = None if self.static_background is None else self.static_background[None]
        b = None if self.spec.background.kind != "tougaard-fitted" else \
            np.array([float(self.background_info.settings["b"])])
        return [ParamInfo(row.name, float(row.value[0]), float(np.ravel(row.min)[0]), float(np.ravel(row.max)[0]),
                          row.vary, row.unit) for row in start_table(self.spec, self.x, self.y[None], start_bg, b)]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict[str, float]:
        return {p.name: p.value for p in self.params}

    # ---------------------------------------------------------------------------------- evaluation
    def component_curves(self, p: dict[str, float]) -> dict[str, np.ndarray]:
        """Each component's curve (both lines of a doublet), keyed by component name."""
        curves = {}
        for comp in self.spec.components:
            f = lineshapes.LINESHAPES[comp.lineshape].function
            shape = {k: p[f"{comp.name}_{k}"] for k in comp.shape}
            c, w, a = p[f"{comp.name}_center"], p[f"{self.fwhm_owner(comp)}_fwhm"], p[f"{comp.name}_area"]
            curve = f(self.x, c, w, a, **shape)
            if comp.is_doublet:
                w2 = p.get(f"{comp.name}_fwhm_minor", w)
                curve = curve + f(self.x, c + p[f"{comp.name}_splitting"], w2, a * p[f"{comp.name}_ratio"], **shape)
            curves[comp.name] = curve
        return curves

    @staticmethod
    def fwhm_owner(comp: ComponentSpec) -> str:
        """Name of the component whose ``_fwhm`` parameter this component uses."""
        return comp.fwhm_same_as or comp.name

    def background(self, p: dict[str, float], peaks: np.ndarray) -> np.ndarray:
        kind = self.spec.background.kind
        if self.static_background is not None:
            return self.static_background
        if kind == "active-shirley":
            return p["bg_constant"] + p["bg_k"] * backgrounds.cumulative_peak_integral(self.x, peaks)
        if kind == "tougaard-fitted":
            return p["bg_constant"] + p["bg_b"] * self._tougaard_unit
        if kind == "linear":
            return p["bg_constant"] + p["bg_slope"] * (self.x - np.min(self.x))
        if kind == "step":
            return p["bg_constant"] + backgrounds.step(self.x, p["bg_step_center"], p["bg_step_height"],
                                                       p["bg_step_width"])
        raise AssertionError(kind)

    def evaluate(self, p: dict[str, float]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """(total model, component curves, background) for parameter values ``p``."""
        curves = self.component_curves(p)
        peaks = np.sum(list(curves.values()), axis=0) if curves else np.zeros_like(self.x)
        bg = self.background(p, peaks)
        return peaks + bg, curves, bg

    def total_areas(self, p: dict[str, float]) -> dict[str, float]:
        """Area of each component over both doublet lines (counts·eV)."""
        out = {}
        for comp in self.spec.components:
            a = p[f"{comp.name}_area"]
            out[comp.name] = a * (1.0 + p[f"{comp.name}_ratio"]) if comp.is_doublet else a
        return out
