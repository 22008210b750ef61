"""The registry of line shapes: one :class:`LineShape` entry per shape, by name.

An entry carries everything the rest of spectra needs about a shape: its function (:mod:`.shapes`),
the short names recipes use (``"GL"`` for ``gl_product``), its shape parameters with default and
range, its analytic partials for the batched engine (:mod:`.partials`; None: the shape is fitted by
the lmfit engine only) and optionally the constants that let the compiled kernel evaluate it (None:
the batched engine uses the numpy partials for recipes with this shape). Adding a shape means writing
its function (and partials), then one entry in :data:`LINESHAPES` or a call of :func:`register`; the
recipe parser, both fitting engines and the contract tests (``tests/lineshapes/test_contract.py``)
read the entry.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from . import partials, shapes


@dataclass(frozen=True)
class LineShape:
    """A registered line shape.

    Attributes
    ----------
    name : str
        Registry key and the name recipes may use (``"gl_product"``).
    function : callable
        ``function(x, center, fwhm, area, **shape)``: the shape with exact FWHM and area.
    shape_params : dict
        Shape parameters in the order of ``function``'s keywords: name → (default, min, max).
    short_names : tuple of str
        Recipe short names, upper case (``("GL",)``); ``"GL(30)"`` gives the shape parameters in order.
    partials : callable or None
        ``partials(x, center, fwhm, area, *shape) -> (y, dy/dcenter, dy/dfwhm, dy/darea)``, broadcasting,
        shape parameters in the order of ``shape_params`` and held fixed (see :mod:`.partials`). None: the
        batched engine refuses recipes with this shape and ``engine="auto"`` fits them with lmfit.
    kernel_constants : callable or None
        ``kernel_constants(*shape) -> (form, p1, p2, p3)``: the shape as one of the families of the
        compiled kernel (:mod:`.partials`, ``SUM_FORM`` / ``PRODUCT_FORM``). None: recipes with this shape
        use the numpy ``partials`` in the batched engine.
    """

    name: str
    function: Callable
    shape_params: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    short_names: tuple[str, ...] = ()
    partials: Callable | None = None
    kernel_constants: Callable | None = None


#: every registered line shape by name
LINESHAPES: dict[str, LineShape] = {}


def register(shape: LineShape) -> LineShape:
    """Add a line shape to :data:`LINESHAPES`.

    Parameters
    ----------
    shape : LineShape
        The entry; its name (lower case) and short names (upper case) must be new.

    Returns
    -------
    LineShape
        ``shape``, registered.

    Raises
    ------
    ValueError
        A name or short name that is taken, or a name not in the case recipes use.
    """
    if shape.name != shape.name.lower() or any(s != s.upper() for s in shape.short_names):
        raise ValueError(f"line shape {shape.name!r}: names are lower case, short names upper case")
    taken = set(LINESHAPES) | set(short_names())
    clash = sorted({shape.name, *shape.short_names} & taken)
    if clash:
        raise ValueError(f"line shape {shape.name!r}: {', '.join(clash)} already registered")
    LINESHAPES[shape.name] = shape
    return shape


def short_names() -> dict[str, str]:
    """Every short name with the name of its line shape.

    Returns
    -------
    dict
        Short name → registry name, e.g. ``{"GL": "gl_product", ...}``, in registration order.
    """
    return {short: s.name for s in LINESHAPES.values() for short in s.short_names}


def parse(spec: str) -> tuple[LineShape, dict[str, float]]:
    """Parse a line-shape name such as ``"GL(30)"``, ``"SGL(10)"``, ``"voigt"``, ``"LA(1.2,2,50)"``.

    Parameters
    ----------
    spec : str
        A registered name or short name, optionally with shape-parameter values in brackets (in the
        order of the entry's ``shape_params``).

    Returns
    -------
    LineShape, dict
        The entry and the shape-parameter values given in brackets.

    Raises
    ------
    ValueError
        An unknown name, more values than the shape has parameters, or a value that is not a number
        within the parameter's range.
    """
    text = spec.strip()
    name, _, rest = text.partition("(")
    shorts = short_names()
    key = shorts.get(name.strip().upper(), name.strip().lower())
    if key not in LINESHAPES:
        raise ValueError(f"unknown line shape {spec!r}; known: {', '.join(LINESHAPES)} or {', '.join(shorts)}(...)")
    shape = LINESHAPES[key]
    values = {}
    if rest:
        try:
            numbers = [float(v) for v in rest.rstrip(")").split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"{spec!r}: shape parameters must be numbers") from None
        if len(numbers) > len(shape.shape_params):
            raise ValueError(f"{spec!r}: {shape.name} takes {len(shape.shape_params)} shape parameters")
        values = dict(zip(shape.shape_params, numbers))
        for name, value in values.items():
            _, low, high = shape.shape_params[name]
            if not low <= value <= high:  # also refuses NaN
                raise ValueError(f"{spec!r}: {shape.name} {name} must be within [{low:g}, {high:g}], got {value}")
    return shape, values


for _entry in (
    LineShape("gaussian", shapes.gaussian, {}, ("G",), partials.gaussian, partials.gaussian_kernel),
    LineShape("lorentzian", shapes.lorentzian, {}, ("L",), partials.lorentzian, partials.lorentzian_kernel),
    LineShape("pseudo_voigt", shapes.pseudo_voigt, {"eta": (0.3, 0.0, 1.0)}, ("PV",), partials.pseudo_voigt,
              partials.pseudo_voigt_kernel),
    LineShape("voigt", shapes.voigt, {"gamma_fwhm": (0.1, 0.0, 1.0)}, ("V",)),
    LineShape("gl_product", shapes.gl_product, {"m": (30.0, 0.0, 100.0)}, ("GL",), partials.gl_product,
              partials.gl_product_kernel),
    LineShape("gl_sum", shapes.gl_sum, {"m": (30.0, 0.0, 100.0)}, ("SGL",), partials.gl_sum, partials.gl_sum_kernel),
    LineShape("doniach_sunjic", shapes.doniach_sunjic, {"alpha": (0.1, 0.0, 0.5), "gaussian_share": (0.5, 0.0, 0.95)},
              ("DS",)),
    LineShape("la", shapes.la, {"alpha": (1.0, 0.1, 20.0), "beta": (1.0, 0.1, 20.0), "m": (100.0, 0.0, 499.0)},
              ("LA",)),
    LineShape("pearson7", shapes.pearson7, {"m": (2.0, 0.6, 20.0)}, ("P7",), partials.pearson7),
):
    register(_entry)
del _entry
