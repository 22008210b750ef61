"""Seeded mutations of a file's bytes: truncation, byte flips, deleted and duplicated lines, and a
swapped text encoding. Deterministic for a given seed."""
from __future__ import annotations

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
