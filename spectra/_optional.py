"""Optional dependencies, gathered in one place: each import failure names the pip extra."""
from __future__ import annotations

import importlib

from .errors import OptionalDependencyError

EXTRAS = {"openpyxl": "thermo", "ipywidgets": "widgets"}


def require(module: str, purpose: str):
    """Import ``module`` or raise :class:`OptionalDependencyError` naming the extra that installs it.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"openpyxl"``.
    purpose : str
        What needs it, at the start of the error message (e.g. ``"Reading Thermo Avantage .xlsx exports"``).

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    spectra.errors.OptionalDependencyError
        The import fails; the message names the pip extra (from :data:`EXTRAS`, else ``all``).
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module, "all")
        raise OptionalDependencyError(f"{purpose} needs the optional package {module!r}: "
                                      f"pip install 'spectra-xpsxrd[{extra}]'") from None
