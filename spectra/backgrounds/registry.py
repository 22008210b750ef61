"""The registry of XPS background kinds: one :class:`BackgroundKind` entry per kind a recipe may name.

An entry says everything a model needs about its background, so that neither the XPS model, its
start values, the batched engine nor the recipe parser branch on the kind's name:

* ``parameters`` — the fitted parameters (name, unit) in the model's order; none for a *static*
  kind, whose background is computed from the data before the fit and added as it stands;
* ``prepare`` — what is computed from the data before the fit (N spectra at once): the per-spectrum
  :class:`~spectra.backgrounds.Background` records, the curve each model uses (the static background
  itself, or the curve a fitted parameter multiplies) and start values the computation provides;
* ``start`` — start values and bounds of the fitted parameters;
* ``value`` — the background of one spectrum at parameter values, given the fitted peaks (the lmfit
  engine's model);
* ``partials`` — the background of N spectra with its analytic partial derivatives (the batched
  engine; None: recipes with this kind are fitted by the lmfit engine only);
* ``terms`` — optional, for a background linear in its parameters: its curves, which the batched
  engine evaluates together with the peaks in one compiled pass per spectrum.

Entries are pure numpy. Adding a kind means writing its functions and one entry (:func:`register`);
``tests/backgrounds/test_contract.py`` fits every registered kind with both engines.

A fitted linear term
--------------------
Any kind that lists the option ``linear`` (``shirley``, ``active-shirley``, ``tougaard``,
``tougaard-fitted``) can take one more fitted parameter, ``bg_linear`` (counts/eV, unbounded),
multiplying ``(x - x_low)`` across the window (``x_low`` the window's lowest binding energy) and added
to the kind's background: ``background = {kind = "active-shirley", linear = true}``. One code path
serves every kind: :func:`with_linear` builds the extended entry from the kind's own (its value,
partials and starts plus the term) and :func:`background_model` returns the entry a recipe's options
ask for. A static Shirley or Tougaard with the term is a fitted background with one parameter: the
static curve is still computed from the data before the fit.

Use it when the inelastic background slopes across the window independently of the peaks: the
rising tail of a nearby line, a secondary-electron or valence-band slope, or the sloped "background
of the background" that real regions show (−5 % to +11 % of the baseline across an S 2p window).
Neither a Shirley nor a Tougaard term can take that slope up (both are flat below the peaks), and
without the term it is pushed into the peaks: on sloped S 2p spectra the Li2S fraction comes out
biased by more than its σ. On flat data the term costs a little precision (one parameter more) and
no bias. With a static Shirley the end levels stay fixed at the data's, so the term only bends the
background between them; ``active-shirley`` or ``tougaard-fitted`` with ``linear = true`` model a
sloped background exactly.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import special

from ..kernels import add_scaled_cumulative
from .curves import (
    STEP_WIDTH_IN_Z,
    cumulative_peak_integral,
    cumulative_trapezoid,
    shirley_many,
    step,
    tougaard,
    tougaard_unit,
)


@dataclass(frozen=True)
class Prepared:
    """What a background kind computes from N spectra before the fit.

    Attributes
    ----------
    infos : list
        Per spectrum, the :class:`~spectra.backgrounds.Background` computed (or None).
    curves : ndarray (N, n) or None
        Per spectrum, the curve the model uses: the background itself for a static kind, the curve a
        fitted parameter multiplies otherwise (e.g. Tougaard per unit B); None when there is none.
    seeds : dict
        Start values (N,) of fitted parameters that the computation provides, by parameter name.
    """

    infos: list
    curves: np.ndarray | None = None
    seeds: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class StartContext:
    """What start values of fitted background parameters may depend on, for N spectra.

    Attributes
    ----------
    x : ndarray (n,)
        Binding energies, any order.
    y : ndarray (N, n)
        Intensities.
    low, high : ndarray (N,)
        Averaged end levels at the low- and high-BE ends (:func:`~spectra.backgrounds.end_levels`).
    peak_area : ndarray (N,)
        Sum of the start areas of the peaks' area parameters.
    centers : tuple of float
        The components' start centres (eV): the recipe's, moved by the mean start of a charge shift.
    seeds : dict
        :attr:`Prepared.seeds`.
    """

    x: np.ndarray
    y: np.ndarray
    low: np.ndarray
    high: np.ndarray
    peak_area: np.ndarray
    centers: tuple[float, ...]
    seeds: dict[str, np.ndarray]


class BackgroundPartials(NamedTuple):
    """The background of N spectra and its analytic partial derivatives.

    Attributes
    ----------
    value : ndarray (N, n) or broadcastable
        The background.
    partials : dict
        ∂background/∂(parameter) by fitted-parameter name (arrays broadcastable to (N, n), or
        scalars); empty when the Jacobian was not asked for.
    through_peaks : callable or None
        For a background that depends on the fitted peaks: ``through_peaks(jac)`` adds the
        background's derivatives by the peaks' parameters to their Jacobian rows ``jac`` (N, F, n),
        in place (no second (N, F, n) array).
    """

    value: np.ndarray
    partials: dict
    through_peaks: Callable | None = None


class LinearTerms(NamedTuple):
    """A background of N spectra that is linear in its parameters, as the batched engine's fused
    kernel (:func:`spectra.kernels.xps_normal_equations`) evaluates it.

    Attributes
    ----------
    static : ndarray (N, n) or None
        Added as it stands (a static background).
    curves : dict
        Parameter name → the curve (N, n) or (1, n) it multiplies (its partial derivative).
    peak_integral : str or None
        The parameter multiplying the cumulative integral of the fitted peaks (active Shirley).
    """

    static: np.ndarray | None
    curves: dict
    peak_integral: str | None = None


def _integer(low: int, high: int) -> Callable:
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"expected an integer from {low} to {high}, got {value!r}")
        return value
    return check


def _number(low: float, high: float = math.inf, *, none: bool = False) -> Callable:
    def check(value):
        if value is None and none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"expected a number from {low:g} to {high:g}, got {value!r}")
        return float(value)
    return check


def _offsets(value):
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and -100 < v < 1e3 for v in value)):
        raise ValueError(f"expected two percentages [low-BE end, high-BE end] above -100, got {value!r}")
    return tuple(float(v) for v in value)


def _flag(value):
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


#: the option every kind takes: points averaged at each end for the end levels (start values)
_AVERAGE = {"average": _integer(1, 1000)}
#: options that add a fitted term to a kind's background (:func:`background_model`); a kind takes one by
#: listing it among its options. They are not settings of the kind's curve (``prepare`` never sees them).
TERM_OPTIONS = {"linear": _flag}
_SHIRLEY_OPTIONS = {**_AVERAGE, "offsets": _offsets, "tol": _number(1e-15, 0.1), "max_iter": _integer(1, 10_000),
                    "binding": _flag, **TERM_OPTIONS}
_TOUGAARD_OPTIONS = {**_AVERAGE, "b": _number(0.0, 1e9, none=True), "c": _number(1e-6, 1e9), "d": _number(0.0, 1e9),
                     "binding": _flag, **TERM_OPTIONS}


def _curve_options(options: dict) -> dict:
    """A recipe's background options without the term options: the settings of the kind's curve."""
    return {name: value for name, value in options.items() if name not in TERM_OPTIONS}


def _nothing_to_prepare(x, y, options, infos=None) -> Prepared:
    return Prepared([None] * len(y))


@dataclass(frozen=True)
class BackgroundKind:
    """A registered XPS background kind.

    Attributes
    ----------
    name : str
        The kind as recipes name it (``"shirley"``, ``"active-shirley"``, ...).
    value : callable
        ``value(x, p, peaks, curve) -> ndarray (n,)``: the background of one spectrum on ``x`` (any
        order) at parameter values ``p`` (dict of floats), given the fitted ``peaks`` (n,) and this
        spectrum's prepared ``curve`` (n,) or None.
    parameters : tuple of (str, str)
        Fitted parameters (name, unit) in the model's order; empty for a static kind.
    prepare : callable
        ``prepare(x, y, options, infos=None) -> Prepared`` for N spectra ``y`` (N, n) on ``x`` (n,), with
        the recipe's background options; ``infos`` are per-spectrum records already computed (then
        only the curves are derived from them).
    start : callable or None
        ``start(ctx: StartContext) -> {name: (value (N,), min, max)}`` for every fitted parameter
        (bounds scalars or (N,)); None for a static kind.
    partials : callable or None
        ``partials(x, p, peaks, curve, want_jacobian) -> BackgroundPartials`` for N spectra: ``x`` (1, n)
        strictly ascending, ``p`` parameter name → (N, 1), ``peaks`` (N, n), ``curve`` (N, n) or None.
        None: the batched engine refuses recipes with this kind (the lmfit engine fits them).
    options : dict
        The recipe options the kind takes, each with a checker returning the cleaned value or raising
        ``ValueError`` (see :meth:`check_options`).
    base : BackgroundKind or None
        For an entry built by a combinator (:func:`with_linear`), the registered kind it extends.
    terms : callable or None
        ``terms(x, curve) -> LinearTerms`` for N spectra (``x`` (1, n) ascending, ``curve`` (N, n) or
        None, as for ``partials``): the background as curves times its parameters, which the batched
        engine evaluates with the peaks in one compiled pass. None (a background not linear in its
        parameters, e.g. ``step``): evaluated through ``partials``.
    """

    name: str
    value: Callable
    parameters: tuple[tuple[str, str], ...] = ()
    prepare: Callable = _nothing_to_prepare
    start: Callable | None = None
    partials: Callable | None = None
    options: dict = field(default_factory=lambda: dict(_AVERAGE))
    base: BackgroundKind | None = field(default=None, repr=False, compare=False)
    terms: Callable | None = None

    def check_options(self, given: dict) -> dict:
        """The recipe's options for this kind, checked.

        Parameters
        ----------
        given : dict
            Option name → value, as the recipe's background table has them (without ``kind``).

        Returns
        -------
        dict
            The cleaned options.

        Raises
        ------
        ValueError
            An option the kind does not take, or a value out of range, naming the option.
        """
        unknown = set(given) - set(self.options)
        if unknown:
            raise ValueError(f"{self.name!r} takes no options {sorted(unknown)}; it takes {sorted(self.options)}")
        out = {}
        for name, value in given.items():
            try:
                out[name] = self.options[name](value)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return out

    @property
    def static(self) -> bool:
        """Whether the background is computed from the data before the fit (no fitted parameters)."""
        return not self.parameters

    @property
    def parameter_names(self) -> list[str]:
        """Names of the fitted parameters, in order."""
        return [name for name, _ in self.parameters]

    @property
    def curve_is_background(self) -> bool:
        """Whether the prepared curve is the data's background itself: a static kind, or a static kind
        extended by a fitted term (whose curve is still the static background, computed from the data)."""
        return (self.base or self).static


#: every registered background kind by name
BACKGROUND_KINDS: dict[str, BackgroundKind] = {}


def register(kind: BackgroundKind) -> BackgroundKind:
    """Add a background kind to :data:`BACKGROUND_KINDS`.

    Parameters
    ----------
    kind : BackgroundKind
        The entry; its name must be new, and a fitted kind needs ``start``.

    Returns
    -------
    BackgroundKind
        ``kind``, registered.

    Raises
    ------
    ValueError
        A name that is taken, or a fitted kind without start values.
    """
    if kind.name in BACKGROUND_KINDS:
        raise ValueError(f"background kind {kind.name!r} is already registered")
    if kind.parameters and kind.start is None:
        raise ValueError(f"background kind {kind.name!r} has fitted parameters but no start values")
    BACKGROUND_KINDS[kind.name] = kind
    return kind


def background_kind(name: str) -> BackgroundKind:
    """The registered background kind ``name``.

    Parameters
    ----------
    name : str
        The kind as a recipe names it.

    Returns
    -------
    BackgroundKind

    Raises
    ------
    KeyError
        An unknown kind, naming the known ones.
    """
    try:
        return BACKGROUND_KINDS[name]
    except KeyError:
        raise KeyError(f"unknown background kind {name!r}; known: {', '.join(BACKGROUND_KINDS)}") from None


# ---------------------------------------------------------------------------------------- static kinds
def _static_value(x, p, peaks, curve):
    return curve


def _static_partials(x, p, peaks, curve, want_jacobian):
    return BackgroundPartials(curve, {})


def _static_terms(x, curve):
    return LinearTerms(curve, {})


def _prepare_none(x, y, options, infos=None) -> Prepared:
    return Prepared([None] * len(y), np.zeros_like(y))


def _prepare_shirley(x, y, options, infos=None) -> Prepared:
    if infos is None:  # in blocks: small arrays stay in cache
        settings = _curve_options(options)
        infos = [b for begin in range(0, len(y), 256) for b in shirley_many(x, y[begin:begin + 256], **settings)]
    return Prepared(list(infos), np.stack([info.values for info in infos]))


def _tougaard_infos(x, y, options, infos):
    settings = _curve_options(options)
    return list(infos) if infos is not None else [tougaard(x, row, **settings) for row in y]


def _prepare_tougaard(x, y, options, infos=None) -> Prepared:
    infos = _tougaard_infos(x, y, options, infos)
    return Prepared(infos, np.stack([info.values for info in infos]))


# ---------------------------------------------------------------------------------------- fitted kinds
def _constant(ctx: StartContext):
    return ctx.low, -math.inf, math.inf


def _active_shirley_start(ctx: StartContext):
    total_peak = np.where(ctx.peak_area != 0, ctx.peak_area, 1.0)
    # strictly above the bound 0: a start on a bound cannot leave it (the bounds transform is flat there)
    rise = np.maximum(ctx.high - ctx.low, 1e-3 * np.maximum(np.abs(ctx.low), np.abs(ctx.high)))
    return {"bg_constant": _constant(ctx), "bg_k": (np.maximum(rise, 1e-12) / np.abs(total_peak), 0.0, math.inf)}


def _active_shirley_value(x, p, peaks, curve):
    return p["bg_constant"] + p["bg_k"] * cumulative_peak_integral(x, peaks)


def _active_shirley_partials(x, p, peaks, curve, want_jacobian):
    # c + k ∫ peaks, which depends on every peak parameter through the peaks
    integral = cumulative_trapezoid(peaks, x)
    k = p["bg_k"]
    value = k * integral
    value += p["bg_constant"]

    def through_peaks(jac):
        add_scaled_cumulative(jac, k, x)

    return BackgroundPartials(value, {"bg_constant": 1.0, "bg_k": integral}, through_peaks)


def _active_shirley_terms(x, curve):
    return LinearTerms(None, {"bg_constant": np.ones_like(x)}, "bg_k")


def _prepare_tougaard_fitted(x, y, options, infos=None) -> Prepared:
    infos = _tougaard_infos(x, y, options, infos)
    return Prepared(infos, np.stack([tougaard_unit(info) for info in infos]),
                    {"bg_b": np.array([float(info.settings["b"]) for info in infos])})


def _tougaard_fitted_start(ctx: StartContext):
    return {"bg_constant": _constant(ctx), "bg_b": (np.asarray(ctx.seeds.get("bg_b"), dtype=float), 0.0, math.inf)}


def _tougaard_fitted_value(x, p, peaks, curve):
    return p["bg_constant"] + p["bg_b"] * curve


def _tougaard_fitted_partials(x, p, peaks, curve, want_jacobian):
    return BackgroundPartials(p["bg_constant"] + p["bg_b"] * curve, {"bg_constant": 1.0, "bg_b": curve})


def _tougaard_fitted_terms(x, curve):
    return LinearTerms(None, {"bg_constant": np.ones_like(x), "bg_b": curve})


def _linear_start(ctx: StartContext):
    span = np.ptp(ctx.y, axis=1)
    span = np.where(span > 0, span, 1.0)
    return {"bg_constant": _constant(ctx), "bg_slope": ((ctx.high - ctx.low) / np.ptp(ctx.x), -10 * span, 10 * span)}


def _linear_value(x, p, peaks, curve):
    return p["bg_constant"] + p["bg_slope"] * (x - np.min(x))


def _linear_partials(x, p, peaks, curve, want_jacobian):
    dx0 = x - x[..., :1]
    return BackgroundPartials(p["bg_constant"] + p["bg_slope"] * dx0, {"bg_constant": 1.0, "bg_slope": dx0})


def _linear_terms(x, curve):
    return LinearTerms(None, {"bg_constant": np.ones_like(x), "bg_slope": x - x[..., :1]})


def _step_start(ctx: StartContext):
    n_spec = ctx.y.shape[0]
    return {"bg_constant": _constant(ctx),
            "bg_step_height": (np.maximum(ctx.high - ctx.low, 0.0), 0.0, math.inf),
            "bg_step_center": (np.full(n_spec, float(np.mean(ctx.centers))), float(np.min(ctx.x)),
                               float(np.max(ctx.x))),
            "bg_step_width": (np.ones(n_spec), 0.05, float(np.ptp(ctx.x)))}


def _step_value(x, p, peaks, curve):
    return p["bg_constant"] + step(x, p["bg_step_center"], p["bg_step_height"], p["bg_step_width"])


def _step_partials(x, p, peaks, curve, want_jacobian):
    # c + h/2 (1 + erf(z)), z = (x - x0)·1.8124/width (10-90 % width)
    z = (x - p["bg_step_center"]) * (STEP_WIDTH_IN_Z / p["bg_step_width"])
    rise = 0.5 * (1.0 + special.erf(z))
    value = p["bg_constant"] + p["bg_step_height"] * rise
    if not want_jacobian:
        return BackgroundPartials(value, {})
    slope = p["bg_step_height"] / np.sqrt(np.pi) * np.exp(-z * z)  # ∂step/∂z
    return BackgroundPartials(value, {"bg_constant": 1.0, "bg_step_height": rise,
                                      "bg_step_center": -slope * STEP_WIDTH_IN_Z / p["bg_step_width"],
                                      "bg_step_width": -slope * z / p["bg_step_width"]})


for _kind in (
    BackgroundKind("shirley", _static_value, prepare=_prepare_shirley, partials=_static_partials,
                   options=_SHIRLEY_OPTIONS, terms=_static_terms),
    BackgroundKind("active-shirley", _active_shirley_value, (("bg_constant", "counts"), ("bg_k", "1/eV")),
                   start=_active_shirley_start, partials=_active_shirley_partials,
                   options={**_AVERAGE, **TERM_OPTIONS}, terms=_active_shirley_terms),
    BackgroundKind("tougaard", _static_value, prepare=_prepare_tougaard, partials=_static_partials,
                   options=_TOUGAARD_OPTIONS, terms=_static_terms),
    BackgroundKind("tougaard-fitted", _tougaard_fitted_value, (("bg_constant", "counts"), ("bg_b", "eV^2")),
                   prepare=_prepare_tougaard_fitted, start=_tougaard_fitted_start, partials=_tougaard_fitted_partials,
                   options=_TOUGAARD_OPTIONS, terms=_tougaard_fitted_terms),
    BackgroundKind("linear", _linear_value, (("bg_constant", "counts"), ("bg_slope", "counts/eV")),
                   start=_linear_start, partials=_linear_partials, terms=_linear_terms),
    BackgroundKind("step", _step_value, (("bg_constant", "counts"), ("bg_step_height", "counts"),
                                         ("bg_step_center", "eV"), ("bg_step_width", "eV")),
                   start=_step_start, partials=_step_partials),
    BackgroundKind("none", _static_value, prepare=_prepare_none, partials=_static_partials, terms=_static_terms),
):
    register(_kind)
del _kind


# ---------------------------------------------------------------------------------------- the linear term
#: the fitted parameter of the linear term: name, unit
LINEAR_PARAMETER = ("bg_linear", "counts/eV")
#: the extended entries built so far, by kind name: (the registered kind, its extension)
_WITH_LINEAR: dict[str, tuple[BackgroundKind, BackgroundKind]] = {}


def linear_slope_seed(x, residual) -> np.ndarray:
    """Start value of the linear term from the data: the common slope of ``residual`` within the lowest-
    and the highest-BE tenth of the window (each segment with its own level), where a Shirley or
    Tougaard background is flat and only the slope remains.

    Parameters
    ----------
    x : ndarray (n,)
        Binding energies, any order.
    residual : ndarray (N, n)
        The data, or the data minus a static background computed from them.

    Returns
    -------
    ndarray (N,)
        Slopes (counts/eV); 0 where the segments hold no spread in ``x``.
    """
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    xa, ra = x[order], np.asarray(residual, dtype=float)[:, order]
    q = max(3, xa.size // 10)
    num = np.zeros(ra.shape[0])
    den = 0.0
    for seg in (slice(0, q), slice(xa.size - q, xa.size)):
        dx = xa[seg] - xa[seg].mean()
        num += (ra[:, seg] - ra[:, seg].mean(axis=1, keepdims=True)) @ dx
        den += float(dx @ dx)
    return num / den if den > 0 else np.zeros(ra.shape[0])


def with_linear(kind: BackgroundKind) -> BackgroundKind:
    """``kind`` with a fitted linear term ``bg_linear · (x − x_low)`` added to its background.

    The combinator behind a recipe's ``linear = true``: the returned entry has the kind's parameters
    followed by ``bg_linear`` (counts/eV, unbounded); its value and analytic partials are the kind's
    plus the term's (``∂/∂bg_linear = x − x_low``, ``x_low`` the lowest binding energy of the window);
    it prepares what the kind prepares (a static curve stays computed from the data) and adds the
    term's start value (:func:`linear_slope_seed` of the data, minus the static curve for a static
    kind). The kind's own start values are computed on the data with that slope taken off.

    Parameters
    ----------
    kind : BackgroundKind
        A registered kind (not itself an extension).

    Returns
    -------
    BackgroundKind
        Named ``"<kind>+linear"``, with ``base`` set to ``kind``; built once per kind.

    Raises
    ------
    ValueError
        ``kind`` is already an extension, or already has a ``bg_linear`` parameter.
    """
    if kind.base is not None or LINEAR_PARAMETER[0] in kind.parameter_names:
        raise ValueError(f"background kind {kind.name!r} already has a linear term")
    cached = _WITH_LINEAR.get(kind.name)
    if cached is not None and cached[0] is kind:
        return cached[1]
    name = LINEAR_PARAMETER[0]

    def prepare(x, y, options, infos=None) -> Prepared:
        prepared = kind.prepare(x, y, options, infos)
        residual = y - prepared.curves if kind.static and prepared.curves is not None else y
        marked = [info if info is None else dataclasses.replace(info, settings={**info.settings, "linear": True})
                  for info in prepared.infos]
        return Prepared(marked, prepared.curves, {**prepared.seeds, name: linear_slope_seed(x, residual)})

    def start(ctx: StartContext):
        slope = ctx.seeds.get(name)
        slope = linear_slope_seed(ctx.x, ctx.y) if slope is None else np.asarray(slope, dtype=float)
        out = {}
        if kind.start is not None:  # the kind's starts on the data with the slope taken off
            dx = np.asarray(ctx.x, dtype=float) - np.min(ctx.x)
            flat = dataclasses.replace(ctx, y=ctx.y - slope[:, None] * dx, high=ctx.high - slope * float(np.ptp(ctx.x)))
            out.update(kind.start(flat))
        out[name] = (slope, -math.inf, math.inf)
        return out

    def value(x, p, peaks, curve):
        return kind.value(x, p, peaks, curve) + p[name] * (np.asarray(x) - np.min(x))

    def partials(x, p, peaks, curve, want_jacobian):
        inner = kind.partials(x, p, peaks, curve, want_jacobian)
        dx0 = x - x[..., :1]
        terms = {**inner.partials, name: dx0} if want_jacobian else inner.partials
        return BackgroundPartials(inner.value + p[name] * dx0, terms, inner.through_peaks)

    def terms(x, curve):
        inner = kind.terms(x, curve)
        return LinearTerms(inner.static, {**inner.curves, name: x - x[..., :1]}, inner.peak_integral)

    extended = BackgroundKind(f"{kind.name}+linear", value, (*kind.parameters, LINEAR_PARAMETER), prepare, start,
                              None if kind.partials is None else partials, kind.options, base=kind,
                              terms=None if kind.terms is None else terms)
    _WITH_LINEAR[kind.name] = (kind, extended)
    return extended


def background_model(name: str, options: dict | None = None) -> BackgroundKind:
    """The background entry a recipe's background table describes: the registered kind ``name``,
    extended by the terms its (checked) ``options`` ask for (``linear = true``: :func:`with_linear`).

    Parameters
    ----------
    name : str
        The kind as the recipe names it.
    options : dict, optional
        The recipe's background options, checked by :meth:`BackgroundKind.check_options`.

    Returns
    -------
    BackgroundKind

    Raises
    ------
    KeyError
        An unknown kind.
    ValueError
        ``linear = true`` for a kind that does not take it.
    """
    kind = background_kind(name)
    if (options or {}).get("linear"):
        if "linear" not in kind.options:
            raise ValueError(f"background kind {name!r} takes no linear term")
        return with_linear(kind)
    return kind
