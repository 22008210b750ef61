"""The XRD pattern model of :class:`spectra.xrd.pattern_model.XRDModel` for N patterns at once, with its
analytic Jacobian, for the batched Levenberg–Marquardt engine (:mod:`spectra.fitting.lm`).

Every reflection of a phase template and every free peak is a *line* with a Kα1 centre ``c1``, a Kα2
centre ``c2``, one FWHM ``w``, a mixing ``η`` and an area ``A`` (the Kα2 line has area ``r·A``). The
Jacobian is assembled by the chain rule in two steps:

1. per line, the sensitivities ``∂(c1, c2, w, η, A)/∂θ`` of the line parameters to the fitted
   parameters θ — through the cell (``1/d² = Σ Q_j / p_j²`` for the refined lengths ``p_j``), Bragg's
   law, the Lorentz-polarisation factor, the cell volume, the March–Dollase factor, the Caglioti and
   Lorentzian instrument widths, the Scherrer size and microstrain terms, the Thompson–Cox–Hastings
   combination, the Kα2 position and the specimen displacement and zero shift (a Pawley line's area
   is its own parameter); with a profile other than the pseudo-Voigt, asymmetry or a refined Kα2
   ratio, also the profile's shape terms and the Bérar–Baldinozzi weights ``a = P1/tanθ + P3/tan 2θ``,
   ``b = P2/tanθ + P4/tan 2θ``;
2. per grid point, the profile partials ``∂y/∂(c1, c2, w, η, A, …)``, contracted with those
   sensitivities over the lines.

The lines of all phases are computed in one pass over (N, K) arrays (:class:`_PhaseLines`: each
line's phase, its cell terms as a matrix, and the (line, Jacobian row) pairs of every per-phase
parameter), the free peaks after them. The sensitivities are one array (inputs, N, K, F) that the
phase lines and each free peak fill through views. The plain case
(pseudo-Voigt, no asymmetry, fixed Kα2 ratio) runs in the compiled kernel
(:func:`spectra.kernels.windowed.pseudo_voigt_lines`: each line's Gaussian within ± :data:`LINE_REACH`
FWHM, its Lorentzian tail everywhere, equal to the full evaluation to rounding); the others in numpy through
:func:`spectra.xrd.profiles.line_curves`, Kα1 and Kα2 lines separately (so ``∂/∂r`` is their Kα2
curves), in blocks of patterns that bound the memory. Every column is analytic. Le Bail phases are
not supported here (:meth:`spectra.xrd.problem.XRDProblem.unsupported`).

The lines' sum (phases and free peaks) is then multiplied point by point by the beam-overspill factor f
(:func:`spectra.xrd.profiles.overspill`) when the recipe has ``overspill``: their Jacobian rows by f, and
the ``overspill`` row is the lines' sum times ∂f/∂(2θc). Amorphous humps (Gaussian sub-bands, with
:func:`spectra.kernels.windowed.gaussian_bands`) and the
Chebyshev background are added directly. Values equal
``XRDModel.evaluate`` (tested to 1e-9 relative), and the Jacobian equals central differences
(tested).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import chebyshev

from ..errors import FitError
from ..kernels import windowed
from . import profiles
from .pattern_model import XRDModel
from .reflections import lorentz_polarisation
from .structure import reciprocal_metric

DEG = 180.0 / math.pi
#: d(θ in radians)/d(2θ in degrees)
HALF_RAD = math.pi / 360.0
#: line parameters whose sensitivities are tracked (the kernel's order)
_INPUTS = ("c1", "c2", "w", "eta", "area")
#: elements (spectra × lines × points) of one block of profile partials in the numpy path
_BLOCK_ELEMENTS = 2_000_000
#: half-width in FWHM of the window where the compiled-kernel case evaluates each line's Gaussian (its
#: Lorentzian tail is added everywhere; :mod:`spectra.kernels.windowed`); ``np.inf``: no window
LINE_REACH = windowed.REACH


class _Lengths:
    """A phase's refined cell lengths: ``1/d² = Σ_j Q_j / p_j²`` and ``V ∝ Π p_j^{e_j}``."""

    def __init__(self, model: XRDModel, name: str, lines: np.ndarray):
        t = model.templates[name]
        a, _b, c = t.nominal[:3]
        h = t.lines.indices[lines].astype(float)

        def q(cell):
            return np.einsum("ni,ij,nj->n", h, reciprocal_metric(cell), h)

        if t.system == "cubic":
            self.terms = [(f"{name}_a", a, q(t.nominal) * a * a, 3.0)]
        elif t.system == "hexagonal":
            rest = t.nominal[3:]
            q1, q2 = q((1.0, 1.0, 1.0, *rest)), q((1.0, 1.0, 2.0, *rest))
            qc = (q1 - q2) * 4.0 / 3.0
            self.terms = [(f"{name}_a", a, q1 - qc, 2.0), (f"{name}_c", c, qc, 1.0)]
        else:
            self.terms = [(f"{name}_cell_scale", 1.0, q(t.nominal), 3.0)]
        self.volume0 = t.volume(t.nominal)


class _Phase:
    """What the batched model keeps of a phase: its recipe entry, refined lengths, m|F|² of its
    candidate lines, March–Dollase geometry (or None) and Pawley parameter names (or None)."""

    def __init__(self, spec, lengths: _Lengths, mf2, orientation, pawley):
        self.spec, self.name, self.lengths, self.mf2 = spec, spec.name, lengths, mf2
        self.orientation, self.pawley = orientation, pawley


class _PhaseLines:
    """The candidate lines of all phases side by side (K lines, phase by phase), for computing their
    parameters in one pass: each line's phase, m|F|², its phase's parameter columns in θ, the cell
    terms as a (T, K) matrix of ``Q_j`` (zero outside the term's phase), and, for each per-phase
    parameter, the (line, Jacobian row) pairs where it varies."""

    def __init__(self, phases: list[_Phase], index: dict, jac_row: dict):
        sizes = [ph.mf2.size for ph in phases]
        bounds = np.cumsum([0, *sizes])
        self.count = int(bounds[-1])
        self.slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        owner = np.repeat(np.arange(len(phases), dtype=int), sizes)
        self.owner = owner
        self.mf2 = np.concatenate([np.zeros(0), *(ph.mf2 for ph in phases)]).astype(float)
        terms = [(k, *term) for k, ph in enumerate(phases) for term in ph.lengths.terms]
        self.q_matrix = np.zeros((len(terms), self.count))
        for t, (k, _, _, big_q, _) in enumerate(terms):
            self.q_matrix[t, self.slices[k]] = big_q
        self.term_columns = np.array([index.get(p, -1) for _, p, *_ in terms], dtype=int)
        self.term_nominal = np.array([nominal for _, _, nominal, _, _ in terms], dtype=float)
        self.term_exponent = np.array([e for *_, e in terms], dtype=float)
        self.term_starts = np.searchsorted([k for k, *_ in terms], np.arange(len(phases)))
        self.volume0 = np.array([ph.lengths.volume0 for ph in phases], dtype=float)

        def columns(key):  # per line, its phase's parameter column in θ (0 where the phase has none)
            return np.array([index.get(f"{ph.name}_{key}", 0) for ph in phases], dtype=int)[owner]

        def pairs(names):  # (lines, rows) where the phase's parameter names[k] varies
            found = [(np.arange(sl.start, sl.stop), jac_row[n]) for sl, n in zip(self.slices, names) if n in jac_row]
            lines = np.concatenate([a for a, _ in found]) if found else np.zeros(0, dtype=int)
            return lines, np.concatenate([np.full(a.size, r) for a, r in found]) if found else lines.copy()

        self.scale_columns, self.size_columns = columns("scale"), columns("size")
        self.strain_columns = columns("strain") if any(ph.spec.strain is not None for ph in phases) else None
        self.strain_lines = np.array([ph.spec.strain is not None for ph in phases], dtype=bool)[owner]
        self.scale_pairs = pairs([f"{ph.name}_scale" if ph.pawley is None else None for ph in phases])
        self.size_pairs = pairs([f"{ph.name}_size" for ph in phases])
        self.strain_pairs = pairs([f"{ph.name}_strain" if ph.spec.strain is not None else None for ph in phases])
        self.po_pairs = pairs([f"{ph.name}_po_r" if ph.orientation is not None and ph.pawley is None else None
                               for ph in phases])
        #: phases with preferred orientation: (lines, geometry, column of r); Pawley phases: (lines, columns)
        self.oriented = [(sl, ph.orientation, index[f"{ph.name}_po_r"])
                         for sl, ph in zip(self.slices, phases) if ph.orientation is not None]
        self.pawley = [(sl, np.array([index[n] for n in ph.pawley], dtype=int))
                       for sl, ph in zip(self.slices, phases) if ph.pawley is not None]
        pawley_rows = [(sl.start + k, jac_row[n]) for sl, ph in zip(self.slices, phases) if ph.pawley is not None
                       for k, n in enumerate(ph.pawley) if n in jac_row]
        self.pawley_pairs = tuple(np.array([pair[j] for pair in pawley_rows], dtype=int) for j in (0, 1))
        # the varying cell terms, one entry per (line, term): line, Jacobian row, term, Q_j, structure intensities
        entries = [(line, jac_row[p], t, self.q_matrix[t, line], phases[k].pawley is None)
                   for t, (k, p, *_) in enumerate(terms) if p in jac_row
                   for line in range(self.slices[k].start, self.slices[k].stop)]
        self.cell_lines, self.cell_rows, self.cell_terms = (np.array([e[j] for e in entries], dtype=int)
                                                            for j in range(3))
        self.cell_q = np.array([e[3] for e in entries], dtype=float)
        self.cell_structure = np.array([e[4] for e in entries], dtype=bool)

    def lengths(self, theta):
        """The refined cell lengths (N, T) (nominal where a length is not a parameter)."""
        safe = np.maximum(self.term_columns, 0)
        return np.where(self.term_columns >= 0, theta[:, safe], self.term_nominal)


class BatchedXRD:
    """Values and Jacobians of N XRD patterns on one 2θ grid with one recipe.

    Parameters
    ----------
    model : XRDModel
        The model of one pattern of the group (its templates, parameter order and grid are used).
    names : list of str
        Parameter names in ``model.params`` order.
    vary : ndarray of bool
        Which parameters are fitted (the Jacobian has a row for each of these).
    """

    def __init__(self, model: XRDModel, names: list[str], vary: np.ndarray):
        self.spec = model.spec
        self.x = model.x[None, None, :]
        self.lo, self.hi = model.lo, model.hi
        self.index = {n: i for i, n in enumerate(names)}
        self.jac_row = {n: k for k, n in enumerate(n for n, v in zip(names, vary) if v)}
        rad = self.spec.radiation
        self.lam = rad.ka1
        self.ka2 = rad.ka2 / rad.ka1 if rad.ka2 is not None and rad.ka2_ratio > 0 else None
        self.ka2_ratio = rad.ka2_ratio if self.ka2 is not None else 0.0
        self.profile = self.spec.profile
        self.shape_keys = list(profiles.PROFILES[self.profile].parameters)
        self.asymmetric, self.axial = model.asymmetric, model.axial
        self.refined_ratio = "ka2_ratio" in self.index
        #: the compiled kernel's case: pseudo-Voigt lines, symmetric, a fixed Kα2 ratio
        self.plain = (self.profile == "pseudo-voigt" and not self.asymmetric and not self.axial
                      and not self.refined_ratio)
        #: line inputs beyond the kernel's
        self.position_extra = [*(("asym_a", "asym_b") if self.asymmetric else ()),
                               *(("axial_s",) if self.axial else ())]
        self.extra = [*self.shape_keys, *self.position_extra]
        #: the line inputs whose sensitivities are kept (the kernel's first)
        self.keys = (*_INPUTS, *self.extra) if not self.plain else _INPUTS
        self.phases, line_params, self.n_lines = [], [], len(self.spec.peaks)
        shared = ["displacement", "zero", *(["ka2_ratio"] if self.refined_ratio else [])]
        instrument = [f"inst_{k}" for k in self.spec.instrument]
        for ph in self.spec.phases:
            t = model.templates[ph.name]
            lines = self._candidates(t)
            pawley = None
            if ph.intensities == "pawley":
                lines = np.array([k for k in lines if k in model.pawley[ph.name]], dtype=int)
                pawley = [model.pawley[ph.name][k] for k in lines]
            lengths = _Lengths(model, ph.name, lines)
            orientation = None
            if ph.orientation is not None:
                cos_alpha, weights = model.orientation[ph.name]
                orientation = (cos_alpha[lines], weights[lines])
            self.phases.append(_Phase(ph, lengths, t.m_f2[lines], orientation, pawley))
            self.n_lines += lines.size
            own = [f"{ph.name}_scale", f"{ph.name}_size", f"{ph.name}_strain", f"{ph.name}_po_r",
                   *(p for p, *_ in lengths.terms), *instrument, *shared]
            line_params += [own + [pawley[k]] if pawley else own for k in range(lines.size)]
        self.phase_lines = _PhaseLines(self.phases, self.index, self.jac_row)
        for peak in self.spec.peaks:
            line_params.append([f"{peak.name}_{k}" for k in ("center", "fwhm", "area", "eta")] + shared)
        rows = [[self.jac_row[p] for p in params if p in self.jac_row] for params in line_params]
        self.line_columns = np.full((len(rows), max(map(len, rows), default=0)), -1, dtype=np.int64)
        for k, r in enumerate(rows):
            self.line_columns[k, :len(r)] = r
        #: per hump: columns of its centre, FWHM and area in θ, its sub-bands (S, 3) and Jacobian rows (−1: fixed)
        self.humps = [([self.index[f"{h.name}_{k}"] for k in ("center", "fwhm", "area")], np.array(h.shape, float),
                       [self.jac_row.get(f"{h.name}_{k}", -1) for k in ("center", "fwhm", "area")])
                      for h in self.spec.humps]
        order = self.spec.background_order
        u = 2 * (model.x - model.lo) / (model.hi - model.lo) - 1
        self.chebyshev = np.array([chebyshev.chebval(u, np.eye(order + 1)[k]) for k in range(order + 1)]) \
            if order >= 0 else np.zeros((0, model.x.size))

    def _candidates(self, template) -> np.ndarray:
        """Lines that can enter the window (± 3°, where XRDModel keeps them) for any cell within the
        ±3 % bounds of the cell parameters."""
        s = self.lam / (2 * template.lines.d)
        s_low, s_high = s / 1.03, np.minimum(s / 0.97, 1.0)
        low, high = 2 * np.degrees(np.arcsin(s_low.clip(-1, 1))), 2 * np.degrees(np.arcsin(s_high))
        return np.where((s_low < 0.999) & (low < self.hi + 3) & (high > self.lo - 3))[0]

    # ------------------------------------------------------------------------ line parameters
    def _line_parameters(self, theta, want_jacobian):
        """(c1, c2, w, eta, area and the extra inputs) of every line, (N, K) each, and, if asked, their
        sensitivities ∂/∂θ: one array (inputs, N, K, F) in the order of ``self.keys`` (so its first
        five are the kernel's), filled through views (all phase lines, then each free peak); else None."""
        n_spec = theta.shape[0]
        col = {n: theta[:, i:i + 1] for n, i in self.index.items()}
        block = np.zeros((len(self.keys), n_spec, self.n_lines, len(self.jac_row))) if want_jacobian else None
        parts, start = [], 0

        def views(n_lines):
            return {k: block[j, :, start:start + n_lines] for j, k in enumerate(self.keys)} if want_jacobian else None

        if self.phase_lines.count:
            parts.append(self._phase_lines(theta, col, views(self.phase_lines.count)))
            start += self.phase_lines.count
        for peak in self.spec.peaks:
            parts.append(self._free_peak(col, peak.name, views(1)))
            start += 1
        values = {k: np.concatenate([p[k] for p in parts], axis=1) if parts else np.zeros((n_spec, 0))
                  for k in self.keys if all(k in p for p in parts)}
        return values, block

    def _add(self, sens, key, name, value):
        if name in self.jac_row:
            sens[key][:, :, self.jac_row[name]] += value

    def _phase_lines(self, theta, col, sens):
        """Line inputs of all phases' lines (N, K) at once; their sensitivities are added into ``sens``
        (views, (N, K, F) per input) unless it is None."""
        pl = self.phase_lines
        lengths = pl.lengths(theta)
        q = (1.0 / lengths**2) @ pl.q_matrix
        s_raw = 0.5 * self.lam * np.sqrt(q)
        tt_raw = 2 * np.degrees(np.arcsin(np.clip(s_raw, -1, 1)))
        keep = (s_raw < 0.999) & (tt_raw > self.lo - 3) & (tt_raw < self.hi + 3)
        tt = np.where(keep, tt_raw, 0.5 * (self.lo + self.hi))  # safe values where dropped
        theta_rad = tt * HALF_RAD
        tan, cos, sin = np.tan(theta_rad), np.cos(theta_rad), np.sin(theta_rad)
        volume = pl.volume0 * np.multiply.reduceat((lengths / pl.term_nominal) ** pl.term_exponent, pl.term_starts,
                                                   axis=1)
        lp = lorentz_polarisation(tt)
        per_scale = np.where(keep, pl.mf2 * lp / volume[:, pl.owner] ** 2, 0.0)
        orientation = d_orientation = 1.0
        if pl.oriented:
            orientation, d_orientation = np.ones_like(tt), np.zeros_like(tt)
            for lines, geometry, column in pl.oriented:
                orientation[:, lines], d_orientation[:, lines] = profiles.march_dollase(
                    *geometry, theta[:, column, None, None])
        scale = theta[:, pl.scale_columns]
        area = scale * per_scale * orientation
        for lines, columns in pl.pawley:
            area[:, lines] = np.where(keep[:, lines], theta[:, columns], 0.0)
        size = theta[:, pl.size_columns]
        strain = None if pl.strain_columns is None else np.where(pl.strain_lines, theta[:, pl.strain_columns], 0.0)
        w, eta, tt_sens = self._widths_and_positions(col, tt, tan, cos, sin, size, sens, strain)
        values = {"area": area, "w": w, "eta": eta, **tt_sens["values"]}
        if not self.plain:
            self._shape_and_asymmetry(col, values, tt)
        if sens is None:
            return values
        if not self.plain:
            self._shape_and_asymmetry_sensitivities(col, sens, tt, tt_sens)
        dtot, deta = tt_sens["d_total"], tt_sens["d_eta"]
        for (lines, rows), derivative in ((pl.size_pairs, lambda k: -tt_sens["scherrer"][:, k] / size[:, k]),
                                          (pl.strain_pairs, lambda k: DEG * 4.0 * tan[:, k])):
            if lines.size:
                dv = derivative(lines)
                sens["w"][:, lines, rows] += dtot[1][:, lines] * dv
                sens["eta"][:, lines, rows] += deta[1][:, lines] * dv
        lines, rows = pl.scale_pairs
        sens["area"][:, lines, rows] += (per_scale * orientation)[:, lines]
        lines, rows = pl.po_pairs
        sens["area"][:, lines, rows] += (scale * per_scale * d_orientation)[:, lines]
        lines, rows = pl.pawley_pairs
        sens["area"][:, lines, rows] = keep[:, lines]
        lines, rows = pl.cell_lines, pl.cell_rows
        if lines.size:
            length = lengths[:, pl.cell_terms]
            dtt = np.where(keep[:, lines], DEG * tan[:, lines] / q[:, lines] * (-2 * pl.cell_q / length**3), 0.0)
            for key in ("c1", "c2", "w", "eta", *self.position_extra):
                sens[key][:, lines, rows] += tt_sens[key][:, lines] * dtt
            structure = pl.cell_structure
            lines, rows = lines[structure], rows[structure]
            if lines.size:
                cos2t = np.cos(2 * theta_rad[:, lines])
                dlnlp = HALF_RAD * (-2 * np.sin(4 * theta_rad[:, lines]) / (1 + cos2t**2) - 2 / tan[:, lines]
                                    + tan[:, lines])
                exponent = pl.term_exponent[pl.cell_terms[structure]]
                sens["area"][:, lines, rows] += area[:, lines] * (dlnlp * dtt[:, structure]
                                                                  - 2 * exponent / length[:, structure])
        return values

    def _shape_and_asymmetry(self, col, values, tt):
        """The profile's shape terms and the Bérar–Baldinozzi weights a, b of phase lines
        (:func:`spectra.xrd.profiles.asymmetry_weights`)."""
        for key in self.shape_keys:
            values[key] = np.broadcast_to(col[f"inst_{key}"], tt.shape)
        if self.asymmetric:
            values["asym_a"], values["asym_b"] = profiles.asymmetry_weights(tt, *self._asymmetry_terms(col))[:2]
        if self.axial:
            values["axial_s"] = profiles.axial_divergence(tt, col["inst_axial"])[0]

    def _asymmetry_terms(self, col):
        return [col.get(f"inst_asym_p{k}", 0.0) for k in range(1, 5)]

    def _shape_and_asymmetry_sensitivities(self, col, sens, tt, tt_sens):
        for key in self.shape_keys:
            self._add(sens, key, f"inst_{key}", 1.0)
        if self.asymmetric:
            theta = tt * HALF_RAD
            cot, cot2 = np.cos(theta) / np.sin(theta), np.cos(2 * theta) / np.sin(2 * theta)
            for k, weight in ((1, cot), (3, cot2)):
                self._add(sens, "asym_a", f"inst_asym_p{k}", weight)
                self._add(sens, "asym_b", f"inst_asym_p{k + 1}", weight)
            _, _, tt_sens["asym_a"], tt_sens["asym_b"] = profiles.asymmetry_weights(tt, *self._asymmetry_terms(col))
        if self.axial:
            self._add(sens, "axial_s", "inst_axial", profiles.axial_divergence(tt, 1.0)[0])
            tt_sens["axial_s"] = profiles.axial_divergence(tt, col["inst_axial"])[1]

    def _free_peak(self, col, name, sens):
        tt = col[f"{name}_center"]
        theta_rad = tt * HALF_RAD
        values = {"area": col[f"{name}_area"], "w": col[f"{name}_fwhm"], "eta": col[f"{name}_eta"]}
        shifts = self._positions(col, tt, np.cos(theta_rad), np.sin(theta_rad), sens is not None)
        values.update(shifts["values"])
        if not self.plain:  # free peaks are pseudo-Voigt and symmetric: their extra inputs are placeholders
            values.update({k: np.zeros_like(tt) for k in self.extra})
        if sens is not None:
            for key in ("area", "w", "eta"):
                self._add(sens, key, f"{name}_{'fwhm' if key == 'w' else key}", 1.0)
            for key in ("c1", "c2"):
                self._add(sens, key, f"{name}_center", shifts[key])
            self._add_shift_sensitivities(sens, shifts)
        return values

    def _positions(self, col, tt, cos, sin, want_jacobian):
        """Kα1 and Kα2 centres with displacement and zero shift, and their derivatives by 2θ."""
        radius = self.spec.radius_mm
        disp = col["displacement"]
        shift = DEG * (-2e-3 * disp * cos / radius) + col["zero"]
        c1 = tt + shift
        out = {"values": {"c1": c1, "c2": c1}}
        if self.ka2 is not None:
            s2 = np.clip(sin * self.ka2, -1, 1)
            out["values"]["c2"] = 2 * np.degrees(np.arcsin(s2)) + shift
        if want_jacobian:
            dshift = 1e-3 * disp * sin / radius
            out["c1"] = 1.0 + dshift
            slope = self.ka2 * cos / np.sqrt(np.maximum(1 - s2**2, 1e-300)) if self.ka2 is not None else 1.0
            out["c2"] = slope + dshift
            out["d_displacement"] = DEG * (-2e-3 * cos / radius)
        return out

    def _add_shift_sensitivities(self, sens, shifts):
        for key in ("c1", "c2"):
            self._add(sens, key, "displacement", shifts["d_displacement"])
            self._add(sens, key, "zero", 1.0)

    def _widths_and_positions(self, col, tt, tan, cos, sin, size, sens, strain=None):
        """TCH FWHM and η of phase lines (Caglioti, Lorentzian instrument, Scherrer and microstrain
        terms; ``size`` and ``strain`` per line), their positions, and (into ``sens`` unless None) the
        sensitivities to the instrument, displacement and zero; with ``sens``, also ∂(FWHM, η)/∂(G, L)
        (``d_total``, ``d_eta``) and the Scherrer FWHM (``scherrer``) for the per-phase terms."""
        u, v, w_, x_, y_ = (col[f"inst_{k}"] for k in "uvwxy")
        inside = u * tan**2 + v * tan + w_
        gauss = np.sqrt(np.maximum(inside, 1e-8))
        scherrer = profiles.scherrer_fwhm(tt, size, self.lam)
        lorentz = x_ * tan + y_ / cos + scherrer
        if strain is not None:
            lorentz = lorentz + DEG * 4.0 * strain * tan
        total, eta, dtot, deta = _tch(gauss, lorentz, sens is not None)
        shifts = self._positions(col, tt, cos, sin, sens is not None)
        if sens is None:
            return total, eta, shifts
        g_half = np.where(inside > 1e-8, 0.5 / gauss, 0.0)
        # ∂(Gaussian, Lorentzian FWHM)/∂p, computed for the varying p only
        d_gauss = {"inst_u": lambda: tan**2 * g_half, "inst_v": lambda: tan * g_half, "inst_w": lambda: g_half}
        d_lorentz = {"inst_x": lambda: tan, "inst_y": lambda: 1 / cos}
        for derivs, which in ((d_gauss, 0), (d_lorentz, 1)):
            for p, derivative in derivs.items():
                if p in self.jac_row:
                    dv = derivative()
                    self._add(sens, "w", p, dtot[which] * dv)
                    self._add(sens, "eta", p, deta[which] * dv)
        self._add_shift_sensitivities(sens, shifts)
        # derivatives by 2θ of everything that depends on the line position (used through the cell)
        sec2 = 1 + tan**2
        dg_dtt = (2 * u * tan + v) * sec2 * HALF_RAD * g_half
        dl_dtt = HALF_RAD * (x_ * sec2 + y_ * tan / cos + scherrer * tan
                             + (DEG * 4.0 * strain * sec2 if strain is not None else 0.0))
        shifts["w"] = dtot[0] * dg_dtt + dtot[1] * dl_dtt
        shifts["eta"] = deta[0] * dg_dtt + deta[1] * dl_dtt
        shifts.update(d_total=dtot, d_eta=deta, scherrer=scherrer)
        return total, eta, shifts

    def _numpy_lines(self, col, lines, sens, want_jacobian):
        """Sum of the lines (phase lines in the recipe's profile with asymmetry, free peaks as
        pseudo-Voigt), Kα1 and Kα2 separately, and its Jacobian; in blocks of patterns."""
        n_spec, n_lines = lines["area"].shape
        n_points = self.x.shape[2]
        total = np.zeros((n_spec, n_points))
        jac = np.zeros((n_spec, len(self.jac_row), n_points)) if want_jacobian else None
        n_phase = n_lines - len(self.spec.peaks)
        groups = ((slice(0, n_phase), self.profile, True), (slice(n_phase, n_lines), "pseudo-voigt", False))
        ratio = col["ka2_ratio"] if self.refined_ratio else np.full((n_spec, 1), self.ka2_ratio)
        centres = (("c1", None), ("c2", ratio)) if self.ka2 is not None else (("c1", None),)
        block = max(1, _BLOCK_ELEMENTS // max(n_lines * n_points, 1))
        for start in range(0, n_spec, block):
            rows = slice(start, start + block)
            for part, profile, instrumental in groups:
                if part.stop == part.start:
                    continue

                def line(key, rows=rows, part=part):
                    return lines[key][rows, part][:, :, None]

                shape = {k: line(k) for k in profiles.PROFILES[profile].parameters}
                asym = (line("asym_a"), line("asym_b")) if instrumental and self.asymmetric else None
                axial = line("axial_s") if instrumental and self.axial else None
                area = line("area")
                for centre, weight in centres:
                    factor = 1.0 if weight is None else weight[rows][:, :, None]
                    out = profiles.line_curves(profile, self.x, line(centre), line("w"), line("eta"), factor * area,
                                               shape, asym, axial, partials=want_jacobian)
                    if not want_jacobian:
                        total[rows] += out.sum(axis=1)
                        continue
                    curves, partial = out
                    total[rows] += curves.sum(axis=1)
                    keys = {centre: "c", "w": "w", "eta": "eta", **{k: k for k in shape},
                            **({k: k for k in self.position_extra} if instrumental else {})}
                    for key, which in keys.items():
                        jac[rows] += np.matmul(sens[key][rows, part].transpose(0, 2, 1), partial[which])
                    jac[rows] += np.matmul(sens["area"][rows, part].transpose(0, 2, 1), factor * partial["area"])
                    if weight is not None and "ka2_ratio" in self.jac_row:
                        jac[rows, self.jac_row["ka2_ratio"]] += np.einsum("bk,bkn->bn", area[:, :, 0],
                                                                          partial["area"])
        return total, jac

    # ------------------------------------------------------------------------ the pattern
    def evaluate(self, theta: np.ndarray, want_jacobian: bool, rows=slice(None)):
        """Model (N, n) and, if asked, ∂model/∂θ (N, F, n) for the F varying parameters, at external
        parameters ``theta`` (N, P). ``rows`` is accepted for the engine's interface (no per-pattern
        state here)."""
        n_spec = theta.shape[0]
        n_points = self.x.shape[2]
        col = {n: theta[:, i:i + 1] for n, i in self.index.items()}
        lines, block = self._line_parameters(theta, want_jacobian)
        if lines["area"].shape[1] and self.plain:
            stacked = block if want_jacobian else np.zeros((len(_INPUTS), n_spec, 0, len(self.jac_row)))
            total, jac = windowed.pseudo_voigt_lines(self.x[0, 0], lines["c1"], lines["c2"], lines["w"],
                                                     lines["eta"], lines["area"], self.ka2_ratio, stacked,
                                                     self.line_columns, want_jacobian, LINE_REACH)
        elif lines["area"].shape[1]:
            sens = dict(zip(self.keys, block)) if want_jacobian else None
            total, jac = self._numpy_lines(col, lines, sens, want_jacobian)
        else:
            total = np.zeros((n_spec, n_points))
            jac = np.zeros((n_spec, len(self.jac_row), n_points)) if want_jacobian else None
        if self.spec.overspill is not None:
            factor, derivative = profiles.overspill(self.x[0], col["overspill"])
            if want_jacobian:
                jac *= factor[:, None, :]
                if "overspill" in self.jac_row:
                    jac[:, self.jac_row["overspill"]] += total * derivative
            total = total * factor
        for columns, shape, rows in self.humps:
            windowed.gaussian_bands(self.x[0, 0], *(theta[:, i] for i in columns), shape, rows, total,
                                    jac if want_jacobian else None)
        if len(self.chebyshev):
            coefficients = theta[:, [self.index[f"bg_c{k}"] for k in range(len(self.chebyshev))]]
            total += coefficients @ self.chebyshev
            if want_jacobian:
                for k, basis in enumerate(self.chebyshev):
                    if f"bg_c{k}" in self.jac_row:
                        jac[:, self.jac_row[f"bg_c{k}"]] += basis
        if not np.all(np.isfinite(total)):
            raise FitError("the XRD model is not finite at these parameters")
        return total, jac


def _columns(col, names) -> np.ndarray:
    """Parameters ``names`` side by side, (N, len(names))."""
    if not names:
        return np.zeros((next(iter(col.values())).shape[0], 0))
    return np.concatenate([col[n] for n in names], axis=1)


def _tch(gauss, lorentz, want_jacobian):
    """TCH total FWHM and η (:func:`spectra.xrd.profiles.tch_parameters`), with (∂/∂G, ∂/∂L) of
    each when asked."""
    total, eta = profiles.tch_parameters(gauss, lorentz)
    if not want_jacobian:
        return total, eta, None, None
    c, gp, lp = profiles.TCH_FWHM, [1.0, gauss], [1.0, lorentz]  # powers 0-4 of G and L
    for _ in range(3):
        gp.append(gp[-1] * gauss)
        lp.append(lp[-1] * lorentz)
    dpoly_g = sum((5 - k) * c[k] * gp[4 - k] * lp[k] for k in range(5))
    dpoly_l = sum(k * c[k] * gp[5 - k] * lp[k - 1] for k in range(1, 6))
    lo = lorentz
    scale = 0.2 * total / total**5  # d(P^0.2)/dP with P = total⁵
    dtot = (scale * dpoly_g, scale * dpoly_l)
    q = lo / total
    deta_dq = sum((k + 1) * e * q**k for k, e in enumerate(profiles.TCH_ETA))
    deta = (deta_dq * (-lo / total**2) * dtot[0], deta_dq * (1 / total - lo / total**2 * dtot[1]))
    return total, eta, dtot, deta
