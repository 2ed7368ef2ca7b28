"""Shared fixtures: the pipeline is expensive to build, so tests share one per session."""

from __future__ import annotations

import pytest




@pytest.fixture(scope="session")
def pipeline():
    from eventcoder.pipeline import Pipeline

    return Pipeline()
