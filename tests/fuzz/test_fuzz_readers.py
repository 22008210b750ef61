"""Seeded mutants of every shared file (200 each): a read either succeeds or raises a spectra
error that the reader anticipated (never one only the registry's safety net caught), within 2 s."""
from __future__ import annotations

import time
import warnings

import pytest

import spectra
from spectra.errors import SpectraError

from ..conftest import shared_files
from .mutate import KINDS, mutate

MUTANTS_PER_FILE = 200
FILES = [p for p in shared_files() if p.suffix not in (".md", ".json")]


@pytest.mark.fuzz
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_mutants_fail_cleanly(path, tmp_path):
    data = path.read_bytes()
    target = tmp_path / f"mutant{path.suffix}"
    seen = set()
    for seed in range(MUTANTS_PER_FILE):
        kind, mutant = mutate(data, seed)
        seen.add(kind)
        target.write_bytes(mutant)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                spectra.read(target)
        except SpectraError as exc:
            assert not getattr(exc, "unanticipated", False), f"seed {seed} ({kind}): {exc!r} from {exc.__cause__!r}"
            assert str(target) in str(exc) or "Known formats" in str(exc)
        elapsed = time.perf_counter() - start
        assert elapsed < 2.0, f"seed {seed} ({kind}) took {elapsed:.2f} s"
    assert seen == set(KINDS)


def test_mutations_are_deterministic_and_change_the_bytes():
    data = b"line one\nline two\nline three\n" * 20
    assert mutate(data, 7) == mutate(data, 7)
    changed = sum(mutate(data, seed)[1] != data for seed in range(100))
    assert changed >= 95
