"""Backgrounds for XPS regions (pure numpy): the curves themselves (:mod:`.curves`) and the registry of
the background kinds a recipe may name (:mod:`.registry`).

``x`` is binding energy unless ``binding=False``: inelastic backgrounds rise towards **higher
binding energy** (lower kinetic energy). Every function accepts either axis order and returns the
background in the order of the input.

* :func:`shirley` — iterative Shirley (Proctor & Sherwood 1982) with end-point averaging, offsets,
  a relative convergence tolerance and an iteration cap; every setting and the iteration count are
  returned (ISO 19830 asks for them).
* :func:`cumulative_peak_integral` — the shape of the *active* Shirley term ``k·∫ peaks``, evaluated
  on the fitted peaks inside a fit.
* :func:`tougaard` — Tougaard's universal cross-section backgrounds (U2 and U3), static, with ``B``
  given or chosen to meet the high-BE end.
* :func:`linear` and :func:`step`.
* :data:`BACKGROUND_KINDS` — one :class:`BackgroundKind` per kind (``none``, ``shirley``, ``tougaard``,
  ``tougaard-fitted``, ``active-shirley``, ``linear``, ``step``): what a model computes before the fit,
  its fitted parameters with start values, its value and its analytic partials.
* :func:`background_model` — the entry a recipe's background table asks for: the kind, or with
  ``linear = true`` the kind plus a fitted linear term ``bg_linear · (x − x_low)`` (:func:`with_linear`;
  taken by ``shirley``, ``active-shirley``, ``tougaard`` and ``tougaard-fitted``). Use it for sloped
  inelastic backgrounds (a nearby line's rising tail, a secondary-electron slope across the window).
"""
from __future__ import annotations

from .curves import (
    STEP_WIDTH_IN_Z,
    Background,
    cumulative_peak_integral,
    end_levels,
    linear,
    shirley,
    shirley_many,
    step,
    tougaard,
    tougaard_kernel,
    tougaard_unit,
)
from .registry import (
    BACKGROUND_KINDS,
    LINEAR_PARAMETER,
    TERM_OPTIONS,
    BackgroundKind,
    BackgroundPartials,
    Prepared,
    StartContext,
    background_kind,
    background_model,
    linear_slope_seed,
    register,
    with_linear,
)

__all__ = ["BACKGROUND_KINDS", "LINEAR_PARAMETER", "STEP_WIDTH_IN_Z", "TERM_OPTIONS", "Background", "BackgroundKind",
           "BackgroundPartials", "Prepared", "StartContext", "background_kind", "background_model",
           "cumulative_peak_integral", "end_levels", "linear", "linear_slope_seed", "register", "shirley",
           "shirley_many", "step", "tougaard", "tougaard_kernel", "tougaard_unit", "with_linear"]
