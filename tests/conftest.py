"""Shared fixtures: small organisations so the suite stays fast."""

import pytest
from builders import SMALL


@pytest.fixture
def small_levers():
    return dict(SMALL)
