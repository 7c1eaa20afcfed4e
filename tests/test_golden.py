"""Golden values: a fixed small run must reproduce recorded numbers.

A change that reorders random draws, or changes a rule, changes these numbers. That is allowed
only on purpose: regenerate with ``python tests/test_golden.py --regenerate`` and say why in
the commit message.
"""

import json
import sys
from pathlib import Path

import pytest

from aiscale_sim import simulate

GOLDEN = Path(__file__).resolve().parent / "golden" / "small_baseline.json"
LEVERS = {"employees": 1000, "business_units": 4, "ai_staff_per_1000": 10.0,
          "pilot_launch_rate": 12.0}
SEED, STEPS = 2024, 156
WEEKS = [0, 26, 52, 104, 156]
COLUMNS = ["adoption_share", "pilots_active", "pilots_in_purgatory", "use_cases_in_production",
           "cumulative_value", "cumulative_cost", "mean_anxiety", "platform_maturity"]
RTOL = 1e-9  # same machine kind, same library versions: differences mean a changed model


def current() -> dict:
    r = simulate(LEVERS, seed=SEED, steps=STEPS)
    ts = r.timeseries.set_index("week").loc[WEEKS, COLUMNS]
    return {"outcomes": r.outcomes,
            "timeseries": {str(w): ts.loc[w].astype(float).to_dict() for w in WEEKS}}


def _compare(expected, actual, path="") -> None:
    if isinstance(expected, dict):
        assert set(expected) == set(actual), f"{path}: keys differ"
        for k in expected:
            _compare(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, float) or isinstance(actual, float):
        assert actual == pytest.approx(expected, rel=RTOL, abs=1e-12), path
    else:
        assert actual == expected, path


def test_small_baseline_matches_golden_values():
    expected = json.loads(GOLDEN.read_text())
    actual = json.loads(json.dumps(current()))  # same types as stored (tuples -> lists)
    _compare(expected, actual)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    GOLDEN.write_text(json.dumps(current(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
