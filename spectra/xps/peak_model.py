"""The XPS peak model built from an :class:`~spectra.xps.recipe.XPSSpec`, evaluated with numpy.

Parameters are named for what they are: ``<component>_center`` (eV, major line), ``_fwhm`` (eV, each
line), ``_area`` (counts·eV of the *major* line, i.e. 2p3/2; the minor line has ``_area · _ratio``),
``_splitting`` and ``_ratio`` for doublets, ``<component>_<shape>`` for line-shape parameters, and
``bg_*`` for fitted backgrounds (``bg_linear``: the linear term of ``linear = true``). A recipe with
a charge ``shift`` has the parameter ``shift`` (eV), added to every line centre; a component whose
centre is given ``offset_from`` another has its offset from that centre in ``<component>_center``
(:func:`line_center`). The same model serves every fitting engine.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import backgrounds, lineshapes
from ..fitting.linear import nonnegative_solve
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
    rows = [] if spec.shift is None else [("shift", spec.shift, "eV")]
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
    rows += [(name, ParamSpec(None), unit) for name, unit in spec.background.entry.parameters]
    return rows


def line_center(spec: XPSSpec, comp: ComponentSpec, p):
    """The major line's centre (eV) of ``comp`` at parameter values ``p``: ``<name>_center``, plus the
    reference's centre for a centre given ``offset_from`` another, plus the region's ``shift``.

    Parameters
    ----------
    spec : XPSSpec
    comp : ComponentSpec
        One of ``spec.components``.
    p : mapping
        Parameter name → value: floats, arrays (e.g. (N, 1) columns) or uncertain numbers.

    Returns
    -------
    float, ndarray or uncertainties.UFloat
        The centre (eV), of the type of the values of ``p``.
    """
    center = p[f"{comp.name}_center"]
    if comp.center_offset_from is not None:
        center = center + p[f"{comp.center_offset_from}_center"]
    if spec.shift is not None:
        center = center + p["shift"]
    return center


#: step (eV) of the grid on which the start of a free charge shift is searched
SHIFT_GRID_STEP = 0.1
#: factors on the start FWHM tried at each shift of that grid (the best fit over them counts): a
#: geometric ladder, 15 % apart. With 25 % steps (0.6-1.5) a component's true width could fall between
#: rungs while another component's start width fitted its line better, so that the other component
#: took its place (the shift off by their separation: 4 in 4,000 varied S 2p spectra, with Li2S at
#: 5-60 %); with this ladder none was.
SHIFT_GRID_WIDTHS = (0.6, 0.69, 0.79, 0.91, 1.05, 1.21, 1.39, 1.6)


def shift_start(spec: XPSSpec, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Start values of a free charge ``shift`` for N spectra, from the data.

    On a grid of shifts within the shift's bounds (step :data:`SHIFT_GRID_STEP`; ±5 eV about its value
    where a bound is infinite) the recipe's lines at their start centres, ratios and splittings, with
    their start widths scaled by each of :data:`SHIFT_GRID_WIDTHS` (the best of them counting), moved
    by the shift, are fitted to each spectrum by linear least squares together with a constant, a
    slope and each component's cumulative integral (a Shirley-type step), line areas and steps kept
    non-negative (a column whose amplitude comes out negative is dropped and the rest refitted); the
    shift of the smallest residual, refined by a parabola through its neighbours, is the start. A
    fixed shift starts at its value.

    Parameters
    ----------
    spec : XPSSpec
    x : ndarray (n,)
        Binding energies, any order.
    y : ndarray (N, n)

    Returns
    -------
    ndarray (N,)
        Within the shift's bounds.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    s = spec.shift
    if not s.vary:
        return np.full(y.shape[0], float(s.value))
    low = s.min if math.isfinite(s.min) else s.value - 5.0
    high = s.max if math.isfinite(s.max) else s.value + 5.0
    grid = np.unique(np.clip(np.append(np.arange(low, high, SHIFT_GRID_STEP), high), low, high))
    order = np.argsort(x, kind="stable")
    xa, ya = np.asarray(x, dtype=float)[order], y[:, order].T  # (n, N)
    centers, fwhm = spec.nominal_centers(), {c.name: float(c.fwhm.value) for c in spec.components}
    n_lines = len(spec.components)
    # every design at once (grid, widths, columns: lines, their steps, constant, slope; n), unit-norm columns
    designs = np.empty((grid.size, len(SHIFT_GRID_WIDTHS), 2 * n_lines + 2, xa.size))
    moved = xa[None, :] - grid[:, None]  # the axis seen from lines moved by each shift (G, n)
    for w, scale in enumerate(SHIFT_GRID_WIDTHS):
        for k, comp in enumerate(spec.components):
            f = lineshapes.LINESHAPES[comp.lineshape].function
            shape = {name: float(v.value) for name, v in comp.shape.items()}
            c, width = centers[comp.name], scale * fwhm[comp.fwhm_same_as or comp.name]
            line = f(moved, c, width, 1.0, **shape)
            if comp.is_doublet:
                line = line + f(moved, c + float(comp.splitting.value), width, float(comp.ratio.value), **shape)
            designs[:, w, k] = line
        designs[:, w, n_lines:2 * n_lines] = backgrounds.curves.cumulative_trapezoid(designs[:, w, :n_lines], xa)
    designs[:, :, 2 * n_lines:] = np.stack([np.ones_like(xa), xa - xa[0]])
    norm = np.sqrt(np.einsum("gwkn,gwkn->gwk", designs, designs))
    designs /= np.where(norm > 0, norm, 1.0)[..., None]
    n_cols = designs.shape[2]
    flat = designs.reshape(-1, n_cols, xa.size)
    gram = np.matmul(flat, flat.transpose(0, 2, 1))
    # the constant and slope columns are the same in every design: projected once
    proj = np.empty((len(flat), n_cols, ya.shape[1]))
    proj[:, :2 * n_lines] = (flat[:, :2 * n_lines].reshape(-1, xa.size) @ ya).reshape(len(flat), 2 * n_lines, -1)
    proj[:, 2 * n_lines:] = flat[0, 2 * n_lines:] @ ya
    usable = norm.reshape(-1, n_cols) > 0
    total = np.einsum("nb,nb->b", ya, ya)
    n_signed, n_widths, spectra = 2 * n_lines, len(SHIFT_GRID_WIDTHS), np.arange(ya.shape[1])
    # unconstrained fits first: exact where no amplitude comes out negative, else a lower bound of the
    # constrained fit's residual. A fit whose bound is no better than the best fit without negative
    # amplitudes cannot be the best and is left at its bound (the exact search, pruned), except next
    # to the best shift, where the parabola needs its exact value.
    rss, bounded = _unconstrained_rss(gram, proj, total, n_signed, usable)
    # the exact fits of each spectrum's few most promising designs set the bar the others must pass
    # (which designs they are changes the work, not the result)
    promising, remaining = np.zeros(rss.shape, bool), np.ascontiguousarray(rss.T)  # (N, B): rows contiguous
    for _ in range(min(4, len(rss))):  # the 4 smallest (4 passes of argmin: faster than argpartition here)
        k = np.argmin(remaining, axis=1)
        promising[k, spectra], remaining[spectra, k] = True, np.inf
    _exact_rss(rss, bounded & promising, gram, proj, total, n_signed, usable)
    bar = np.min(np.where(bounded & ~promising, np.inf, rss), axis=0)
    passing = bounded & ~promising & (rss < bar)
    _exact_rss(rss, passing, gram, proj, total, n_signed, usable)
    inexact = bounded & ~promising & ~passing  # residuals still at their lower bounds
    by_shift = rss.reshape(grid.size, n_widths, -1)
    best = np.argmin(np.min(by_shift, axis=1), axis=0)
    at = np.zeros(by_shift.shape, bool)
    for neighbour in (best - 1, best + 1):
        inside = (neighbour >= 0) & (neighbour < grid.size)
        at[neighbour[inside], :, spectra[inside]] = True
    _exact_rss(rss, inexact & at.reshape(rss.shape), gram, proj, total, n_signed, usable)
    rss = np.min(rss.reshape(grid.size, n_widths, -1), axis=1)  # the best width at each shift
    # ties (e.g. no signal) go to the grid point nearest the recipe's value
    rss = rss + 1e-12 * (np.max(rss, axis=0) + 1e-300) * np.abs(grid - s.value)[:, None]
    best = np.argmin(rss, axis=0)
    start = grid[best]
    inner = (best > 0) & (best < grid.size - 1)
    if np.any(inner):
        k, cols = best[inner], np.where(inner)[0]
        r0, r1, r2 = rss[k - 1, cols], rss[k, cols], rss[k + 1, cols]
        curvature = r0 - 2 * r1 + r2
        step = np.where(curvature > 0, 0.5 * (r0 - r2) / np.where(curvature > 0, curvature, 1.0), 0.0)
        start[inner] = grid[k] + np.clip(step, -1, 1) * SHIFT_GRID_STEP
    return np.clip(start, s.min, s.max)


def layout_params(spec: XPSSpec) -> list[ParamInfo]:
    """:func:`parameter_layout` as :class:`~spectra.fitting.params.ParamInfo` records."""
    return [ParamInfo(name, p.value, p.min, p.max, p.vary, unit) for name, p, unit in parameter_layout(spec)]


#: an area that the linear solve puts at zero starts at this fraction of (peak height × FWHM)
AREA_FLOOR = 0.01


def _area_starts(spec: XPSSpec, x: np.ndarray, y: np.ndarray, static_background, center_of) -> dict:
    """Areas (N,) of the components without a recipe area, from one linear least-squares solve at
    their start centres, widths, ratios and splittings: the lines (and, without a static background,
    a Shirley-type step under each, a constant and a slope) fitted to each spectrum, lines and steps
    kept non-negative (:func:`spectra.fitting.linear.nonnegative_solve`). Overlapping lines share
    the intensity they overlap in, which the height under each centre double counts."""
    n_spec, order = y.shape[0], np.argsort(x, kind="stable")
    xa, ya = x[order], y[:, order]
    target = ya - (static_background[:, order] if static_background is not None else 0.0)
    shared = all(np.all(c == c[0]) for c in center_of.values())  # no per-spectrum shift: one design for all
    if shared:
        center_of = {name: c[:1] for name, c in center_of.items()}
    fwhm = {c.name: float(c.fwhm.value) for c in spec.components}
    lines = []
    for comp in spec.components:
        f = lineshapes.LINESHAPES[comp.lineshape].function
        shape = {k: float(v.value) for k, v in comp.shape.items()}
        c, w = center_of[f"{comp.name}_area"], fwhm[comp.fwhm_same_as or comp.name]  # c: (N, 1)
        line = f(xa[None, :], c, w, 1.0, **shape)
        if comp.is_doublet:
            line = line + f(xa[None, :], c + float(comp.splitting.value), w, float(comp.ratio.value), **shape)
        lines.append(line)
    design = np.stack(lines, axis=1)  # (N, k, n), or (1, k, n) shared
    amounts = [True] * len(lines)
    if static_background is None:
        steps = backgrounds.curves.cumulative_trapezoid(design, xa)
        flat = np.broadcast_to(np.stack([np.ones_like(xa), xa - xa[0]]), (design.shape[0], 2, xa.size))
        design = np.concatenate([design, steps, flat], axis=1)
        amounts += [True] * len(lines) + [False, False]
    norm = np.maximum(np.sqrt(np.sum(design * design, axis=-1)), 1e-300)  # (N or 1, k)
    unit = design / norm[..., None]
    if shared:
        gram = np.broadcast_to(unit[0] @ unit[0].T, (n_spec, unit.shape[1], unit.shape[1]))
        proj = target @ unit[0].T
    else:
        gram = np.matmul(unit, unit.transpose(0, 2, 1))
        proj = np.matmul(unit, target[:, :, None])[..., 0]
    coef, _ = nonnegative_solve(gram, proj, np.einsum("ni,ni->n", target, target), np.array(amounts))
    coef = coef / norm
    return {f"{comp.name}_area": coef[:, k] for k, comp in enumerate(spec.components)}


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
        In the order of :func:`parameter_layout`. A free charge ``shift`` starts from the data
        (:func:`shift_start`). Areas without a recipe value start from a linear solve at the lines'
        start centres (moved by the start shift) and widths (:func:`_area_starts`), clipped into
        their bounds.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_spec = y.shape[0]
    low, high = backgrounds.end_levels(y[:, np.argsort(x)], spec.background.options.get("average", 5))
    start_bg = static_background if static_background is not None else np.minimum(low, high)[:, None]
    fwhm_of = {c.name: c.fwhm.value for c in spec.components}
    shift = None if spec.shift is None else shift_start(spec, x, y)
    # the lines' start centres (N, 1): the recipe's, moved by the start of the shift
    center_of = {f"{name}_area": np.full((n_spec, 1), c) + (0.0 if shift is None else shift[:, None])
                 for name, c in spec.nominal_centers().items()}
    solved = _area_starts(spec, x, y, static_background, center_of)
    rows = []
    for name, p, unit in parameter_layout(spec):
        if name.startswith("bg_"):
            continue
        value = np.full(n_spec, float(p.value)) if p.value is not None else None
        if name == "shift":
            value = shift
        if name in center_of and p.value is None:
            width = fwhm_of[name[:-len("_area")]]
            # never exactly 0 (a bound the fit could not leave): a small share of the region's peak area
            floor = AREA_FLOOR * np.maximum(np.ptp(y - start_bg, axis=1), 1.0) * width
            value = np.maximum(solved[name], floor)
            value = np.minimum(np.maximum(value, p.min) if math.isfinite(p.min) else value, p.max)
        rows.append(StartRow(name, value, p.min, p.max, p.vary, unit))
    rows += background_rows(spec, x, y, low, high, rows, background_seeds)
    return rows


def background_rows(spec, x, y, low, high, peak_rows, seeds) -> list[StartRow]:
    """Start values and bounds of the fitted background's parameters (from its registry entry).

    Parameters
    ----------
    spec : XPSSpec
    x : ndarray (n,)
    y : ndarray (N, n)
    low, high : ndarray (N,)
        The spectra's end levels (:func:`spectra.backgrounds.end_levels`).
    peak_rows : list of StartRow
        The peaks' rows (their areas and the charge shift set the background's starts).
    seeds : dict
        What :func:`static_backgrounds` found for the background's starts.

    Returns
    -------
    list of StartRow
        Empty for a static background.
    """
    kind = spec.background.entry
    if kind.static:
        return []
    peak_area = np.sum([r.value for r in peak_rows if r.name.endswith("_area")], axis=0)
    shift = next((float(np.mean(r.value)) for r in peak_rows if r.name == "shift"), 0.0)
    context = backgrounds.StartContext(x, y, low, high, peak_area,
                                       tuple(c + shift for c in spec.nominal_centers().values()), dict(seeds or {}))
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
        The background computed from the data (Shirley, Tougaard, zeros for ``none``): what a static
        kind adds as it stands, and what it adds to its fitted linear term with ``linear = true``
        (start values see it as the background); None for the other fitted kinds.
    curves : ndarray (N, n) or None
        What the batched model uses: ``static``, or for ``tougaard-fitted`` the curve per unit B.
    seeds : dict
        Start values (N,) of fitted background parameters found from the data (``tougaard-fitted``:
        ``bg_b``, the Tougaard B of each spectrum; ``bg_linear``), for :func:`start_table`.
    """
    kind = spec.background.entry
    prepared = kind.prepare(x, y, spec.background.options)
    return prepared.infos, prepared.curves if kind.curve_is_background else None, prepared.curves, prepared.seeds


def _unconstrained_rss(gram, proj, total, n_signed, usable):
    """Residual sums of squares of unconstrained linear least-squares fits, one per design and spectrum,
    and whether any of the first ``n_signed`` amplitudes comes out negative.

    Parameters
    ----------
    gram : ndarray (B, k, k)
        ``DᵀD`` of B designs with unit-norm columns (shared by every spectrum).
    proj : ndarray (B, k, N)
        ``Dᵀy`` of N spectra.
    total : ndarray (N,)
        ``yᵀy``.
    n_signed : int
        Amplitudes that must not be negative (lines and their steps: an inelastic step only rises
        with binding energy).
    usable : ndarray of bool (B, k)
        Columns that are not zero (the others are left out).

    Returns
    -------
    rss : ndarray (B, N)
    negative : ndarray of bool (B, N)
        Whether any of the first ``n_signed`` amplitudes comes out negative.
    """
    inverse = _masked_inverse(gram, usable)
    rss = np.empty(proj.shape[::2])
    negative = np.empty(rss.shape, bool)
    chunk = max(1, 8192 // proj.shape[2])  # designs per pass: (chunk × N) small systems at a time
    for b in range(0, len(gram), chunk):
        part = slice(b, b + chunk)
        coef = np.matmul(inverse[part], proj[part])  # (chunk, k, N)
        rss[part] = total - np.einsum("bkn,bkn->bn", coef, proj[part])
        negative[part] = ((coef[:, :n_signed] < 0) & usable[part, :n_signed, None]).any(axis=1)
    return rss, negative


def _masked_inverse(gram, kept):
    """Inverses of Gram matrices (..., k, k) restricted to the ``kept`` columns (..., k), zero elsewhere;
    a tiny ridge keeps coinciding columns (equal lines) regular."""
    pair = kept[..., :, None] & kept[..., None, :]
    eye = np.eye(gram.shape[-1])
    return np.linalg.inv(np.where(pair, gram + 1e-10 * eye, 0.0) + eye * ~kept[..., :, None]) * pair


def _exact_rss(rss, which, gram, proj, total, n_signed, usable):
    """Replace ``rss`` (B, N) where ``which`` by the residual of the fit with its first ``n_signed``
    amplitudes non-negative: a column whose amplitude comes out negative is dropped and the fit
    repeated (an active-set step per round, at most ``n_signed`` rounds; see
    :func:`_unconstrained_rss` for the arguments). The inverses are formed once per design and set of
    columns in use."""
    b, n = np.nonzero(which)
    if b.size == 0:
        return
    kept, p = usable[b].copy(), proj[b, :, n]  # (J, k) each
    bits = 1 << np.arange(kept.shape[1], dtype=np.int64)
    for _ in range(n_signed + 1):
        unique, where = np.unique(b * (1 << kept.shape[1]) + kept @ bits, return_inverse=True)
        columns = (unique[:, None] & bits) > 0
        inverse = _masked_inverse(gram[unique >> kept.shape[1]], columns)[where]
        coef = np.einsum("jkl,jl->jk", inverse, p)
        negative = kept[:, :n_signed] & (coef[:, :n_signed] < 0)
        if not negative.any():
            break
        kept[:, :n_signed] &= ~negative
    rss[b, n] = total[n] - np.einsum("jk,jk->j", coef, p)


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
    starts, bounds : ndarray (P,) and (ndarray (P,), ndarray (P,)), optional
        Start values and bounds already computed for this spectrum (by the problem, for its group);
        None computes them here (:func:`start_table`).
    """

    def __init__(self, spec: XPSSpec, x: np.ndarray, y: np.ndarray,
                 background_info: backgrounds.Background | None = None, starts: np.ndarray | None = None,
                 bounds: tuple[np.ndarray, np.ndarray] | None = None):
        self.spec = spec
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self._background_kind = spec.background.entry
        prepared = self._background_kind.prepare(self.x, self.y[None], spec.background.options,
                                                 None if background_info is None else [background_info])
        self.background_info = prepared.infos[0]
        self._background_curve = None if prepared.curves is None else prepared.curves[0]
        self._background_seeds = prepared.seeds
        # the background computed from the data (static kinds, also with a linear term): start values use it
        self.static_background = self._background_curve if self._background_kind.curve_is_background else None
        self.params = self._parameters(starts, bounds)

    # ---------------------------------------------------------------------------------- parameters
    def _parameters(self, starts, bounds) -> list[ParamInfo]:
        """The parameters with start values and bounds: given (as the batch computed them for this
        spectrum), or from :func:`start_table`."""
        if starts is not None and bounds is not None:
            return [ParamInfo(p.name, float(v), float(lo), float(hi), p.vary, p.unit)
                    for p, v, lo, hi in zip(layout_params(self.spec), starts, *bounds)]
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
            c = line_center(self.spec, comp, p)
            w, a = p[f"{self.fwhm_owner(comp)}_fwhm"], p[f"{comp.name}_area"]
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
