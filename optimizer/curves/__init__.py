"""Cost curves of the China-share target, the cost-vs-risk frontier and the scenario comparison.

* :mod:`.parametric` exact curves by parametric right-hand side (one warm-started model);
  :mod:`.limits` the lowest achievable share and what binds;
* :mod:`.frontier` the AUGMECON cost-risk frontier; :mod:`.compare` base + every scenario;
* :mod:`.tables` the report tables; :mod:`.report` the workbooks; :mod:`.plots` the PNGs;
* :mod:`.run` loads, builds and computes for the commands; :mod:`.cli` registers
  ``curve``, ``frontier`` and ``compare``.
"""
