"""A bounds-checked reader for binary formats: every read names the byte offset when it fails."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..errors import FileFormatError


class BinaryCursor:
    """Little-endian reads at absolute offsets of a byte string.

    Parameters
    ----------
    data : bytes
        The whole file.
    path : Path
        For error messages.
    """

    def __init__(self, data: bytes, path: Path):
        self.data = data
        self.path = path

    def need(self, offset: int, size: int, what: str) -> None:
        """Check that ``size`` bytes are available at ``offset``.

        Parameters
        ----------
        offset : int
            Absolute byte offset.
        size : int
            Number of bytes needed.
        what : str
            What is being read, for the error message.

        Raises
        ------
        spectra.errors.FileFormatError
            The range is negative or runs past the end of the data (the error names ``offset``).
        """
        if offset < 0 or size < 0 or offset + size > len(self.data):
            raise FileFormatError(self.path, f"file ends inside {what} ({size} bytes needed)", offset=offset)

    def unpack(self, fmt: str, offset: int, what: str = "a header field"):
        """Unpack a :mod:`struct` format at an absolute offset.

        Parameters
        ----------
        fmt : str
            A :mod:`struct` format string; it must carry its own byte order (``"<"`` for little-endian).
        offset : int
            Absolute byte offset.
        what : str
            What is being read, for the error message.

        Returns
        -------
        tuple
            The unpacked values.

        Raises
        ------
        spectra.errors.FileFormatError
            The data ends before the field does (the error names ``offset``).
        """
        size = struct.calcsize(fmt)
        self.need(offset, size, what)
        return struct.unpack_from(fmt, self.data, offset)

    def one(self, fmt: str, offset: int, what: str = "a header field"):
        """Unpack a single value; like :meth:`unpack` but returns its first item.

        Parameters
        ----------
        fmt : str
            A :mod:`struct` format string.
        offset : int
            Absolute byte offset.
        what : str
            What is being read, for the error message.

        Returns
        -------
        int, float or bytes
            The first unpacked value.

        Raises
        ------
        spectra.errors.FileFormatError
            The data ends before the field does (the error names ``offset``).
        """
        return self.unpack(fmt, offset, what)[0]

    def string(self, offset: int, size: int) -> str:
        """Read a fixed-size text field: cut at the first NUL, decoded as Latin-1, stripped.

        Parameters
        ----------
        offset : int
            Absolute byte offset.
        size : int
            Field size in bytes.

        Returns
        -------
        str
            The text.

        Raises
        ------
        spectra.errors.FileFormatError
            The data ends before the field does (the error names ``offset``).
        """
        self.need(offset, size, "a text field")
        return self.data[offset:offset + size].split(b"\x00", 1)[0].decode("latin-1").strip()

    def array(self, dtype: str, offset: int, count: int, what: str = "the data") -> np.ndarray:
        """Read ``count`` values of ``dtype`` at an absolute offset, converted to float.

        Parameters
        ----------
        dtype : str
            A numpy dtype string, e.g. ``"<f4"`` or ``"<i4"``.
        offset : int
            Absolute byte offset.
        count : int
            Number of values.
        what : str
            What is being read, for the error message.

        Returns
        -------
        numpy.ndarray
            Shape ``(count,)``, float64 (a copy, not a view of the file).

        Raises
        ------
        spectra.errors.FileFormatError
            ``count`` is negative or the data ends before the values do (the error names ``offset``).
        """
        itemsize = np.dtype(dtype).itemsize
        if count < 0:
            raise FileFormatError(self.path, f"negative point count {count} for {what}", offset=offset)
        self.need(offset, count * itemsize, what)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=offset).astype(float)
