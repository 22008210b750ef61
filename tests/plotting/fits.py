"""Fits shared by the figure and report tests (each made once per test session): the shipped
examples, which were simulated with exactly their documented recipes."""
from __future__ import annotations

import functools

import matplotlib

matplotlib.use("Agg")

from spectra import examples  # noqa: E402

XPS = "S2p_carbon_anode.vms"
XRD = "Li2S_argyrodite_xrd.xy"


@functools.cache
def example_fit(name: str):
    """The fit of a shipped example with its documented recipe (through the ``da.xps``/``da.xrd``
    accessor, which records the sample name)."""
    import spectra.accessors  # noqa: F401  (registers da.xps / da.xrd)

    da = spectra.load(examples.path(name))
    accessor = da.xps if name == XPS else da.xrd
    return accessor.fit(examples.RECIPES[name])
