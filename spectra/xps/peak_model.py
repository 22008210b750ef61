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

import functools
import math
from typing import NamedTuple

import numpy as np

from .. import backgrounds, kernels, lineshapes
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
#: the coarse stage of the search: every SHIFT_COARSE_EVERY-th shift of the grid (and its ends), at
#: these of the width factors, fits unconstrained
SHIFT_COARSE_EVERY = 2
SHIFT_COARSE_WIDTHS = (0.69, 0.91, 1.21)
#: the fine stage: every width at the grid's shifts within SHIFT_FINE_REACH steps of each spectrum's
#: SHIFT_CANDIDATES lowest coarse local minima (one coarse step apart: each minimum's basin is
#: covered), followed downhill until the best shift's neighbours are in it
SHIFT_CANDIDATES = 3
SHIFT_FINE_REACH = 1


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

    The grid is searched coarse to fine: first every :data:`SHIFT_COARSE_EVERY`-th shift with the
    widths :data:`SHIFT_COARSE_WIDTHS`, fitted without the non-negativity constraint (a lower bound of
    the residual); then, per spectrum, the fits above at every width and at the shifts within
    :data:`SHIFT_FINE_REACH` grid steps of its :data:`SHIFT_CANDIDATES` lowest coarse local minima,
    extended downhill until the best shift's neighbours have been fitted. On 12,000 varied S 2p
    spectra (``benchmarks/varied_s2p.py``) every start equals that of the search over the whole grid.

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
    coarse_at, coarse_designs, fine_designs = _search_designs(
        _lines_of(spec), xa.tobytes(), grid.tobytes(), SHIFT_GRID_WIDTHS, SHIFT_COARSE_EVERY, SHIFT_COARSE_WIDTHS)
    total = np.einsum("nb,nb->b", ya, ya)
    spectra = np.arange(ya.shape[1])
    # coarse: every few shifts, a few widths, every spectrum
    distance = np.abs(grid - s.value)  # ties (e.g. no signal) go to the shift nearest the recipe's value
    coarse = _tie_break(_coarse_rss(coarse_designs, ya, total), distance[coarse_at, None])
    # fine: the whole grid about each spectrum's lowest coarse local minima
    edged = np.pad(coarse, ((1, 1), (0, 0)), constant_values=np.inf)
    minima = np.where((coarse <= edged[:-2]) & (coarse <= edged[2:]), coarse, np.inf)
    needed = np.zeros((grid.size, ya.shape[1]), bool)
    for _ in range(min(SHIFT_CANDIDATES, coarse_at.size)):
        k = np.argmin(minima, axis=0)
        found = np.isfinite(minima[k, spectra])
        minima[k, spectra] = np.inf
        for offset in range(-SHIFT_FINE_REACH, SHIFT_FINE_REACH + 1):
            at = coarse_at[k] + offset
            inside = found & (at >= 0) & (at < grid.size)
            needed[at[inside], spectra[inside]] = True
    shifts, rss = _fine_rss(fine_designs, ya, total, needed, distance)  # (N, S): the shifts fitted, residuals
    best = shifts[spectra, np.argmin(rss, axis=1)]
    start = grid[best]
    inner = (best > 0) & (best < grid.size - 1)
    if np.any(inner):
        r0, r1, r2 = (np.min(np.where(shifts[inner] == (best[inner] + d)[:, None], rss[inner], np.inf), axis=1)
                      for d in (-1, 0, 1))
        curvature = r0 - 2 * r1 + r2
        step = np.where(curvature > 0, 0.5 * (r0 - r2) / np.where(curvature > 0, curvature, 1.0), 0.0)
        start[inner] = grid[best[inner]] + np.clip(step, -1, 1) * SHIFT_GRID_STEP
    return np.clip(start, s.min, s.max)


def _lines_of(spec: XPSSpec) -> tuple:
    """What :func:`shift_start`'s designs take from a recipe: per component its line shape, start centre,
    start FWHM, doublet splitting and ratio (None for a singlet) and shape parameters."""
    centers, fwhm = spec.nominal_centers(), {c.name: float(c.fwhm.value) for c in spec.components}
    return tuple((comp.lineshape, float(centers[comp.name]), fwhm[comp.fwhm_same_as or comp.name],
                  (float(comp.splitting.value), float(comp.ratio.value)) if comp.is_doublet else None,
                  tuple((name, float(v.value)) for name, v in comp.shape.items())) for comp in spec.components)


class _Designs(NamedTuple):
    """Designs of :func:`shift_start` for the fits: ``flat`` (G·W, k, n) with unit-norm columns (lines,
    their steps, constant, slope), their Gram matrices ``gram`` (G·W, k, k), the columns in use
    ``usable`` (G·W, k), the inverses of the Grams over those columns ``inverse`` (G·W, k, k,
    :func:`_masked_inverse`), the lines and steps of ``flat`` as one contiguous array ``signed``
    (G·W·(k − 2), n: the designs of a run of shifts multiply the spectra without a copy) and the
    number of widths at each shift."""

    flat: np.ndarray
    gram: np.ndarray
    usable: np.ndarray
    inverse: np.ndarray
    signed: np.ndarray
    n_widths: int


@functools.lru_cache(maxsize=4)  # ~10 MB each for a ±3 eV search on 341 points
def _search_designs(lines: tuple, xa: bytes, grid: bytes, widths: tuple, coarse_every: int, coarse_widths: tuple):
    """The designs of :func:`shift_start`'s search for the recipe's ``lines`` (:func:`_lines_of`) on the
    sorted axis ``xa`` and the shifts ``grid`` (float64 bytes): the shifts of the coarse stage, its
    designs and those of the fine stage (:class:`_Designs`, read-only). Kept for the next chunk of
    spectra on the same axis (one batch computes them once)."""
    xa, grid = np.frombuffer(xa), np.frombuffer(grid)
    n_lines = len(lines)
    designs = np.empty((grid.size, len(widths), 2 * n_lines + 2, xa.size))
    moved = xa[None, :] - grid[:, None]  # the axis seen from lines moved by each shift (G, n)
    for w, scale in enumerate(widths):
        for k, (lineshape, center, fwhm, doublet, shape) in enumerate(lines):
            f = lineshapes.LINESHAPES[lineshape].function
            line = f(moved, center, scale * fwhm, 1.0, **dict(shape))
            if doublet is not None:
                line = line + f(moved, center + doublet[0], scale * fwhm, doublet[1], **dict(shape))
            designs[:, w, k] = line
        designs[:, w, n_lines:2 * n_lines] = backgrounds.curves.cumulative_trapezoid(designs[:, w, :n_lines], xa)
    designs[:, :, 2 * n_lines:] = np.stack([np.ones_like(xa), xa - xa[0]])
    norm = np.sqrt(np.einsum("gwkn,gwkn->gwk", designs, designs))
    designs /= np.where(norm > 0, norm, 1.0)[..., None]
    coarse_at = np.unique(np.append(np.arange(0, grid.size, coarse_every), grid.size - 1))
    chosen = [widths.index(w) for w in coarse_widths]
    stages = [_flat_designs(designs[coarse_at][:, chosen], norm[coarse_at][:, chosen]),
              _flat_designs(designs, norm)]
    for array in [coarse_at] + [a for stage in stages for a in stage[:5]]:
        array.flags.writeable = False
    return coarse_at, *stages


def _flat_designs(designs, norm) -> _Designs:
    """Designs (G, W, k, n) with unit-norm columns whose norms were ``norm`` (G, W, k) as :class:`_Designs`."""
    flat = np.ascontiguousarray(designs.reshape(-1, *designs.shape[2:]))
    gram, usable = np.matmul(flat, flat.transpose(0, 2, 1)), norm.reshape(-1, designs.shape[2]) > 0
    signed = np.ascontiguousarray(flat[:, :-2]).reshape(-1, flat.shape[-1])
    return _Designs(flat, gram, usable, _masked_inverse(gram, usable), signed, designs.shape[1])


def _tie_break(rss, distance, axis=0):
    """Residuals ``rss`` plus 1e-12 of their largest finite value along ``axis`` times ``distance``
    (eV; of the same shape, or broadcast): equal residuals ranked by distance."""
    scale = np.max(np.where(np.isfinite(rss), rss, 0.0), axis=axis, keepdims=True) + 1e-300
    return rss + 1e-12 * scale * distance


def _coarse_rss(designs: _Designs, ya, total):
    """Lower bounds (G, N) of the residuals of :func:`shift_start`'s constrained fits (the best width at
    each shift) of N spectra ``ya`` (n, N) with ``yᵀy`` ``total`` (N,) on ``designs``: the residuals
    of the unconstrained fits (exact where no line or step amplitude comes out negative)."""
    flat, usable, inverse, n_widths = designs.flat, designs.usable, designs.inverse, designs.n_widths
    n_signed = flat.shape[1] - 2
    proj = np.empty((len(flat), flat.shape[1], ya.shape[1]))
    proj[:, :n_signed] = (designs.signed @ ya).reshape(len(flat), n_signed, -1)
    proj[:, n_signed:] = flat[0, n_signed:] @ ya  # the constant and slope: the same in every design
    rss, _ = _unconstrained_rss(inverse, proj, total, n_signed, usable)
    return np.min(rss.reshape(-1, n_widths, ya.shape[1]), axis=1)


class _FineFits:
    """The fits of :func:`_fine_rss`, each spectrum's in its own few slots (one shift each, every
    width): ``shifts`` (N, S) grid indices (−1: an empty slot), ``proj`` (N, S, W, k), ``rss`` and
    ``bounded`` (N, S, W) as in :func:`_unconstrained_rss` (inf and False in empty slots)."""

    def __init__(self, designs: _Designs, ya, total):
        self.designs = designs
        self.flat, self.usable, self.inverse = designs.flat, designs.usable, designs.inverse
        self.n_widths = designs.n_widths
        self.n_cols = self.flat.shape[1]
        self.rows, self.total = np.ascontiguousarray(ya.T), total  # rows: each spectrum's gathered fast
        n_spec, n_signed = len(self.rows), self.n_cols - 2
        self.level = self.rows @ self.flat[0, n_signed:].T  # (N, 2): the constant and slope, in every design
        self.shifts = np.empty((n_spec, 0), int)
        self.proj = np.empty((n_spec, 0, self.n_widths, self.n_cols))
        self.rss, self.bounded = np.empty((n_spec, 0, self.n_widths)), np.empty((n_spec, 0, self.n_widths), bool)

    def add(self, new):
        """Fit (unconstrained) the spectra at the ``new`` (G, N) shifts, in slots after the present ones."""
        n_widths, n_signed = self.n_widths, self.n_cols - 2
        count = new.sum(axis=0)
        spec_of, shift_of = np.nonzero(new.T)  # by spectrum, then shift
        slot = self.shifts.shape[1] + np.arange(spec_of.size) - np.repeat(np.cumsum(count) - count, count)
        grow = ((0, 0), (0, int(count.max())))
        self.shifts = np.pad(self.shifts, grow, constant_values=-1)
        self.proj = np.pad(self.proj, grow + ((0, 0), (0, 0)))
        self.rss = np.pad(self.rss, grow + ((0, 0),), constant_values=np.inf)
        self.bounded = np.pad(self.bounded, grow + ((0, 0),))
        self.shifts[spec_of, slot] = shift_of
        # each spectrum's runs of consecutive new shifts, grouped by where they start and end: each group
        # one product of its spectra (gathered once per run) with its shifts' lines
        first = np.ones(spec_of.size, bool)
        first[1:] = (spec_of[1:] != spec_of[:-1]) | (shift_of[1:] != shift_of[:-1] + 1)
        runs = np.nonzero(first)[0]
        length = np.diff(np.append(runs, spec_of.size))
        kinds, kind_of = np.unique(shift_of[runs] * (len(new) + 1) + length, return_inverse=True)
        grouped = runs[np.argsort(kind_of, kind="stable")]  # the runs of each kind in turn, in order
        ends = np.cumsum(np.bincount(kind_of, minlength=kinds.size))
        for kind, begin, end in zip(kinds.tolist(), (ends - np.diff(ends, prepend=0)).tolist(), ends.tolist()):
            (g, size), these = divmod(kind, len(new) + 1), grouped[begin:end]
            cols, part = spec_of[these], slice(g * n_widths, (g + size) * n_widths)
            p = np.empty((cols.size, size * n_widths, self.n_cols))
            lines = self.designs.signed[g * n_widths * n_signed:(g + size) * n_widths * n_signed]
            p[:, :, :n_signed] = (self.rows[cols] @ lines.T).reshape(cols.size, size * n_widths, n_signed)
            p[:, :, n_signed:] = self.level[cols, None]
            rss, bounded = _unconstrained_rss(self.inverse[part], p.transpose(1, 2, 0), self.total[cols], n_signed,
                                              self.usable[part])
            at = (cols[:, None], slot[these[:, None] + np.arange(size)])  # (m, size) slots
            shape = (cols.size, size, n_widths)
            self.proj[at] = p.reshape(*shape, self.n_cols)
            self.rss[at], self.bounded[at] = rss.T.reshape(shape), bounded.T.reshape(shape)

    def exact(self, which):
        """Make the residuals exact (constrained, :func:`_exact_pairs`) where ``which`` (N, S, W)."""
        n, s, w = np.nonzero(which)
        if n.size:
            design = self.shifts[n, s] * self.n_widths + w
            self.rss[n, s, w] = _exact_pairs(design, self.proj[n, s, w], self.total[n], self.designs,
                                             self.n_cols - 2)


def _fine_rss(designs: _Designs, ya, total, needed, distance):
    """Residuals of the constrained fits of :func:`shift_start` (the best width at each shift) of N
    spectra ``ya`` (n, N) with ``yᵀy`` ``total`` (N,) on ``designs`` at the shifts each ``needed``
    (G, N), followed downhill until every spectrum's best shift's neighbours are among them; equal
    residuals ranked by the shifts' ``distance`` (G,) from the recipe's value (:func:`_tie_break`).

    Returns
    -------
    shifts : ndarray of int (N, S)
        The grid indices fitted for each spectrum (−1: none).
    rss : ndarray (N, S)
        Their residuals (inf where none), tie-broken: exact at the best shift and its neighbours,
        elsewhere exact or a lower bound no smaller than the best.
    """
    fits = _FineFits(designs, ya, total)
    fits.add(needed)
    spectra = np.arange(ya.shape[1])
    # unconstrained fits first: exact where no amplitude comes out negative, else a lower bound of the
    # constrained fit's residual. A fit whose bound is no better than the best fit without negative
    # amplitudes cannot be the best and is left at its bound (the exact search, pruned), except next
    # to the best shift, where the parabola needs its exact value. The exact fits of each spectrum's
    # few most promising designs set the bar the others must pass (which designs they are changes the
    # work, not the result).
    flat = fits.rss.reshape(len(spectra), -1)
    promising = np.zeros(flat.shape, bool)
    promising[spectra[:, None], np.argpartition(flat, min(3, flat.shape[1] - 1), axis=1)[:, :4]] = True
    promising = promising.reshape(fits.rss.shape) & np.isfinite(fits.rss)
    fits.exact(fits.bounded & promising)
    bar = np.min(np.where(fits.bounded & ~promising, np.inf, fits.rss), axis=(1, 2))
    passing = fits.bounded & ~promising & (fits.rss < bar[:, None, None])
    fits.exact(passing)
    inexact = fits.bounded & ~promising & ~passing
    while True:  # downhill until the best shift's neighbours have been fitted
        best = fits.shifts[spectra, np.argmin(_tie_break(np.min(fits.rss, axis=2), distance[fits.shifts], 1), axis=1)]
        new = np.zeros(needed.shape, bool)
        for neighbour in (best - 1, best + 1):
            missing = (neighbour >= 0) & (neighbour < len(needed)) & ~np.any(fits.shifts == neighbour[:, None], axis=1)
            new[neighbour[missing], spectra[missing]] = True
        if not new.any():
            break
        present = fits.shifts.shape[1]
        fits.add(new)
        inexact = np.pad(inexact, ((0, 0), (0, fits.shifts.shape[1] - present), (0, 0)))
        fits.exact(fits.bounded & (np.arange(fits.shifts.shape[1]) >= present)[None, :, None])
    near = (fits.shifts == (best - 1)[:, None]) | (fits.shifts == (best + 1)[:, None])
    fits.exact(inexact & near[:, :, None])
    return fits.shifts, _tie_break(np.min(fits.rss, axis=2), distance[fits.shifts], 1)


def layout_params(spec: XPSSpec) -> list[ParamInfo]:
    """:func:`parameter_layout` as :class:`~spectra.fitting.params.ParamInfo` records."""
    return [ParamInfo(name, p.value, p.min, p.max, p.vary, unit) for name, p, unit in parameter_layout(spec)]


#: an area that the linear solve puts at zero starts at this fraction of (peak height × FWHM)
AREA_FLOOR = 0.01


def _area_starts(spec: XPSSpec, x: np.ndarray, y: np.ndarray, static_background, center_of) -> dict:
    """Areas (N,) of the components without a recipe area, from one linear least-squares solve at
    their start centres, widths, ratios and splittings: the lines (and, without a static background,
    a Shirley-type step under each, a constant and a slope) fitted to each spectrum, lines and steps
    kept non-negative (:func:`spectra.fitting.linear.nonnegative_solve`), on columns scaled to unit
    norm. Overlapping lines share the intensity they overlap in, which the height under each centre
    double counts."""
    n_spec, order = y.shape[0], np.argsort(x, kind="stable")
    xa, ya = x[order], y.take(order, axis=1)  # (N, n) C-ordered, as the compiled kernels take it
    target = ya - static_background.take(order, axis=1) if static_background is not None else ya
    shared = all(np.all(c == c[0]) for c in center_of.values())  # no per-spectrum shift: one design for all
    if shared:
        center_of = {name: c[:1] for name, c in center_of.items()}
    n_lines = len(spec.components)
    n_cols = n_lines if static_background is not None else 2 * n_lines + 2
    design = _line_design(spec, xa, center_of, n_cols)  # (N, k, n), or (1, k, n) shared
    amounts = [True] * n_lines
    if static_background is None:
        design[:, n_lines:2 * n_lines] = backgrounds.curves.cumulative_trapezoid(design[:, :n_lines], xa)
        design[:, 2 * n_lines:] = np.stack([np.ones_like(xa), xa - xa[0]])
        amounts += [True] * n_lines + [False, False]
    # the columns scaled to unit norm (the solve's ridge is relative to them)
    if shared:  # one design: scaled before the products
        norm = np.maximum(np.sqrt(np.sum(design * design, axis=-1)), 1e-300)  # (1, k)
        unit = design[0] / norm.T
        gram = np.broadcast_to(unit @ unit.T, (n_spec, n_cols, n_cols))
        proj, total = target @ unit.T, np.einsum("ni,ni->n", target, target)
    else:  # N designs: their products first (with numba in one fused pass per spectrum), then scaled
        if kernels.numba_enabled():
            total, gram, proj, _ = kernels.normal_equations(target, design, np.zeros_like(target),
                                                            np.ones_like(target))
        else:
            gram = np.matmul(design, design.transpose(0, 2, 1))
            proj, total = np.matmul(design, target[:, :, None])[..., 0], np.einsum("ni,ni->n", target, target)
        norm = np.maximum(np.sqrt(np.einsum("nkk->nk", gram)), 1e-300)
        gram, proj = gram / norm[:, :, None] / norm[:, None, :], proj / norm
    coef, _ = nonnegative_solve(gram, proj, total, np.array(amounts))
    coef = coef / norm
    return {f"{comp.name}_area": coef[:, k] for k, comp in enumerate(spec.components)}


def _line_design(spec: XPSSpec, xa: np.ndarray, center_of: dict, n_cols: int) -> np.ndarray:
    """Each component's lines (both lines of a doublet) at unit major area, at its start width, ratio
    and splitting and its centres ``center_of`` (``<name>_area`` → (M, 1)), on the ascending axis
    ``xa`` (n,): the first rows of a design (M, ``n_cols``, n), zeros after them. For M > 1 spectra
    through the compiled line kernel (:func:`spectra.kernels.xps_lines`) where every shape has its
    kernel constants, else with the line shapes' functions."""
    fwhm = {c.name: float(c.fwhm.value) for c in spec.components}
    centers = np.concatenate([center_of[f"{c.name}_area"] for c in spec.components], axis=1)  # (M, K)
    widths = np.array([fwhm[c.fwhm_same_as or c.name] for c in spec.components])
    entries = [lineshapes.LINESHAPES[c.lineshape] for c in spec.components]
    if len(centers) > 1 and kernels.numba_enabled() and all(e.kernel_constants is not None for e in entries):
        # per kernel line (two per doublet): its component, offset from the major centre, area, constants
        kernel_lines = []
        for k, (comp, entry) in enumerate(zip(spec.components, entries)):
            constants = entry.kernel_constants(*(float(comp.shape[s].value) for s in entry.shape_params))
            kernel_lines.append((k, 0.0, 1.0, constants))
            if comp.is_doublet:
                kernel_lines.append((k, float(comp.splitting.value), float(comp.ratio.value), constants))
        of, offset, ratio, constants = (list(column) for column in zip(*kernel_lines))
        center = np.ascontiguousarray(centers[:, of] + np.array(offset))
        width, share = np.broadcast_to(widths[of], center.shape).copy(), np.broadcast_to(ratio, center.shape).copy()
        rows = np.full((len(of), kernels.XPS_ROLES), -1, np.int64)
        rows[:, 3] = of  # each line's values (× its share) enter its component's row as ∂/∂area
        _, design = kernels.xps_lines(xa, center, width, share, share, np.zeros_like(share),
                                      np.array(constants, dtype=float), rows, True, n_rows=n_cols)
        return design
    design = np.zeros((len(centers), n_cols, xa.size))
    for k, (comp, entry) in enumerate(zip(spec.components, entries)):
        shape = {name: float(v.value) for name, v in comp.shape.items()}
        c = centers[:, k:k + 1]
        design[:, k] = entry.function(xa[None, :], c, widths[k], 1.0, **shape)
        if comp.is_doublet:
            design[:, k] += entry.function(xa[None, :], c + float(comp.splitting.value), widths[k],
                                           float(comp.ratio.value), **shape)
    return design


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


def _unconstrained_rss(inverse, proj, total, n_signed, usable):
    """Residual sums of squares of unconstrained linear least-squares fits, one per design and spectrum,
    and whether any of the first ``n_signed`` amplitudes comes out negative.

    Parameters
    ----------
    inverse : ndarray (B, k, k)
        ``(DᵀD)⁻¹`` of B designs with unit-norm columns (shared by every spectrum) over their usable
        columns (:func:`_masked_inverse`).
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
    rss = np.empty(proj.shape[::2])
    negative = np.empty(rss.shape, bool)
    chunk = max(1, 8192 // proj.shape[2])  # designs per pass: (chunk × N) small systems at a time
    for b in range(0, len(inverse), chunk):
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


def _exact_pairs(design, p, total, designs: _Designs, n_signed):
    """Residuals (J,) of J fits with their first ``n_signed`` amplitudes non-negative, each of one
    spectrum (its projections ``p`` (J, k) and ``yᵀy`` ``total`` (J,)) on design ``design`` (J,) of
    ``designs``: a column whose amplitude comes out negative is dropped and the fit repeated (an
    active-set step per round, at most ``n_signed`` rounds). The inverses are formed once per design
    and set of columns in use."""
    kept = designs.usable[design]
    coef = np.einsum("jkl,jl->jk", designs.inverse[design], p)  # every usable column: inverses made already
    bits = 1 << np.arange(kept.shape[1], dtype=np.int64)
    index = np.zeros(len(designs.gram) << kept.shape[1], np.intp)  # (design, columns) → its inverse
    for _ in range(n_signed):
        negative = kept[:, :n_signed] & (coef[:, :n_signed] < 0)
        rows = np.nonzero(negative.any(axis=1))[0]  # the others' fits stand
        if rows.size == 0:
            break
        kept[rows, :n_signed] &= ~negative[rows]
        key = design[rows] * (1 << kept.shape[1]) + kept[rows] @ bits
        index[key] = 1
        unique = np.flatnonzero(index)
        index[unique] = np.arange(unique.size)
        where = index[key]
        index[unique] = 0
        columns = (unique[:, None] & bits) > 0
        inverse = _masked_inverse(designs.gram[unique >> kept.shape[1]], columns)
        coef[rows] = np.einsum("jkl,jl->jk", inverse[where], p[rows])
    return total - np.einsum("jk,jk->j", coef, p)


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
