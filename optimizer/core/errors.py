"""The two kinds of failure every command reports the same way (besides bad input, which is
:class:`optimizer.core.issues.InputError`, and a missing solver,
:class:`optimizer.core.solver.SolverUnavailable`)."""
from __future__ import annotations


class UsageError(ValueError):
    """A request that cannot be met as asked (an unknown year or scope, a range that is empty,
    an output path equal to the input): exit code 2."""


class NoProvenOptimum(RuntimeError):
    """A solve that ended without a proven optimum (time limit, infeasible, solver failure):
    exit code 3."""
