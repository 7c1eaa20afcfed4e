"""The CLI's finish: errors that name the subcommand and suggest a fix, choices in --help,
plain grammar, ``sweep --set/--seeds``, and progress lines when stderr is a log."""

import ast
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from aiscale_sim import load_experiment
from aiscale_sim.cli import main
from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS_BY_NAME
from aiscale_sim.progress import LineProgress, progress_bar

PACKAGE = Path(__file__).resolve().parent.parent / "aiscale_sim"

SWEEP = """
name = "polish"
seeds = 2
master_seed = 3
steps = 20
[set]
employees = 300
business_units = 3
[levers]
training_hours = [0.0, 20.0]
"""


def _usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main([*argv, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


# --- errors: the subcommand's usage and a suggestion -------------------------------------------

@pytest.mark.parametrize("argv, usage, hint", [
    (["run", "--sedd", "3"], "usage: aiscale run ", "did you mean --seed?"),
    (["run", "--no-plto"], "usage: aiscale run ", "did you mean --no-plot?"),
    (["sweep", "x.toml", "--seedz", "3"], "usage: aiscale sweep ", "did you mean --seeds?"),
    (["compare", "baseline", "--sead=1"], "usage: aiscale compare ", "did you mean --seed?"),
    (["sensitivity", "--method", "sobol", "--n", "8", "--replicatse", "2"],
     "usage: aiscale sensitivity ", "did you mean --replicates?"),
    (["levers", "--fromat", "csv"], "usage: aiscale levers ", "did you mean --format?"),
])
def test_unknown_option_shows_subcommand_usage_and_suggestion(argv, usage, hint, capsys):
    err = _usage_error(argv, capsys)
    assert err.startswith(usage), err
    assert "usage: aiscale [-h]" not in err  # not the top-level usage
    assert hint in err
    assert err.strip().splitlines()[-1].startswith("aiscale: error: unrecognized arguments")


def test_no_suggestion_for_an_option_like_nothing_known(capsys):
    err = _usage_error(["run", "--zzzzzz"], capsys)
    assert "unrecognized arguments: --zzzzzz" in err and "did you mean" not in err


@pytest.mark.parametrize("argv, usage, hint", [
    (["swep", "x.toml"], "usage: aiscale [-h]", "did you mean sweep?"),
    (["sweep", "x.toml", "--executor", "procesess"], "usage: aiscale sweep ",
     "did you mean processes?"),
    (["sensitivity", "--method", "sobol", "--n", "8", "--executor", "serail"],
     "usage: aiscale sensitivity ", "did you mean serial?"),
])
def test_mistyped_choice_suggests_the_closest(argv, usage, hint, capsys):
    err = _usage_error(argv, capsys)
    assert err.startswith(usage), err
    assert hint in err


def test_mistyped_method_suggests_the_closest(tmp_path, capsys):
    assert main(["sensitivity", "--method", "sobl", "--n", "8", "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown method 'sobl'; choose one of morris, sobol" in err
    assert "did you mean sobol?" in err
    assert not (tmp_path / "o").exists()


def test_bad_value_shows_subcommand_usage(capsys):
    err = _usage_error(["run", "--seed", "-1"], capsys)
    assert err.startswith("usage: aiscale run ")
    assert "argument --seed: -1 is out of range; allowed at least 0" in err


# --- help: choices and descriptions -----------------------------------------------------------

def test_sensitivity_help_lists_method_and_executor_choices(capsys):
    out = _help(["sensitivity"], capsys)
    assert "--method {morris,sobol,rbd_fast,pawn}" in out
    assert "--executor {serial,processes,dask}" in out
    assert "--method METHOD" not in out and "--executor EXECUTOR" not in out


@pytest.mark.parametrize("command", ["run", "levers", "scenarios", "sweep", "compare",
                                     "sensitivity", "validate"])
def test_every_choice_option_lists_its_choices(command, capsys):
    out = _help([command], capsys)
    for option in ("--method", "--executor", "--format"):
        if option in out:
            assert re.search(re.escape(option) + r" \{[a-z_]+(,[a-z_]+)+\}", out), (option, out)


@pytest.mark.parametrize("command, words", [
    ("levers", "Print every lever"),
    ("scenarios", "List the scenarios"),
])
def test_levers_and_scenarios_have_descriptions(command, words, capsys):
    out = _help([command], capsys)
    assert words in out


# --- grammar ----------------------------------------------------------------------------------

def test_number_messages_are_plain_english():
    with pytest.raises(UserInputError, match=r"'employees'.*expected a whole number \(") as e:
        LEVERS_BY_NAME["employees"].validate("many")
    assert "a int" not in str(e.value)
    with pytest.raises(UserInputError, match=r"'centralisation'.*expected a number \(") as e:
        LEVERS_BY_NAME["centralisation"].validate("high")
    assert "a float" not in str(e.value)


def test_cli_grammar_for_a_bad_set_value(tmp_path, capsys):
    assert main(["run", "--set", "employees=lots", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "expected a whole number" in err and "a int" not in err
    assert not (tmp_path / "o").exists()


# --- one home for argument types; no import back into cli ---------------------------------------

def test_subcommand_modules_do_not_import_cli():
    for name in ("cli_args.py", "cli_experiments.py", "cli_sensitivity.py"):
        tree = ast.parse((PACKAGE / name).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names}
        assert "aiscale_sim.cli" not in imported, name
        if name == "cli_args.py":
            assert not any(m and m.startswith("aiscale_sim") for m in imported)
    code = ("import sys, aiscale_sim.cli_experiments, aiscale_sim.cli_sensitivity\n"
            "print('aiscale_sim.cli' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "False"


def test_run_sweep_and_compare_share_one_set_parser():
    from aiscale_sim import cli_args

    parser = __import__("aiscale_sim.cli", fromlist=["build_parser"]).build_parser()
    sub = next(a for a in parser._actions if a.choices and "run" in a.choices).choices
    for command in ("run", "sweep", "compare"):
        action = next(a for a in sub[command]._actions if "--set" in a.option_strings)
        assert action.type is cli_args.set_arg, command


# --- sweep --set / --seeds --------------------------------------------------------------------

@pytest.fixture
def sweep_file(tmp_path):
    f = tmp_path / "polish.toml"
    f.write_text(SWEEP)
    return f


def test_sweep_set_and_seeds_apply_to_every_grid_point(sweep_file, tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), "--executor", "serial", "--out", str(out),
                 "--quiet", "--set", "centralisation=0.3", "--set",
                 "prioritisation=launch_everything", "--seeds", "3"]) == 0
    exp = load_experiment(out)
    s = exp.summaries
    assert len(s) == 2 * 3  # two grid points, three seeds each (the file says two)
    assert sorted(s["training_hours"].unique()) == [0.0, 20.0]
    assert (s["centralisation"] == 0.3).all()
    assert (s["prioritisation"] == "launch_everything").all()
    assert (s["employees"] == 300).all()  # the file's [set] still holds
    assert s.groupby("training_hours")["seed"].nunique().tolist() == [3, 3]
    meta = exp.manifest["metadata"]
    assert meta["seeds"] == 3
    assert meta["set"] == {"centralisation": 0.3, "prioritisation": "launch_everything"}


def test_sweep_set_overrides_the_files_set(sweep_file, tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", str(sweep_file), "--executor", "serial", "--out", str(out),
                 "--quiet", "--set", "employees=250", "--seeds", "1"]) == 0
    s = load_experiment(out).summaries
    assert len(s) == 2 and (s["employees"] == 250).all()


@pytest.mark.parametrize("extra, message", [
    (["--set", "centralisaton=0.3"], "unknown lever 'centralisaton' in --set (did you mean"),
    (["--set", "centralisation=2"], "out of bounds"),
    (["--set", "employees=lots"], "expected a whole number"),
    (["--set", "training_hours=5"], "sweeps 'training_hours'"),
    (["--set", "centralisation"], "expected LEVER=VALUE"),
    (["--seeds", "0"], "allowed at least 1"),
    (["--seeds", "two"], "expected a whole number"),
])
def test_sweep_bad_set_or_seeds_exits_2_and_writes_nothing(extra, message, sweep_file,
                                                          tmp_path, capsys):
    out = tmp_path / "out"
    try:
        code = main(["sweep", str(sweep_file), "--executor", "serial", "--out", str(out),
                     "--quiet", *extra])
    except SystemExit as e:  # argparse's own checks
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_load_sweep_checks_seeds(sweep_file):
    from aiscale_sim.sweep import load_sweep

    assert load_sweep(sweep_file, seeds=5)["seeds"] == 5
    with pytest.raises(UserInputError, match="seeds must be a whole number of at least 1"):
        load_sweep(sweep_file, seeds=0)


# --- progress: lines in a log, a bar on a terminal --------------------------------------------

LINE = re.compile(r"^(?:(?P<desc>[\w-]+): )?(?P<n>\d+)/(?P<total>\d+) (?P<unit>\w+) "
                  r"\((?P<pct>\d+)%\), [\d.e+]+ (?P=unit)/s, "
                  r"(?:\d+:\d\d(?::\d\d)? left|done in \d+:\d\d(?::\d\d)?)(?:, failed=\d+)?$")


def _progress_lines(stderr: str) -> list[re.Match]:
    return [m for m in map(LINE.match, stderr.splitlines()) if m]


def _aiscale(*argv, cwd):
    return subprocess.run([sys.executable, "-m", "aiscale_sim.cli", *map(str, argv)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_piped_run_prints_a_line_every_tenth(tmp_path):
    r = _aiscale("run", "--steps", 40, "--seed", 1, "--set", "employees=300", "--no-plot",
                 "--out", tmp_path / "o", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = _progress_lines(r.stderr)
    assert [int(m["pct"]) for m in lines] == list(range(10, 101, 10)), r.stderr
    assert [int(m["n"]) for m in lines] == list(range(4, 41, 4))
    assert all(m["desc"] == "baseline" and m["unit"] == "weeks" for m in lines)
    assert "done in" in lines[-1].group(0)
    assert "\r" not in r.stderr  # no bar redrawn in the log


def test_piped_sweep_prints_runner_progress(sweep_file, tmp_path):
    r = _aiscale("sweep", sweep_file, "--executor", "serial", "--seeds", 5,
                 "--out", tmp_path / "o", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = _progress_lines(r.stderr)
    done = [int(m["n"]) for m in lines]  # 10 runs, finished in batches of one or more
    assert len(lines) >= 2 and done == sorted(set(done)) and done[-1] == 10, r.stderr
    assert all(int(m["pct"]) == 10 * n for m, n in zip(lines, done, strict=True))
    assert all(m["unit"] == "runs" and m["total"] == "10" for m in lines)
    assert "left" in lines[0].group(0) and "done in" in lines[-1].group(0)
    assert all(m.group(0).endswith("failed=0") for m in lines)


def test_quiet_prints_no_progress(sweep_file, tmp_path):
    r = _aiscale("sweep", sweep_file, "--executor", "serial", "--out", tmp_path / "o",
                 "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert _progress_lines(r.stderr) == []


def test_line_progress_reports_each_tenth_once():
    buf = io.StringIO()
    p = LineProgress(25, unit="run", desc="runs", stream=buf)
    for _ in range(25):
        p.update(1)
    p.close()
    pcts = [int(m["pct"]) for m in _progress_lines(buf.getvalue())]
    assert pcts == [12, 20, 32, 40, 52, 60, 72, 80, 92, 100]  # at 3, 5, 8, 10, ... 25 runs


def test_line_progress_resumed_and_in_big_steps():
    buf = io.StringIO()
    p = LineProgress(100, initial=45, unit="run", stream=buf)
    p.set_postfix(failed=1)
    p.update(3)  # 48%: still the same tenth as where it resumed, no line
    p.update(30)  # 78%
    p.update(22)  # 100%
    lines = _progress_lines(buf.getvalue())
    assert [int(m["n"]) for m in lines] == [78, 100]
    assert lines[0].group(0).endswith("left, failed=1")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_keeps_the_tqdm_bar():
    from tqdm import tqdm

    bar = progress_bar(10, unit="run", stream=_Terminal())
    assert isinstance(bar, tqdm)
    bar.close()
    assert isinstance(progress_bar(10, stream=io.StringIO()), LineProgress)
    off = progress_bar(10, stream=io.StringIO(), enabled=False)
    off.update(10)
    off.close()
