"""Safe XML parsing for the XML-based formats (XRDML, BRML, RASX, SpecsLab2 XML).

Parsing goes through :mod:`defusedxml`, which refuses entity declarations (billion laughs) and
external entities (XXE); both, and ordinary syntax errors, become a
:class:`~spectra.errors.FileFormatError` that names the file and the line.
"""
from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from ..errors import FileFormatError


def parse(data: bytes, path: Path | str, *, member: str | None = None) -> Element:
    """Parse XML bytes into an element tree with namespaces stripped from tags.

    Parameters
    ----------
    data : bytes
        The XML document.
    path : Path or str
        The file, for error messages.
    member : str, optional
        Name of the document inside a zip container, for error messages.

    Returns
    -------
    xml.etree.ElementTree.Element
        The root element; every tag in the tree has its ``{namespace}`` prefix removed.

    Raises
    ------
    spectra.errors.FileFormatError
        The XML is malformed (the error names the line when the parser reports one), or declares
        entities or external references (refused for safety).
    """
    where = f" (in {member})" if member else ""
    try:
        root = SafeET.fromstring(data)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise FileFormatError(path, f"malformed XML{where}: {exc}", line=line) from None
    except defusedxml.DefusedXmlException as exc:
        raise FileFormatError(path, f"XML{where} refused for safety: {exc}") from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    return root


def text(element: Element | None, default: str | None = None) -> str | None:
    """Stripped text of an element, or ``default`` when the element is missing or empty.

    Parameters
    ----------
    element : Element or None
        The element.
    default : str, optional
        Returned when there is no text.

    Returns
    -------
    str or None
        The text, or ``default``.
    """
    if element is None or element.text is None or not element.text.strip():
        return default
    return element.text.strip()


def number(element: Element | None, default: float | None = None) -> float | None:
    """Text of an element as a float, or ``default``.

    Parameters
    ----------
    element : Element or None
        The element.
    default : float, optional
        Returned when the element is missing, empty or not a number.

    Returns
    -------
    float or None
        The value, or ``default``.
    """
    value = text(element)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        return default
