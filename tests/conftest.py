"""Shared fixtures: the pipeline is expensive to build, so tests share one per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eventcoder.muc4.data import ENV_VAR, default_data_dir

def require_muc4_dir() -> Path:
    """The MUC-4 folder; skip the test if it is missing, or fail when CI == "true"."""
    folder = default_data_dir()
    if not (folder / "gtt_dev.json").is_file():
        message = f"MUC-4 data not found at {folder}; set {ENV_VAR}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folder

@pytest.fixture(scope="session")
def muc4_dir() -> Path:
    return require_muc4_dir()

@pytest.fixture
def require_muc4():
    """The skip-or-fail check itself, for tests of its behaviour."""
    return require_muc4_dir

@pytest.fixture(scope="session")
def pipeline():
    from eventcoder.pipeline import Pipeline

    return Pipeline()
