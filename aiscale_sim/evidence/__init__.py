"""The model's evidence: stylized facts, the patterns that read them off runs, the checks.

The checks compare the two (``aiscale validate``).

:mod:`~aiscale_sim.evidence.facts` loads the facts shipped with the package,
:mod:`~aiscale_sim.evidence.patterns` holds the registry of pattern functions (the model's
value for each fact, from a set of runs), :mod:`~aiscale_sim.evidence.validate` runs what the
patterns need and gives the verdicts, :mod:`~aiscale_sim.evidence.bass` checks the adoption
rule's Bass special case, and :mod:`~aiscale_sim.evidence.plots` draws the dashboards.
"""
