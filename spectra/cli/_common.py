"""What the commands share: expanding file arguments, turning spectra errors into click errors,
and a plain fixed-width table. Imports nothing heavy (``spectra --help`` stays fast)."""
from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

_GLOB_CHARS = frozenset("*?[")


def expand_paths(arguments: Iterable[str]) -> list[Path]:
    """Files named by command-line arguments, in a deterministic order.

    A folder gives the files directly inside it (sorted; hidden files skipped), a pattern
    (``*``, ``?``, ``[...]``, ``**`` recursive) its sorted matches, anything else itself (so a
    missing file is reported by the command that reads it). Repeats are dropped.

    Raises
    ------
    click.BadParameter
        A pattern or folder that matches no file.
    """
    out: dict[Path, None] = {}
    for arg in arguments:
        path = Path(arg)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        elif not path.exists() and _GLOB_CHARS & set(arg):
            found = [Path(p) for p in sorted(glob.glob(arg, recursive=True)) if os.path.isfile(p)]
        else:
            found = [path]
        if not found:
            raise click.BadParameter(f"{arg!r} matches no file", param_hint="FILES")
        out.update(dict.fromkeys(found))
    return list(out)


def table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A fixed-width text table (the last column is not padded)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]).rstrip() for r in cells)


def click_error(exc: Exception) -> click.ClickException:
    """A spectra error as a click error (exit code 1, the message without a traceback)."""
    return click.ClickException(str(exc))
