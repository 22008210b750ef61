"""XRD as a technique of the fitting engine: :class:`XRDProblem` (registered as ``xrd``)."""
from __future__ import annotations

import json
from typing import ClassVar

import numpy as np

from ..fitting import propagate
from ..fitting.lmfit_engine import fit_model
from ..fitting.params import ParamInfo
from ..fitting.problem import Item, Problem
from ..recipe import load_recipe
from .batched import BatchedXRD
from .pattern_model import XRDModel, cell_lengths, crystal_system, data_starts, parameter_layout
from .recipe import parse_xrd_recipe, radiation_of
from .result import XRDFitResult


class XRDProblem(Problem):
    """XRD patterns: phase templates, amorphous humps and free peaks with Kα1/Kα2 on a Chebyshev
    background, on ``two_theta``; derived Hill–Howard weight fractions and crystallite sizes.

    When the recipe names no anode or wavelength, the radiation is taken from the first pattern's
    attributes (``attrs``, or the first pattern :meth:`check` sees), and patterns measured with
    other radiation are refused with that reason.

    What each engine fits: every recipe term (profiles, asymmetry, Kα2 ratio, preferred orientation,
    microstrain, Pawley intensities) in both engines, with an analytic Jacobian in the batched one;
    Le Bail phases only through the lmfit engine (``spectra.fit``, ``fit_many(engine="lmfit")``),
    since their intensities are iterated between fits (:meth:`lmfit_model`).
    """

    name = "xrd"
    axis = "two_theta"
    #: patterns advanced together: 64 is ~8 % faster per pattern than 32 on the benchmark's joint model (fewer
    #: numpy calls per pattern: a model call costs ~0.3 ms besides ~0.1 ms per pattern), 128 the same in one
    #: process and ~2 % faster over two worker processes (their parts' last iterations, with few patterns
    #: left, are fewer); the Jacobian block is 128 × varying × points floats (~20 MB at 14 × 1,368)
    default_chunk = 128
    #: patterns may have a SNIP or fixed-point background subtracted (σ = √max(y, 1))
    allows_negative = True
    min_points = 20
    fraction_dim = "phase"
    fraction_attrs: ClassVar[dict] = {"units": "1",
                                      "long_name": "Hill-Howard weight fraction of the crystalline phases"}

    #: Le Bail cycles (a fit with the intensities held, then a new partition) at most, and the largest
    #: relative change of a line intensity at which the partition has converged
    LE_BAIL_CYCLES = 10
    LE_BAIL_TOLERANCE = 1e-3

    def parse(self, source, attrs):
        spec = parse_xrd_recipe(source, attrs=attrs)
        data = json.loads(spec.text) if spec.text.startswith("{") else source.data  # files resolved and merged
        self._radiation_free = None if {"anode", "wavelength"} & set(data) else data
        self._radiation = radiation_of(data, attrs) if attrs is not None else None
        return spec

    def parameters(self) -> list[ParamInfo]:
        return parameter_layout(self.spec)

    @property
    def fraction_labels(self) -> list[str]:
        return [ph.name for ph in self.spec.phases]

    @property
    def default_method(self) -> str:
        """MINPACK ``leastsq`` for phase templates (3x fewer evaluations on the study's patterns);
        scipy's ``least_squares`` with free peaks (lmfit's bound transform was seen to leave a free
        peak's centre unmoved, without an error estimate, under ``leastsq``)."""
        return "least_squares" if self.spec.peaks else "leastsq"

    def check(self, attrs) -> str | None:
        """None, or why a pattern cannot be fitted in this run: its radiation differs from the run's."""
        if self._radiation_free is None:
            return None
        rad = radiation_of(self._radiation_free, attrs)
        if self._radiation is None:
            self.spec, self._radiation = parse_xrd_recipe(load_recipe(self._radiation_free), attrs=attrs), rad
        elif rad != self._radiation:
            return (f"measured with {rad.name} radiation, but this run fits {self._radiation.name} "
                    "(from its first pattern); name the anode or wavelength in the recipe, or fit these "
                    "patterns separately")
        return None

    def counts_factor(self, attrs) -> float:
        """XRD intensities are counts per step (σ = √max(y, 1))."""
        return 1.0

    def attach_models(self, items: list[Item], *, start: np.ndarray | None = None) -> None:
        """Start models of patterns on one grid, with start values from the data for the group at once
        (:func:`~spectra.xrd.pattern_model.data_starts`; phase templates are computed once and cached),
        or, with ``start`` (P,) given, at ``start`` clipped into the recipe's bounds (no data starts)."""
        grid = XRDModel(self.spec, items[0].x, items[0].y, starts=np.zeros(len(self.names)))
        lo, hi = (np.array([getattr(p, key) for p in grid.params], dtype=float) for key in ("min", "max"))
        if start is None:
            starts = data_starts(grid, np.stack([it.y for it in items]))
        else:
            starts = np.broadcast_to(np.clip(start, lo, hi), (len(items), len(self.names)))
        for item, values in zip(items, starts):
            if np.array_equal(item.x, grid.x):  # the grid's templates and layout are shared
                item.model = grid.for_pattern(item.y, values)
                item.start, item.lo, item.hi = np.array(values, dtype=float), lo.copy(), hi.copy()
                continue
            item.model = XRDModel(self.spec, item.x, item.y, starts=values)
            item.start, item.lo, item.hi = (np.array([getattr(p, key) for p in item.model.params], dtype=float)
                                            for key in ("value", "min", "max"))

    def unsupported(self) -> str | None:
        """Le Bail phases need the lmfit engine (their intensities are iterated between fits)."""
        le_bail = [ph.label or ph.name for ph in self.spec.phases if ph.intensities == "le_bail"]
        if le_bail:
            return (f"Le Bail intensities (phases {', '.join(le_bail)}: they are partitioned between fits); "
                    "'pawley' intensities are fitted by both engines")
        return None

    def batched_model(self, items: list[Item]) -> BatchedXRD:
        return BatchedXRD(items[0].model, self.names, self.vary)

    def lmfit_model(self, item: Item) -> XRDModel:
        """The item's model; with Le Bail phases, first iterated to a converged partition: the data are
        partitioned among the lines at the start values (three times), then, up to
        :attr:`LE_BAIL_CYCLES` times, every other parameter is fitted with the intensities held and the
        data partitioned again, until no line intensity changes by more than
        :attr:`LE_BAIL_TOLERANCE` (relative). The engine's fit that follows is the last cycle; the
        standard errors of the other parameters are conditional on the extracted intensities."""
        model = item.model
        if model.intensities and model.le_bail_cycles == 0:
            values = model.defaults()
            for _ in range(3):
                model.le_bail_step(values)
            for _ in range(self.LE_BAIL_CYCLES):
                fit = fit_model(model, item.y, item.sigma, method=self.default_method)
                model.params = [ParamInfo(p.name, fit.values[p.name], p.min, p.max, p.vary, p.unit)
                                for p in model.params]
                if model.le_bail_step(fit.values) < self.LE_BAIL_TOLERANCE:
                    break
        return model

    def make_result(self, item: Item, model: XRDModel, fit) -> XRDFitResult:
        return XRDFitResult(self.spec, item.x, item.y, item.sigma, fit.best_fit, fit.background, fit.curves,
                            fit.values, fit.stderr, fit.varying, fit.covariance, fit.chisqr, fit.redchi, fit.nfev,
                            fit.success, fit.message, problem=self, model=model)

    @staticmethod
    def _mass_terms(ph):
        """Z·M·V₀ of a phase and its refined cell parameters as (name, nominal, exponent in V)."""
        s = ph.crystal
        a, c = s.cell[0], s.cell[2]
        cubic = crystal_system(s) == "cubic"
        nominal = {"a": a, "c": c, "cell_scale": 1.0}
        exponent = {"a": 3.0 if cubic else 2.0, "c": 1.0, "cell_scale": 3.0}
        terms = [(name, nominal[key], exponent[key]) for name in cell_lengths(ph)
                 for key in (name[len(ph.name) + 1:],)]
        return s.z * s.formula_mass * s.volume, terms

    def derived(self, value, covariance):
        """Hill–Howard weight fractions (delta method through the full covariance) and crystallite
        sizes of the phases, and the weight fractions (N, phases). With a Pawley or Le Bail phase in
        the recipe every weight fraction is NaN (that phase has no scale)."""
        index = {n: i for i, n in enumerate(self.names)}
        free = propagate.free_index(self.names, self.vary)
        n_spec, n_phase = value.shape[0], len(self.spec.phases)
        mass = np.empty((n_spec, n_phase))  # S·Z·M·V, proportional to the phase's mass
        grad = np.zeros((n_spec, n_phase, len(free)))
        for k, ph in enumerate(self.spec.phases):
            if ph.intensities != "structure":  # no scale: no fraction, and the others' shares are unknown
                mass[:, k] = np.nan
                continue
            zmv, terms = self._mass_terms(ph)
            per_scale = zmv * np.prod([(value[:, index[p]] / nominal) ** e for p, nominal, e in terms], axis=0)
            mass[:, k] = value[:, index[f"{ph.name}_scale"]] * per_scale
            if f"{ph.name}_scale" in free:
                grad[:, k, free[f"{ph.name}_scale"]] = per_scale
            for p, _, e in terms:
                if p in free:
                    grad[:, k, free[p]] = mass[:, k] * e / value[:, index[p]]
        fraction, fraction_cov = propagate.shares(mass, propagate.linear(grad, covariance))
        sizes = [index[f"{ph.name}_size"] for ph in self.spec.phases]
        size_sd = np.full((n_spec, n_phase), np.nan)
        for k, ph in enumerate(self.spec.phases):
            if f"{ph.name}_size" in free:
                j = free[f"{ph.name}_size"]
                size_sd[:, k] = propagate.diagonal_sd(covariance[:, j:j + 1, j:j + 1])[:, 0]
        dims = ("spectrum", "phase")
        variables = {
            "weight_fraction": (dims, fraction, self.fraction_attrs),
            "weight_fraction_stderr": (dims, propagate.diagonal_sd(fraction_cov),
                                       {"units": "1", "long_name": "standard error of the weight fraction"}),
            "size": (dims, value[:, sizes], {"units": "nm", "long_name": "crystallite size (Scherrer, K = 0.9)"}),
            "size_stderr": (dims, size_sd, {"units": "nm", "long_name": "standard error of the crystallite size"}),
        }
        return variables, fraction
