"""The seam between the fitting engine and the techniques: the :class:`Problem` a technique provides,
the :class:`Item` the engine hands it, and the registry of techniques by name.

The engine (this package) knows no technique. A technique is a subclass of :class:`Problem` registered
under a name (``xps``, ``xrd``): built in, through :func:`register`, or by another package through the
``spectra.techniques`` entry-point group (``name = "package.module:ProblemClass"``). A recipe names its
technique (:func:`spectra.recipe.technique_of`) and :func:`problem_for` builds that technique's problem.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from typing import ClassVar

import numpy as np

from ..errors import RecipeError
from ..recipe import RecipeSource, load_recipe, technique_of
from .params import ParamInfo
from .weights import counts_factor

#: entry-point group through which other packages register techniques
ENTRY_POINT_GROUP = "spectra.techniques"
#: the techniques spectra ships, by name (resolved on first use, so importing the engine loads none)
_BUILTIN = {"xps": "spectra.xps.problem:XPSProblem", "xrd": "spectra.xrd.problem:XRDProblem"}
_REGISTRY: dict[str, type[Problem] | str] = dict(_BUILTIN)
_ENTRY_POINTS_LOADED = False


@dataclass
class Item:
    """One spectrum or pattern ready for fitting, on its window in ascending axis order.

    The engine fills ``index`` … ``factor``; the problem's :meth:`Problem.attach_models` adds start
    values and bounds (P,), and whatever per-item state its models need (``background``,
    ``background_info``, ``model``).
    """

    index: int
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    factor: float
    start: np.ndarray | None = None
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    background: np.ndarray | None = None
    background_info: object = None
    model: object = None


class Problem(ABC):
    """What a technique provides to the engine: its recipe, parameters, checks, models and results.

    Parameters
    ----------
    source : RecipeSource
        The loaded recipe.
    attrs : dict, optional
        Attributes of the (first) spectrum to be fitted, for recipe defaults taken from the data
        (e.g. the X-ray wavelength).

    Attributes
    ----------
    spec
        The validated recipe of the technique.
    names, units : list of str
        Parameter names and units, in the order of every parameter array.
    vary : ndarray of bool
        Which parameters are fitted.
    """

    #: registered name, e.g. ``"xps"``
    name: ClassVar[str]
    #: dim of the spectral axis, e.g. ``"binding_energy"``
    axis: ClassVar[str]
    #: items per batch when ``chunk_size`` is not given
    default_chunk: ClassVar[int] = 64
    #: fewest items per worker process for the batched engine's default ``workers`` (below it a fork and
    #: the worker's first allocations cost more than they save)
    items_per_worker: ClassVar[int] = 128
    #: whether negative intensities are valid data (e.g. background-subtracted patterns)
    allows_negative: ClassVar[bool] = False
    #: fewest points inside the window a fit needs
    min_points: ClassVar[int] = 10
    #: lmfit minimiser of the one-spectrum path when the caller names none
    default_method: ClassVar[str] = "leastsq"
    #: dim and attributes of the fractions :meth:`derived` returns (Monte Carlo summarises them)
    fraction_dim: ClassVar[str]
    fraction_attrs: ClassVar[dict]

    def __init__(self, source: RecipeSource, attrs: dict | None = None):
        self.source = source
        self.spec = self.parse(source, attrs)
        params = self.parameters()
        self.names = [p.name for p in params]
        self.units = [p.unit for p in params]
        self.vary = np.array([p.vary for p in params], dtype=bool)

    # ------------------------------------------------------------------------------ the recipe
    @abstractmethod
    def parse(self, source: RecipeSource, attrs: dict | None):
        """The technique's validated spec of a recipe (raises :class:`~spectra.errors.RecipeError`)."""

    @abstractmethod
    def parameters(self) -> list[ParamInfo]:
        """Every parameter from the spec alone: names, units, vary, and the bounds and values the
        recipe fixes (``value`` None where the data decide, bounds infinite where they do)."""

    @property
    def text(self) -> str:
        """The recipe's canonical text."""
        return self.spec.text

    @property
    def sha256(self) -> str:
        """SHA-256 of :attr:`text`."""
        return self.spec.sha256

    @property
    def region(self) -> str:
        """What is fitted, for titles and result attributes (an XPS region, the XRD phases)."""
        return self.spec.region

    @property
    def file_region(self) -> str | None:
        """The region to read from a file holding several spectra (None: the file must hold one)."""
        return None

    @property
    def window(self) -> tuple[float, float] | None:
        """The axis window of the recipe (None: the whole spectrum)."""
        return self.spec.window

    @property
    @abstractmethod
    def fraction_labels(self) -> list[str]:
        """Labels along :attr:`fraction_dim` (components, phases)."""

    # ------------------------------------------------------------------------------ the data
    def check(self, attrs: dict) -> str | None:
        """None, or why a spectrum with these attributes cannot be fitted with this problem."""
        return None

    def counts_factor(self, attrs: dict) -> float | None:
        """Factor turning the data's intensity units into counts (None when unknown)."""
        return counts_factor(attrs)

    # ------------------------------------------------------------------------------ the models
    def unsupported(self) -> str | None:
        """None when the batched engine can fit this recipe, else what it cannot fit."""
        return None

    @abstractmethod
    def attach_models(self, items: list[Item], *, start: np.ndarray | None = None) -> None:
        """Give items on one grid their start values, bounds and model state (computed together).

        Parameters
        ----------
        items : list of Item
        start : ndarray (P,), optional
            Values every item starts from (e.g. the best fit that Monte Carlo replicas are refitted
            from): then no start values are estimated from the data, each item's ``start`` is
            ``start`` clipped into its bounds, and only the bounds and the model state (e.g. a static
            background, which is part of the model) are made from each item's data.
        """

    @abstractmethod
    def batched_model(self, items: list[Item]):
        """The batched model of items on one grid: an object with ``evaluate(theta, want_jacobian,
        rows) -> (model (N, n), jacobian (N, F, n) or None)`` (see :mod:`spectra.fitting.lm`)."""

    @abstractmethod
    def lmfit_model(self, item: Item):
        """The one-spectrum model of an item for :func:`spectra.fitting.lmfit_engine.fit_model`:
        ``params`` (list of ParamInfo with start values) and ``evaluate(values) -> (total, curves,
        background)``."""

    @abstractmethod
    def make_result(self, item: Item, model, fit) -> object:
        """The technique's result of one lmfit fit (:class:`spectra.fitting.result.LeastSquaresResult`)."""

    def note(self, item: Item) -> str:
        """What an item's fit message should add (e.g. a background that did not converge)."""
        return ""

    # ------------------------------------------------------------------------------ the numbers
    @abstractmethod
    def derived(self, value: np.ndarray, covariance: np.ndarray) -> tuple[dict, np.ndarray]:
        """Quantities derived from parameters ``value`` (N, P) with standard errors from the
        covariances (N, F, F) of the varying ones: ``({name: (dims, data, attrs)}, fractions (N, C))``."""


def register(name: str, problem: type[Problem] | str) -> None:
    """Register a technique: its :class:`Problem` subclass, or ``"module:Class"`` resolved on use.

    Parameters
    ----------
    name : str
        The name recipes give as ``technique`` (lower case).
    problem : type or str
    """
    _REGISTRY[name.lower()] = problem


def registered() -> list[str]:
    """Names of the techniques that can be fitted (built in, registered and from entry points)."""
    _load_entry_points()
    return sorted(_REGISTRY)


def problem_class(name: str) -> type[Problem]:
    """The :class:`Problem` subclass registered as ``name``.

    Raises
    ------
    spectra.errors.RecipeError
        An unknown technique, listing the known ones.
    """
    _load_entry_points()
    entry = _REGISTRY.get(name)
    if entry is None:
        raise RecipeError(f"unknown technique {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    if isinstance(entry, str):
        module, _, cls = entry.partition(":")
        entry = _REGISTRY[name] = getattr(importlib.import_module(module), cls)
    return entry


def problem_for(recipe, attrs: dict | None = None) -> Problem:
    """The problem of a recipe (a ``.toml`` path, TOML text, dict, :class:`RecipeSource`, or a
    problem already built, returned as it is).

    Parameters
    ----------
    recipe : str, pathlib.Path, dict, RecipeSource or Problem
    attrs : dict, optional
        Attributes of the (first) spectrum, for defaults the recipe takes from the data.
    """
    if isinstance(recipe, Problem):
        return recipe
    source = load_recipe(recipe)
    return problem_class(technique_of(source.data))(source, attrs)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for entry in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        _REGISTRY.setdefault(entry.name.lower(), entry.value)
