"""The XPS peak model built from an :class:`~spectra.xps.recipe.XPSSpec`, evaluated with numpy.

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
from ..fitting.params import ParamInfo
from ..recipe import ParamSpec
from .recipe import ComponentSpec, XPSSpec


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


#: fitted background parameters of each kind: (name, unit); static kinds have none
BACKGROUND_PARAMETERS = {
    "active-shirley": (("bg_constant", "counts"), ("bg_k", "1/eV")),
    "tougaard-fitted": (("bg_constant", "counts"), ("bg_b", "eV^2")),
    "linear": (("bg_constant", "counts"), ("bg_slope", "counts/eV")),
    "step": (("bg_constant", "counts"), ("bg_step_height", "counts"), ("bg_step_center", "eV"),
             ("bg_step_width", "eV")),
}


def parameter_layout(spec: XPSSpec) -> list[tuple[str, ParamSpec, str]]:
    """Every parameter of a recipe from the recipe alone: (name, value and bounds, unit), in the
    model's parameter order. Values the data decide (areas without a recipe value, background
    levels) are None and their bounds are infinite here."""
    rows = []
    for comp in spec.components:
        rows.append((f"{comp.name}_center", comp.center, "eV"))
        if comp.fwhm_same_as is None:
            rows.append((f"{comp.name}_fwhm", comp.fwhm, "eV"))
        rows.append((f"{comp.name}_area", comp.area, "counts*eV"))
        if comp.is_doublet:
            rows += [(f"{comp.name}_splitting", comp.splitting, "eV"), (f"{comp.name}_ratio", comp.ratio, "1")]
            if not spec.tie_fwhm:
                rows.append((f"{comp.name}_fwhm_minor", comp.fwhm, "eV"))
        for name, shape in comp.shape.items():
            rows.append((f"{comp.name}_{name}", shape, "1" if name != "gamma_fwhm" else "eV"))
    rows += [(name, ParamSpec(None), unit) for name, unit in BACKGROUND_PARAMETERS.get(spec.background.kind, ())]
    return rows


def start_table(spec: XPSSpec, x: np.ndarray, y: np.ndarray, static_background: np.ndarray | None = None,
                tougaard_b: np.ndarray | None = None) -> list[StartRow]:
    """The parameters of a recipe with start values for N spectra at once.

    Parameters
    ----------
    spec : XPSSpec
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
        In the order of :func:`parameter_layout`. Areas without a recipe value start from the
        height above the background within ±FWHM/2 of the centre × FWHM × 1.064, clipped into
        their bounds.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_spec = y.shape[0]
    low, high = backgrounds.end_levels(y[:, np.argsort(x)], spec.background.options.get("average", 5))
    start_bg = static_background if static_background is not None else np.minimum(low, high)[:, None]
    fwhm_of = {c.name: c.fwhm.value for c in spec.components}
    center_of = {f"{c.name}_area": c.center.value for c in spec.components}
    rows = []
    for name, p, unit in parameter_layout(spec):
        if name.startswith("bg_"):
            continue
        value = np.full(n_spec, float(p.value)) if p.value is not None else None
        if name in center_of and p.value is None:
            width = fwhm_of[name[:-len("_area")]]
            near = np.abs(x - center_of[name]) <= max(width, 1e-9) / 2
            height = np.max((y - start_bg)[:, near], axis=1) if near.any() else np.zeros(n_spec)
            floor = 1e-6 * np.maximum(np.max(np.abs(y), axis=1), 1.0)
            value = np.maximum(height, floor) * width * 1.064
            value = np.minimum(np.maximum(value, p.min) if math.isfinite(p.min) else value, p.max)
        rows.append(StartRow(name, value, p.min, p.max, p.vary, unit))
    rows += _background_rows(spec, x, y, low, high, rows, tougaard_b)
    return rows


def _background_rows(spec, x, y, low, high, peak_rows, tougaard_b) -> list[StartRow]:
    """Start values and bounds of the fitted background's parameters."""
    kind = spec.background.kind
    n_spec = y.shape[0]
    span = np.ptp(y, axis=1)
    span = np.where(span > 0, span, 1.0)
    constant = StartRow("bg_constant", low, -math.inf, math.inf, True, "counts")
    if kind == "active-shirley":
        total_peak = np.sum([r.value for r in peak_rows if r.name.endswith("_area")], axis=0)
        total_peak = np.where(total_peak != 0, total_peak, 1.0)
        return [constant, StartRow("bg_k", np.maximum(high - low, 0.0) / total_peak, 0.0, math.inf, True, "1/eV")]
    if kind == "tougaard-fitted":
        return [constant, StartRow("bg_b", np.asarray(tougaard_b, dtype=float), 0.0, math.inf, True, "eV^2")]
    if kind == "linear":
        return [constant, StartRow("bg_slope", (high - low) / np.ptp(x), -10 * span, 10 * span, True, "counts/eV")]
    if kind == "step":
        centers = [c.center.value for c in spec.components]
        return [constant,
                StartRow("bg_step_height", np.maximum(high - low, 0.0), 0.0, math.inf, True, "counts"),
                StartRow("bg_step_center", np.full(n_spec, float(np.mean(centers))), float(np.min(x)),
                         float(np.max(x)), True, "eV"),
                StartRow("bg_step_width", np.ones(n_spec), 0.05, float(np.ptp(x)), True, "eV")]
    return []


def static_backgrounds(spec: XPSSpec, x: np.ndarray, y: np.ndarray):
    """The backgrounds computed from the data before a fit, for N spectra ``y`` (N, n) on ``x``.

    Returns
    -------
    infos : list
        Per spectrum, the :class:`~spectra.backgrounds.Background` computed (or None).
    static : ndarray (N, n) or None
        The background the model adds as it stands (Shirley, Tougaard, zeros for ``none``).
    curves : ndarray (N, n) or None
        What the batched model uses: ``static``, or for ``tougaard-fitted`` the curve per unit B.
    b : ndarray (N,) or None
        The Tougaard B of each spectrum (``tougaard-fitted``).
    """
    kind, options = spec.background.kind, spec.background.options
    infos = [None] * len(y)
    if kind == "shirley":  # in blocks: small arrays stay in cache
        infos = [b for begin in range(0, len(y), 256)
                 for b in backgrounds.shirley_many(x, y[begin:begin + 256], **options)]
    elif kind in ("tougaard", "tougaard-fitted"):
        infos = [backgrounds.tougaard(x, row, **options) for row in y]
    static, b, curves = None, None, None
    if kind in ("shirley", "tougaard"):
        static = curves = np.stack([info.values for info in infos])
    elif kind == "none":
        static = curves = np.zeros_like(y)
    elif kind == "tougaard-fitted":
        b = np.array([float(info.settings["b"]) for info in infos])
        curves = np.stack([tougaard_unit(info) for info in infos])
    return infos, static, curves, b


class XPSModel:
    """Peaks plus background for one region on a fixed energy grid.

    Parameters
    ----------
    spec : XPSSpec
        The validated recipe.
    x : ndarray
        Binding energies (eV), any order.
    y : ndarray
        The measured intensities on ``x`` (used for starting values and static backgrounds).
    shirley : Background, optional
        A Shirley background already computed for ``y`` with the recipe's settings (batched fits
        compute them for many spectra at once).
    """

    def __init__(self, spec: XPSSpec, x: np.ndarray, y: np.ndarray, shirley: backgrounds.Background | None = None):
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
