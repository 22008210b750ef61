"""Fixtures of the XRD tests: the batched engine's kernel (numpy, or numba where installed)."""
from __future__ import annotations

import pytest

from spectra import kernels


@pytest.fixture(params=["numpy", "numba"])
def kernel(request, monkeypatch):
    """Run the test with the numpy kernels, then with the numba kernels (skipped without numba)."""
    if request.param == "numba" and kernels._compiled() is None:
        pytest.skip("numba is not installed (pip install spectra-xpsxrd[fast]); the numpy kernel is tested")
    monkeypatch.setenv("SPECTRA_NUMBA", "1" if request.param == "numba" else "0")
    return request.param
