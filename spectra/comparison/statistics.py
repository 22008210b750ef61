"""Group values, their standard errors, tests against the reference group and Holm's correction.

A group's value is the **mean of its replicates** (each sample counts once). Its standard error
combines the two sources of scatter:

* ``V_fit = Σ σᵢ² / n²`` — what the fits' own standard errors σᵢ predict for the mean;
* ``V_rep = s² / n`` — what the replicates' observed scatter (sample variance s²) says, which also
  holds sample-to-sample differences the fits cannot see.

``stderr = √max(V_fit, V_rep)``: never smaller than the fits allow, and larger when replicates
disagree by more than their fits. When some fits give no σ (a flagged fit), ``V_fit`` is formed from
the σ of the others (their mean square over n), so two replicates that happen to agree cannot make
the error vanish. Its degrees of freedom are ``n − 1`` when the scatter term is
the larger and ∞ (the fit errors are known) otherwise. With **one replicate** the scatter is
unknown: ``stderr`` is that replicate's fit error (df ∞) and the row says so.

**Test.** A group and the reference are compared by ``t = Δ / √(SE_g² + SE_ref²)`` with the
Welch–Satterthwaite degrees of freedom built from the two dfs above (a z-test when both are fit
errors, Welch's t when both are replicate scatter). ``p_value`` is two-sided. Metrics defined
against the reference (``li2s_growth``, ``retention``, ``index:decomposition``) are tested as the
metric they come from (the Li2S fraction, the phase scale) — the same null hypothesis.

**Multiple comparisons.** Every (group, metric) test of one comparison is one family: Holm's
step-down correction (``p_adjusted``) controls the family-wise error rate at α; ``significant`` is
``p_adjusted < α``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class GroupValue:
    """A metric of one group.

    Attributes
    ----------
    value, stderr : float
    n : int
        Replicates with a value.
    df : float
        Degrees of freedom of ``stderr`` (``inf``: from the fit errors).
    note : str
        How the stderr was formed when it is not the usual way (one replicate, absent, ...).
    exact_zero : bool
        Every replicate had the component absent: the value is an exact 0 of the model.
    """

    value: float
    stderr: float
    n: int
    df: float
    note: str = ""
    exact_zero: bool = False


def combine(values, stderrs, notes=()) -> GroupValue:
    """The group value of replicate values and their fit standard errors (see the module docstring).

    Parameters
    ----------
    values, stderrs : sequence of float
        Per replicate; NaN values are left out, NaN stderrs mean the fit gave none.
    notes : sequence of str
        Per-replicate notes (``absent`` marks an exact zero).

    Returns
    -------
    GroupValue
    """
    v = np.asarray(values, dtype=float)
    s = np.asarray(stderrs, dtype=float)
    notes = list(notes) or [""] * v.size
    keep = np.isfinite(v)
    v, s = v[keep], s[keep]
    absent = np.array([str(nt).startswith("absent") for nt, k in zip(notes, keep) if k], dtype=bool)
    n = int(v.size)
    if n == 0:
        return GroupValue(math.nan, math.nan, 0, math.nan, "no replicate has this metric")
    mean = float(v.mean())
    if absent.all():
        return GroupValue(mean, math.nan, n, math.inf, "absent in every replicate (an exact 0 of the model)", True)
    s = np.where(absent, 0.0, s)  # an absent component is an exact 0 of its fit
    fit_known = bool(np.isfinite(s).all())
    v_fit = float(np.sum(s**2)) / n**2 if fit_known else math.nan
    if n == 1:
        if not fit_known:
            return GroupValue(mean, math.nan, 1, math.nan, "one replicate, and its fit gives no σ")
        return GroupValue(mean, math.sqrt(v_fit) if v_fit > 0 else math.nan, 1, math.inf,
                          "one replicate: stderr is its fit error; replicate scatter unknown")
    v_rep = float(v.var(ddof=1)) / n
    if not fit_known:
        known = s[np.isfinite(s)]
        v_some = float(np.mean(known**2)) / n if known.size else 0.0  # the fits that have a σ, as typical
        v = max(v_rep, v_some)
        return GroupValue(mean, math.sqrt(v) if v > 0 else math.nan, n, n - 1.0 if v_rep >= v_some else math.inf,
                          f"{int((~np.isfinite(s)).sum())} of {n} fits gave no σ: stderr from the replicate scatter "
                          "or the other fits' σ, whichever is larger")
    if v_rep > v_fit:
        return GroupValue(mean, math.sqrt(v_rep), n, n - 1.0, "")
    return GroupValue(mean, math.sqrt(v_fit) if v_fit > 0 else math.nan, n, math.inf, "")


@dataclass
class Test:
    """A group against the reference."""

    difference: float
    difference_stderr: float
    p_value: float
    df: float
    note: str = ""


def compare_values(group: GroupValue, reference: GroupValue) -> Test:
    """Δ = group − reference, its standard error and the two-sided p-value (see the module docstring).

    An exact zero (absent in every replicate) contributes no variance; Δ between two exact zeros is
    not tested (p NaN).
    """
    diff = group.value - reference.value
    terms = []
    for g in (group, reference):
        if g.exact_zero:
            continue
        if not math.isfinite(g.stderr):
            return Test(diff, math.nan, math.nan, math.nan, "no stderr to test with")
        terms.append((g.stderr**2, g.df))
    if not terms:
        return Test(diff, math.nan, math.nan, math.nan, "absent in both groups: not tested")
    var = sum(t[0] for t in terms)
    denominator = sum(t[0] ** 2 / t[1] for t in terms if math.isfinite(t[1]) and t[1] > 0)
    df = var**2 / denominator if denominator > 0 else math.inf
    return test_difference(diff, math.sqrt(var), df)


def test_difference(diff: float, stderr: float, df: float, note: str = "") -> Test:
    """Two-sided p-value of ``diff / stderr`` against Student's t with ``df`` (normal when infinite)."""
    if not (math.isfinite(stderr) and stderr > 0 and math.isfinite(diff)):
        return Test(diff, stderr, math.nan, df, note or "no stderr to test with")
    t = abs(diff) / stderr
    p = float(2 * (stats.norm.sf(t) if not math.isfinite(df) else stats.t.sf(t, df)))
    return Test(diff, stderr, p, df, note)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values (NaN entries are not part of the family and stay NaN).

    Parameters
    ----------
    p_values : sequence of float

    Returns
    -------
    numpy.ndarray
        ``p_adj[(i)] = max_{j ≤ i} min(1, (m − j + 1) · p_(j))`` over the sorted finite p-values.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    adjusted = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adjusted)
    return out
