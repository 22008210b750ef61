"""Pull statistics: whether reported standard errors describe the actual scatter."""
from __future__ import annotations

import numpy as np


def pull_statistics(pulls) -> tuple[float, float, float]:
    """Coverage of ±2, mean and standard deviation of pulls ``(fitted - true) / σ`` (NaN when too few).

    Calibrated uncertainties give ≈ 0.954, 0 and 1.

    Parameters
    ----------
    pulls : array_like
        The pulls, shape ``(n,)``.

    Returns
    -------
    coverage : float
        Fraction of pulls with ``|pull| <= 2``; NaN when there are none.
    mean : float
        Mean pull; NaN when there are none.
    std : float
        Sample standard deviation (ddof 1); NaN with fewer than two pulls.
    """
    pulls = np.asarray(pulls, dtype=float)
    nan = float("nan")
    return (float(np.mean(np.abs(pulls) <= 2.0)) if pulls.size else nan,
            float(np.mean(pulls)) if pulls.size else nan,
            float(np.std(pulls, ddof=1)) if pulls.size > 1 else nan)
