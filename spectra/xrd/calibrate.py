"""Instrument calibration on a line-profile standard: :func:`calibrate` → :class:`Calibration`.

The standard's cell is held at its certified value and the instrument is fitted to its pattern in
stages, each starting from the last, so that the fit converges from the recipe defaults:

1. ``positions`` — zero shift and specimen displacement (widths at the defaults);
2. ``widths`` — + Caglioti U, V, W and Lorentzian X, Y;
3. ``shape`` — + the other physical terms of :data:`spectra.xrd.recipe.DEFAULT_INSTRUMENT` (the
   axial divergence) and the Kα2/Kα1 ratio;
4. ``asymmetry`` — + the Bérar–Baldinozzi terms, for what the axial term leaves
   (:func:`stage_terms`).

A profile term that ends on a bound is not quoted: it is held at that bound, the last stage is
refitted without it and the calibration says so. With intensity-free fits (``intensities="pawley"``,
the default, or ``"le_bail"``) each reflection's intensity is free, so the calibration does not depend
on the structure model, on absorption, surface roughness, beam overspill or the polarisation factor of
the instrument's optics. The stages are fitted by :func:`spectra.fit_many` (the batched engine's
analytic Jacobian; lmfit for Le Bail), the last stage once more by :func:`spectra.fit` for the result
a user reads.

**Zero shift and displacement on one standard.** With the cell fixed, a zero shift moves every line
by the same Δ2θ and a specimen displacement s by −2 s cosθ / R: different angular dependences, so
both are fitted, but over a lab range (cosθ from 0.98 to 0.83 between 20° and 70° 2θ) they are
strongly anticorrelated (the correlation is reported). Only the zero shift is an instrument
property and is kept in the :class:`~spectra.xrd.instrument.Instrument`; the displacement belongs to
that specimen and is refitted on every sample. With the cell free as well (the ``cell`` check) the
cell adds a shift ∝ tanθ: the three are separable only with lines over a wide range.

Certified cells: NIST SRM 660c LaB6, a = 0.4156826 nm ± 0.000008 nm (k = 2) at 22.5 °C (certificate,
NIST, 2020); SRM 640e Si, a = 0.5431179 nm at 22.5 °C (certificate, NIST, 2015); SRM 674b CeO2,
a = 0.5411651 nm at 22.5 °C (certificate, NIST, 2017).
"""
from __future__ import annotations

import datetime
import hashlib
import math
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SpectraError
from . import profiles
from .instrument import UNITS, Instrument, parameter_names
from .recipe import DEFAULT_INSTRUMENT, radiation_of
from .reflections import compute
from .structure import load_structure

#: instrument terms fitted in the ``widths`` stage
WIDTH_TERMS = ("u", "v", "w", "x", "y")
#: size (nm) a standard is held at: no size broadening (the Lorentzian X, Y take any there is)
STANDARD_SIZE_NM = 1.0e4


@dataclass(frozen=True)
class Standard:
    """A line-profile/line-position standard.

    Attributes
    ----------
    phase : str
        The shipped phase (``reference_patterns``) whose structure is used.
    a : float
        Certified cubic cell length (Å).
    certificate : str
        Where ``a`` comes from.
    """

    phase: str
    a: float
    certificate: str


#: standards by name; a CIF path may be given instead (its cell is taken as certified)
STANDARDS = {
    "LaB6": Standard("LaB6", 4.156826, "NIST SRM 660c certificate: a = 0.4156826 nm ± 0.000008 nm (k = 2), 22.5 °C"),
    "Si_SRM640": Standard("Si_SRM640", 5.431179, "NIST SRM 640e certificate: a = 0.5431179 nm, 22.5 °C"),
    "CeO2": Standard("CeO2", 5.411651, "NIST SRM 674b certificate: a = 0.5411651 nm, 22.5 °C"),
}


@dataclass
class Calibration:
    """The outcome of :func:`calibrate`.

    Attributes
    ----------
    instrument : Instrument
        The calibrated instrument (save it with ``instrument.save("diffractometer.toml")``).
    result : XRDFitResult
        The last fit of the standard (cell fixed), refitted by :func:`spectra.fit` from the last stage.
    stages : dict of str to StageFit
        Every stage's fit, in order (``positions``, ``widths``, ``shape`` and ``bound`` when a term
        was held at its bound).
    cell : StageFit
        The check with the cell, zero shift and displacement free and the instrument fixed.
    standard : str
        Name of the standard (or CIF path).
    certified_a : float
        Certified cell length (Å).
    phase : str
        The phase's parameter prefix in the fits.
    use_range : tuple of float or None
        2θ range (degrees) the instrument is to be used on.
    flags : list of str
        Why the calibration should not be used as it is (empty: none).
    """

    instrument: Instrument
    result: object
    stages: dict
    cell: object
    standard: str
    certified_a: float
    phase: str
    use_range: tuple | None = None
    flags: list = field(default_factory=list)

    # ----------------------------------------------------------------------------- numbers
    @property
    def ok(self) -> bool:
        """The last fit converged and nothing is flagged (a term held at its bound is a note, not a flag)."""
        return bool(self.result.success) and not self.flags

    def table(self) -> pd.DataFrame:
        """One row per instrument parameter, then the specimen displacement and the cell check.

        Returns
        -------
        pandas.DataFrame
            Columns ``quantity``, ``value``, ``stderr``, ``unit``, ``flag`` (``fixed``, ``at bound``,
            empty when the number can be quoted with its σ).
        """
        inst = self.instrument
        rows = []
        for name in parameter_names():
            value, sd = inst.values[name], inst.stderr[name]
            flag = "" if math.isfinite(sd) else next((n for n in inst.notes if n.startswith(f"{name} ")), "fixed")
            rows.append({"quantity": name, "value": value, "stderr": sd, "unit": UNITS.get(name, ""), "flag": flag})
        d = self.result.values["displacement"]
        rows.append({"quantity": "displacement (this specimen)", "value": d,
                     "stderr": self.result.stderr.get("displacement", math.nan), "unit": "µm", "flag": ""})
        a = f"{self.phase}_a"
        rows.append({"quantity": f"a (cell check; certified {self.certified_a:.6f})", "value": self.cell.values[a],
                     "stderr": self.cell.stderr[a], "unit": "Å", "flag": self.cell.flags})
        return pd.DataFrame(rows, columns=["quantity", "value", "stderr", "unit", "flag"])

    def zero_displacement_correlation(self) -> float:
        """Correlation of the zero shift and the displacement in the last fit (NaN when either is fixed)."""
        corr = self.result.correlation
        names = list(corr.coords["param"].values)
        if "zero" not in names or "displacement" not in names:
            return math.nan
        return float(corr.sel(param="zero", param_other="displacement"))

    def summary(self) -> str:
        """Plain text: the standard, each stage's χ²ᵣ and Rwp, every parameter with σ, flags and notes."""
        inst = self.instrument
        lines = [f"Instrument calibration on {self.standard} ({inst.certificate})",
                 f"  source {inst.source} (sha256 {inst.source_sha256[:16]}…), {inst.created}, "
                 f"spectra {inst.spectra_version}",
                 f"  standard's lines cover 2θ {inst.two_theta_range[0]:.2f}–{inst.two_theta_range[1]:.2f}°"]
        lines.append(f"  {'ok' if self.ok else 'NOT ok'}" + (": " + "; ".join(self.flags) if self.flags else ""))
        for name, r in self.stages.items():
            lines.append(f"  stage {name:<10} χ²ᵣ {r.redchi:8.3f}  Rwp {r.rwp:6.2f} %  "
                         f"{'converged' if r.success else 'NOT converged'}")
        r = self.result
        lines.append(f"  final fit        χ²ᵣ {r.redchi:8.3f}  Rwp {rwp(r):6.2f} %  "
                     f"{'converged' if r.success else 'NOT converged'}" + (f" [{r.flags}]" if r.flags else ""))
        c = self.cell
        lines.append(f"  cell check       χ²ᵣ {c.redchi:8.3f}  Rwp {c.rwp:6.2f} %  (cell, zero and displacement free)")
        lines.append(f"  corr(zero, displacement) = {self.zero_displacement_correlation():+.3f}")
        lines += [f"  note: {n}" for n in inst.notes]
        table = self.table()
        width = max(len(q) for q in table["quantity"])
        for row in table.itertuples():
            err = f"{row.stderr:.3g}" if math.isfinite(row.stderr) else "—"
            lines.append(f"  {row.quantity:<{width}}  {row.value:>13.6g} ± {err:<10} {row.unit}"
                         + (f"  [{row.flag}]" if row.flag else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # ----------------------------------------------------------------------------- figures
    def line_fwhms(self) -> pd.DataFrame:
        """FWHM of each line of the standard from a free pseudo-Voigt fit of that line alone (with
        its Kα2 partner and a linear background), for comparison with the instrument's FWHM(2θ).

        Returns
        -------
        pandas.DataFrame
            Columns ``hkl``, ``two_theta`` (degrees), ``fwhm``, ``fwhm_stderr`` (degrees 2θ), ``eta``.
        """
        from .. import fit

        r = self.result
        da = _as_pattern(r)
        rows = []
        lines = r.reflections(self.phase)
        centres = np.array([row["two_theta"] for row in lines])
        for row in lines:
            tt, width = row["two_theta"], row["fwhm"]
            half = max(6 * width, 0.4)
            crowded = np.any((np.abs(centres - tt) < half) & (centres != tt))
            if crowded or tt - half < r.x.min() or tt + half > r.x.max():
                continue   # a neighbour or the window's edge in the way: no single-line fit
            recipe = {"technique": "xrd", "window": [tt - half, tt + half], "background": {"kind": "chebyshev",
                                                                                             "order": 1},
                      "ka2_ratio": self.instrument.values["ka2_ratio"],
                      "peaks": [{"name": "line", "center": tt, "fwhm": width, "eta": 0.5}]}
            if self.instrument.anode:
                recipe["anode"] = self.instrument.anode
            try:
                one = fit(da, recipe)
            except SpectraError:
                continue
            if one.success:
                rows.append({"hkl": row["hkl"], "two_theta": one.values["line_center"],
                             "fwhm": one.values["line_fwhm"], "fwhm_stderr": one.stderr["line_fwhm"],
                             "eta": one.values["line_eta"]})
        return pd.DataFrame(rows, columns=["hkl", "two_theta", "fwhm", "fwhm_stderr", "eta"])

    def plot_fwhm(self, ax=None):
        """The instrument's FWHM(2θ) with the single-line FWHMs as points; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (a new figure when None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        inst = self.instrument
        lo, hi = inst.two_theta_range
        grid = np.linspace(max(lo - 10.0, 2.0), min(hi + 10.0, 170.0), 300)
        inside = (grid >= lo) & (grid <= hi)
        curve = inst.fwhm(grid)
        ax.plot(grid[inside], curve[inside], color="C0", label="instrument FWHM (calibrated)")
        ax.plot(grid, np.where(inside, np.nan, curve), ":", color="C0", label="extrapolated")
        points = self.line_fwhms()
        if len(points):
            ax.errorbar(points.two_theta, points.fwhm, yerr=points.fwhm_stderr.fillna(0), fmt="o", color="C3",
                        ms=4, label="single-line pseudo-Voigt fits")
        if self.use_range is not None:
            ax.axvspan(*self.use_range, color="0.9", zorder=0, label="range to be used")
        ax.set_xlabel("2θ (degree)")
        ax.set_ylabel("FWHM (degree 2θ)")
        ax.set_title(f"{self.standard}: instrumental FWHM")
        ax.legend(fontsize="small")
        return ax

    def plot_fit(self, ax=None):
        """The fit of the standard with its difference curve below it; returns the Axes.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw (a new figure when None).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        r = self.result
        ax.plot(r.x, r.y, ".", ms=2, color="0.35", label="data")
        ax.plot(r.x, r.best_fit, color="C0", lw=0.8, label="fit")
        diff = r.y - r.best_fit
        offset = min(float(r.y.min()), 0.0) - float(diff.max()) - 0.02 * float(np.ptp(r.y))
        ax.plot(r.x, diff + offset, color="C3", lw=0.6, label="data − fit")
        ax.axhline(offset, color="0.6", lw=0.5)
        ax.set_xlabel("2θ (degree)")
        ax.set_ylabel(f"intensity ({r.data_units})")
        ax.set_title(f"{self.standard}: χ²ᵣ = {r.redchi:.2f}, Rwp = {rwp(r):.2f} %")
        ax.legend(fontsize="small")
        return ax

    def plot(self):
        """Both figures side by side (:meth:`plot_fwhm`, :meth:`plot_fit`); returns the two Axes."""
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
        self.plot_fwhm(axes[0])
        self.plot_fit(axes[1])
        return axes


def rwp(result) -> float:
    """Weighted-profile R factor (%) of a fit: 100 √(Σ w (y − fit)² / Σ w y²), w = 1/σ².

    Parameters
    ----------
    result : LeastSquaresResult

    Returns
    -------
    float
    """
    w = 1.0 / np.asarray(result.sigma, dtype=float) ** 2
    y = np.asarray(result.y, dtype=float)
    return float(100.0 * np.sqrt(np.sum(w * (y - result.best_fit) ** 2) / np.sum(w * y**2)))


def calibrate(pattern, standard: str = "LaB6", *, window=None, intensities: str = "pawley",
              use_range=None, background_order: int = 6, radius_mm: float = 240.0) -> Calibration:
    """Calibrate the instrument function on a pattern of a standard.

    Parameters
    ----------
    pattern : xarray.DataArray or str or PathLike
        The standard's pattern (``two_theta``, counts), or a file :func:`spectra.read` reads (its first
        pattern is used).
    standard : {"LaB6", "Si_SRM640", "CeO2"} or str or PathLike
        A standard of :data:`STANDARDS` (its certified cell is held fixed), or a CIF file whose cell is
        taken as certified.
    window : (float, float), optional
        2θ range fitted (degrees); by default from 2° below the first line to the end of the data.
    intensities : {"pawley", "le_bail", "structure"}
        Each reflection's intensity a free parameter (``pawley``, default) or partitioned from the data
        (``le_bail``: the same numbers on the patterns tried, 50–100 times slower, as the Le Bail
        cycles refit everything), so the calibration does not depend on the structure model or on
        intensity corrections; or intensities from the structure (``structure``).
    use_range : (float, float), optional
        2θ range (degrees) the instrument will be used on: a ``UserWarning`` and a flag when the
        standard's lines do not cover it.
    background_order : int
        Chebyshev background order.
    radius_mm : float
        Goniometer radius (mm), for the displacement.

    Returns
    -------
    Calibration

    Raises
    ------
    spectra.errors.SpectraError
        An unknown standard, a window without lines of the standard, or a fit that cannot be made.
    """
    from .. import __version__, read

    if isinstance(pattern, (str, Path)):
        pattern = read(pattern)[0]
    if intensities not in ("le_bail", "pawley", "structure"):
        raise SpectraError(f"intensities must be 'le_bail', 'pawley' or 'structure', got {intensities!r}")
    attrs = dict(pattern.attrs)
    x = np.asarray(pattern["two_theta"], dtype=float)
    with tempfile.TemporaryDirectory(prefix="spectra-calibrate-") as folder:
        label, phase, certified_a, certificate = _standard_phase(standard, Path(folder))
        rad = radiation_of({}, attrs)
        lines = compute(_structure_of(standard), wavelength=rad.ka1, two_theta_max=min(float(x.max()), 170.0),
                        min_relative=1.0)
        if window is None:
            window = (max(float(x.min()), float(lines.two_theta.min()) - 2.0), float(x.max()))
        window = (float(min(window)), float(max(window)))
        inside = lines.two_theta[(lines.two_theta > window[0]) & (lines.two_theta < window[1])]
        if inside.size < 3:
            raise SpectraError(f"only {inside.size} lines of {label} in 2θ {window[0]:.2f}–{window[1]:.2f}°: "
                               "a calibration needs at least 3")
        base = {"technique": "xrd", "window": list(window), "phases": [phase], "radius_mm": radius_mm,
                "background": {"kind": "chebyshev", "order": background_order},
                "phase_options": {_name(phase): {"size": {"value": STANDARD_SIZE_NM, "vary": False},
                                                 "refine_cell": False, "intensities": intensities}}}
        fit_with = _Fitter(pattern, base, has_ka2=rad.ka2 is not None)
        stages, notes = {}, []
        for stage, terms in stage_terms(has_ka2=rad.ka2 is not None):
            stages[stage] = fit_with.stage(stage, terms)
        held = fit_with.hold_bounds(stages[stage])
        if held:
            notes += [f"{n} ran to its {side} bound and is held there at {v:g} (the standard does not determine it)"
                      for n, side, v in held]
            stages["bound"] = fit_with.stage("bound", [])
        final = fit_with.final()
        cell = fit_with.cell_check(_name(phase))
    values = {n: float(final.values.get(fit_with.param(n), fit_with.values[n])) for n in parameter_names()}
    stderr = {n: (final.stderr.get(fit_with.param(n), math.nan) if fit_with.varies(n) else math.nan)
              for n in parameter_names()}
    source = attrs.get("source") or ""
    instrument = Instrument(values, stderr, standard=label, certificate=certificate, certified_a=certified_a,
                            source=Path(source).name if source else "", source_sha256=_sha256(source, pattern),
                            created=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                            spectra_version=__version__,
                            two_theta_range=(float(inside.min()), float(inside.max())),
                            anode=rad.name if rad.ka2 is not None else None, wavelength_ka1=rad.ka1,
                            wavelength_ka2=rad.ka2 if rad.ka2 is not None else math.nan, notes=tuple(notes))
    flags = []
    if not final.success:
        flags.append("the last fit did not converge")
    if use_range is not None and not instrument.covers(*use_range):
        lo, hi = instrument.two_theta_range
        message = (f"the standard's lines cover 2θ {lo:.2f}–{hi:.2f}°, not the range {min(use_range):g}–"
                   f"{max(use_range):g}° the instrument is to be used on: widths there are extrapolated")
        warnings.warn(message, UserWarning, stacklevel=2)
        flags.append(message)
    return Calibration(instrument, final, stages, cell, label, certified_a, _name(phase),
                       tuple(use_range) if use_range is not None else None, flags)


def stage_terms(*, has_ka2: bool) -> list[tuple[str, list[str]]]:
    """The calibration's stages and the parameters each adds, from the recipe's instrument terms.

    ``positions`` (zero shift, displacement), ``widths`` (:data:`WIDTH_TERMS`), ``shape`` (every other
    term of :data:`~spectra.xrd.recipe.DEFAULT_INSTRUMENT` but the Bérar–Baldinozzi ones, e.g. the
    axial divergence, and the Kα2 ratio), ``asymmetry`` (the Bérar–Baldinozzi terms, correcting what
    the physical terms leave).
    """
    others = [k for k in DEFAULT_INSTRUMENT if k not in WIDTH_TERMS]
    empirical = [k for k in others if k in profiles.ASYMMETRY_TERMS]
    shape = [k for k in others if k not in empirical] + (["ka2_ratio"] if has_ka2 else [])
    return [("positions", ["zero", "displacement"]), ("widths", list(WIDTH_TERMS)), ("shape", shape),
            ("asymmetry", empirical)]


class _Fitter:
    """Runs the stages: the recipe of each, the values carried from one to the next."""

    def __init__(self, pattern, base: dict, *, has_ka2: bool):
        self.pattern, self.base, self.has_ka2 = pattern, base, has_ka2
        self.values = {"zero": 0.0, "displacement": 0.0, **_starts(), "ka2_ratio": 0.5 if has_ka2 else 0.0}
        self.free: set[str] = set()
        self.fixed: set[str] = set()   # held at a bound

    @staticmethod
    def param(name: str) -> str:
        """The fit's parameter name of an instrument term."""
        return f"inst_{name}" if name in DEFAULT_INSTRUMENT else name

    def varies(self, name: str) -> bool:
        return name in self.free and name not in self.fixed

    def _recipe(self) -> dict:
        recipe = dict(self.base)
        recipe["instrument"] = {k: {"value": self.values[k], "vary": self.varies(k)} for k in DEFAULT_INSTRUMENT}
        for key in ("zero", "displacement"):
            recipe[key] = {"value": self.values[key], "vary": self.varies(key)}
        if self.has_ka2:
            recipe["ka2_ratio"] = {"value": self.values["ka2_ratio"], "vary": self.varies("ka2_ratio")}
        return recipe

    def stage(self, stage: str, terms) -> StageFit:
        """Fit with ``terms`` added to the varying parameters, starting from the values so far."""
        self.free |= set(terms)
        fitted = _fit_once(self.pattern, self._recipe(), stage)
        for name in self.values:
            if self.param(name) in fitted.values:
                self.values[name] = float(fitted.values[self.param(name)])
        return fitted

    def final(self):
        """The last stage refitted by :func:`spectra.fit` from its optimum: the result a user reads."""
        from .. import fit

        return fit(self.pattern, self._recipe())

    def hold_bounds(self, fitted: StageFit) -> list[tuple[str, str, float]]:
        """Instrument terms the fit left on a bound: held there from now on."""
        held = []
        for name in sorted(self.free - {"displacement"}):
            if self.param(name) in fitted.at_bound and self.varies(name):
                side, bound = fitted.at_bound[self.param(name)]
                self.fixed.add(name)
                self.values[name] = bound
                held.append((name, side, bound))
        return held

    def cell_check(self, phase: str) -> StageFit:
        """The standard refitted with its cell, the zero shift and the displacement free (instrument fixed)."""
        recipe = self._recipe()
        recipe["instrument"] = {k: self.values[k] for k in DEFAULT_INSTRUMENT}
        recipe["zero"] = {"value": self.values["zero"], "vary": True}
        recipe["displacement"] = {"value": self.values["displacement"], "vary": True}
        if self.has_ka2:
            recipe["ka2_ratio"] = self.values["ka2_ratio"]
        options = dict(recipe["phase_options"][phase])
        options["refine_cell"] = True
        recipe["phase_options"] = {phase: options}
        return _fit_once(self.pattern, recipe, "cell")


@dataclass
class StageFit:
    """One fit of the standard (a stage, or the cell check): what the calibration keeps of it.

    Attributes
    ----------
    name : str
        The stage.
    values, stderr : dict of str to float
        Every parameter's value and standard error (NaN: fixed, at a bound or undetermined).
    at_bound : dict of str to tuple
        Parameters that ended on a bound: ``("lower" or "upper", the bound)``.
    redchi, rwp : float
        Reduced χ² and weighted-profile R (%).
    success : bool
    flags, message : str
    """

    name: str
    values: dict
    stderr: dict
    at_bound: dict
    redchi: float
    rwp: float
    success: bool
    flags: str
    message: str


def _fit_once(pattern, recipe: dict, name: str) -> StageFit:
    """Fit ``pattern`` with ``recipe`` by :func:`spectra.fit_many` (the batched engine with its analytic
    Jacobian where the recipe allows, lmfit for Le Bail phases)."""
    from .. import fit_many

    ds = fit_many([pattern], recipe, engine="auto").isel(spectrum=0)
    params = [str(p) for p in ds.param.values]
    values = dict(zip(params, map(float, ds.value.values)))
    stderr = dict(zip(params, map(float, ds.stderr.values)))
    bounds = {p: ("lower", float(lo)) if b < 0 else ("upper", float(hi))
              for p, b, lo, hi in zip(params, ds.at_bound.values, ds.lower_bound.values, ds.upper_bound.values) if b}
    x = np.asarray(pattern["two_theta"], dtype=float)
    low, high = recipe["window"]
    y = np.asarray(pattern.values, dtype=float)[(x >= low) & (x <= high)]
    chisqr = float(ds.redchi) * int(ds.dof)
    r_wp = 100.0 * math.sqrt(chisqr / float(np.sum(y**2 / np.maximum(y, 1.0))))
    return StageFit(name, values, stderr, bounds, float(ds.redchi), r_wp,
                    bool(ds.success), str(ds.flags.values), str(ds.message.values))


def _starts() -> dict[str, float]:
    """Start values of the instrument terms: the recipe defaults, moved off a bound they sit on (a
    parameter started on its bound cannot leave it through the bound transform)."""
    out = {}
    for key, value in DEFAULT_INSTRUMENT.items():
        low, high = profiles.INSTRUMENT_BOUNDS.get(key, (-math.inf, math.inf))
        out[key] = value + 0.01 * (high - low) if value == low and math.isfinite(high - low) else value
    return out


def _structure_of(standard):
    if isinstance(standard, str) and standard in STANDARDS:
        s = load_structure(STANDARDS[standard].phase)
        a = STANDARDS[standard].a
        return s.with_cell((a, a, a, *s.cell[3:]))
    from .cif import load_phase

    return load_phase(standard)


def _standard_phase(standard, folder: Path) -> tuple[str, object, float, str]:
    """(label, the recipe's phase entry, certified a, certificate) of a standard.

    A named standard is written as a CIF with its certified cell (the shipped structure's cell may be
    another lot's), so the fit holds exactly the certified value."""
    from .cif import write_cif

    if isinstance(standard, str) and standard in STANDARDS:
        std = STANDARDS[standard]
        path = write_cif(_structure_of(standard), folder / f"{std.phase}.cif")
        return standard, {"name": std.phase, "cif": str(path)}, std.a, std.certificate
    path = Path(standard)
    if path.suffix.lower() != ".cif":
        raise SpectraError(f"unknown standard {standard!r}: one of {', '.join(STANDARDS)} or a .cif file")
    s = _structure_of(path)
    return str(path), {"name": s.name, "cif": str(path)}, float(s.cell[0]), f"cell of {path.name}: a = {s.cell[0]} Å"


def _name(phase) -> str:
    """The parameter prefix of a recipe phase entry (``_`` for every character not allowed in a name)."""
    name = phase["name"] if isinstance(phase, dict) else phase
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _sha256(source: str, pattern) -> str:
    """SHA-256 of the source file, or of the data when there is no readable file."""
    try:
        return hashlib.sha256(Path(source).read_bytes()).hexdigest()
    except OSError:
        return hashlib.sha256(np.ascontiguousarray(pattern.values, dtype=float).tobytes()).hexdigest()


def _as_pattern(result):
    """A fit's data as a pattern DataArray (for refitting parts of it)."""
    import xarray as xr

    attrs = {"units": result.data_units, "technique": "xrd"}
    return xr.DataArray(np.asarray(result.y), dims=("two_theta",), coords={"two_theta": np.asarray(result.x)},
                        attrs=attrs)
