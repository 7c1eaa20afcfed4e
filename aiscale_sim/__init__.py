"""aiscale-sim: an agent-based model of how AI spreads, or stalls, inside a large enterprise.

Employees, business units, AI teams and AI use cases are Mesa agents on an org-chart network.
Use cases move from idea to pilot to production, or get stuck in pilot purgatory; employees
adopt AI tools, or don't. Start with :func:`simulate`::

    from aiscale_sim import simulate
    result = simulate("baseline", seed=1)
    result.summary["outcomes"]["pilot_to_production_rate"]

Imports run down the layers, low to high: data and helpers (``levers``, ``labels``, ``files``);
the model (``model``, its agents, ``simulate``); running many (:mod:`aiscale_sim.experiment`,
:mod:`aiscale_sim.runner`); questions (``sweep``, ``compare``, ``sensitivity``); faces (the
CLI, reports, figures). The model's own modules (``model``, ``agents``, ``pipeline``,
``outputs``, ``portfolio``, ``talent``) import each other, as Mesa's model and agents do: the
model holds its agents and the agents read the model they belong to. ``tests/test_layers.py``
checks both.
"""

from aiscale_sim.errors import UserInputError
from aiscale_sim.levers import LEVERS, Lever, defaults
from aiscale_sim.model import EnterpriseModel
from aiscale_sim.runner import load_experiment
from aiscale_sim.scenarios import Scenario, load_scenario
from aiscale_sim.simulate import HORIZON_WEEKS, SimulationResult, simulate
from aiscale_sim.version import __version__  # noqa: F401 (re-exported)

__all__ = [
    "HORIZON_WEEKS",
    "LEVERS",
    "EnterpriseModel",
    "Lever",
    "Scenario",
    "SimulationResult",
    "UserInputError",
    "defaults",
    "load_experiment",
    "load_scenario",
    "simulate",
]
