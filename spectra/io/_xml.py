"""Safe XML parsing for the XML-based formats (XRDML, BRML, RASX, SpecsLab2 XML).

Parsing goes through :mod:`defusedxml`, which refuses entity declarations (billion laughs) and
external entities (XXE); both, unknown encodings and ordinary syntax errors become a
:class:`~spectra.errors.FileFormatError` that names the file and the line.

Errors about a document's content (a missing or non-numeric element) are built with :func:`error`,
which names the element's path and its source line: the parsed tree keeps no line numbers, so the
line is found, only when an error is raised, by a second expat pass over the document.
"""
from __future__ import annotations

import weakref
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeET

from ..errors import FileFormatError

#: the source bytes and zip member of every parsed root, for :func:`error`
_SOURCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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
        The XML is malformed or in an unknown or unsupported encoding (the error names the line when
        the parser reports one, else line 1), or declares entities or external references (refused
        for safety).
    """
    where = f" (in {member})" if member else ""
    try:
        root = SafeET.fromstring(data)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise FileFormatError(path, f"malformed XML{where}: {exc}", line=line) from None
    except defusedxml.DefusedXmlException as exc:
        raise FileFormatError(path, f"XML{where} refused for safety: {exc}", line=1) from None
    except (LookupError, ValueError) as exc:  # an unknown or multi-byte encoding in the declaration
        raise FileFormatError(path, f"XML{where} cannot be decoded: {exc}", line=1) from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    _SOURCES[root] = (data, member)
    return root


def locate(root: Element, element: Element) -> tuple[str, int | None]:
    """The path (``a/b[2]/c``) and 1-based source line of ``element`` in the document of ``root``.

    Parameters
    ----------
    root : Element
        A root returned by :func:`parse`.
    element : Element
        An element of that tree (or ``root`` itself).

    Returns
    -------
    tuple of (str, int or None)
        The element path (its ``name`` attribute, else its index among siblings sharing the tag, in
        brackets) and its line, or None when the line cannot be found (a root not from :func:`parse`).
    """
    parents = {child: parent for parent in root.iter() for child in parent}
    parts = []
    node = element
    while node is not None:
        parent = parents.get(node)
        name = str(node.tag)
        if node.get("name"):  # CORBA serialisations (SpecsLab) name their elements
            name += f"[@name='{node.get('name')}']"
        elif parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    where = "/".join(reversed(parts))
    source = _SOURCES.get(root)
    if source is None:
        return where, None
    index = next((i for i, e in enumerate(root.iter()) if e is element), None)
    if index is None:
        return where, None
    lines: list[int] = []
    parser = expat.ParserCreate()

    def start(_name, _attrs):
        lines.append(parser.CurrentLineNumber)
        if len(lines) > index:
            raise StopIteration

    parser.StartElementHandler = start
    try:
        parser.Parse(source[0], True)
    except (StopIteration, expat.ExpatError, LookupError, ValueError):
        pass
    return where, (lines[index] if len(lines) > index else None)


def error(root: Element, element: Element | None, path: Path | str, message: str) -> FileFormatError:
    """Build (not raise) an error about ``element``, naming its path, its zip member and its line.

    Parameters
    ----------
    root : Element
        The document's root, as returned by :func:`parse`.
    element : Element or None
        The element the error is about (None: the root).
    path : Path or str
        The file.
    message : str
        What is wrong.

    Returns
    -------
    spectra.errors.FileFormatError
        ``"<message> (at <element path>[ in <member>])"`` at the element's line.
    """
    where, line = locate(root, root if element is None else element)
    member = (_SOURCES.get(root) or (None, None))[1]
    inside = f" in {member}" if member else ""
    return FileFormatError(path, f"{message} (at <{where}>{inside})", line=line or 1)


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
