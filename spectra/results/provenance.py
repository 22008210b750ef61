"""Where a results file came from: the input files' SHA-256, the package versions, the command line
and the UTC time (one JSON-able dict, stored at the file's root)."""
from __future__ import annotations

import datetime
import hashlib
import os
import sys
from collections.abc import Iterable
from importlib import metadata as importlib_metadata

#: distributions recorded beside those of every fit (:func:`spectra.fitting.dataset.versions`)
FILE_PACKAGES = ("h5netcdf", "h5py")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of Python, spectra and the numerical stack (as every fit records them), and of the
    file libraries (``unknown`` when absent)."""
    from ..fitting.dataset import versions as fit_versions

    out = {"python": sys.version.split()[0], **fit_versions()}
    for name in FILE_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def provenance(sources: Iterable[str] = (), *, command: list[str] | None = None, **extra) -> dict:
    """The provenance record of a results file.

    Parameters
    ----------
    sources : iterable of str
        Where the fitted spectra came from; each that is an existing file is hashed.
    command : list of str, optional
        The command line (default: ``sys.argv``).
    **extra
        Further JSON-able entries (e.g. ``options``).

    Returns
    -------
    dict
        ``created`` (UTC, ISO 8601), ``command``, ``versions``, ``inputs`` (path → SHA-256) and
        ``extra``'s entries.
    """
    inputs = {}
    for source in dict.fromkeys(str(s) for s in sources if s):
        if os.path.isfile(source):
            inputs[source] = file_sha256(source)
    return {"created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": list(sys.argv if command is None else command), "versions": versions(),
            "inputs": inputs, **extra}
