"""System tools the report tests use (headless Chromium, poppler's pdftoppm): found on PATH, else
installed with apt-get where the tests run as root, else the test is skipped with the reason."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def ensure(binary: str, package: str) -> str:
    """Path of ``binary``; installs the Debian ``package`` when missing and root may, else skips."""
    found = shutil.which(binary)
    if found:
        return found
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{binary} is not installed and cannot be installed here (needs root and apt-get: "
                    f"apt-get install -y {package})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, capture_output=True, timeout=900,
                       env=env)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"apt-get install -y {package} failed: {exc}")
    found = shutil.which(binary)
    if not found:
        pytest.skip(f"apt-get installed {package} but {binary} is not on PATH")
    return found
