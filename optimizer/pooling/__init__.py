"""Pooled procurement: joint plans, coalition values, fair cost shares and the core check.

Modules, in pipeline order:

* :mod:`.schema` -- the pool workbook's sheets and settings; :mod:`.template` writes it;
* :mod:`.reader`, :mod:`.load`, :mod:`.sheets` -- safe reading and validation into ``PoolData``;
* :mod:`models.pooling` -- the joint model (LP, or MILP with volume tiers / minimum lots);
* :mod:`.coalitions` -- c(S) for every coalition from one built model by changing bounds;
* :mod:`.joint` -- the grand coalition's plan, Owen's dual allocation, near-optimal alternatives;
* :mod:`.games`, :mod:`.nucleolus` -- Shapley (exact / sampled), proportional, core check,
  least core, nucleolus on any coalition-cost table;
* :mod:`.analysis` -- ``run_pool`` ties them together; :mod:`.report` writes the result
  workbook; :mod:`.cli` registers ``sourcing pool``.
"""
