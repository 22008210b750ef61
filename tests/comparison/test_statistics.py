"""Group values, tests and Holm's correction, checked against hand calculations and scipy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from spectra.comparison.statistics import combine, compare_values, holm


def test_combine_takes_the_larger_of_fit_and_replicate_scatter():
    g = combine([1.0, 1.2, 0.8], [0.01, 0.01, 0.01])  # scatter ≫ fit errors
    assert g.value == pytest.approx(1.0)
    assert g.stderr == pytest.approx(np.std([1.0, 1.2, 0.8], ddof=1) / math.sqrt(3))
    assert g.df == 2
    g = combine([1.0, 1.001], [0.1, 0.1])  # fit errors ≫ scatter
    assert g.stderr == pytest.approx(math.sqrt(0.01 + 0.01) / 2) and math.isinf(g.df)


def test_one_replicate_uses_its_fit_error_and_says_so():
    g = combine([0.3], [0.02])
    assert g.n == 1 and g.stderr == pytest.approx(0.02) and "one replicate" in g.note


def test_absent_everywhere_is_an_exact_zero_and_never_sigma_zero():
    g = combine([0.0, 0.0], [math.nan, math.nan], ["absent", "absent"])
    assert g.exact_zero and math.isnan(g.stderr)
    t = compare_values(combine([0.5, 0.52], [0.01, 0.01]), g)
    assert t.difference == pytest.approx(0.51) and t.df == 1 and t.p_value < 0.05


def test_welch_matches_scipy_when_scatter_dominates():
    a, b = [1.0, 1.3, 0.9, 1.2], [0.5, 0.9, 0.4]
    t = compare_values(combine(a, [1e-3] * 4), combine(b, [1e-3] * 3))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert t.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_holm_by_hand():
    p = [0.01, 0.04, 0.03, math.nan, 0.005]
    # sorted finite: 0.005, 0.01, 0.03, 0.04 (m = 4) -> 0.02, 0.03, 0.06, 0.06
    assert np.allclose(holm(p), [0.03, 0.06, 0.06, math.nan, 0.02], equal_nan=True)


def test_a_fit_without_sigma_does_not_let_agreeing_replicates_vanish():
    g = combine([55.895, 55.891], [math.nan, 0.11])
    assert g.stderr == pytest.approx(math.sqrt(0.11**2 / 2)) and "gave no σ" in g.note
