"""Shared fixtures: the real-data folder ``../shared/data`` (tests skip with a reason when absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SPECTRA_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_files() -> list[Path]:
    """Every instrument file in the shared data folder (empty when the folder is absent)."""
    if not SHARED_DATA.is_dir():
        return []
    return sorted(p for p in SHARED_DATA.glob("*/*") if p.is_file())


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real instrument files not found at {SHARED_DATA} (clone with ../shared beside the repo)")
    return SHARED_DATA
