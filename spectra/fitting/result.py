"""The result of fitting one spectrum or pattern, shared by every technique: parameters with standard
errors and correlations, derived quantities (from the technique's problem, the same numbers
:func:`spectra.fit_many` reports), provenance, and the views a user reads — ``table()``,
``summary()``, ``to_dataset()``, ``plot()`` and the notebook HTML."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import uncertainties
import xarray as xr

from . import quality
from .dataset import results_dataset

#: how the standard errors of every result are made (said by ``summary()``)
STDERR_METHOD = ("standard errors from the covariance of the least-squares fit (inverse of JᵀJ with the fit's "
                 "weights), scaled by the reduced chi-square as lmfit does")


@dataclass
class LeastSquaresResult:
    """What every least-squares fit of one spectrum or pattern yields (techniques extend it).

    Attributes
    ----------
    spec
        The technique's validated recipe.
    x, y, sigma : ndarray
        Axis, data and the standard deviations used as weights (data units).
    best_fit, background : ndarray
        Model and background on ``x``.
    components : dict of ndarray
        Each component's (or phase's) curve above the background.
    values, stderr : dict of float
        Every parameter's value and standard error (NaN where fixed or undetermined).
    varying : list of str
        Names of the parameters that varied.
    covariance : ndarray or None
        Covariance of the varying parameters (order of ``varying``), scaled by χ²ᵣ.
    chisqr, redchi : float
        χ² and reduced χ² with the weights above.
    nfev : int
    success : bool
        Whether the optimiser converged.
    message : str
    problem : Problem
        The technique's problem (parameter units, derived quantities, result layout).
    provenance : dict
        Recipe text and hash, input hash and source, options, package versions.
    monte_carlo : dict or None
        Monte Carlo summary when the fit was asked for replicas.
    data_units : str
        Units of ``y``.
    lo, hi, start : ndarray (P,)
        Bounds and start values of the parameters (problem order).
    weights : str
        ``poisson`` or ``none``.
    flags : str
        Why the numbers should not be quoted (empty: no flag); see :mod:`spectra.fitting.quality`.
    at_bound : dict
        Parameter name → ``"lower"`` or ``"upper"`` for the parameters that ended at a bound.
    undetermined : list of str
        Parameters whose standard error the data do not fix (withdrawn, NaN).
    """

    spec: object
    x: np.ndarray
    y: np.ndarray
    sigma: np.ndarray
    best_fit: np.ndarray
    background: np.ndarray
    components: dict[str, np.ndarray]
    values: dict[str, float]
    stderr: dict[str, float]
    varying: list[str]
    covariance: np.ndarray | None
    chisqr: float
    redchi: float
    nfev: int
    success: bool
    message: str
    problem: object = None
    provenance: dict = field(default_factory=dict)
    monte_carlo: dict | None = None
    data_units: str = "counts"
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    start: np.ndarray | None = None
    weights: str = "poisson"
    flags: str = ""
    at_bound: dict = field(default_factory=dict)
    undetermined: list = field(default_factory=list)

    # ----------------------------------------------------------------------------- quality
    @property
    def ok(self) -> bool:
        """Converged and unflagged: the numbers can be quoted."""
        return bool(self.success) and not self.flags

    @property
    def dof(self) -> int:
        """Points minus varying parameters."""
        return int(self.x.size - int(np.sum(self.problem.vary)))

    @property
    def residual_runs_z(self) -> float:
        """Runs-test z of the weighted residual signs (:func:`spectra.fitting.quality.runs_z`)."""
        return float(quality.runs_z((self.y - self.best_fit) / self.sigma))

    def assess(self) -> None:
        """Flag the fit (:func:`spectra.fitting.quality.assess`): parameters at a bound lose their
        standard error (NaN) and their covariance rows; ``flags`` and ``at_bound`` are filled."""
        value, stderr, cov = self._arrays()
        q = quality.assess(self.problem.names, self.problem.vary, value, stderr, cov, self.lo[None], self.hi[None],
                           self.start[None], np.array([self.success]), np.array([self.redchi]),
                           np.array([self.residual_runs_z]), np.array([self.dof]), self.weights == "poisson")
        self.stderr = {n: float(e) for n, e in zip(self.problem.names, q.stderr[0])}
        self.varying = [n for n, v in zip(self.problem.names, self.problem.vary) if v]
        self.covariance = q.covariance[0]
        self.flags = q.flags[0]
        self.at_bound = {n: "lower" if lower else "upper"
                         for n, lower, upper in zip(self.problem.names, q.lower[0], q.upper[0]) if lower or upper}
        self.undetermined = [n for n, loose in zip(self.problem.names, q.undetermined[0]) if loose]

    # ----------------------------------------------------------------------------- numbers
    def uvalues(self) -> dict[str, float | uncertainties.UFloat]:
        """Parameters as correlated uncertain numbers. Fixed parameters stay exact floats; a varying
        parameter without a standard error (at a bound, or a singular fit) is an uncertain number
        with σ = NaN, so everything computed from it says so."""
        out = dict(self.values)
        if not self.varying:
            return out
        cov = np.full((len(self.varying),) * 2, np.nan) if self.covariance is None else \
            np.asarray(self.covariance, dtype=float)
        known = np.isfinite(np.diag(cov)) & np.all(np.isfinite(cov) | ~np.isfinite(np.diag(cov))[None, :], axis=1)
        names = [n for n, k in zip(self.varying, known) if k]
        if names:
            block = cov[np.ix_(known, known)]
            out.update(dict(zip(names, uncertainties.correlated_values([self.values[n] for n in names], block))))
        out.update({n: uncertainties.ufloat(self.values[n], np.nan) for n, k in zip(self.varying, known) if not k})
        return out

    @property
    def correlation(self) -> xr.DataArray:
        """Correlation matrix of the varying parameters."""
        if self.covariance is None:
            data = np.full((len(self.varying),) * 2, np.nan)
        else:
            sd = np.sqrt(np.diag(self.covariance))
            data = self.covariance / np.outer(sd, sd)
        return xr.DataArray(data, dims=("param", "param_other"),
                            coords={"param": self.varying, "param_other": self.varying}, name="correlation")

    def _arrays(self):
        """The fit as the (1, …) arrays of :func:`~spectra.fitting.dataset.results_dataset`."""
        names = self.problem.names
        varying = [n for n, v in zip(names, self.problem.vary) if v]
        value = np.array([[self.values[n] for n in names]], dtype=float)
        stderr = np.array([[self.stderr.get(n, math.nan) if n in varying else math.nan for n in names]])
        cov = np.full((1, len(varying), len(varying)), np.nan)
        if self.covariance is not None and len(self.varying) == len(varying):
            order = [self.varying.index(n) for n in varying]
            cov[0] = np.asarray(self.covariance)[np.ix_(order, order)]
        return value, stderr, cov

    def to_dataset(self, *, curves: bool = True) -> xr.Dataset:
        """The fit in the layout of :func:`spectra.fit_many` (its N = 1 slice: dim ``spectrum`` of
        length 1, the same variables and attributes), so single results and batches concatenate.

        Parameters
        ----------
        curves : bool
            Also hold ``data``, ``sigma``, ``best_fit``, ``background``, ``residual`` and
            ``components`` on the spectral axis, to redraw the fit.

        Returns
        -------
        xarray.Dataset
        """
        value, stderr, cov = self._arrays()
        mc_value = mc_fraction = None
        if self.monte_carlo:
            mc_value = np.array([[[self.monte_carlo["params"][n][q] for n in self.problem.names]
                                  for q in _QUANTILE_KEYS]])
            mc_fraction = np.array([[[self.monte_carlo["fractions"][c][q] for c in self.problem.fraction_labels]
                                     for q in _QUANTILE_KEYS]])
        ds = results_dataset(self.problem, value=value, stderr=stderr, covariance=cov, success=[self.success],
                             redchi=np.array([self.redchi]), nfev=[self.nfev], message=[self.message],
                             source=[str(self.provenance.get("source") or "")], engine="lmfit",
                             lo=self.lo[None], hi=self.hi[None], start=self.start[None],
                             z_runs=np.array([self.residual_runs_z]), dof=np.array([self.dof]), weights=self.weights,
                             mc_value=mc_value, mc_fraction=mc_fraction)
        ds.attrs["provenance"] = json.dumps(self.provenance, default=str)
        if curves:
            axis = self.problem.axis
            dims = ("spectrum", axis)
            units = {"units": self.data_units}
            ds = ds.assign_coords({axis: (axis, self.x, {"units": _AXIS_UNITS.get(axis, "")})})
            ds["data"] = (dims, self.y[None], {**units, "long_name": "measured intensity"})
            ds["sigma"] = (dims, self.sigma[None], {**units, "long_name": "standard deviation used as weight"})
            ds["best_fit"] = (dims, self.best_fit[None], {**units, "long_name": "model"})
            ds["background"] = (dims, self.background[None], {**units, "long_name": "background"})
            ds["residual"] = (dims, (self.y - self.best_fit)[None], {**units, "long_name": "data minus model"})
            ds = ds.assign_coords(curve=list(self.components))
            ds["components"] = (("spectrum", "curve", axis), np.array(list(self.components.values()))[None],
                                {**units, "long_name": "component curves above the background"})
        return ds

    def table(self) -> pd.DataFrame:
        """Tidy rows, one per number: every parameter, then the derived quantities (areas and
        fractions, weight fractions and sizes, …).

        Returns
        -------
        pandas.DataFrame
            Columns ``quantity``, ``value``, ``stderr``, ``unit``, ``vary``, ``flag``; ``stderr`` is
            NaN for a fixed parameter, one at a bound, and a derived quantity that depends on one;
            ``flag`` says which (empty when the number can be quoted with its σ).
        """
        value, stderr, cov = self._arrays()
        rows = [{"quantity": n, "value": v, "stderr": s, "unit": u, "vary": bool(vary),
                 "flag": (f"at {self.at_bound[n]} bound" if n in self.at_bound else "fixed" if not vary
                          else "undetermined" if n in self.undetermined or not np.isfinite(s) else "")}
                for n, v, s, u, vary in zip(self.problem.names, value[0], stderr[0], self.problem.units,
                                            self.problem.vary)]
        derived, _ = self.problem.derived(value, cov)
        for name, (dims, data, attrs) in derived.items():
            if name.endswith("_stderr"):
                continue
            errors = derived.get(f"{name}_stderr", (None, np.full_like(data, np.nan), None))[1]
            labels = self.problem.fraction_labels if len(dims) == 2 else [""]
            for label, v, s in zip(labels, np.ravel(data[0]), np.ravel(errors[0])):
                flag = ("" if np.isfinite(s) else "undetermined (covariance singular)" if "singular" in self.flags
                        else "depends on a parameter at a bound or undetermined" if self.at_bound or self.undetermined
                        else "undetermined")
                rows.append({"quantity": f"{name}:{label}" if label else name, "value": float(v),
                             "stderr": float(s), "unit": attrs.get("units", ""), "vary": False, "flag": flag})
        return pd.DataFrame(rows, columns=["quantity", "value", "stderr", "unit", "vary", "flag"])

    def summary(self) -> str:
        """A plain-text report: what was fitted, how the fit ended, every number with its standard
        error and unit, how the errors were made, and where the recipe and data came from."""
        lines = [f"{type(self).__name__}: {self._title()}",
                 f"  {'converged' if self.success else 'NOT converged'}: {self.message}",
                 f"  {'ok: the numbers can be quoted' if self.ok else 'NOT ok'}"
                 + (f" — {self.flags}" if self.flags else ""),
                 f"  chi-square {self.chisqr:.6g}, reduced {self.redchi:.4g}, {self.nfev} evaluations, "
                 f"{len(self.varying)} varying parameters, {self.x.size} points",
                 f"  uncertainties: {STDERR_METHOD}"]
        lines += [f"  caveat: {line}" for line in self.caveats()]
        if self.monte_carlo:
            mc = self.monte_carlo
            lines.append(f"  Monte Carlo: {mc['replicas']} Poisson replicas of the fitted model refitted "
                         f"({mc['failed']} failed; anything computed from the data before the fit, such as a static "
                         "background, recomputed from each replica); see .monte_carlo")
        table = self.table()
        width = max(len(q) for q in table["quantity"])
        for row in table.itertuples():
            err = "(fixed)" if row.flag == "fixed" else _format_error(row.stderr)
            note = f"  [{row.flag}]" if row.flag and row.flag != "fixed" else ""
            lines.append(f"  {row.quantity:<{width}}  {row.value:>14.6g} ± {err:<12} {row.unit}{note}")
        lines.append(f"  recipe sha256 {self.problem.sha256[:16]}…, input sha256 "
                     f"{str(self.provenance.get('input_sha256', ''))[:16]}…, source {self.provenance.get('source')}")
        return "\n".join(lines)

    def _title(self) -> str:
        region, name = self.problem.region, self.problem.name.upper()
        if region.upper().startswith(name):  # "XRD Li2S+Si" is not to read "XRD XRD Li2S+Si"
            region = region[len(name):].strip()
        return f"{name} {region}"

    def caveats(self) -> list[str]:
        """What the reader of these numbers must know beyond the flags (a technique adds its own;
        none here)."""
        return []

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """Notebook view: status, flags and caveats, the figure (inline SVG, drawn outside pyplot so
        it shows once) beside the component or phase table, and every number with σ, unit and flag."""
        from ..report.notebook import result_html

        return result_html(self, footnote=STDERR_METHOD)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """``text/html`` (:meth:`_repr_html_`) and ``text/plain`` (:meth:`summary`)."""
        from ..report.notebook import result_bundle

        return result_bundle(self, include, exclude, footnote=STDERR_METHOD)

    # ----------------------------------------------------------------------------- figure
    def plot(self, ax=None, **options):
        """The annotated figure of the fit (:func:`spectra.plotting.plot_fit`: the technique's
        publication figure, with its residual panel); returns the Axes of the spectrum.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (a new pyplot figure when None); panels are split off below it.
            ``plt.show()`` is never called.
        **options
            Passed to the technique's figure (e.g. ``residual=False``).
        """
        from ..plotting import plot_fit

        return plot_fit(self, ax, **options)


_QUANTILE_KEYS = ("p2.5", "p16", "p50", "p84", "p97.5")
_AXIS_UNITS = {"binding_energy": "eV", "two_theta": "degree"}


def _format_error(value: float) -> str:
    return "undetermined" if not math.isfinite(value) else f"{value:.3g}"
