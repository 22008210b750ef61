"""XPS recipes in the batched engine: the model of N spectra with its analytic Jacobian
(:class:`BatchedXPS`).

Supported: every line shape whose registry entry (:data:`spectra.lineshapes.LINESHAPES`) has analytic
partials (Gaussian, Lorentzian, pseudo-Voigt, GL(m), SGL(m), ...), with fixed shape parameters;
lines whose entry also has kernel constants run in the compiled kernel when numba is available,
the others through the numpy partials. Every background kind whose registry entry
(:data:`spectra.backgrounds.BACKGROUND_KINDS`) has partials (all built-in kinds: none, static Shirley
and Tougaard recomputed per spectrum, Tougaard with fitted B, active Shirley, linear, step). Doublets
with fixed or free splitting and ratio, tied or untied minor-line FWHM; FWHM shared between
components; a fitted linear term on the background (``linear = true``); a region's charge ``shift``
and centres given ``offset_from`` another component (a line's centre is its ``_center`` parameter
plus the reference's centre plus the shift, and the Jacobian row of each receives ∂/∂centre). The
line shapes without partials (Voigt, Doniach-Šunjić, LA) and free shape parameters are fitted by the
lmfit engine, which ``engine="auto"`` chooses for them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import kernels, lineshapes
from ..errors import FitError
from .recipe import XPSSpec


def supported(spec: XPSSpec) -> str | None:
    """None when the batched engine can fit ``spec``, else the reason it cannot."""
    for comp in spec.components:
        if lineshapes.LINESHAPES[comp.lineshape].partials is None:
            return f"line shape {comp.lineshape!r}"
        if any(p.vary for p in comp.shape.values()):
            return "a varying shape parameter"
    if spec.background.entry.partials is None:
        return f"background {spec.background.entry.name!r}"
    return None


class BatchedXPS:
    """Model values and Jacobians of N spectra sharing one grid and one recipe.

    Parameters
    ----------
    spec : XPSSpec
    x : ndarray (n,)
        Binding energies, ascending (the caller sorts the data to match).
    background : ndarray (N, n), optional
        The curves the background kind prepared (:attr:`spectra.backgrounds.Prepared.curves`): the
        static background (Shirley, Tougaard; zeros for ``none``), or for ``tougaard-fitted`` the
        Tougaard curve per unit B.
    """

    def __init__(self, spec: XPSSpec, names: list[str], vary: np.ndarray, x: np.ndarray,
                 background: np.ndarray | None):
        self.spec = spec
        self.index = {n: i for i, n in enumerate(names)}
        self.jac_row = {n: k for k, n in enumerate(n for n, v in zip(names, vary) if v)}
        self.x = np.asarray(x, dtype=float)[None, :]
        if np.any(np.diff(self.x[0]) <= 0):
            raise FitError("the batched engine needs a strictly ascending energy grid")
        self.background = background
        self.background_kind = spec.background.entry
        # the peaks' Jacobian rows come first, the background's after them
        self.n_peak_rows = sum(n not in self.background_kind.parameter_names for n in self.jac_row)
        # per line (two per doublet): its parameters, kernel constants and Jacobian rows
        self.lines = []
        shift = None if spec.shift is None else "shift"
        for comp in spec.components:
            entry = lineshapes.LINESHAPES[comp.lineshape]
            shape = [float(comp.shape[s].value) for s in entry.shape_params]
            fwhm = f"{comp.fwhm_same_as or comp.name}_fwhm"
            reference = None if comp.center_offset_from is None else f"{comp.center_offset_from}_center"
            self.lines.append(_Line(entry, shape, f"{comp.name}_center", None, fwhm, f"{comp.name}_area", None,
                                    shift, reference))
            if comp.is_doublet:
                self.lines.append(_Line(entry, shape, f"{comp.name}_center", f"{comp.name}_splitting",
                                        fwhm if spec.tie_fwhm else f"{comp.name}_fwhm_minor", f"{comp.name}_area",
                                        f"{comp.name}_ratio", shift, reference))
        # the compiled kernel when every line has kernel constants, else the numpy partials (None)
        self.line_constants = None
        if all(line.lineshape.kernel_constants is not None for line in self.lines):
            constants = [line.lineshape.kernel_constants(*line.shape) for line in self.lines]
            self.line_constants = np.array(constants, dtype=float).reshape(-1, 4)
        self.line_rows = np.array([[self.jac_row.get(n, -1) if n else -1 for n in line.roles()]
                                   for line in self.lines], dtype=np.int64).reshape(-1, len(_Line.ROLES))
        # per line, the column of θ of each role (−1: the line has no such parameter), for the kernel
        self.line_columns = np.array([[self.index[n] if n else -1 for n in line.roles()] for line in self.lines],
                                     dtype=np.int64).reshape(-1, len(_Line.ROLES))
        # for :meth:`_kernel_lines`: where each role is present, its columns (0 where absent), which
        # centre terms any line has, whether any line has a ratio
        self._present = self.line_columns >= 0
        self._safe_columns = np.maximum(self.line_columns, 0)
        self._center_roles = [role for role in (6, 5, 1) if self._present[:, role].any()]
        self._has_ratio = bool(self._present[:, 4].any())
        self._shared_terms = None

    def evaluate(self, theta: np.ndarray, want_jacobian: bool, rows=slice(None)):
        """Model (N, n) and, if asked, ∂model/∂θ (N, F, n) for the F varying parameters, at external
        parameters ``theta`` (N, P) of the spectra ``rows`` (default all)."""
        background = None if self.background is None else self.background[rows]
        col = {n: theta[:, i:i + 1] for n, i in self.index.items()}
        if self.line_constants is not None and kernels.numba_enabled():
            peaks, jac = self._peaks_compiled(theta, want_jacobian)
        else:
            peaks, jac = self._peaks_numpy(col, want_jacobian)
        bg = self.background_kind.partials(self.x, col, peaks, background, want_jacobian)
        total = peaks  # the peaks are not needed any more: the model is added in place
        total += bg.value
        if want_jacobian:
            if bg.through_peaks is not None:  # a background built on the fitted peaks (active Shirley)
                bg.through_peaks(jac[:, :self.n_peak_rows])
            for name, partial in bg.partials.items():
                if name in self.jac_row:  # the background's rows (zero so far: no peak depends on them)
                    jac[:, self.jac_row[name]] = partial
        return total, jac

    def _line_values(self, col):
        """Per line (N, 1) each: centre, FWHM, area, ∂area/∂(area parameter), ∂area/∂ratio."""
        out = []
        for line in self.lines:
            c, w, a = col[line.center], col[line.fwhm], col[line.area]
            if line.reference is not None:
                c = c + col[line.reference]
            if line.shift is not None:
                c = c + col[line.shift]
            if line.ratio is None:
                out.append((c, w, a, np.ones_like(a), np.zeros_like(a)))
            else:
                ratio = col[line.ratio]
                out.append((c + col[line.splitting], w, a * ratio, ratio, a))
        return out

    def normal_equations(self, theta: np.ndarray, rows, y: np.ndarray, weight: np.ndarray):
        """χ², JᵀJ, Jᵀr and the weighted residual at ``theta`` (N, P) of the spectra ``rows`` against
        ``y`` with weights ``weight`` (N, n): what a Levenberg–Marquardt iteration needs
        (:func:`spectra.kernels.normal_equations` of :meth:`evaluate`). Where every line has kernel
        constants and the background kind its linear terms, in one compiled pass per spectrum
        (:func:`spectra.kernels.xps_normal_equations`: no (N, F, n) Jacobian in memory, ~7 % less time
        per model call than separate kernels); the same numbers to rounding."""
        if self.line_constants is None or self.background_kind.terms is None or not kernels.numba_enabled():
            return kernels.normal_equations(*self.evaluate(theta, True, rows), y, weight)
        static, basis, columns, basis_rows, k = self._background_terms(rows)
        return kernels.xps_normal_equations(
            self.x[0], *self._kernel_lines(theta), self.line_constants, self.line_rows, len(self.jac_row),
            self.n_peak_rows, static, basis, theta[:, columns], basis_rows,
            None if k is None else theta[:, self.index[k]], self.jac_row.get(k, -1), y, weight)

    def _background_terms(self, rows):
        """The background kind's linear terms (:class:`spectra.backgrounds.LinearTerms`) of the spectra
        ``rows`` as the fused kernel takes them: the static curve (N or 1, n), the basis curves (N or 1,
        B, n), the θ columns and Jacobian rows of their parameters, and the active-Shirley parameter
        (or None). Without prepared curves they are the same for every spectrum: made once."""
        if self.background is None and self._shared_terms is not None:
            return self._shared_terms
        terms = self.background_kind.terms(self.x, None if self.background is None else self.background[rows])
        names = list(terms.curves)
        curves = [np.asarray(terms.curves[n], dtype=float) for n in names]
        shape = (max((c.shape[0] for c in curves), default=1), self.x.shape[1])
        basis = np.stack([np.broadcast_to(c, shape) for c in curves], axis=1) if names else np.zeros((1, 0, shape[1]))
        static = np.zeros((1, self.x.shape[1])) if terms.static is None else terms.static
        made = (static, basis, np.array([self.index[n] for n in names], dtype=np.int64),
                np.array([self.jac_row.get(n, -1) for n in names], dtype=np.int64), terms.peak_integral)
        if self.background is None:
            self._shared_terms = made
        return made

    def _kernel_lines(self, theta):
        """Per spectrum and line (N, L) each: centre, FWHM, area, ∂area/∂(area parameter) and
        ∂area/∂ratio, for the compiled kernels: the values :meth:`_line_values` gives, for all lines
        at once (adding 0.0 and multiplying by 1.0 where a line lacks a term change no number)."""
        cols, present = self.line_columns, self._present
        center = theta[:, cols[:, 0]]
        for role in self._center_roles:  # reference centre, shift, splitting: in the order _line_values adds them
            center = center + np.where(present[:, role], theta[:, self._safe_columns[:, role]], 0.0)
        area = theta[:, cols[:, 3]]
        if self._has_ratio:
            ratio = np.where(present[:, 4], theta[:, self._safe_columns[:, 4]], 1.0)
            ratio_factor = np.where(present[:, 4], area, 0.0)  # ∂(area · ratio)/∂ratio
        else:
            ratio, ratio_factor = np.ones_like(area), np.zeros_like(area)
        return center, theta[:, cols[:, 2]], area * ratio, ratio, ratio_factor

    def _peaks_compiled(self, theta, want_jacobian):
        """The peaks and their Jacobian rows through the fused numba kernel (the background's rows,
        after the peaks', zero for now)."""
        return kernels.xps_lines(self.x[0], *self._kernel_lines(theta), self.line_constants, self.line_rows,
                                 want_jacobian, n_rows=len(self.jac_row))

    def _peaks_numpy(self, col, want_jacobian):
        """The peaks and their Jacobian rows, line by line with each line shape's partials."""
        n_spec = next(iter(col.values())).shape[0]
        peaks = np.zeros((n_spec, self.x.shape[1]))
        jac = np.zeros((n_spec, len(self.jac_row), self.x.shape[1])) if want_jacobian else None
        for line, (center, w, area, area_factor, ratio_factor), rows in zip(self.lines, self._line_values(col),
                                                                            self.line_rows):
            y, dc, dw, unit = line.lineshape.partials(self.x, center, w, area, *line.shape)
            peaks += y
            if want_jacobian:
                for row, partial in zip(rows, (dc, dc, dw, unit * area_factor, unit * ratio_factor, dc, dc)):
                    if row >= 0:
                        jac[:, row] += partial
        return peaks, jac


class _Line(NamedTuple):
    """One line of the model (a doublet has two) and the parameter names it depends on: its centre is
    ``center`` (+ ``reference``, the centre it is an offset from) (+ ``shift``) (+ ``splitting``)."""

    lineshape: lineshapes.LineShape
    shape: list
    center: str
    splitting: str | None
    fwhm: str
    area: str
    ratio: str | None
    shift: str | None = None
    reference: str | None = None

    #: the roles of a line's parameters, in the kernel's row order (:func:`spectra.kernels.xps_lines`)
    ROLES = ("center", "splitting", "fwhm", "area", "ratio", "shift", "reference")

    def roles(self):
        """Parameter names in the kernel's row order (:attr:`ROLES`): centre, splitting, FWHM, area,
        ratio, shift, reference centre."""
        return self.center, self.splitting, self.fwhm, self.area, self.ratio, self.shift, self.reference
