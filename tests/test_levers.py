import json

import pytest

from aiscale_sim import LEVERS, UserInputError, defaults
from aiscale_sim.cli import main
from aiscale_sim.levers import LEVERS_BY_NAME, POLICY_LEVERS, format_table, validate_levers

REQUIRED = {
    "centralisation", "training_hours", "adoption_incentive", "pilot_count_incentive",
    "change_management", "data_investment", "platform_investment", "ai_staff_per_1000",
    "engineer_ratio", "governance_rigour", "executive_sponsorship", "prioritisation",
    "pilot_launch_rate", "success_criteria_clarity", "jobs_communication", "employees",
    "business_units", "span_of_control", "tie_density",
}


def test_table_has_every_required_lever_once():
    names = [lv.name for lv in LEVERS]
    assert len(names) == len(set(names))
    assert REQUIRED <= set(names)


@pytest.mark.parametrize("lever", LEVERS, ids=lambda lv: lv.name)
def test_each_lever_is_well_formed(lever):
    assert lever.kind in ("float", "int", "bool", "choice")
    assert lever.group in ("policy", "structure")
    assert lever.unit and lever.description
    assert lever.validate(lever.default) == lever.default
    if lever.kind in ("float", "int"):
        assert lever.low <= lever.default <= lever.high
        with pytest.raises(UserInputError, match="out of bounds"):
            lever.validate(lever.high + 1)
    if lever.kind == "choice":
        assert lever.default in lever.choices


def test_validate_fills_defaults_and_converts():
    out = validate_levers({"training_hours": 10, "employees": 2000.0})
    assert out["training_hours"] == 10.0 and isinstance(out["training_hours"], float)
    assert out["employees"] == 2000 and isinstance(out["employees"], int)
    assert out["governance_rigour"] == defaults()["governance_rigour"]


def test_unknown_lever_suggests_nearest():
    with pytest.raises(UserInputError, match="did you mean 'training_hours'"):
        validate_levers({"training_hour": 3})


def test_wrong_type_and_bounds_are_named():
    with pytest.raises(UserInputError, match="'centralisation'.*expected a number"):
        validate_levers({"centralisation": "high"})
    with pytest.raises(UserInputError, match="allowed 0 to 1"):
        validate_levers({"centralisation": 1.5})
    with pytest.raises(UserInputError, match="choose one of"):
        validate_levers({"prioritisation": "gut_feeling"})


def test_policy_levers_exclude_structure():
    assert "employees" not in POLICY_LEVERS and "centralisation" in POLICY_LEVERS


def test_levers_json_cli(capsys):
    assert main(["levers", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == [lv.name for lv in LEVERS]
    keys = {"name", "default", "low", "high", "kind", "unit", "description", "group"}
    for d in data:
        assert keys <= set(d)
    prio = next(d for d in data if d["name"] == "prioritisation")
    assert prio["choices"] == list(LEVERS_BY_NAME["prioritisation"].choices)


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_levers_other_formats_list_every_lever(fmt, capsys):
    assert main(["levers", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for lv in LEVERS:
        assert lv.name in out
    assert out == format_table(fmt) + "\n"
