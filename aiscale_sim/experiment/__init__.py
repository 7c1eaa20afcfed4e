"""Running many simulations: experiment designs, executors and the experiment store.

:mod:`~aiscale_sim.experiment.designs` says which runs an experiment holds,
:mod:`~aiscale_sim.experiment.executors` where they run, and
:mod:`~aiscale_sim.experiment.store` how their results are kept in a resumable folder.
:mod:`aiscale_sim.runner` joins them in :func:`~aiscale_sim.runner.run_experiment`.
"""
