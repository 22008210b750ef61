"""The result of fitting one spectrum: parameters with uncertainties, curves, derived quantities
(areas, fractions) and their correlations, with xarray, table, HTML and plot views."""
from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata

import numpy as np
import uncertainties
import xarray as xr


@functools.cache
def versions() -> dict[str, str]:
    """Versions of spectra and the numerical stack, for provenance."""
    out = {}
    for name in ("spectra-xpsxrd", "numpy", "scipy", "xarray", "lmfit"):
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


@dataclass
class LeastSquaresResult:
    """What every least-squares fit of one spectrum or pattern yields (XPS and XRD results extend it).

    Attributes
    ----------
    spec
        The recipe that was fitted.
    x, y, sigma : ndarray
        Axis, data and the standard deviations used as weights (data units).
    best_fit, background : ndarray
        Model and background on ``x``.
    components : dict of ndarray
        Each component's (or phase's) curve.
    values, stderr : dict of float
        Every parameter's value and standard error (NaN where fixed or undetermined).
    varying : list of str
        Names of the parameters that varied.
    covariance : ndarray or None
        Covariance of the varying parameters (order of ``varying``).
    chisqr, redchi : float
        χ² and reduced χ² with the weights above.
    nfev : int
    success : bool
    message : str
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

    def uvalues(self) -> dict[str, float | uncertainties.UFloat]:
        """Parameters as correlated uncertain numbers (fixed ones stay exact floats)."""
        out = dict(self.values)
        if self.covariance is not None and self.varying:
            cov = np.asarray(self.covariance, dtype=float)
            if np.all(np.isfinite(cov)):
                correlated = uncertainties.correlated_values([self.values[n] for n in self.varying], cov)
                out.update(dict(zip(self.varying, correlated)))
        return out


@dataclass
class FitResult(LeastSquaresResult):
    """Everything an XPS fit produced: the fields of :class:`LeastSquaresResult` and

    Attributes
    ----------
    background_info : dict
        How a static background was computed (kind, settings, iterations, converged).
    total_areas : dict of float
        Area of each component over both doublet lines.
    units : dict of str
        Unit of each parameter.
    monte_carlo : dict or None
        Filled by :func:`spectra.fitting.uncertainty.monte_carlo`.
    provenance : dict
        Recipe text and hash, input source, package versions.
    """

    background_info: dict
    total_areas: dict[str, float]
    units: dict[str, str] = field(default_factory=dict)
    monte_carlo: dict | None = None
    provenance: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ derived, with uncertainties
    def areas(self) -> dict[str, uncertainties.UFloat]:
        """Each component's total area (both doublet lines), counts·eV, with uncertainty."""
        u = self.uvalues()
        out = {}
        for comp in self.spec.components:
            a = u[f"{comp.name}_area"]
            a = a * (1 + u[f"{comp.name}_ratio"]) if comp.is_doublet else a
            out[comp.name] = a if isinstance(a, uncertainties.UFloat) else uncertainties.ufloat(a, 0.0)
        return out

    def fractions(self) -> dict[str, uncertainties.UFloat]:
        """Each component's fraction of the summed component areas of the region, with the
        uncertainty propagated through the full covariance (correlations included)."""
        areas = {n: a if isinstance(a, uncertainties.UFloat) else uncertainties.ufloat(a, 0.0)
                 for n, a in self.areas().items()}
        total = sum(areas.values())
        return {name: a / total for name, a in areas.items()}

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

    # ------------------------------------------------------------------------------------- views
    def table(self) -> list[dict]:
        """One row per component: name, position, FWHM, area, fraction (with σ), like CasaXPS's table."""
        areas, fractions = self.areas(), self.fractions()
        rows = []
        for comp in self.spec.components:
            n = comp.name
            w = comp.fwhm_same_as or n
            row = {"name": n, "label": comp.label, "center_eV": self.values[f"{n}_center"],
                   "center_stderr": self.stderr[f"{n}_center"], "fwhm_eV": self.values[f"{w}_fwhm"],
                   "fwhm_stderr": self.stderr[f"{w}_fwhm"], "area": areas[n].n, "area_stderr": areas[n].s,
                   "fraction": fractions[n].n, "fraction_stderr": fractions[n].s}
            if self.monte_carlo:
                mc = self.monte_carlo["fractions"][n]
                row.update(fraction_mc_std=mc["std"], fraction_mc_p16=mc["p16"], fraction_mc_p84=mc["p84"])
            rows.append(row)
        return rows

    def to_dataset(self) -> xr.Dataset:
        """Curves over ``binding_energy`` and parameters over ``param``, with units and provenance."""
        be = xr.DataArray(self.x, dims="binding_energy", attrs={"units": "eV", "long_name": "binding energy"})
        names = list(self.values)
        ds = xr.Dataset(
            {"data": ("binding_energy", self.y, {"units": self.units.get("data", "counts")}),
             "sigma": ("binding_energy", self.sigma, {"units": self.units.get("data", "counts")}),
             "best_fit": ("binding_energy", self.best_fit), "background": ("binding_energy", self.background),
             "residual": ("binding_energy", self.y - self.best_fit),
             "components": (("component", "binding_energy"), np.array(list(self.components.values()))),
             "value": ("param", [self.values[n] for n in names]),
             "stderr": ("param", [self.stderr[n] for n in names])},
            coords={"binding_energy": be, "param": names, "component": list(self.components)},
            attrs={"redchi": self.redchi, "chisqr": self.chisqr, "nfev": self.nfev, "success": int(self.success),
                   "message": self.message, "region": self.spec.region,
                   "background": json.dumps(self.background_info, default=str),
                   "recipe": self.spec.text, "recipe_sha256": self.spec.sha256,
                   "provenance": json.dumps(self.provenance, default=str)})
        fr = self.fractions()
        ds["fraction"] = ("component", [fr[c].n for c in self.components], {"units": "1"})
        ds["fraction_stderr"] = ("component", [fr[c].s for c in self.components], {"units": "1"})
        ar = self.areas()
        ds["area"] = ("component", [ar[c].n for c in self.components], {"units": "counts*eV"})
        ds["area_stderr"] = ("component", [ar[c].s for c in self.components], {"units": "counts*eV"})
        return ds

    def plot(self, ax=None):
        """Data, components, background and envelope on a binding-energy axis (reversed); returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        ax.plot(self.x, self.y, ".", ms=3, color="0.3", label="data")
        for name, curve in self.components.items():
            ax.fill_between(self.x, self.background, self.background + curve, alpha=0.35, label=name)
        ax.plot(self.x, self.background, "--", color="0.5", label="background")
        ax.plot(self.x, self.best_fit, color="k", lw=1, label="fit")
        ax.set_xlim(max(self.x), min(self.x))
        ax.set_xlabel("binding energy (eV)")
        ax.set_ylabel(f"intensity ({self.units.get('data', 'counts')})")
        ax.set_title(f"{self.spec.region}  χ²ᵣ = {self.redchi:.2f}")
        ax.legend(fontsize="small")
        return ax

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r['name'])}</td><td>{r['center_eV']:.3f} ± {r['center_stderr']:.3f}</td>"
            f"<td>{r['fwhm_eV']:.3f} ± {r['fwhm_stderr']:.3f}</td><td>{r['area']:.4g} ± {r['area_stderr']:.2g}</td>"
            f"<td>{100 * r['fraction']:.2f} ± {100 * r['fraction_stderr']:.2f}</td></tr>" for r in self.table())
        return (f"<b>{html.escape(self.spec.region)}</b> fit: χ²ᵣ = {self.redchi:.3f}, {self.nfev} evaluations, "
                f"{'converged' if self.success else 'NOT converged: ' + html.escape(self.message)}"
                "<table><tr><th>component</th><th>center (eV)</th><th>FWHM (eV)</th><th>area</th>"
                f"<th>fraction (%)</th></tr>{rows}</table>")

    def __repr__(self) -> str:
        lines = [f"FitResult({self.spec.region}, redchi={self.redchi:.3f}, success={self.success})"]
        for r in self.table():
            lines.append(f"  {r['name']:<22} center {r['center_eV']:.3f}±{r['center_stderr']:.3f} eV  "
                         f"fwhm {r['fwhm_eV']:.3f}  fraction {r['fraction']:.4f}±{r['fraction_stderr']:.4f}")
        return "\n".join(lines)
