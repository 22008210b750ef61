"""XPS recipes in the batched engine: the model of N spectra with its analytic Jacobian
(:class:`BatchedXPS`) and how :func:`spectra.fitting.batch.fit_many` prepares, fits and summarises
XPS spectra (:class:`XPSProblem`).

Supported: Gaussian, Lorentzian, pseudo-Voigt, GL(m) and SGL(m) with fixed shape parameters;
backgrounds none, static Shirley and Tougaard (recomputed per spectrum), Tougaard with fitted B,
active Shirley and linear; doublets with fixed splitting and ratio; FWHM shared between components.
Other recipes are fitted by the lmfit engine, which ``engine="auto"`` chooses for them.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import backgrounds
from ..errors import FitError
from ..recipe import ModelSpec
from . import partials
from .model import XPSModel
from .propagate import diagonal_sd, shares
from .single import counts_factor, fit_arrays


def supported(spec: ModelSpec) -> str | None:
    """None when the batched engine can fit ``spec``, else the reason it cannot."""
    if spec.background.kind not in ("none", "shirley", "tougaard", "tougaard-fitted", "active-shirley", "linear"):
        return f"background {spec.background.kind!r}"
    for comp in spec.components:
        if comp.lineshape not in partials.SUPPORTED:
            return f"line shape {comp.lineshape!r}"
        if any(p.vary for p in comp.shape.values()):
            return "a varying shape parameter"
        if comp.is_doublet and (comp.splitting.vary or comp.ratio.vary):
            return "a varying doublet splitting or ratio"
    if not spec.tie_fwhm:
        return "tie_fwhm = false"
    return None


class BatchedXPS:
    """Model values and Jacobians of N spectra sharing one grid and one recipe.

    Parameters
    ----------
    spec : ModelSpec
    x : ndarray (n,)
        Binding energies, ascending (the caller sorts the data to match).
    background : ndarray (N, n), optional
        The static background (Shirley, Tougaard; zeros for ``none``), or for ``tougaard-fitted``
        the Tougaard curve per unit B.
    """

    def __init__(self, spec: ModelSpec, names: list[str], vary: np.ndarray, x: np.ndarray,
                 background: np.ndarray | None):
        self.spec = spec
        self.index = {n: i for i, n in enumerate(names)}
        self.jac_row = {n: k for k, n in enumerate(n for n, v in zip(names, vary) if v)}
        self.x = np.asarray(x, dtype=float)[None, :]
        if np.any(np.diff(self.x[0]) <= 0):
            raise FitError("the batched engine needs a strictly ascending energy grid")
        self.half_dx = 0.5 * np.diff(self.x[0])
        self.background = background

    def _cumint(self, y):
        """Trapezoid integral from the low-BE end, along the last axis."""
        out = np.zeros_like(y)
        np.cumsum((y[..., 1:] + y[..., :-1]) * self.half_dx, axis=-1, out=out[..., 1:])
        return out

    def evaluate(self, theta: np.ndarray, want_jacobian: bool, rows=slice(None)):
        """Model (N, n) and, if asked, ∂model/∂θ (N, F, n) for the F varying parameters, at external
        parameters ``theta`` (N, P) of the spectra ``rows`` (default all)."""
        background = None if self.background is None else self.background[rows]
        n_spec = theta.shape[0]
        col = {n: theta[:, i:i + 1] for n, i in self.index.items()}
        peaks = np.zeros((n_spec, self.x.shape[1]))
        jac = np.zeros((n_spec, len(self.jac_row), self.x.shape[1])) if want_jacobian else None

        def add(name, value):
            if want_jacobian and name in self.jac_row:
                jac[:, self.jac_row[name]] += value

        for comp in self.spec.components:
            f, shape_names = partials.SUPPORTED[comp.lineshape]
            shape = [float(comp.shape[s].value) for s in shape_names]
            owner = comp.fwhm_same_as or comp.name
            c, w, a = col[f"{comp.name}_center"], col[f"{owner}_fwhm"], col[f"{comp.name}_area"]
            lines = [(c, a, 1.0)]
            if comp.is_doublet:
                ratio = col[f"{comp.name}_ratio"]
                lines.append((c + col[f"{comp.name}_splitting"], a * ratio, ratio))
            for center, area, area_factor in lines:
                y, dc, dw, da = f(self.x, center, w, area, *shape)
                peaks += y
                add(f"{comp.name}_center", dc)
                add(f"{owner}_fwhm", dw)
                add(f"{comp.name}_area", da * area_factor)
        kind = self.spec.background.kind
        if kind == "active-shirley":  # c + k ∫ peaks, which depends on every peak parameter
            integral = self._cumint(peaks)
            total = peaks + col["bg_constant"] + col["bg_k"] * integral
            if want_jacobian:
                peak_rows = slice(0, sum(not n.startswith("bg_") for n in self.jac_row))  # peaks come first
                jac[:, peak_rows] += col["bg_k"][:, :, None] * self._cumint(jac[:, peak_rows])
            add("bg_constant", 1.0)
            add("bg_k", integral)
        elif kind == "tougaard-fitted":
            total = peaks + col["bg_constant"] + col["bg_b"] * background
            add("bg_constant", 1.0)
            add("bg_b", background)
        elif kind == "linear":
            dx0 = self.x - self.x[0, 0]
            total = peaks + col["bg_constant"] + col["bg_slope"] * dx0
            add("bg_constant", 1.0)
            add("bg_slope", dx0)
        else:  # static: none, shirley, tougaard
            total = peaks + background
        return total, jac


class XPSProblem:
    """What :func:`~spectra.fitting.batch.fit_many` needs to know about XPS recipes: the axis, the
    parameters, start models, the batched model, one lmfit fit, and the derived areas and fractions."""

    axis = "binding_energy"
    fraction_dim = "component"
    fraction_attrs: ClassVar[dict] = {"units": "1", "long_name": "fraction of the summed component areas"}

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        params = XPSModel(spec, np.linspace(0.0, 1.0, 16), np.linspace(1.0, 2.0, 16)).params
        self.names = [p.name for p in params]
        self.units = [p.unit for p in params]
        self.vary = np.array([p.vary for p in params])
        self.text, self.sha256, self.region = spec.text, spec.sha256, spec.region
        self.fraction_labels = [c.name for c in spec.components]

    def unsupported(self) -> str | None:
        return supported(self.spec)

    @staticmethod
    def counts_factor(attrs) -> float | None:
        return counts_factor(attrs)

    def attach_models(self, group) -> None:
        """Start models of items on one grid (Shirley backgrounds of the group computed together)."""
        shirleys = [None] * len(group)
        if self.spec.background.kind == "shirley":  # in blocks: small arrays stay in cache
            shirleys = [b for begin in range(0, len(group), 256) for b in backgrounds.shirley_many(
                group[0].x, np.stack([it.y for it in group[begin:begin + 256]]), **self.spec.background.options)]
        for item, shirley in zip(group, shirleys):
            item.model = XPSModel(self.spec, item.x, item.y, shirley)

    def batched_model(self, items) -> BatchedXPS:
        models = [it.model for it in items]
        if self.spec.background.kind == "tougaard-fitted":
            background = np.stack([m._tougaard_unit for m in models])
        elif models[0].static_background is not None:
            background = np.stack([m.static_background for m in models])
        else:
            background = None
        return BatchedXPS(self.spec, self.names, self.vary, items[0].x, background)

    def fit_one(self, item, start: dict | None):
        return fit_arrays(item.model, item.y, item.sigma, start=start)

    def derived(self, value, covariance):
        """Variables derived from the parameters — component areas and fractions with standard errors
        (delta method through the full covariance) — and the fractions (N, C)."""
        index = {n: i for i, n in enumerate(self.names)}
        free = {n: k for k, n in enumerate(n for n, v in zip(self.names, self.vary) if v)}
        n_spec, n_comp = value.shape[0], len(self.spec.components)
        area = np.empty((n_spec, n_comp))
        grad = np.zeros((n_spec, n_comp, len(free)))  # ∂area_c / ∂θ_free
        for c, comp in enumerate(self.spec.components):
            a = value[:, index[f"{comp.name}_area"]]
            ratio = value[:, index[f"{comp.name}_ratio"]] if comp.is_doublet else np.zeros(n_spec)
            area[:, c] = a * (1 + ratio)
            if f"{comp.name}_area" in free:
                grad[:, c, free[f"{comp.name}_area"]] = 1 + ratio
            if comp.is_doublet and f"{comp.name}_ratio" in free:
                grad[:, c, free[f"{comp.name}_ratio"]] = a
        area_cov = np.einsum("ncp,npq,ndq->ncd", grad, covariance, grad)
        fraction, fraction_cov = shares(area, area_cov)
        dims = ("spectrum", "component")
        variables = {
            "area": (dims, area, {"units": "counts*eV", "long_name": "component area (both doublet lines)"}),
            "area_stderr": (dims, diagonal_sd(area_cov),
                            {"units": "counts*eV", "long_name": "standard error of the component area"}),
            "fraction": (dims, fraction, self.fraction_attrs),
            "fraction_stderr": (dims, diagonal_sd(fraction_cov),
                                {"units": "1", "long_name": "standard error of the fraction (full covariance)"}),
        }
        return variables, fraction

