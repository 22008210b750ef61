"""The parameter record both the XPS and the XRD models publish to the fitting engines."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ParamInfo:
    """One fit parameter: name, starting value (None in a layout where the data decide it), bounds,
    whether it varies, unit."""

    name: str
    value: float | None
    min: float
    max: float
    vary: bool
    unit: str
