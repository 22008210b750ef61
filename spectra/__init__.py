"""spectra: load, fit and compare XRD and XPS data of solid-state-battery interfaces."""
from __future__ import annotations

from .io import load, read

__version__ = "0.1.0"
__all__ = ["__version__", "load", "read"]
