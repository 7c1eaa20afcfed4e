"""Calibratable constants in the runner's runs, in [uncertain] worlds and in the EMA model."""

import pandas as pd
import pytest

from aiscale_sim.calibration.constants import CONSTANTS, CONSTANTS_BY_NAME
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.experiment.designs import Run, design_hash
from aiscale_sim.runner import CONSTANT_PREFIX, _run_one, run_experiment
from aiscale_sim.simulate import resolve, simulate

SMALL = {"employees": 120, "business_units": 2}


def _run(run_id=0, constants=None):
    levers = resolve(None, SMALL).levers
    kw = {} if constants is None else {"constants": constants}
    return Run(run_id, "small", dict(levers), 7, **kw)


def test_a_run_with_constants_differs_and_records_them(tmp_path):
    plain, tuned = _run(0), _run(1, {"bass_q": 0.9, "data_effort": 60.0})
    exp = run_experiment([plain, tuned], tmp_path / "e", steps=26, executor="serial",
                         progress=False)
    s = exp.summaries.set_index("run_id")
    assert s.loc[1, f"{CONSTANT_PREFIX}bass_q"] == 0.9
    assert s.loc[1, f"{CONSTANT_PREFIX}data_effort"] == 60.0
    assert pd.isna(s.loc[0, f"{CONSTANT_PREFIX}bass_q"])  # the plain run overrode nothing
    assert s.loc[1, "cumulative_cost"] != s.loc[0, "cumulative_cost"]
    # The runner passes them to simulate: the same numbers as a direct call.
    direct = simulate(dict(tuned.levers), seed=7, steps=26, constants=dict(tuned.constants))
    assert s.loc[1, "cumulative_cost"] == direct.summary["outcomes"]["cumulative_cost"]
    # The manifest keeps them, so a resumed or loaded design runs the same constants.
    assert [r.constants for r in exp.design] == [{}, {"bass_q": 0.9, "data_effort": 60.0}]


def test_a_run_without_constants_keeps_its_identity():
    plain = _run(0)
    assert "constants" not in plain.as_dict()
    assert Run.from_dict(plain.as_dict()) == plain
    assert design_hash([plain], 26) == design_hash([_run(0, {})], 26)
    assert design_hash([plain], 26) != design_hash([_run(0, {"bass_q": 0.5})], 26)
    assert not any(k.startswith(CONSTANT_PREFIX) for k in _run_one(plain, 4)["row"])


def test_a_run_refuses_an_unknown_or_out_of_range_constant():
    with pytest.raises(UserInputError, match=r"'bass_q'.*allowed 0.1 to 1"):
        _run(0, {"bass_q": 3.0})
    with pytest.raises(UserInputError, match="unknown calibratable constant 'bass'"):
        _run(0, {"bass": 0.5})


def test_uncertain_constants_vary_across_worlds_and_are_checked(tmp_path, capsys):
    from aiscale_sim.robustness import DEFAULT_UNCERTAIN, box_in_words, parse_uncertain

    exp = tmp_path / "worlds.toml"
    exp.write_text("[uncertain]\nbusiness_units = { low = 2, high = 4 }\n"
                   "bass_q = { low = 0.2, high = 0.8 }\n")
    out = tmp_path / "d"
    assert main(["discover", "baseline", "--experiment", str(exp), "--worlds", "10",
                 "--steps", "13", "--set", "employees=120", "--executor", "serial",
                 "--quiet", "--out", str(out)]) == 0
    worlds = pd.read_csv(out / "worlds.csv")
    assert worlds["bass_q"].between(0.2, 0.8).all() and worlds["bass_q"].nunique() == 10
    s = pd.read_parquet(out / "runs" / "summaries.parquet")
    by_world = s.set_index("scenario")[f"{CONSTANT_PREFIX}bass_q"]
    assert by_world.to_dict() == pytest.approx(worlds.set_index("world")["bass_q"].to_dict())
    assert "Bass imitation: 0.2 to 0.8 (per year, a calibratable constant)" in (
        out / "box.md").read_text()
    # Out of the constant's prior: refused, naming it and its allowed range.
    exp.write_text("[uncertain]\nbass_q = { low = 0.05, high = 0.8 }\n")
    capsys.readouterr()
    assert main(["discover", "baseline", "--experiment", str(exp),
                 "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "bass_q" in err and "allowed 0.1 to 1" in err
    assert not (tmp_path / "bad").exists()
    with pytest.raises(UserInputError, match="needs low < high"):
        parse_uncertain({"drift": {"low": 0.005, "high": 0.002}})
    with pytest.raises(UserInputError, match="calibratable constants"):
        parse_uncertain({"bass_z": {"low": 0.2, "high": 0.3}})
    # The default worlds vary the constants with published priors, over their whole prior.
    for name in ("bass_p", "bass_q", "data_effort"):
        c = CONSTANTS_BY_NAME[name]
        assert DEFAULT_UNCERTAIN[name] == (c.low, c.high)
    # A box on a constant reads in words, with the constant's label.
    from aiscale_sim.robustness import Box

    box = Box({"bass_q": (0.55, float("inf"))}, 0.9, 0.85, 0.3, 3, pd.DataFrame())
    assert box_in_words(box, {"bass_q": (0.1, 1.0)}).startswith(
        "when bass imitation is above 0.55, the strategy fails to pay back in 85%")


def test_the_ema_model_lists_constants_as_uncertainties():
    from aiscale_sim.ema import ema_model, run_once

    plain = ema_model(replications=1, steps=13, base=SMALL, levers=["centralisation"])
    assert not {u.name for u in plain.uncertainties} & set(CONSTANTS_BY_NAME)
    every = ema_model(replications=1, steps=13, base=SMALL, levers=["centralisation"],
                      constants=True)
    got = {u.name: u for u in every.uncertainties}
    for c in CONSTANTS:
        assert (got[c.name].lower_bound, got[c.name].upper_bound) == (c.low, c.high)
    some = ema_model(replications=1, steps=13, base=SMALL, levers=["centralisation"],
                     uncertain={"business_units": (2, 4), "drift": (0.002, 0.004)},
                     constants=["data_effort"])
    assert [u.name for u in some.uncertainties] == ["business_units", "drift", "data_effort"]
    assert "data_effort" not in {c.name for c in some.constants}
    with pytest.raises(UserInputError, match="unknown calibratable constant 'bassq'"):
        ema_model(constants=["bassq"])
    kw = {c.name: c.value for c in some.constants}
    one = {"rng": 3, "business_units": 2, "centralisation": 0.5, "drift": 0.002, **kw}
    lo, hi = run_once(data_effort=10.0, **one), run_once(data_effort=60.0, **one)
    assert hi["cumulative_cost"] != lo["cumulative_cost"]
