"""Line shapes for peak fitting: pure numpy functions (:mod:`.shapes`), their analytic partials
(:mod:`.partials`) and the registry of shapes by name."""
from __future__ import annotations

from .shapes import (GAUSS_AREA, LINESHAPES, LN2, WINDOW, LineShape, doniach_sunjic, gaussian, gl_product,
                     gl_product_norm, gl_sum,
                     la, lorentzian, parse, pseudo_voigt, voigt)

__all__ = ["GAUSS_AREA", "LINESHAPES", "LN2", "WINDOW", "LineShape", "doniach_sunjic", "gaussian", "gl_product",
           "gl_product_norm",
           "gl_sum", "la", "lorentzian", "parse", "pseudo_voigt", "voigt"]
