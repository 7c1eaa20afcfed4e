"""Global sensitivity analysis of the model (or of any Python function) with SALib.

SALib does the statistics (Herman & Usher 2017, doi:10.21105/joss.00097; Iwanaga et al. 2022,
doi:10.18174/sesmo.18155); this package does the rest: builds the problem from the lever table,
samples, runs the points through the experiment runner with R replicates each, reports how much of
each output's variance is seed noise, checks convergence on growing sub-samples, computes indices
of the adoption curve week by week, and draws the results.

From Python (e.g. a notebook), in one call (the same as the CLI)::

    from aiscale_sim.sensitivity import sensitivity_analysis
    res = sensitivity_analysis("sobol", 64, levers="training_hours,executive_sponsorship",
                               overrides={"employees": 2000}, replicates=2, out_dir="out/sa")

or step by step::

    from aiscale_sim.sensitivity import ModelEvaluator, lever_problem, run_sensitivity
    problem = lever_problem("training_hours,change_management,executive_sponsorship")
    ev = ModelEvaluator(overrides={"employees": 2000}, steps=156, out_dir="out/sa")
    res = run_sensitivity(problem, ev, method="sobol", n=64, replicates=2, seed=1)
    print(res.ranking_text()); save_analysis(res, "out/sa")  # tables, figures, index.html

SALib is imported only when an analysis runs.
"""

from aiscale_sim.sensitivity.analysis import (
    MAIN_INDEX,
    METHODS,
    SensitivityResult,
    analyze_output,
    check_method,
    noise_shares,
    run_sensitivity,
    sample,
)
from aiscale_sim.sensitivity.api import sensitivity_analysis
from aiscale_sim.sensitivity.evaluators import (
    MODEL_OUTPUTS,
    Evaluation,
    FunctionEvaluator,
    ModelEvaluator,
    load_function,
    replicate_seeds,
)
from aiscale_sim.sensitivity.plots import save_analysis
from aiscale_sim.sensitivity.problem import (
    Parameter,
    Problem,
    function_problem,
    lever_problem,
    parse_lever_list,
)

__all__ = [
    "MAIN_INDEX",
    "METHODS",
    "MODEL_OUTPUTS",
    "Evaluation",
    "FunctionEvaluator",
    "ModelEvaluator",
    "Parameter",
    "Problem",
    "SensitivityResult",
    "analyze_output",
    "check_method",
    "function_problem",
    "lever_problem",
    "load_function",
    "noise_shares",
    "parse_lever_list",
    "replicate_seeds",
    "save_analysis",
    "run_sensitivity",
    "sample",
    "sensitivity_analysis",
]
