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


class StartRow(NamedTuple):
    """One parameter of N spectra: start values (N,), bounds (scalars or (N,)), vary, unit."""

    name: str
    value: np.ndarray
    min: float | np.ndarray
    max: float | np.ndarray
    vary: bool
    unit: str


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
    kind = backgrounds.background_kind(spec.background.kind)
    rows += [(name, ParamSpec(None), unit) for name, unit in kind.parameters]
    return rows


def start_table(spec: XPSSpec, x: np.ndarray, y: np.ndarray, static_background: np.ndarray | None = None,
                background_seeds: dict[str, np.ndarray] | None = None) -> list[StartRow]:
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
    background_seeds : dict, optional
        Start values (N,) of fitted background parameters found before the fit (the fourth value of
        :func:`static_backgrounds`; e.g. the Tougaard B of each spectrum for ``tougaard-fitted``).

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
    rows += _background_rows(spec, x, y, low, high, rows, background_seeds)
    return rows


def _background_rows(spec, x, y, low, high, peak_rows, seeds) -> list[StartRow]:
    """Start values and bounds of the fitted background's parameters (from its registry entry)."""
    kind = backgrounds.background_kind(spec.background.kind)
    if kind.static:
        return []
    peak_area = np.sum([r.value for r in peak_rows if r.name.endswith("_area")], axis=0)
    context = backgrounds.StartContext(x, y, low, high, peak_area, tuple(c.center.value for c in spec.components),
                                       dict(seeds or {}))
    start = kind.start(context)
    return [StartRow(name, *start[name], True, unit) for name, unit in kind.parameters]


def static_backgrounds(spec: XPSSpec, x: np.ndarray, y: np.ndarray):
    """The backgrounds computed from the data before a fit, for N spectra ``y`` (N, n) on ``x``
    (what the recipe's background kind prepares, :class:`spectra.backgrounds.BackgroundKind`).

    Returns
    -------
    infos : list
        Per spectrum, the :class:`~spectra.backgrounds.Background` computed (or None).
    static : ndarray (N, n) or None
        The background the model adds as it stands (Shirley, Tougaard, zeros for ``none``).
    curves : ndarray (N, n) or None
        What the batched model uses: ``static``, or for ``tougaard-fitted`` the curve per unit B.
    seeds : dict
        Start values (N,) of fitted background parameters found from the data (``tougaard-fitted``:
        ``bg_b``, the Tougaard B of each spectrum), for :func:`start_table`.
    """
    kind = backgrounds.background_kind(spec.background.kind)
    prepared = kind.prepare(x, y, spec.background.options)
    return prepared.infos, prepared.curves if kind.static else None, prepared.curves, prepared.seeds


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
    background_info : Background, optional
        The background record (Shirley, Tougaard) already computed for ``y`` with the recipe's settings
        (batched fits compute them for many spectra at once); None computes it here.
    """

    def __init__(self, spec: XPSSpec, x: np.ndarray, y: np.ndarray,
                 background_info: backgrounds.Background | None = None):
        self.spec = spec
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self._background_kind = backgrounds.background_kind(spec.background.kind)
        prepared = self._background_kind.prepare(self.x, self.y[None], spec.background.options,
                                                 None if background_info is None else [background_info])
        self.background_info = prepared.infos[0]
        self._background_curve = None if prepared.curves is None else prepared.curves[0]
        self._background_seeds = prepared.seeds
        self.static_background = self._background_curve if self._background_kind.static else None
        self.params = self._parameters()

    # ---------------------------------------------------------------------------------- parameters
    def _parameters(self) -> list[ParamInfo]:
        start_bg = None if self.static_background is None else self.static_background[None]
        rows = start_table(self.spec, self.x, self.y[None], start_bg, self._background_seeds)
        return [ParamInfo(row.name, float(row.value[0]), float(np.ravel(row.min)[0]), float(np.ravel(row.max)[0]),
                          row.vary, row.unit) for row in rows]

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
        """The background at parameter values ``p`` given the summed peaks (the kind's ``value``)."""
        return self._background_kind.value(self.x, p, peaks, self._background_curve)

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
