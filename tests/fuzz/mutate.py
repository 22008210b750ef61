"""Seeded mutations of a file's bytes: truncation, byte flips, deleted and duplicated lines, and a
swapped text encoding; and structure-aware ones (:func:`mutate_structure`): header numbers, binary
size fields, XML structure and zip members. Deterministic for a given seed."""
from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET  # only to mutate trusted test files, never to read user input
import zipfile

import numpy as np

KINDS = ("truncate", "flip", "delete_line", "duplicate_line", "encoding")


def mutate(data: bytes, seed: int) -> tuple[str, bytes]:
    """Return (kind, mutated bytes) for ``seed``; kinds cycle so every seed range covers all of them."""
    rng = np.random.default_rng(seed)
    kind = KINDS[seed % len(KINDS)]
    if kind == "truncate":
        return kind, data[: int(rng.integers(0, max(len(data), 1)))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(int(rng.integers(1, 9))):
            if out:
                i = int(rng.integers(0, len(out)))
                out[i] = int(rng.integers(0, 256))
        return kind, bytes(out)
    lines = data.splitlines(keepends=True)
    if kind in ("delete_line", "duplicate_line") and len(lines) > 1:
        i = int(rng.integers(0, len(lines)))
        if kind == "delete_line":
            del lines[i]
        else:
            lines.insert(i, lines[i])
        return kind, b"".join(lines)
    if kind == "encoding":
        text = data.decode("latin-1")
        return kind, text.encode(("utf-16", "utf-16-be", "utf-32")[seed % 3])
    return kind, data[:-1]


# Structure-aware mutations: they change what a reader trusts (header numbers, binary size fields,
# XML structure, zip members) rather than random bytes.
HOSTILE_NUMBERS = (b"nan", b"inf", b"-inf", b"0", b"1e308", b"-1e308", b"-1", b"2147483647", b"99999999999",
                   b"1e-300")
_NUMBER = re.compile(rb"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_BINARY_VALUES = (struct.pack("<i", 2**31 - 1), struct.pack("<i", -1), struct.pack("<i", 0),
                  struct.pack("<f", float("nan")), struct.pack("<f", float("inf")), struct.pack("<d", 1e308),
                  struct.pack("<d", float("nan")))


def _header_number(data: bytes, rng) -> bytes:
    found = list(_NUMBER.finditer(data, 0, 200_000))
    if not found:
        return data[:-1]
    early = rng.random() < 0.7  # header numbers come first
    m = found[int(rng.integers(0, min(len(found), 200) if early else len(found)))]
    return data[:m.start()] + HOSTILE_NUMBERS[int(rng.integers(0, len(HOSTILE_NUMBERS)))] + data[m.end():]


def _binary_field(data: bytes, rng) -> bytes:
    out = bytearray(data)
    if len(out) < 16:
        return data[:-1]
    at = int(rng.integers(0, min(len(out) - 8, 4096))) & ~3
    value = _BINARY_VALUES[int(rng.integers(0, len(_BINARY_VALUES)))]
    out[at:at + len(value)] = value
    return bytes(out)


def _xml_structure(data: bytes, rng) -> bytes:
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError):
        return _header_number(data, rng)
    elements = list(root.iter())
    parents = {child: parent for parent in elements for child in parent}
    element = elements[int(rng.integers(1, len(elements)))] if len(elements) > 1 else root
    parent = parents.get(element)
    action = int(rng.integers(0, 5))
    if action == 0 and parent is not None:
        parent.remove(element)
    elif action == 1 and parent is not None:
        parent.insert(list(parent).index(element), ET.fromstring(ET.tostring(element)))
    elif action == 2 and element.attrib:
        key = sorted(element.attrib)[int(rng.integers(0, len(element.attrib)))]
        element.set(key, HOSTILE_NUMBERS[int(rng.integers(0, len(HOSTILE_NUMBERS)))].decode())
    elif action == 3 and parent is not None:
        inner = element
        for _ in range(300):  # deep nesting
            wrapper = ET.Element(element.tag)
            wrapper.append(inner)
            inner = wrapper
        index = list(parent).index(element)
        parent.remove(element)
        parent.insert(index, inner)
    else:
        tokens = (element.text or "").split()
        if tokens:
            hostile = HOSTILE_NUMBERS[int(rng.integers(0, len(HOSTILE_NUMBERS)))].decode()
            tokens[int(rng.integers(0, len(tokens)))] = hostile
            element.text = " ".join(tokens)
        else:
            element.text = HOSTILE_NUMBERS[int(rng.integers(0, len(HOSTILE_NUMBERS)))].decode()
    return ET.tostring(root)


def _zip_member(data: bytes, rng, *, structure: bool) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return _binary_field(data, rng)
    victim = int(rng.integers(0, len(members)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, (name, content) in enumerate(members):
            if k == victim:
                if structure and content.lstrip()[:1] == b"<":
                    content = _xml_structure(content, rng)
                elif structure:
                    content = _header_number(content, rng)
                else:
                    action = int(rng.integers(0, 3))
                    if action == 0:
                        continue  # member removed
                    content = content[:len(content) // 2] if action == 1 else _header_number(content, rng)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # deterministic bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


def structure_kinds(data: bytes) -> tuple[str, ...]:
    """The structure-aware mutation kinds that apply to a file's content."""
    if data[:4] == b"PK\x03\x04":
        return ("zip_member", "xml_structure", "header_number")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return ("xml_structure", "header_number")
    if b"\x00" in data[:4096]:
        return ("binary_field", "header_number")
    return ("header_number",)


def mutate_structure(data: bytes, seed: int) -> tuple[str, bytes]:
    """Return (kind, mutated bytes) for ``seed``: kinds cycle over those that apply to the content."""
    rng = np.random.default_rng(seed)
    kinds = structure_kinds(data)
    kind = kinds[seed % len(kinds)]
    if kind == "zip_member":
        return kind, _zip_member(data, rng, structure=False)
    if kind == "xml_structure":
        if data[:4] == b"PK\x03\x04":
            return kind, _zip_member(data, rng, structure=True)
        return kind, _xml_structure(data, rng)
    if kind == "binary_field":
        return kind, _binary_field(data, rng)
    return kind, _header_number(data, rng)
