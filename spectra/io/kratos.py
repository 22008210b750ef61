"""Kratos Vision 2 native ``.dset`` files: recognised, and refused with an explanation.

A ``.dset`` is a big-endian store of typed, linked objects (instrument settings, regions, images)
whose layout Kratos has never published. The one public decoder (Yohko/importtool's Igor loader)
labels its object-type table "my guesses", and xylib and pynxtools-xps do not read the format. Rather
than return numbers we cannot vouch for, spectra raises a :class:`FileFormatError` telling the user to
export VAMAS from Kratos Vision or ESCApe, which spectra reads in full.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import FileFormatError
from ._registry import Reader, register


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a Kratos Vision ``.dset`` file by its extension (the format has no documented magic).

    The reader is tried after every content sniffer, so a ``.dset`` file holding VAMAS or XRDML is
    read as what it holds.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (unused).
    path : Path
        The file.

    Returns
    -------
    bool
        True when the extension is ``.dset`` (any case).
    """
    return path.suffix.lower() == ".dset"


def read(path: Path):
    """Refuse a Kratos Vision ``.dset`` file with an explanation: the format is not decoded.

    Parameters
    ----------
    path : Path
        The file.

    Raises
    ------
    spectra.errors.FileFormatError
        Always (offset 0); the message says to export VAMAS from Vision or ESCApe.
    """
    raise FileFormatError(path, "Kratos Vision .dset is an undocumented binary object store that spectra "
                                "does not decode; export the data from Vision/ESCApe as VAMAS (.vms), "
                                "which spectra reads", offset=0)


register(Reader("kratos_dset", "xps", (".dset",), sniff, read,
                "Kratos Vision .dset (recognised; export to VAMAS to read)", by_extension=True))
