"""The operating-model regimes script runs end to end in its quick mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

SCRIPT = Path(__file__).parents[1] / "experiments" / "operating_model_regimes.py"
OUTCOMES = {"cumulative_value", "median_time_to_production_weeks", "pilots_reached_production",
            "pilot_to_production_rate", "coe_median_wait_weeks"}


def _run(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--quick", "--workers", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          check=False)


def test_regimes_quick_writes_every_cell_map_and_summary(tmp_path):
    out = tmp_path / "regimes"
    proc = _run(out)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout

    csv = pd.read_csv(out / "regimes.csv")
    cells = set(zip(csv["business_units"], csv["pilot_launch_rate"], csv["centralisation"],
                    csv["outcome"], strict=True))
    expected = {(u, r, c, o) for u in (2, 4) for r in (3.0, 20.0) for c in (0.0, 0.5, 1.0)
                for o in OUTCOMES}
    assert cells == expected and len(csv) == len(expected)
    assert set(csv["operating_model"]) == {"federated", "hybrid", "CoE"}
    assert (csv["runs"] == 2).all()
    value = csv[csv["outcome"] == "cumulative_value"]
    assert value["mean"].notna().all() and value["se"].notna().all()

    # Common random numbers: every cell ran the same seeds.
    runs = pd.read_parquet(out / "summaries.parquet")
    seeds = runs.groupby(["business_units", "pilot_launch_rate", "centralisation"])["seed"]
    assert seeds.apply(lambda s: tuple(sorted(s))).nunique() == 1
    assert (runs["employees"] == 400 * runs["business_units"]).all()

    # The value leader of each cell is the operating model with the highest mean value.
    leaders = pd.read_csv(out / "leaders.csv")
    lv = leaders[leaders["outcome"] == "cumulative_value"].set_index(
        ["business_units", "pilot_launch_rate"])["leader"]
    best = value.loc[value.groupby(["business_units", "pilot_launch_rate"])["mean"].idxmax()]
    for _, row in best.iterrows():
        assert lv[(row["business_units"], row["pilot_launch_rate"])] == row["operating_model"]

    png = out / "regimes.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000

    for u in (2, 4):
        for r in (3, 20):
            line = [ln for ln in text.splitlines()
                    if ln.startswith(f"  {u} units, {r} ideas per unit per year")]
            assert len(line) == 1, text
            assert "value leader " in line[0] and "time-to-production leader " in line[0]
    assert "Stylized fact centralised_vs_decentralised_production" in text
    assert "Stylized fact coe_bottleneck" in text
    assert "the hybrid delivers at least as much value as the CoE: holds in" in text
    assert text.count("CoE") > 4 and ": holds in " in text

    # Running again into the same folder resumes the finished experiment: same numbers.
    again = _run(out)
    assert again.returncode == 0, again.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out / "regimes.csv"), csv)


def test_regimes_refuses_a_folder_holding_another_experiment(tmp_path):
    out = tmp_path / "regimes"
    out.mkdir()
    (out / "notes.txt").write_text("not an experiment")
    proc = _run(out)
    assert proc.returncode == 2
    assert "is not an experiment folder" in proc.stderr
    assert not (out / "regimes.csv").exists()
