"""The result of fitting one XRD pattern (:class:`XRDFitResult`): phase scales and weight-like
fractions, lattice parameters, crystallite sizes, per-reflection intensities."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import uncertainties

from ..fitting.result import LeastSquaresResult
from .pattern_model import XRDModel


@dataclass
class XRDFitResult(LeastSquaresResult):
    """Result of an XRD fit: the fields of :class:`~spectra.fitting.result.LeastSquaresResult`, the
    model that was fitted (for derived numbers) and the provenance.

    Attributes
    ----------
    model : XRDModel or None
        The model that was fitted; the derived numbers (weight fractions, reflections) need it.
    axis_label : str
        Label of the x axis for plots (class attribute).
    """

    model: XRDModel | None = None

    axis_label = "2θ (degree)"

    def uvalue(self, name: str):
        """A parameter as an uncertain number (correlations kept among varying parameters).

        Parameters
        ----------
        name : str
            Parameter name, e.g. ``"Li2S_scale"``.

        Returns
        -------
        UFloat or float
            The value with its σ; a fixed parameter (or one without covariance) stays a plain float.
        """
        return self.uvalues()[name]

    def weight_fractions(self) -> dict[str, uncertainties.UFloat]:
        """Hill–Howard weight fractions W = S·Z·M·V / Σ S·Z·M·V of the crystalline phases.

        Assumes every phase in the sample is in the model and crystalline, no microabsorption and
        no preferred orientation; amorphous components are not counted (weight-*like* fractions).

        Returns
        -------
        dict of str to UFloat
            Phase name to fraction (summing to 1); σ is NaN when the scales carry no uncertainty.
        """
        u = self.uvalues()
        terms = {}
        for ph in self.spec.phases:
            t = self.model.templates[ph.name]
            s = t.structure
            cell = t.cell(u, ph.name)  # refined cell lengths as uncertain numbers: V carries their σ
            terms[ph.name] = u[f"{ph.name}_scale"] * s.z * s.formula_mass * t.volume(cell)
        total = sum(terms.values())
        shares = {n: v / total for n, v in terms.items()}
        return {n: w if isinstance(w, uncertainties.UFloat) else uncertainties.ufloat(w, math.nan)
                for n, w in shares.items()}

    def size(self, phase: str) -> uncertainties.UFloat:
        """Crystallite size (nm) from the Scherrer term (K = 0.9) beyond the instrument function.

        Parameters
        ----------
        phase : str
            Phase name.

        Returns
        -------
        UFloat
            Size in nm (σ NaN when it was fixed or undetermined).
        """
        return _u(self.uvalues()[f"{phase}_size"])

    def lattice(self, phase: str) -> dict[str, uncertainties.UFloat]:
        """The refined cell parameters of a phase.

        Parameters
        ----------
        phase : str
            Phase name.

        Returns
        -------
        dict of str to UFloat
            Those of ``a``, ``c`` (Å) and ``cell_scale`` (dimensionless) that the model has; empty when
            the cell was fixed.
        """
        u = self.uvalues()
        return {k: _u(u[f"{phase}_{k}"]) for k in ("a", "c", "cell_scale") if f"{phase}_{k}" in u}

    def reflections(self, phase: str) -> list[dict]:
        """Integrated intensity (counts·degree, Kα1 line) of each reflection of a phase, with σ from the scale.

        Parameters
        ----------
        phase : str
            Phase name.

        Returns
        -------
        list of dict
            One per reflection within 3° of the fitted range: ``hkl`` (str), ``two_theta`` (degrees),
            ``fwhm`` (degrees 2θ) and ``intensity`` (UFloat, counts·degree).
        """
        table = self.model.line_table(phase, self.values)
        scale = _u(self.uvalues()[f"{phase}_scale"])
        rel = scale / self.values[f"{phase}_scale"] if self.values[f"{phase}_scale"] else scale
        return [{"hkl": h, "two_theta": float(tt), "fwhm": float(w), "intensity": float(i) * rel}
                for h, tt, w, i in zip(table["hkl"], table["two_theta"], table["fwhm"], table["intensity"])]

    def retained_fraction(self, pristine: XRDFitResult, phase: str = "Li6PS5Cl") -> uncertainties.UFloat:
        """Scale of ``phase`` here relative to a pristine pattern's fit (same instrument and counting).

        Parameters
        ----------
        pristine : XRDFitResult
            Fit of the reference (e.g. pristine) pattern.
        phase : str
            Phase name, by default ``"Li6PS5Cl"``.

        Returns
        -------
        UFloat
            The ratio of scales: the fraction of, e.g., argyrodite left after cycling.
        """
        return _u(self.uvalues()[f"{phase}_scale"]) / _u(pristine.uvalues()[f"{phase}_scale"])

    def significance(self, phase: str) -> float:
        """Scale divided by its standard error (≥ 3: the phase is significantly present).

        Parameters
        ----------
        phase : str
            Phase name.

        Returns
        -------
        float
            ``scale / stderr``; NaN when the standard error is missing, zero or not finite.
        """
        err = self.stderr.get(f"{phase}_scale", math.nan)
        return self.values[f"{phase}_scale"] / err if err and math.isfinite(err) and err > 0 else math.nan

    def phase_table(self) -> pd.DataFrame:
        """One row per phase: scale, crystallite size, Hill–Howard weight fraction (each with σ),
        significance and lattice parameters.

        Returns
        -------
        pandas.DataFrame
            Columns ``phase``, ``scale``, ``scale_stderr``, ``size_nm``, ``size_stderr``,
            ``weight_fraction``, ``weight_fraction_stderr``, ``significance`` and, for refined cells,
            ``a_A``, ``c_A`` or ``cell_scale_A`` (the last dimensionless despite its suffix).
        """
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
        return pd.DataFrame(rows)


def _u(value):
    return value if isinstance(value, uncertainties.UFloat) else uncertainties.ufloat(value, math.nan)
