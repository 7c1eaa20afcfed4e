"""The stylized facts, the pattern registry, ``aiscale validate`` and the Bass special case."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import SMALL

from aiscale_sim import cli
from aiscale_sim.errors import UserInputError
from aiscale_sim.evidence import patterns as pat
from aiscale_sim.evidence.bass import bass_check, bass_curves, check_coefficients
from aiscale_sim.evidence.facts import load_facts, read_facts
from aiscale_sim.evidence.validate import (
    MET,
    MISSED,
    NOT_EXPRESSED_VERDICT,
    ROW_KEYS,
    Validation,
    build_rows,
    format_validation,
)
from aiscale_sim.runner import Run, run_experiment
from aiscale_sim.simulate import resolve, simulate

ROOT = Path(__file__).resolve().parents[1]
CSV_COLUMNS = "id,pattern,low,high,unit,source,year,strength,model_output_hint"


# --- the facts and the registry -------------------------------------------------------------


def test_patterns_read_the_runners_measure_columns():
    from aiscale_sim.runner import MEASURE_PREFIX

    assert pat.MEASURE == MEASURE_PREFIX


def test_facts_ship_with_the_package():
    facts = load_facts()
    assert len(facts) == 25
    assert facts["pilot_to_production_classic"].low == 0.45
    assert math.isnan(facts["coe_bottleneck"].low)
    assert facts["job_loss_worry"].decisive and not facts["scale_gap"].decisive
    assert facts["bass_q"].strength == "strong"


def test_a_doubled_fact_is_refused():
    row = "x,p,1,2,u,s,2024,weak,h"
    with pytest.raises(ValueError, match="twice"):
        read_facts(f"{CSV_COLUMNS}\n{row}\n{row}\n")


def test_every_fact_is_expressed_or_declared_not_expressed_never_both():
    facts = load_facts()
    expressed = {p.fact for p in pat.PATTERNS}
    assert expressed | set(pat.NOT_EXPRESSED) == set(facts)
    assert not expressed & set(pat.NOT_EXPRESSED)
    assert all(why.strip() for why in pat.NOT_EXPRESSED.values())
    assert len(pat.PATTERNS_BY_ID) == len(pat.PATTERNS)
    for p in pat.PATTERNS:
        assert p.low <= p.high and p.how in ("per_seed", "statistic", "constant")
        assert set(p.scenarios) <= set(pat.SCENARIOS)


def test_build_rows_refuses_a_fact_nobody_reads():
    facts = {**load_facts(), **read_facts(f"{CSV_COLUMNS}\nnew_fact,p,1,2,u,s,2025,strong,h\n")}
    results = [pat.PatternResult(p, 1.0, (1.0, 1.0), 1, (0,)) for p in pat.PATTERNS]
    assert len(build_rows(results)) == len(pat.PATTERNS) + len(pat.NOT_EXPRESSED)
    with pytest.raises(ValueError, match="new_fact"):
        build_rows(results, facts)


def _runs(**columns):
    """A runs table: every scenario the registry reads, 4 seeds, the given columns."""
    seeds = range(4)
    rows = []
    for sc in pat.SCENARIOS:
        for s in seeds:
            row = {"scenario": sc, "seed": s}
            for k, v in columns.items():
                row[k] = v(sc, s) if callable(v) else v
            rows.append(row)
    return pd.DataFrame(rows)


def _all_columns(**over):
    cols = {k: 0.5 for k in ("pilot_to_production_by_class.classic",
                             "pilot_to_production_by_class.genai",
                             "pilot_to_production_by_class.assistant",
                             "production_survival_3y", "data_work_share", "adoption_frontline",
                             "adoption_managers", "roi", "units_with_scaled_share",
                             "units_with_pilot_share", "adoption_share")}
    cols.update({pat.MEASURE + m: 1.0 for m in pat.MEASURES})
    cols.update(over)
    return cols


def test_pattern_values_per_seed_pooled_and_paired():
    frontline = {0: 0.4, 1: 0.5, 2: 0.6, 3: float("nan")}
    cols = _all_columns(**{
        "adoption_frontline": lambda sc, s: frontline[s],
        # bought 3 of 4 concluded in every seed, built 1 of 4: a pooled ratio of 3.
        pat.MEASURE + "genai_bought_reached": 3.0,
        pat.MEASURE + "genai_bought_concluded": 4.0,
        pat.MEASURE + "genai_built_reached": lambda sc, s: 2.0 if s == 0 else 0.0,
        pat.MEASURE + "genai_built_concluded": 4.0,
        "roi": lambda sc, s: 0.1 if s == 1 else -0.2,
        pat.MEASURE + "ttp_weeks_by_3y": lambda sc, s: 30.0 + s if sc.startswith("coe")
        else 20.0,
    })
    values = pat.pattern_values(_runs(**cols))
    assert values["frontline_plateau"] == pytest.approx(0.5)  # NaN seed left out
    assert values["vendor_vs_internal_success/same_org"] == pytest.approx(
        (12 / 16) / (2 / 16))
    assert values["value_generators"] == pytest.approx(0.25)
    assert values["coe_bottleneck/high_demand"] == pytest.approx(11.5)
    assert values["bass_p"] == pytest.approx(0.03)
    results = {r.pattern.id: r for r in pat.evaluate(_runs(**cols))}
    front = results["frontline_plateau"]
    assert front.n == 3 and front.interval[0] < 0.5 < front.interval[1]
    assert front.met
    lo, hi = results["vendor_vs_internal_success/same_org"].interval
    assert lo <= 6.0 <= hi  # the bootstrap interval holds the pooled value
    assert not results["coe_bottleneck/low_demand"].met  # the CoE is slower at low demand too


def test_pairs_read_only_seeds_every_scenario_has():
    runs = _runs(**_all_columns(adoption_share=lambda sc, s: 0.3 if sc == "training_5h"
                                else 0.1))
    runs = runs[~((runs["scenario"] == "training_0h") & (runs["seed"] == 0))]
    assert pat.pattern_values(runs)["training_threshold"] == pytest.approx(0.2)
    assert [r.n for r in pat.evaluate(runs) if r.pattern.id == "training_threshold"] == [3]


def _validation(value_of):
    """A validation whose expressed patterns take ``value_of(pattern)``."""
    results = [pat.PatternResult(p, value_of(p), (value_of(p), value_of(p)), 4, (0, 1, 2, 3))
               for p in pat.PATTERNS]
    return Validation(build_rows(results), seeds=[0, 1, 2, 3], steps=52,
                      scenarios={"baseline": {}}, version="test")


def _inside(p):
    return p.low if math.isfinite(p.low) else p.high


def test_verdicts_and_exit_rule():
    good = _validation(_inside)
    assert good.passed
    verdicts = {r.id: r.verdict for r in good.rows}
    assert verdicts["shadow_ai"] == NOT_EXPRESSED_VERDICT
    assert set(verdicts.values()) == {MET, NOT_EXPRESSED_VERDICT}
    weak_miss = _validation(lambda p: math.nan if p.fact == "scale_gap" else _inside(p))
    assert weak_miss.passed  # a weak fact missed does not fail the validation
    assert {r.verdict for r in weak_miss.rows if r.fact.id == "scale_gap"} == {MISSED}
    strong_miss = _validation(lambda p: 0.9 if p.id == "job_loss_worry" else _inside(p))
    assert not strong_miss.passed
    records = json.loads(format_validation(strong_miss, "json"))
    assert all(tuple(r) == ROW_KEYS for r in records)
    row = next(r for r in records if r["id"] == "large_enterprise_pilot_to_scale")
    assert row["high"] is None and row["low"] == 9.0  # an open end is null
    assert "job_loss_worry" in format_validation(strong_miss, "markdown")


@pytest.mark.parametrize("passed", [True, False])
def test_exit_code_follows_the_verdicts(monkeypatch, tmp_path, capsys, passed):
    from aiscale_sim.evidence import validate

    v = _validation(_inside if passed else (lambda p: math.nan))
    monkeypatch.setattr(validate, "run_validation", lambda *a, **k: v)
    plot = [] if passed else ["--no-plot"]  # the figure is drawn once
    code = cli.main(["validate", "--out", str(tmp_path), "--format", "json", "--quiet", *plot])
    assert code == (0 if passed else 1)
    assert len(json.loads(capsys.readouterr().out)) == len(v.rows)
    saved = json.loads((tmp_path / "validation.json").read_text())
    assert saved["version"] == "test" and saved["seeds"] == [0, 1, 2, 3]
    assert saved["passed"] is passed
    assert (tmp_path / "patterns.png").exists() is passed


# --- through the runner -----------------------------------------------------------------------


def _count_live(result):
    return {"live": float(sum(uc.production_week is not None for uc in result.model.use_cases))}


def _broken(result):
    raise RuntimeError("no measure")


def test_validation_fails_when_every_run_fails(tmp_path, monkeypatch):
    from aiscale_sim.evidence import validate

    monkeypatch.setattr(validate, "_measure", lambda: _broken)
    v = validate.run_validation(tmp_path, seeds=1, steps=2, executor="serial",
                                progress=False, patterns=[pat.PATTERNS_BY_ID["bass_p"],
                                                          pat.PATTERNS_BY_ID["data_work_share"]])
    assert v.failures == 1 and not v.passed
    assert {r.verdict for r in v.rows if r.pattern is not None} == {MET, MISSED}


def test_runner_keeps_a_runs_measures_and_records_a_failing_one(tmp_path):
    levers = dict(resolve(dict(SMALL)).levers)
    design = [Run(i, "small", levers, i) for i in range(2)]
    exp = run_experiment(design, tmp_path / "a", steps=30, executor="serial", progress=False,
                         measure=_count_live)
    assert "measure.live" in exp.summaries.columns
    assert (exp.summaries["measure.live"] >= 0).all()
    bad = run_experiment(design, tmp_path / "b", steps=30, executor="serial", progress=False,
                         measure=_broken)
    assert len(bad.failures) == 2 and "no measure" in bad.failures["error"].iloc[0]


def test_a_run_made_outside_the_runner_gives_the_runners_row(tmp_path):
    levers = dict(resolve(dict(SMALL)).levers)
    exp = run_experiment([Run(0, "baseline", levers, 3)], tmp_path / "r", steps=40,
                         executor="serial", progress=False, measure=pat.measure)
    stored = exp.summaries.iloc[0]
    row = pat.run_row("baseline", 3, simulate(levers, seed=3, steps=40))
    for key in (*(pat.MEASURE + m for m in pat.MEASURES), "adoption_frontline",
                "pilot_to_production_by_class.classic", "roi"):
        a, b = float(stored[key]), float(row[key])
        assert a == b or (math.isnan(a) and math.isnan(b)), key


def test_validate_runs_the_patterns_in_parallel_and_writes_its_results(tmp_path):
    out = tmp_path / "v"
    proc = subprocess.run(
        [sys.executable, "-m", "aiscale_sim.cli", "validate", "--seeds", "1", "--steps", "8",
         "--format", "json", "--out", str(out), "--workers", "2", "--quiet", "--no-plot"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    rows = json.loads(proc.stdout)
    assert all(tuple(r) == ROW_KEYS for r in rows)
    ids = [r["id"] for r in rows]
    assert set(load_facts()) <= {i.split("/")[0] for i in ids}
    assert {r["verdict"] for r in rows} <= {MET, MISSED, NOT_EXPRESSED_VERDICT}
    saved = json.loads((out / "validation.json").read_text())
    assert proc.returncode == (0 if saved["passed"] else 1)
    assert saved["seeds"] == [0] and saved["steps"] == 8 and saved["version"]
    assert saved["scenarios"]["coe_low_demand"] == {"centralisation": 1.0,
                                                    "pilot_launch_rate": 3.0}
    manifest = json.loads((out / "runs" / "manifest.json").read_text())
    assert manifest["executor"] == "processes" and manifest["counts"]["done"] == 14
    # job-loss worry is read at week 0, so it is the same in any run length.
    worry = next(r for r in rows if r["id"] == "job_loss_worry")
    assert worry["verdict"] == MET


@pytest.mark.parametrize("argv, needle", [
    (["--bass", "0", "0.4"], "p = 0.0"),
    (["--bass", "0.03", "2.5"], "q = 2.5"),
    (["--bass", "0.03", "nan"], "q = nan"),
    (["--bass", "x", "0.4"], "expected a number"),
    (["--format", "xml"], "invalid choice"),
    (["--seeds", "0"], "out of range"),
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, argv, needle):
    out = tmp_path / "out"
    try:
        code = cli.main(["validate", "--out", str(out), *argv])
    except SystemExit as e:  # argparse's own checks
        code = e.code
    assert code == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


# --- the Bass special case ----------------------------------------------------------------------


def test_bass_curves_agree_with_each_other_and_start_at_zero():
    discrete, continuous = bass_curves(0.03, 0.38, 52 * 20)
    assert discrete[0] == pytest.approx(0.03 / 52)
    assert np.max(np.abs(discrete - continuous)) < 0.01
    assert continuous[-1] > 0.99


def test_coefficients_out_of_range_are_refused():
    for p, q in ((0.0, 0.3), (-0.1, 0.3), (1.5, 0.3), (0.03, -0.1), (0.03, 2.1)):
        with pytest.raises(UserInputError, match="out of range"):
            check_coefficients(p, q)
    check_coefficients(0.001, 0.0)


def test_validate_bass_reports_small_deviations_and_draws_the_curves(tmp_path, capsys):
    out = tmp_path / "bass"
    code = cli.main(["validate", "--bass", "0.03", "0.38", "--format", "json", "--out",
                     str(out), "--quiet"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["max_abs_deviation_discrete"] < 0.025
    assert report["max_abs_deviation_continuous"] < 0.045
    assert report["p"] == 0.03 and report["q"] == 0.38 and report["seed"] == 5
    assert report["version"] and report["scenario"] == "bass special case"
    assert json.loads((out / "bass.json").read_text()) == report
    assert (out / "bass.png").stat().st_size > 10_000


def test_the_bass_check_can_fail(monkeypatch):
    """Compared with the curves of another q, the same rule is far off."""
    from aiscale_sim.evidence import bass as bass_mod

    good = bass_check(0.05, 0.5, employees=4000, years=8)
    assert good.max_abs_deviation_discrete < 0.04
    real = bass_mod.bass_curves
    monkeypatch.setattr(bass_mod, "bass_curves", lambda p, q, weeks: real(p, q / 2, weeks))
    off = bass_check(0.05, 0.5, employees=4000, years=8)
    assert off.max_abs_deviation_discrete > 0.1
