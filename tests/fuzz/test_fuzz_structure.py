"""Structure-aware mutants of every shared file (header numbers, binary size fields, XML structure,
zip members), read in a child process with a timeout and a memory cap.

For every mutant: the read succeeds with a finite, non-constant axis and finite values, or raises a
:class:`~spectra.errors.SpectraError` that the reader anticipated and that names a line or byte
(an unknown format names the formats instead); no read takes 2 s; the child's peak memory stays
under 768 MiB. ``SPECTRA_FUZZ_STRUCTURE_MUTANTS`` sets the mutants per file (default 30; CI's slow
run uses 100).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ..conftest import SHARED_DATA, shared_files
from .mutate import mutate_structure

MUTANTS_PER_FILE = int(os.environ.get("SPECTRA_FUZZ_STRUCTURE_MUTANTS", "30"))
MAX_SECONDS = 2.0
MAX_RSS_MIB = 768

CHILD = textwrap.dedent("""
    import json, resource, sys, time, warnings
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    import numpy as np
    import spectra
    from spectra.errors import SpectraError
    sys.path.insert(0, sys.argv[1])
    from tests.fuzz.mutate import mutate_structure
    tmp, count = Path(sys.argv[2]), int(sys.argv[3])
    problems, counts = [], {"read": 0, "refused": 0}
    for name in sys.argv[4:]:
        path = Path(name)
        data = path.read_bytes()
        target = tmp / f"mutant{path.suffix}"
        for seed in range(count):
            kind, mutant = mutate_structure(data, seed)
            target.write_bytes(mutant)
            where = f"{path.name} seed {seed} ({kind})"
            start = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = spectra.read(target)
                counts["read"] += 1
                for da in got:
                    axis = da[da.dims[-1]].values
                    if not (np.isfinite(axis).all() and np.isfinite(da.values).all()
                            and (axis.size == 1 or axis.min() < axis.max())):
                        problems.append(f"{where}: returned a non-finite or degenerate spectrum")
            except SpectraError as exc:
                counts["refused"] += 1
                if getattr(exc, "unanticipated", False):
                    problems.append(f"{where}: unanticipated {exc!r} from {exc.__cause__!r}")
                elif exc.__class__.__name__ == "FileFormatError" and exc.line is None and exc.offset is None:
                    problems.append(f"{where}: no location in {exc}")
                elif str(target) not in str(exc) and "Known formats" not in str(exc):
                    problems.append(f"{where}: the error does not name the file: {exc}")
            except Exception as exc:
                problems.append(f"{where}: escaped {type(exc).__name__}: {exc}"[:300])
            elapsed = time.perf_counter() - start
            if elapsed > %(max_seconds)s:
                problems.append(f"{where}: took {elapsed:.2f} s")
    print(json.dumps({"problems": problems, "counts": counts,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""" % {"max_seconds": MAX_SECONDS})

GROUPS = sorted({p.parent.name for p in shared_files()}) or ["xps", "xrd"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Run one child per group, all at once (the groups take similar times), and collect their reports."""
    root = os.fspath(Path(__file__).resolve().parents[2])
    children = {}
    for group in GROUPS:
        files = [p for p in shared_files() if p.parent.name == group and p.suffix not in (".md", ".json")]
        if files:
            tmp = tmp_path_factory.mktemp(f"mutants_{group}")
            children[group] = (len(files), subprocess.Popen(
                [sys.executable, "-c", CHILD, root, os.fspath(tmp), str(MUTANTS_PER_FILE), *map(os.fspath, files)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    out = {}
    for group, (n_files, child) in children.items():
        try:
            stdout, stderr = child.communicate(timeout=60 + 3 * MAX_SECONDS * MUTANTS_PER_FILE * n_files)
        except subprocess.TimeoutExpired:
            child.kill()
            stdout, stderr = child.communicate()
            stderr = "timed out\n" + stderr
        out[group] = (n_files, child.returncode, stdout, stderr)
    return out


@pytest.mark.fuzz
@pytest.mark.parametrize("group", GROUPS)
def test_structure_aware_mutants_fail_cleanly(group, reports):
    if group not in reports:
        pytest.skip(f"real instrument files not found at {SHARED_DATA}")
    n_files, returncode, stdout, stderr = reports[group]
    assert returncode == 0, stderr[-3000:]
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["problems"] == [], "\n".join(report["problems"][:40])
    assert report["maxrss_mib"] < MAX_RSS_MIB, report
    assert sum(report["counts"].values()) == MUTANTS_PER_FILE * n_files


def test_structure_mutations_are_deterministic_and_change_the_content():
    xml = b'<a x="1"><b>1 2 3</b><c y="2.5">4</c></a>'
    for data in (b"header 1.5\n10 20\n11 21\n", xml, b"\x00\x01" + bytes(200)):
        assert mutate_structure(data, 3) == mutate_structure(data, 3)
        assert sum(mutate_structure(data, seed)[1] != data for seed in range(20)) >= 15
