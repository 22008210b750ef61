"""Optional dependencies, gathered in one place: each import failure names the pip extra."""
from __future__ import annotations

import importlib

from .errors import OptionalDependencyError

EXTRAS = {"openpyxl": "thermo"}


def require(module: str, purpose: str):
    """Import ``module`` or raise :class:`OptionalDependencyError` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module, "all")
        raise OptionalDependencyError(f"{purpose} needs the optional package {module!r}: "
                                      f"pip install 'spectra-xpsxrd[{extra}]'") from None
