"""Checks of the batched XRD engine against the one-pattern model and central differences."""
from __future__ import annotations

import numpy as np


def assert_matches_the_model(batched, model, names, theta) -> np.ndarray:
    """Assert that ``batched.evaluate`` equals ``model.evaluate`` for every row of ``theta`` (to 1e-9 of
    the pattern's maximum) and return the batched Jacobian."""
    total, jac = batched.evaluate(theta, True)
    for row, values in zip(total, theta):
        reference = model.evaluate(dict(zip(names, values)))[0]
        assert np.max(np.abs(row - reference)) <= 1e-9 * np.max(np.abs(reference))
    return jac


def assert_jacobian_by_differences(batched, jac, theta, names, checked, tolerance) -> None:
    """Assert that the Jacobian columns ``checked`` ((column of ``jac``, parameter name) pairs) equal
    central differences of ``batched.evaluate`` within ``tolerance(name)`` of each column's largest
    value."""
    for j, name in checked:
        k = names.index(name)
        step = 1e-6 * max(abs(theta[0, k]), 1e-3)
        up, down = theta.copy(), theta.copy()
        up[:, k] += step
        down[:, k] -= step
        numeric = (batched.evaluate(up, False)[0] - batched.evaluate(down, False)[0]) / (2 * step)
        scale = max(float(np.max(np.abs(numeric))), 1e-12)
        assert np.max(np.abs(jac[:, j] - numeric)) <= tolerance(name) * scale, name
