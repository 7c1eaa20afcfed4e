"""Shared fixtures: small organisations so the suite stays fast."""

import pytest

#: A small organisation (a few hundred people) that still has every kind of agent.
SMALL = {"employees": 400, "business_units": 4}


@pytest.fixture
def small_levers():
    return dict(SMALL)
