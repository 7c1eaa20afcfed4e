"""One call for a whole analysis, the same as ``aiscale sensitivity`` (for notebooks and scripts).

Example::

    from aiscale_sim.sensitivity import sensitivity_analysis
    res = sensitivity_analysis("morris", 10, overrides={"employees": 2000}, steps=156,
                               out_dir="out/morris")
    print(res.ranking_text())
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiscale_sim.errors import UserInputError
from aiscale_sim.sensitivity.analysis import SensitivityResult, check_method, check_n
from aiscale_sim.sensitivity.analysis import run_sensitivity as _run
from aiscale_sim.sensitivity.evaluators import FunctionEvaluator, ModelEvaluator
from aiscale_sim.sensitivity.plots import save_analysis
from aiscale_sim.sensitivity.problem import function_problem, lever_problem


def sensitivity_analysis(method: str, n: int, *, levers: Any = None, analysis: Any = None,
                         function: str | Callable[..., Any] | None = None,
                         problem: str | Path | Mapping[str, Any] | None = None,
                         replicates: int = 1, seed: int = 0, scenario: Any = None,
                         overrides: Mapping[str, Any] | None = None, steps: int = 156,
                         every: int = 13, executor: str = "processes",
                         workers: int | None = None, scheduler: str | None = None,
                         out_dir: str | Path | None = None, second_order: bool = False,
                         rate_undefined_zero: bool = False, ci_share: float = 0.5,
                         progress: bool = False, save: bool = True,
                         plots: bool = True, keep_timeseries: bool = False) -> SensitivityResult:
    """Build the problem, run every point, analyse and (optionally) save, like the CLI.

    Args:
        method: ``morris``, ``sobol``, ``rbd_fast`` or ``pawn``.
        n: Trajectories (Morris), base sample N (Sobol', a power of two) or points.
        levers: Levers to vary (names or ``"a,b,c"``); default every policy lever.
        analysis: Analysis TOML (path or dict) narrowing bounds, setting distributions/groups.
        function: Analyse this function (or ``"MODULE:CALLABLE"``) instead of the model.
        problem: Problem TOML (path or dict) for ``function``.
        replicates: Runs per point, with common seeds.
        seed: Fixes the sample, the bootstrap and the run seeds.
        scenario: Base scenario of the model (default baseline).
        overrides: Fixed lever values, e.g. ``{"employees": 2000}``.
        steps: Weeks per run.
        every: Weeks between time-resolved indices.
        executor: Runner executor (``serial``, ``processes``, ``dask``).
        workers: Worker processes.
        scheduler: Dask scheduler address.
        out_dir: Analysis folder (experiment folder + indices); default a fresh temporary one
            for model runs, nothing saved for functions.
        second_order: Also Sobol' S2.
        rate_undefined_zero: Count a point where no pilot concluded as rate 0.
        ci_share: Warn when a CI half-width exceeds this share of its index.
        progress: Show a progress bar.
        save: Write indices and figures into ``out_dir``.
        plots: Draw figures when saving.
        keep_timeseries: Store every weekly metric of every run (default: only the analysed
            adoption curve; summaries always hold every outcome).

    Returns:
        The :class:`SensitivityResult`.

    Raises:
        UserInputError: Any bad input, before anything runs.
    """
    check_method(method)
    if function is not None or problem is not None:
        if function is None or problem is None:
            raise UserInputError("--function and --problem go together")
        if levers is not None or analysis is not None:
            raise UserInputError("--levers/--analysis apply to the model, not to --function")
        prob = function_problem(problem)
        check_n(method, n, prob)
        evaluator: Callable[..., Any] = FunctionEvaluator(function)
    else:
        prob = lever_problem(levers, analysis)
        check_n(method, n, prob)
        if out_dir is None:
            import tempfile

            out_dir = tempfile.mkdtemp(prefix=f"aiscale-sensitivity-{method}-")
        evaluator = ModelEvaluator(
            scenario, overrides=overrides, steps=steps, every=every, out_dir=out_dir,
            executor=executor, workers=workers, scheduler=scheduler,
            fill={"pilot_to_production_rate": 0.0} if rate_undefined_zero else None,
            keep_timeseries=keep_timeseries)
    settings = {"steps": steps, "overrides": dict(overrides or {}), "scenario": scenario,
                "function": function if isinstance(function, str | None) else repr(function)}
    res = _run(prob, evaluator, method=method, n=n, replicates=replicates, seed=seed,
               second_order=second_order, ci_share=ci_share, progress=progress,
               settings=settings)
    if save and out_dir is not None:
        save_analysis(res, out_dir, plots=plots)
    res.settings["out_dir"] = None if out_dir is None else str(out_dir)
    return res
