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
        if offset < 0 or size < 0 or offset + size > len(self.data):
            raise FileFormatError(self.path, f"file ends inside {what} ({size} bytes needed)", offset=offset)

    def unpack(self, fmt: str, offset: int, what: str = "a header field"):
        size = struct.calcsize(fmt)
        self.need(offset, size, what)
        return struct.unpack_from(fmt, self.data, offset)

    def one(self, fmt: str, offset: int, what: str = "a header field"):
        return self.unpack(fmt, offset, what)[0]

    def string(self, offset: int, size: int) -> str:
        self.need(offset, size, "a text field")
        return self.data[offset:offset + size].split(b"\x00", 1)[0].decode("latin-1").strip()

    def array(self, dtype: str, offset: int, count: int, what: str = "the data") -> np.ndarray:
        itemsize = np.dtype(dtype).itemsize
        if count < 0:
            raise FileFormatError(self.path, f"negative point count {count} for {what}", offset=offset)
        self.need(offset, count * itemsize, what)
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=offset).astype(float)
