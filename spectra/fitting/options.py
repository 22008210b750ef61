"""The one place where the options of :func:`spectra.fit` and :func:`spectra.fit_many` are checked,
before any work is done. Both verbs take the same options; one that cannot apply to a verb is refused
with the reason."""
from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import FitError
from .weights import WEIGHTS
from .workers import check_workers

ENGINES = ("auto", "batched", "lmfit")
STARTS = ("recipe", "neighbour")
#: lmfit minimisers that return a covariance (and so standard errors)
METHODS = ("leastsq", "least_squares")
#: options that only make sense for many spectra, with the reason given when ``fit`` is asked for them
MANY_ONLY = {
    "engine": "spectra.fit always uses the lmfit engine (one spectrum); the batched engine is fit_many's",
    "chunk_size": "chunks split many spectra; spectra.fit fits one",
    "start": "seeding from neighbours needs a series; spectra.fit fits one spectrum",
    "progress": "progress is reported per chunk of many spectra; spectra.fit fits one",
    "resume": "resume finishes an interrupted fit_many run",
    "client": "a dask client spreads many spectra over workers; spectra.fit fits one",
    "workers": "worker processes share many spectra; spectra.fit fits one",
}


@dataclass(frozen=True)
class FitOptions:
    """Validated options of a fit (see :func:`validate`)."""

    weights: str = "poisson"
    engine: str = "auto"
    method: str | None = None
    chunk_size: int | None = None
    mc_replicas: int = 0
    seed: int | None = None
    start: str = "recipe"
    progress: bool | Callable[[int, int], None] = False
    workers: int | None = None


def _choice(name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise FitError(f"{name}={value!r} is not valid; use one of {', '.join(repr(a) for a in allowed)}")
    return value


def _count(name, value, *, minimum, none_ok=False, extra=""):
    if value is None and none_ok:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise FitError(f"{name}={value!r} is not valid; use an integer ≥ {minimum}{extra}")
    return int(value)


def validate(verb: str, options: dict) -> FitOptions:
    """Check the options of ``fit`` or ``fit_many``.

    Parameters
    ----------
    verb : {"fit", "fit_many"}
    options : dict
        What the caller passed: ``weights`` ("poisson", "none"), ``method`` (None, "leastsq",
        "least_squares"), ``mc_replicas`` (0 or ≥ 2), ``seed`` (None or an integer ≥ 0), and for
        ``fit_many`` also ``engine`` ("auto", "batched", "lmfit"), ``chunk_size`` (None or ≥ 1),
        ``start`` ("recipe", "neighbour"), ``progress`` (bool, or a callable taking the numbers of
        finished and all items) and ``workers`` (None for automatic, or ≥ 1).

    Returns
    -------
    FitOptions

    Raises
    ------
    spectra.errors.FitError
        Naming the option and its allowed values, or why it does not apply to ``verb``.
    """
    options = dict(options)
    if verb == "fit":
        for name in MANY_ONLY:
            if name in options:
                raise FitError(f"{name} does not apply to spectra.fit: {MANY_ONLY[name]}")
    unknown = set(options) - {"weights", "engine", "method", "chunk_size", "mc_replicas", "seed", "start",
                              "progress", "workers"}
    if unknown:
        raise FitError(f"unknown options {sorted(unknown)} for spectra.{verb}")
    seed = options.get("seed")
    if isinstance(seed, np.integer):
        seed = int(seed)
    progress = options.get("progress", False)
    if not (isinstance(progress, bool) or callable(progress)):
        raise FitError(f"progress={progress!r} is not valid; use True, False or a callable(done, total)")
    method = options.get("method")
    if method is not None:
        _choice("method", method, METHODS)
    weights = _choice("weights", options.get("weights", "poisson"), WEIGHTS)
    if weights == "none" and options.get("mc_replicas", 0):
        raise FitError("mc_replicas draws Poisson replicas of counts; with weights='none' the data are not treated as "
                       "counts (e.g. a background-subtracted pattern), so there is no noise model to draw from")
    workers = _count("workers", options.get("workers"), minimum=1, none_ok=True, extra=" (or None: automatic)")
    if workers is not None:
        check_workers(workers)
        if workers > 1 and options.get("start") == "neighbour":
            raise FitError(f"workers={workers} cannot follow start='neighbour': each spectrum of a series starts from "
                           "the fits before it, a sequence one process follows; use workers=1")
    return FitOptions(
        weights=weights,
        engine=_choice("engine", options.get("engine", "auto"), ENGINES),
        method=method,
        chunk_size=_count("chunk_size", options.get("chunk_size"), minimum=1, none_ok=True),
        mc_replicas=0 if options.get("mc_replicas", 0) == 0 and not isinstance(options.get("mc_replicas"), bool)
        else _count("mc_replicas", options.get("mc_replicas"), minimum=2, extra=" (or 0 for none)"),
        seed=_count("seed", seed, minimum=0, none_ok=True),
        start=_choice("start", options.get("start", "recipe"), STARTS),
        progress=progress,
        workers=workers,
    )
