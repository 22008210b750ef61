"""Pull statistics: whether reported standard errors describe the actual scatter."""
from __future__ import annotations

import numpy as np


def pull_statistics(pulls) -> tuple[float, float, float]:
    """Coverage of ±2, mean and standard deviation of pulls ``(fitted - true) / σ`` (NaN when too few).

    Calibrated uncertainties give ≈ 0.954, 0 and 1.
    """
    pulls = np.asarray(pulls, dtype=float)
    nan = float("nan")
    return (float(np.mean(np.abs(pulls) <= 2.0)) if pulls.size else nan,
            float(np.mean(pulls)) if pulls.size else nan,
            float(np.std(pulls, ddof=1)) if pulls.size > 1 else nan)
