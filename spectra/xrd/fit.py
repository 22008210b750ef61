"""Fit XRD patterns: joint phase fits and free peaks (lmfit), and what they yield: phase scales and
weight-like fractions, lattice parameters, crystallite sizes, per-reflection intensities."""
from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass, field

import lmfit
import numpy as np
import uncertainties
import xarray as xr

from ..fitting.result import LeastSquaresResult, versions
from ..fitting.single import _start, axis_window
from .model import XRDModel
from .recipe import XRDSpec, parse_xrd_recipe


@dataclass
class XRDFitResult(LeastSquaresResult):
    """Result of an XRD fit: the fields of :class:`~spectra.fitting.result.LeastSquaresResult`, the
    model that was fitted (for derived numbers) and the provenance."""

    model: XRDModel
    provenance: dict = field(default_factory=dict)

    def uvalue(self, name: str):
        """A parameter as an uncertain number (correlations kept among varying parameters)."""
        return self.uvalues()[name]

    def weight_fractions(self) -> dict[str, uncertainties.UFloat]:
        """Hill–Howard weight fractions W = S·Z·M·V / Σ S·Z·M·V of the crystalline phases.

        Assumes every phase in the sample is in the model and crystalline, no microabsorption and
        no preferred orientation; amorphous components are not counted (weight-*like* fractions).
        """
        u = self.uvalues()
        terms = {}
        for ph in self.spec.phases:
            t = self.model.templates[ph.name]
            s = t.structure
            cell = t.cell(self.values, ph.name)
            terms[ph.name] = u[f"{ph.name}_scale"] * s.z * s.formula_mass * t.volume(cell)
        total = sum(terms.values())
        return {n: (v / total if isinstance(v / total, uncertainties.UFloat) else uncertainties.ufloat(v / total, 0))
                for n, v in terms.items()}

    def size(self, phase: str) -> uncertainties.UFloat:
        """Crystallite size (nm) from the Scherrer term (K = 0.9) beyond the instrument function."""
        return _u(self.uvalues()[f"{phase}_size"])

    def lattice(self, phase: str) -> dict[str, uncertainties.UFloat]:
        u = self.uvalues()
        return {k: _u(u[f"{phase}_{k}"]) for k in ("a", "c", "cell_scale") if f"{phase}_{k}" in u}

    def reflections(self, phase: str) -> list[dict]:
        """Integrated intensity (counts·degree, Kα1 line) of each reflection of a phase, with σ from the scale."""
        table = self.model.line_table(phase, self.values)
        scale = _u(self.uvalues()[f"{phase}_scale"])
        rel = scale / self.values[f"{phase}_scale"] if self.values[f"{phase}_scale"] else scale
        return [{"hkl": h, "two_theta": float(tt), "fwhm": float(w), "intensity": float(i) * rel}
                for h, tt, w, i in zip(table["hkl"], table["two_theta"], table["fwhm"], table["intensity"])]

    def retained_fraction(self, pristine: XRDFitResult, phase: str = "Li6PS5Cl") -> uncertainties.UFloat:
        """Scale of ``phase`` here relative to a pristine pattern's fit (same instrument and
        counting): the fraction of, e.g., argyrodite left after cycling."""
        return _u(self.uvalues()[f"{phase}_scale"]) / _u(pristine.uvalues()[f"{phase}_scale"])

    def significance(self, phase: str) -> float:
        """Scale divided by its standard error (≥ 3: the phase is significantly present)."""
        err = self.stderr.get(f"{phase}_scale", math.nan)
        return self.values[f"{phase}_scale"] / err if err and math.isfinite(err) and err > 0 else math.nan

    def table(self) -> list[dict]:
        rows = []
        fractions = self.weight_fractions() if self.spec.phases else {}
        for ph in self.spec.phases:
            n = ph.name
            row = {"phase": n, "scale": self.values[f"{n}_scale"], "scale_stderr": self.stderr[f"{n}_scale"],
                   "size_nm": self.values[f"{n}_size"], "size_stderr": self.stderr[f"{n}_size"],
                   "weight_fraction": fractions[n].n, "weight_fraction_stderr": fractions[n].s,
                   "significance": self.significance(n)}
            row.update({f"{k}_A": v.n for k, v in self.lattice(n).items()})
            rows.append(row)
        return rows

    def to_dataset(self) -> xr.Dataset:
        names = list(self.values)
        return xr.Dataset(
            {"data": ("two_theta", self.y), "best_fit": ("two_theta", self.best_fit),
             "background": ("two_theta", self.background),
             "components": (("component", "two_theta"), np.array(list(self.components.values()))),
             "value": ("param", [self.values[n] for n in names]),
             "stderr": ("param", [self.stderr[n] for n in names])},
            coords={"two_theta": ("two_theta", self.x, {"units": "degree"}), "param": names,
                    "component": list(self.components)},
            attrs={"redchi": self.redchi, "success": int(self.success), "message": self.message,
                   "recipe": self.spec.text})

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.x, self.y, ".", ms=2, color="0.3", label="data")
        for name, curve in self.components.items():
            ax.plot(self.x, self.background + curve, lw=0.8, label=name)
        ax.plot(self.x, self.best_fit, color="k", lw=1, label="fit")
        ax.set_xlabel("2θ (degree)")
        ax.set_ylabel("intensity (counts)")
        ax.legend(fontsize="small")
        return ax

    def __repr__(self) -> str:
        lines = [f"XRDFitResult(redchi={self.redchi:.3f}, success={self.success})"]
        for r in self.table():
            lines.append(f"  {r['phase']:<10} scale {r['scale']:.4g}±{r['scale_stderr']:.2g}  "
                         f"size {r['size_nm']:.1f}±{r['size_stderr']:.1f} nm  W {r['weight_fraction']:.3f}")
        return "\n".join(lines)


def _u(value):
    return value if isinstance(value, uncertainties.UFloat) else uncertainties.ufloat(value, math.nan)


def fit_xrd(da: xr.DataArray, recipe, *, method: str | None = None, max_nfev: int | None = None) -> XRDFitResult:
    """Fit an XRD pattern with a recipe (joint phases, humps, free peaks; Poisson weights).

    Parameters
    ----------
    da : xarray.DataArray
        Pattern on ``two_theta`` (degrees), counts per step.
    recipe : dict or TOML text
        See :mod:`spectra.xrd.recipe`.
    method : str, optional
        lmfit minimiser. By default MINPACK ``leastsq`` for phase-template fits (3x fewer evaluations
        than the alternative on the study's patterns) and scipy's ``least_squares`` when free peaks
        are present (lmfit's bound transform was seen to leave a free peak's centre unmoved, without
        an error estimate, under ``leastsq``).
    """
    spec = recipe if isinstance(recipe, XRDSpec) else parse_xrd_recipe(recipe, attrs=da.attrs)
    x, y = axis_window(da, "two_theta", spec.window, min_points=20)
    model = XRDModel(spec, x, y)
    sigma = np.sqrt(np.maximum(y, 1.0))
    method = method or ("least_squares" if spec.peaks else "leastsq")
    return fit_model(model, y, sigma, method=method, max_nfev=max_nfev, source=da.attrs.get("source"))


def fit_model(model: XRDModel, y, sigma, *, method="leastsq", max_nfev=None, start=None, source=None) -> XRDFitResult:
    params = lmfit.Parameters()
    for p in model.params:
        params.add(p.name, value=_start(p.value, p.min, p.max) if p.vary else p.value, min=p.min, max=p.max,
                   vary=p.vary)
    for name, value in (start or {}).items():
        if name in params and params[name].vary:
            params[name].value = _start(value, params[name].min, params[name].max)

    def residual(p):
        return (model.evaluate(p.valuesdict())[0] - y) / sigma

    kws = {"max_nfev": max_nfev} if max_nfev else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = lmfit.minimize(residual, params, method=method, **kws)
    values = out.params.valuesdict()
    best, curves, bg = model.evaluate(values)
    stderr = {n: float(out.params[n].stderr) if out.params[n].stderr is not None and n in out.var_names
              else math.nan for n in values}
    return XRDFitResult(model.spec, model.x, y, sigma, best, bg, curves, dict(values), stderr,
                        list(out.var_names), out.covar, float(out.chisqr), float(out.redchi), int(out.nfev),
                        bool(out.success), str(out.message), model,
                        {"source": source, "versions": versions(),
                         "input_sha256": hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest()})
