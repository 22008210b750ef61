"""The result of fitting one XRD pattern (:class:`XRDFitResult`): phase scales and weight-like
fractions, lattice parameters, crystallite sizes, per-reflection intensities (extracted and
computed) and the statistics Rietveld users quote.

Statistics (R. A. Young, *The Rietveld Method*, IUCr/Oxford 1993, ch. 1; B. H. Toby, Powder Diffr.
21 (2006) 67), with w_i = 1/σ_i² the fit's weights, y the data and y_c the model (background
included, as both references define them):

* ``Rwp = √(Σ w (y − y_c)² / Σ w y²)``, the weighted-profile R factor;
* ``Rexp = √((N − P) / Σ w y²)``, the expected Rwp for N points and P varying parameters;
* ``GOF = χ²ᵣ = (Rwp / Rexp)² = Σ w (y − y_c)² / (N − P)`` (some programs quote its square root);
* ``R_Bragg = Σ_k |I_obs,k − I_calc,k| / Σ_k I_obs,k`` per phase over its reflections, with I_obs
  from Rietveld's partition of the data among the lines (:func:`~spectra.xrd.pattern_model.partition`).
  For a Pawley or Le Bail phase, whose fitted intensities match the data by construction, I_calc is
  the structure's computed intensity times the least-squares factor onto the extracted ones: its
  R_Bragg measures how well the phase's structure model explains the extracted intensities.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import uncertainties

from ..fitting.result import LeastSquaresResult
from .pattern_model import XRDModel, partition


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
    #: whether ``table()`` lists the statistics (``summary()`` gives them a line of its own instead)
    _statistics_rows = True

    # ----------------------------------------------------------------------------- statistics
    def statistics(self) -> dict:
        """Rwp, Rexp, GOF and R_Bragg per phase (see the module notes for the definitions).

        Returns
        -------
        dict
            ``rwp``, ``rexp`` (percent), ``gof`` (χ²ᵣ, dimensionless), ``points``, ``dof`` and
            ``r_bragg`` (phase name → percent; NaN for a phase without lines in the window).
        """
        w = 1.0 / self.sigma**2
        total = float(np.sum(w * self.y**2))
        chi2 = float(np.sum(w * (self.y - self.best_fit) ** 2))
        dof = max(self.dof, 1)
        r_bragg = {}
        for ph in self.spec.phases:
            table = self.extracted_intensities(ph.name)
            observed, computed = table["intensity"].to_numpy(), table["computed"].to_numpy()
            ok = np.isfinite(observed) & np.isfinite(computed)
            denominator = float(np.sum(np.abs(observed[ok])))
            r_bragg[ph.name] = 100 * float(np.sum(np.abs(observed[ok] - computed[ok]))) / denominator \
                if denominator > 0 else math.nan
        return {"rwp": 100 * math.sqrt(chi2 / total) if total > 0 else math.nan,
                "rexp": 100 * math.sqrt(dof / total) if total > 0 else math.nan,
                "gof": chi2 / dof, "points": int(self.x.size), "dof": int(self.dof), "r_bragg": r_bragg}

    def extracted_intensities(self, phase: str) -> pd.DataFrame:
        """Each reflection's integrated Kα1 intensity from the data beside the structure's.

        Parameters
        ----------
        phase : str
            Phase name (the parameter prefix).

        Returns
        -------
        pandas.DataFrame
            One row per reflection within 3° of the fitted range: ``hkl``, ``two_theta`` (degrees,
            displaced), ``intensity`` and ``sigma`` (counts·degree; a Pawley phase's fitted parameters
            and their standard errors, otherwise the partition of the data with σ from the counts,
            profile held fixed) and ``computed`` (the structure's intensity: at the fitted scale for a
            structure phase, times the least-squares factor onto ``intensity`` for a Pawley or Le Bail
            phase), plus ``intensities`` (the phase's mode).
        """
        ph = self.model.phases[phase]
        lines = self.model.line_table(phase, self.values)
        index, curves, areas = self.model.line_curves(phase, self.values)
        observed, sd = partition(curves, areas, self.y, self.background, self.best_fit, self.sigma)
        if ph.intensities == "pawley":
            names = [self.model.pawley[phase][k] for k in index]
            observed = np.array([self.values[n] for n in names])
            sd = np.array([self.stderr.get(n, math.nan) for n in names])
        if ph.intensities == "structure":
            computed = areas
        else:
            where = dict(zip(*self.model.line_curves(phase, self.values, structure_intensities=True)[::2]))
            unit = np.array([where.get(k, math.nan) for k in index])
            ok = np.isfinite(unit) & np.isfinite(observed)
            factor = float(unit[ok] @ observed[ok] / (unit[ok] @ unit[ok])) if ok.any() else math.nan
            computed = factor * unit
        return pd.DataFrame({"hkl": lines["hkl"], "two_theta": lines["two_theta"], "intensity": observed,
                             "sigma": sd, "computed": computed, "intensities": ph.intensities})

    def table(self) -> pd.DataFrame:
        """The rows of :meth:`spectra.fitting.result.LeastSquaresResult.table`, then the statistics
        ``Rwp``, ``Rexp`` (percent), ``GOF`` (χ²ᵣ) and ``R_Bragg:<phase>`` (percent), flagged
        ``statistic`` (they carry no standard error).

        Returns
        -------
        pandas.DataFrame
            Columns ``quantity``, ``value``, ``stderr``, ``unit``, ``vary``, ``flag``.
        """
        out = super().table()
        if not self._statistics_rows:
            return out
        stats = self.statistics()
        rows = [("Rwp", stats["rwp"], "%"), ("Rexp", stats["rexp"], "%"), ("GOF", stats["gof"], "1")]
        rows += [(f"R_Bragg:{name}", value, "%") for name, value in stats["r_bragg"].items()]
        extra = pd.DataFrame([{"quantity": q, "value": v, "stderr": math.nan, "unit": u, "vary": False,
                               "flag": "statistic"} for q, v, u in rows])
        return pd.concat([out, extra], ignore_index=True)

    def _statistics_line(self) -> str:
        stats = self.statistics()
        bragg = ", ".join(f"{n} {v:.2f} %" for n, v in stats["r_bragg"].items())
        return (f"Rwp {stats['rwp']:.2f} %, Rexp {stats['rexp']:.2f} %, GOF (chi-square reduced) {stats['gof']:.4g}"
                + (f"; R_Bragg {bragg}" if bragg else "") + " (Young 1993; Toby 2006)")

    def summary(self) -> str:
        """The plain-text report of :meth:`spectra.fitting.result.LeastSquaresResult.summary` with a
        line of statistics (Rwp, Rexp, GOF, R_Bragg per phase) after the chi-square."""
        self._statistics_rows = False
        try:
            lines = super().summary().split("\n")
        finally:
            del self._statistics_rows
        lines.insert(4, "  " + self._statistics_line())
        return "\n".join(lines)

    def to_dataset(self, *, curves: bool = True):
        """The fit in the layout of :func:`spectra.fit_many`
        (:meth:`spectra.fitting.result.LeastSquaresResult.to_dataset`), with the statistics as
        attributes ``rwp``, ``rexp`` (percent), ``gof`` and ``r_bragg`` (JSON: phase → percent) and,
        with ``curves``, also as variables ``rwp``, ``rexp``, ``gof`` (dim ``spectrum``) and ``r_bragg``
        (``spectrum``, ``phase``).

        Parameters
        ----------
        curves : bool
            Also hold the curves (and the statistics variables).

        Returns
        -------
        xarray.Dataset
        """
        ds = super().to_dataset(curves=curves)
        stats = self.statistics()
        ds.attrs.update({"rwp": stats["rwp"], "rexp": stats["rexp"], "gof": stats["gof"],
                         "r_bragg": json.dumps(stats["r_bragg"])})
        if curves:
            percent = {"units": "percent"}
            ds["rwp"] = ("spectrum", [stats["rwp"]], {**percent, "long_name": "weighted-profile R factor Rwp"})
            ds["rexp"] = ("spectrum", [stats["rexp"]], {**percent, "long_name": "expected R factor Rexp"})
            ds["gof"] = ("spectrum", [stats["gof"]],
                         {"units": "1", "long_name": "goodness of fit (Rwp/Rexp)^2 = reduced chi-square"})
            ds["r_bragg"] = (("spectrum", "phase"), [[stats["r_bragg"][ph.name] for ph in self.spec.phases]],
                             {**percent, "long_name": "Bragg R factor of each phase"})
        return ds

    def caveats(self) -> list[str]:
        """What the reader must know: intensity-free phases have no scale or weight fraction, and
        Le Bail fits' standard errors are conditional on the extracted intensities."""
        out = []
        free = [ph.label or ph.name for ph in self.spec.phases if ph.intensities != "structure"]
        if free:
            out.append(f"{', '.join(free)}: intensities fitted without the structure (Pawley/Le Bail): no scale, "
                       "so no weight fractions; R_Bragg compares the extracted with the structure's intensities")
        if any(ph.intensities == "le_bail" for ph in self.spec.phases):
            out.append("Le Bail: standard errors are conditional on the extracted intensities (held in the last "
                       f"cycle; {self.model.le_bail_cycles} partitions)")
        return out

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
            Phase name to fraction (summing to 1); σ is NaN when the scales carry no uncertainty. All
            NaN when a phase has Pawley or Le Bail intensities (it has no scale).
        """
        if any(ph.intensities != "structure" for ph in self.spec.phases):
            return {ph.name: uncertainties.ufloat(math.nan, math.nan) for ph in self.spec.phases}
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
        if f"{phase}_scale" not in self.values:  # Pawley or Le Bail: the extracted intensities
            table = self.extracted_intensities(phase)
            fwhm = self.model.line_table(phase, self.values)["fwhm"]
            return [{"hkl": h, "two_theta": float(tt), "fwhm": float(w), "intensity": uncertainties.ufloat(i, s)}
                    for h, tt, w, i, s in zip(table["hkl"], table["two_theta"], fwhm, table["intensity"],
                                              table["sigma"])]
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
        return self.values.get(f"{phase}_scale", math.nan) / err if err and math.isfinite(err) and err > 0 else math.nan

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
            row = {"phase": n, "scale": self.values.get(f"{n}_scale", math.nan),
                   "scale_stderr": self.stderr.get(f"{n}_scale", math.nan),
                   "size_nm": self.values[f"{n}_size"], "size_stderr": self.stderr[f"{n}_size"],
                   "weight_fraction": fractions[n].n, "weight_fraction_stderr": fractions[n].s,
                   "significance": self.significance(n)}
            row.update({f"{k}_A": v.n for k, v in self.lattice(n).items()})
            rows.append(row)
        return pd.DataFrame(rows)


def _u(value):
    return value if isinstance(value, uncertainties.UFloat) else uncertainties.ufloat(value, math.nan)
