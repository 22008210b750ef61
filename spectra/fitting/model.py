"""The XPS peak model built from a :class:`~spectra.recipe.ModelSpec`, evaluated with numpy.

Parameters are named for what they are: ``<component>_center`` (eV, major line), ``_fwhm`` (eV, each
line), ``_area`` (counts·eV of the *major* line, i.e. 2p3/2; the minor line has ``_area · _ratio``),
``_splitting`` and ``_ratio`` for doublets, ``<component>_<shape>`` for line-shape parameters, and
``bg_*`` for fitted backgrounds. The same model serves every fitting engine.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backgrounds, lineshapes
from ..recipe import ComponentSpec, ModelSpec, ParamSpec
from .params import ParamInfo


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
            self._tougaard_unit = (info.values - info.settings["low_level"]) / (info.settings["b"] or 1.0)
        elif kind == "none":
            self.static_background = np.zeros_like(self.x)
        self.params = self._parameters()

    # ---------------------------------------------------------------------------------- parameters
    def _component_params(self, comp: ComponentSpec, start_bg: np.ndarray) -> list[ParamInfo]:
        def info(suffix, spec: ParamSpec, unit, value=None):
            v = spec.value if value is None else value
            return ParamInfo(f"{comp.name}_{suffix}", float(v), spec.min, spec.max, spec.vary, unit)

        out = [info("center", comp.center, "eV")]
        if comp.fwhm_same_as is None:
            out.append(info("fwhm", comp.fwhm, "eV"))
        area0 = comp.area.value
        if area0 is None:
            near = np.abs(self.x - comp.center.value) <= max(comp.fwhm.value, 1e-9) / 2
            height = float(np.max((self.y - start_bg)[near])) if near.any() else 0.0
            area0 = max(height, 1e-6 * max(float(np.max(np.abs(self.y))), 1.0)) * comp.fwhm.value * 1.064
            area0 = min(max(area0, comp.area.min if math.isfinite(comp.area.min) else area0), comp.area.max)
        out.append(info("area", comp.area, "counts*eV", area0))
        if comp.is_doublet:
            out += [info("splitting", comp.splitting, "eV"), info("ratio", comp.ratio, "1")]
            if not self.spec.tie_fwhm:
                out.append(info("fwhm_minor", comp.fwhm, "eV"))
        for name, spec in comp.shape.items():
            out.append(info(name, spec, "1" if name != "gamma_fwhm" else "eV"))
        return out

    def _parameters(self) -> list[ParamInfo]:
        x, y = self.x, self.y
        low, high = backgrounds.end_levels(y[np.argsort(x)], 5)
        start_bg = self.static_background if self.static_background is not None else np.full_like(x, min(low, high))
        params = []
        for comp in self.spec.components:
            params += self._component_params(comp, start_bg)
        kind = self.spec.background.kind
        span = float(np.ptp(y)) or 1.0
        if kind == "active-shirley":
            total_peak = sum(p.value for p in params if p.name.endswith("_area")) or 1.0
            params += [ParamInfo("bg_constant", low, -math.inf, math.inf, True, "counts"),
                       ParamInfo("bg_k", max(high - low, 0.0) / total_peak, 0.0, math.inf, True, "1/eV")]
        elif kind == "tougaard-fitted":
            params += [ParamInfo("bg_constant", low, -math.inf, math.inf, True, "counts"),
                       ParamInfo("bg_b", float(self.background_info.settings["b"]), 0.0, math.inf, True, "eV^2")]
        elif kind == "linear":
            xs = np.sort(x)
            slope = (high - low) / (xs[-1] - xs[0])
            params += [ParamInfo("bg_constant", low, -math.inf, math.inf, True, "counts"),
                       ParamInfo("bg_slope", slope, -10 * span, 10 * span, True, "counts/eV")]
        elif kind == "step":
            centers = [c.center.value for c in self.spec.components]
            params += [ParamInfo("bg_constant", low, -math.inf, math.inf, True, "counts"),
                       ParamInfo("bg_step_height", max(high - low, 0.0), 0.0, math.inf, True, "counts"),
                       ParamInfo("bg_step_center", float(np.mean(centers)), float(np.min(x)), float(np.max(x)), True,
                                 "eV"),
                       ParamInfo("bg_step_width", 1.0, 0.05, float(np.ptp(x)), True, "eV")]
        return params

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
