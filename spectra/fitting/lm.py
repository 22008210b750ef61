"""A vectorised Levenberg–Marquardt engine: N independent least-squares problems advanced together.

* residuals and analytic Jacobians of the whole batch at once, from a *batched model* (an object
  with ``evaluate(theta, want_jacobian, rows) -> (model (N, n), jacobian (N, F, n))``:
  :class:`spectra.xps.batched.BatchedXPS`, :class:`spectra.xrd.batched.BatchedXRD`), reduced to the
  normal equations (χ², JᵀJ, Jᵀr) of each problem; a model may give those itself with
  ``normal_equations(theta, rows, y, weight)`` (the same four arrays as
  :func:`spectra.kernels.normal_equations`), e.g. without forming the Jacobian in memory;
* bounds handled by the sine / square-root transformations MINUIT and lmfit use, with MINPACK's
  damping scale (the largest column norm seen), so a parameter pinned at a bound is still damped;
  a parameter near its bound whose step would carry it past the bound stops just short of it and
  the others' step is solved again without it (an active-set step), so a best fit *on* a bound is
  reached in a few iterations (through the transform alone it is approached slowly, as in lmfit);
* a damping factor λ per problem with Nielsen's update (by the gain ratio of actual to predicted
  decrease), convergence tests (MINPACK's ftol on actual and predicted decrease, xtol) and an active
  mask per problem: converged problems drop out of the arithmetic;
* continuous batching (``window``): a working set of problems is advanced together and each one
  that finishes is replaced by the next waiting one, so that no problem waits for a slow one.

Standard errors come from ``(JᵀJ)⁻¹`` scaled by χ²ᵣ, as lmfit's default does. A problem that reaches
the iteration cap is reported as failed with that reason rather than as converged. Every operation
is per problem, so a problem's numbers do not depend on the others in its batch or on ``window``.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..kernels import normal_equations, solve_stacked

#: initial damping factor λ (relative to the diagonal of JᵀJ). It is updated by Nielsen's rule
#: (H. B. Nielsen, "Damping parameter in Marquardt's method", IMM-REP-1999-05, DTU): λ·max(1/3,
#: 1 − (2ρ − 1)³) after an accepted step with gain ratio ρ, λ·ν after a rejected one (ν doubling from
#: 2). The former ×1/10 and ×10 made a sharp-lined XRD pattern crawl for 626 iterations, 0.025 σ short
#: of lmfit's minimum; with this rule it converged in 31, and S 2p fits kept their iterations.
LAMBDA0 = 1e-3
#: largest step (radians) of a parameter bounded on both sides, in its sine-transformed coordinate;
#: a longer step is shortened as a whole. Without it a first Gauss-Newton step could carry a
#: parameter onto its bound, where the transform is flat and the parameter stays: on S 2p doublets
#: with untied minor-line widths, 4 of 40 fits ended in worse local minima than lmfit's, and none
#: with the cap (which also cut their iterations from 26 to 8; well-posed fits are unchanged).
MAX_ANGLE = 0.25
#: consecutive accepted steps with a relative χ² change below ftol after which a problem has converged
#: even though the linearised model still predicts more: a weakly determined parameter drifting along
#: a flat valley (each step capped by MAX_ANGLE), which would otherwise run to the iteration cap and
#: hold its whole chunk (seen: 1 XRD pattern in 100, a minor phase's cell length)
FLAT_STEPS = 30
#: a step that would carry a parameter bounded on both sides, already within MAX_ANGLE of its bound
#: (in the sine coordinate), over the top of the sine (past the bound) ends this far (radians) short of
#: the top instead: the parameter sits at the bound (within span·BOUND_GAP²/4) and the other parameters
#: keep their full step. Without it the damped Gauss-Newton step of such a parameter is long, the
#: MAX_ANGLE cap shortened the *whole* step, and the other parameters crept on for hundreds of
#: iterations (seen: 3 in 1,000 varied S 2p spectra with a centre offset or FWHM at its bound, 157 to
#: over 1,000 iterations; lmfit, with the same transform, took 250-850 evaluations for them).
BOUND_GAP = 1e-4
#: a parameter with one bound (square-root transform, u = 0 at the bound) is near it within this
#: fraction of its start's distance in u; there a step past the bound stops short of it, as above
#: (an area going to zero otherwise halved its distance per iteration, and a centre it no longer
#: determined drifted meanwhile: up to 1,000 iterations on sloped spectra fitted without a slope term)
NEAR_ONE_BOUND = 0.05
#: waiting spectra join the working set once 1/ADMIT_EVERY of its places are free (or it is empty): one
#: model call for several of them rather than one for each place freed (the call's own cost, ~50 µs,
#: was 8 % of the time of a varied S 2p run)
ADMIT_EVERY = 8
#: condition number of the unit-diagonal JᵀJ above which the covariance is reported singular (NaN)
SINGULAR = 1e14
#: condition numbers below this are taken from the eigenvalues alone (:func:`_condition`)
CLEARLY_REGULAR = 1e12


def _to_internal(theta, lo, hi):
    both, low_only, high_only = np.isfinite(lo) & np.isfinite(hi), np.isfinite(lo) & ~np.isfinite(hi), \
        ~np.isfinite(lo) & np.isfinite(hi)
    u = theta.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(both, np.arcsin(np.clip(2 * (theta - lo) / np.where(both, hi - lo, 1) - 1, -1, 1)), u)
        u = np.where(low_only, np.sqrt(np.maximum((theta - lo + 1) ** 2 - 1, 0)), u)
        u = np.where(high_only, np.sqrt(np.maximum((hi - theta + 1) ** 2 - 1, 0)), u)
    return u


class _Bounds(NamedTuple):
    """The bounds of N problems' parameters as :func:`_to_external` uses them (each (N, F)): which
    transform applies (both bounds: sine; one: square root), ``hi − lo`` where both are finite, and
    the bounds with 0 where infinite."""

    both: np.ndarray
    low_only: np.ndarray
    high_only: np.ndarray
    span: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    @classmethod
    def of(cls, lo, hi):
        both, low_only, high_only = np.isfinite(lo) & np.isfinite(hi), np.isfinite(lo) & ~np.isfinite(hi), \
            ~np.isfinite(lo) & np.isfinite(hi)
        return cls(both, low_only, high_only, np.where(both, hi - lo, 0.0), np.where(np.isfinite(lo), lo, 0.0),
                   np.where(np.isfinite(hi), hi, 0.0))

    def at(self, rows):
        """The bounds of the problems ``rows``."""
        return _Bounds(*(field[rows] for field in self))


def _to_external(u, bounds: _Bounds):
    """External parameters θ and dθ/du at internal ones ``u`` (N, P) within ``bounds`` (a
    :class:`_Bounds` of the same rows)."""
    b = bounds
    root = np.sqrt(u**2 + 1)
    theta = np.where(b.both, b.lo + b.span * (np.sin(u) + 1) / 2,
                     np.where(b.low_only, b.lo - 1 + root, np.where(b.high_only, b.hi + 1 - root, u)))
    dtheta = np.where(b.both, b.span * np.cos(u) / 2,
                      np.where(b.low_only, u / root, np.where(b.high_only, -u / root, 1.0)))
    return theta, dtheta


class LMResult(NamedTuple):
    """What :func:`levenberg_marquardt` returns for N problems.

    Attributes
    ----------
    theta : ndarray (N, P)
    covariance : ndarray (N, F, F)
        Unscaled ``(JᵀJ)⁻¹`` of the F free external parameters (NaN where singular).
    chi2 : ndarray (N,)
    iterations : ndarray (N,)
    converged : ndarray of bool (N,)
    message : ndarray of str (N,)
    residual : ndarray (N, n)
        Weighted residual (model − data)/σ at ``theta``.
    """

    theta: np.ndarray
    covariance: np.ndarray
    chi2: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    message: np.ndarray
    residual: np.ndarray


def levenberg_marquardt(model, theta0, lo, hi, vary, y, sigma, *, max_iter: int = 1000,
                        ftol: float = 1.5e-8, xtol: float = 1.5e-8, window: int | None = None,
                        on_done=None) -> LMResult:
    """Vectorised Levenberg–Marquardt over N spectra.

    Parameters
    ----------
    model : batched model
        See the module docstring.
    theta0, lo, hi : ndarray (N, P)
        Start values and bounds (external, i.e. physical, parameters).
    vary : ndarray of bool (P,)
    y, sigma : ndarray (N, n)
        Data and their standard deviations.
    max_iter, ftol, xtol : optional
        Iteration cap; relative χ² change and relative step below which a spectrum has converged.
    window : int, optional
        Continuous batching: at most this many spectra are advanced together. A spectrum that has
        converged leaves the working set and the next waiting one (in order) takes its place, so the
        cost of an iteration (Python bookkeeping, a model call) is shared by a full working set until
        the last spectra, and slow spectra hold nobody up. None: all N at once. Each spectrum's
        numbers do not depend on ``window`` (every operation is per spectrum).
    on_done : callable, optional
        ``on_done(rows, result)``, called as spectra finish, a working set's worth (``window``) at a
        time and for the last ones at the end: their indices (ndarray of int) and an
        :class:`LMResult` of those rows (e.g. to store results as they come, for progress and for an
        interrupted run).

    Returns
    -------
    LMResult
    """
    n_spec = theta0.shape[0]
    window = n_spec if not window else max(1, min(int(window), n_spec))
    free = np.where(vary)[0]
    two_sided = np.isfinite(lo[:, free]) & np.isfinite(hi[:, free])
    one_sided = np.isfinite(lo[:, free]) ^ np.isfinite(hi[:, free])
    eye = np.eye(len(free))[None]
    # only the free parameters' internal coordinates are kept: the others stay at theta0
    u = _to_internal(theta0, lo, hi)[:, free]
    u_start = u.copy()
    lam, nu = np.full(n_spec, LAMBDA0), np.full(n_spec, 2.0)
    scale = np.zeros((n_spec, len(free)))
    active = np.zeros(n_spec, bool)
    admitted = 0  # spectra [0, admitted) have entered the working set
    # spectra that have stopped but are not finished yet (covariance, messages, on_done): done for a
    # working set's worth at a time, which costs less than a few at every iteration
    unfinished, waiting = [], 0
    iterations = np.zeros(n_spec, int)
    flat_steps = np.zeros(n_spec, int)
    message = np.full(n_spec, "maximum iterations reached", dtype=object)
    out = LMResult(np.empty_like(theta0, dtype=float), np.full((n_spec, len(free), len(free)), np.nan),
                   np.full(n_spec, np.nan), iterations, np.zeros(n_spec, bool), np.full(n_spec, "", dtype=object),
                   np.zeros(y.shape))

    bounds = _Bounds.of(lo[:, free], hi[:, free])
    moments = getattr(model, "normal_equations", None) or (
        lambda theta_, rows, y_, weight_: normal_equations(*model.evaluate(theta_, True, rows), y_, weight_))

    def external(u_, rows):
        """θ (all P parameters) and dθ/du (the F free ones) of the spectra ``rows`` at ``u_`` (free)."""
        th, dth = _to_external(u_, bounds.at(rows))
        theta_ = theta0[rows].astype(float)
        theta_[:, free] = th
        return theta_, dth

    theta, dtheta = external(u, slice(None))
    # the state kept per spectrum: χ², and JᵀJ and Jᵀr of the weighted residual in the *external*
    # parameters (the (N, F, n) Jacobian itself is not kept)
    weight = 1.0 / sigma
    chi2, jtj_ext, grad_ext, resid = np.full(n_spec, np.nan), np.zeros((n_spec, len(free), len(free))), \
        np.zeros((n_spec, len(free))), out.residual
    while True:
        room = window - int(np.count_nonzero(active))
        # waiting spectra take the places of finished ones, a few at a time (each admission is a model call)
        if admitted < n_spec and (room >= max(1, window // ADMIT_EVERY) or room == window):
            new = slice(admitted, min(n_spec, admitted + room))
            chi2[new], jtj_ext[new], grad_ext[new], resid[new] = moments(theta[new], new, y[new], weight[new])
            active[new], admitted = True, new.stop
        idx = np.where(active)[0]
        if idx.size == 0:
            break
        rows = slice(None) if idx.size == n_spec else idx  # a view while every spectrum is active
        d = dtheta[rows]  # chain rule to the internal (unbounded) parameters
        jtj = jtj_ext[rows] * d[:, :, None] * d[:, None, :]
        grad = grad_ext[rows] * d
        # damping scale: the largest column norm seen so far (MINPACK's choice), so that a parameter
        # pinned at a bound (zero column through the transform) is still damped
        scale[idx] = np.maximum(scale[idx], np.einsum("ipp->ip", jtj))
        diag = np.maximum(scale[idx], 1e-30)
        step = _step(jtj + (lam[idx, None] * diag)[:, :, None] * eye, grad, u[idx], u_start[idx],
                     two_sided[idx], one_sided[idx])
        longest = np.max(np.abs(step) * two_sided[idx], axis=1, initial=0.0)
        step *= np.minimum(1.0, MAX_ANGLE / np.maximum(longest, 1e-300))[:, None]
        u_try = u[idx] + step
        th_try, dth_try = external(u_try, idx)
        chi2_try, jtj_try, grad_try, resid_try = moments(th_try, rows, y[rows], weight[rows])
        iterations[idx] += 1
        chi2_prev = chi2[idx]
        better = np.isfinite(chi2_try) & (chi2_try <= chi2_prev)
        rel = (chi2[idx] - chi2_try) / np.maximum(chi2[idx], 1e-300)
        small_step = np.max(np.abs(step) / (np.abs(u[idx]) + xtol), axis=1) < xtol
        take = idx[better]
        u[take], theta[take], dtheta[take] = u_try[better], th_try[better], dth_try[better]
        chi2[take], jtj_ext[take], grad_ext[take] = chi2_try[better], jtj_try[better], grad_try[better]
        resid[take] = resid_try[better]
        predicted = -(2 * np.einsum("ip,ip->i", grad, step) + np.einsum("ip,ipq,iq->i", step, jtj, step))
        # Nielsen's damping update: after an accepted step λ shrinks by how well the linear model
        # predicted the decrease (gain ratio ρ), by 3 at most; after a rejected one it grows by ν, and ν doubles
        rho = (chi2_prev - chi2_try) / np.maximum(predicted, 1e-300)
        shrink = np.maximum(1 / 3, 1 - (2 * np.clip(rho[better], 0, 1) - 1) ** 3)
        lam[take], nu[take] = np.maximum(lam[take] * shrink, 1e-12), 2.0
        lam[idx[~better]] *= nu[idx[~better]]
        nu[idx[~better]] *= 2
        # MINPACK's test: both the actual and the predicted (linearised) relative decrease below ftol
        at_minimum = predicted <= ftol * np.maximum(chi2[idx], 1e-300)
        done_ftol = better & at_minimum & (rel < ftol)
        done_xtol = better & at_minimum & ~done_ftol & small_step
        stalled = ~better & (lam[idx] > 1e12)
        flat_steps[idx] = np.where(better & (rel < ftol), flat_steps[idx] + 1, np.where(better, 0, flat_steps[idx]))
        flat = ~done_ftol & ~done_xtol & ~stalled & (flat_steps[idx] >= FLAT_STEPS)
        message[idx[done_ftol]] = "converged: relative change of chi-square below ftol"
        message[idx[done_xtol]] = "converged: step below xtol"
        message[idx[stalled]] = "converged: no further decrease of chi-square"
        message[idx[flat]] = f"converged: chi-square unchanged (below ftol) over {FLAT_STEPS} steps"
        finished = idx[done_ftol | done_xtol | stalled | flat | (iterations[idx] >= max_iter)]
        active[finished] = False
        unfinished.append(finished)
        waiting += finished.size
        if waiting >= window or not active.any():  # their state is not touched again: finished in groups
            finished = np.concatenate(unfinished)
            unfinished, waiting = [], 0
            _finish(out, finished, theta, chi2, jtj_ext, message)
            if on_done is not None:
                on_done(finished, LMResult(*(field[finished] for field in out)))
    return LMResult(out.theta, out.covariance, out.chi2, out.iterations, out.converged, out.message.astype(str),
                    out.residual)


def _finish(out: LMResult, rows: np.ndarray, theta, chi2, jtj, message) -> None:
    """Fill ``out`` for the spectra ``rows`` that have finished: values, χ², messages, whether they
    converged, and the unscaled covariance ``(JᵀJ)⁻¹`` (NaN where singular)."""
    out.theta[rows], out.chi2[rows] = theta[rows], chi2[rows]
    jtj = jtj[rows]
    # invert the scale-free (unit-diagonal) matrix: parameters of very different size (areas ~1e5,
    # centres ~1e-2 eV) must not look singular
    norm = np.sqrt(np.maximum(np.einsum("ipp->ip", jtj), 1e-300))
    unit = jtj / (norm[:, :, None] * norm[:, None, :])
    condition = _condition(unit) if unit.shape[1] else np.ones(len(rows))
    singular = ~np.isfinite(condition) | (condition > SINGULAR)
    cov = np.full_like(jtj, np.nan)
    if (~singular).any():
        cov[~singular] = np.linalg.inv(unit[~singular]) / (norm[~singular, :, None] * norm[~singular, None, :])
    out.covariance[rows] = cov
    text = message[rows]
    text[singular] = [m + "; covariance singular" for m in text[singular]]
    out.message[rows] = text
    out.converged[rows] = np.array([m.startswith("converged") for m in text], bool) & np.isfinite(chi2[rows])


def _condition(unit):
    """Condition numbers (2-norm) of the symmetric positive semi-definite matrices ``unit`` (N, F, F), as
    exact as :func:`numpy.linalg.cond` wherever they matter: from the eigenvalues (half the cost of
    the singular values), and again by :func:`numpy.linalg.cond` where the result is not clearly below
    :data:`SINGULAR` (at least :data:`CLEARLY_REGULAR`, not finite, or a matrix with NaN). Both
    algorithms are backward stable, so their smallest values differ by a few ε·‖A‖ at most: below
    CLEARLY_REGULAR, 100 times below SINGULAR, both tell the matrix regular."""
    condition = np.full(len(unit), np.inf)
    finite = np.isfinite(unit).all(axis=(1, 2))
    if finite.any():
        magnitude = np.abs(np.linalg.eigvalsh(unit[finite]))
        with np.errstate(divide="ignore", invalid="ignore"):
            condition[finite] = magnitude.max(axis=1) / magnitude.min(axis=1)
    unclear = ~(condition < CLEARLY_REGULAR)
    if unclear.any():
        condition[unclear] = np.linalg.cond(unit[unclear])
    return condition


def _step(a, grad, u, u_start, two_sided, one_sided):
    """The damped Gauss-Newton step ``a⁻¹(−grad)`` (N, F) in the internal coordinates ``u``, with each
    parameter that sits near a bound and would step past it stopped :data:`BOUND_GAP` short of it, and
    the others' steps solved again with those held (an active-set step: the others must not move as if
    the held ones had gone on).

    A bound is a top of the transform, where the internal coordinate turns back: u = π/2 + kπ of the
    sine (bounds on both sides; near: within :data:`MAX_ANGLE`), u = 0 of the square root (one bound;
    near: within :data:`NEAR_ONE_BOUND` of the start's distance from it)."""
    step = -_solve(a, grad)
    held = np.zeros(step.shape, bool)
    top = np.where(two_sided, np.pi / 2 + np.pi * np.round((u - np.pi / 2) / np.pi), 0.0)
    d = u - top  # signed distance from the nearest top
    near = (two_sided & (np.abs(d) < MAX_ANGLE)) | (one_sided & (np.abs(d) < NEAR_ONE_BOUND * np.abs(u_start)))
    side = np.where(d < 0, -1.0, 1.0)  # which side of the top the parameter is on
    stop = top + side * BOUND_GAP - u  # the step that ends BOUND_GAP short of the top
    eye = np.eye(step.shape[1], dtype=bool)
    for _ in range(step.shape[1]):
        new = near & ~held & (side * (d + step) < BOUND_GAP)
        if not new.any():
            break
        held |= new
        rows = held.any(axis=1)
        h, fixed = held[rows], np.where(held[rows], stop[rows], 0.0)
        system = np.where(h[:, :, None] | h[:, None, :], 0.0, a[rows]) + eye * h[:, :, None]
        rhs = np.where(h, fixed, -grad[rows] - (a[rows] @ fixed[:, :, None])[..., 0])
        step[rows] = _solve(system, rhs)
    return step


def _solve(a, b):
    """Solve the stacked systems ``a x = b``; a singular system gets a least-squares step."""
    try:
        return solve_stacked(a, b)
    except np.linalg.LinAlgError:
        return np.stack([np.linalg.lstsq(ai, bi, rcond=None)[0] for ai, bi in zip(a, b)])
