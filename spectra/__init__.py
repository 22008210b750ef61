"""spectra: load, fit and compare XRD and XPS data of solid-state-battery interfaces."""
from __future__ import annotations

from .io import load, read

__version__ = "0.1.0"
__all__ = ["__version__", "fit", "load", "read"]


def fit(da, recipe, **options):
    """Fit one spectrum with a recipe; see :func:`spectra.fitting.single.fit` (lmfit is imported on
    first use, so ``import spectra`` stays fast)."""
    from .fitting.single import fit as _fit

    return _fit(da, recipe, **options)
