"""Small organisations and hand-made use cases for the unit tests of mechanisms."""

from aiscale_sim import EnterpriseModel
from aiscale_sim.agents import UseCase
from aiscale_sim.pipeline import go_live, start_pilot

#: A small organisation (a few hundred people) that still has every kind of agent.
SMALL = {"employees": 400, "business_units": 4}


def small_model(seed=7, **levers):
    """A small organisation with ``levers`` on top of the defaults."""
    return EnterpriseModel({**SMALL, **levers}, rng=seed)


def new_use_case(m, unit=0, **kw):
    """An idea of middling difficulty and needs in ``unit``, added to its portfolio."""
    args = dict(value_potential=1.0, difficulty=0.5, data_needs=0.5, risk=1, infra_need=0.3,
                commit_need=0.3)
    args.update(kw)
    uc = UseCase(m, unit=unit, **args)
    m.units[unit].portfolio.append(uc)
    return uc


def live_use_case(m, team=None, **kw):
    """A use case started as a pilot (by ``team`` if given) and put live at once."""
    uc = new_use_case(m, **kw)
    start_pilot(m, uc)
    if team is not None:
        uc.team = team
    go_live(m, uc)
    return uc


def interrupt_runner_after(monkeypatch, tasks: int):
    """Make the runner's task function raise KeyboardInterrupt after ``tasks`` tasks ran.

    Returns the real function, so a test can put it back to resume.
    """
    import aiscale_sim.runner as runner

    real = runner.run_batch
    calls = []

    def interrupting(runs, steps, *args):
        if len(calls) == tasks:
            raise KeyboardInterrupt
        calls.append(1)
        return real(runs, steps, *args)

    monkeypatch.setattr(runner, "run_batch", interrupting)
    return real
