"""Line shapes for peak fitting: pure numpy functions (:mod:`.shapes`), their analytic partials
(:mod:`.partials`) and the registry of shapes by name (:mod:`.registry`)."""
from __future__ import annotations

from .registry import LINESHAPES, LineShape, parse, register, short_names
from .shapes import (
    GAUSS_AREA,
    LN2,
    WINDOW,
    doniach_sunjic,
    gaussian,
    gl_product,
    gl_product_norm,
    gl_sum,
    la,
    lorentzian,
    pearson7,
    pseudo_voigt,
    voigt,
)

__all__ = ["GAUSS_AREA", "LINESHAPES", "LN2", "WINDOW", "LineShape", "doniach_sunjic", "gaussian", "gl_product",
           "gl_product_norm", "gl_sum", "la", "lorentzian", "parse", "pearson7", "pseudo_voigt", "register",
           "short_names", "voigt"]
