"""The backend registry: which ways of solving a LinearProgram exist and what each can do.

A backend is a module with ``solve(lp, options, solver) -> Solution``; its entry here
declares the solvers it drives and its capabilities, so callers ask the registry
instead of testing names:

* ``duals``       row duals and reduced costs of an LP;
* ``ranging``     cost and bound ranging from the backend itself (the others get HiGHS's,
                  computed on the same matrix by the adapter);
* ``mip``         integer columns;
* ``warm_resolve`` one model kept in memory and re-solved after bound or cost changes from
                  the previous basis (:class:`optimizer.core.solver.persistent.HighsResolver`);
                  without it :class:`~optimizer.core.solver.persistent.RebuildResolver` solves
                  each change from scratch through the backend;
* ``quadratic``   a quadratic objective term (progressive hedging's proximal term).

Adding a solver: write the backend module (see :mod:`.highs` for the contract), add one
``Backend`` here, and list its names in the workbook schema's choices (they are read from
:data:`BACKEND_NAMES` and :data:`SOLVER_NAMES`).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from optimizer.core.solver import highs, pulp_backend, pyomo_backend


@dataclass(frozen=True)
class Backend:
    name: str
    module: ModuleType
    solvers: tuple[str, ...]
    duals: bool
    ranging: bool
    mip: bool
    warm_resolve: bool
    quadratic: bool
    doc: str


BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("native", highs, ("highs",), duals=True, ranging=True, mip=True, warm_resolve=True,
            quadratic=False, doc="the matrix is passed to HiGHS (highspy) in one call"),
    Backend("pulp", pulp_backend, ("highs", "cbc"), duals=True, ranging=False, mip=True,
            warm_resolve=False, quadratic=False,
            doc="thin adapter building PuLP objects; HiGHS in-process or PuLP's bundled CBC"),
    Backend("pyomo", pyomo_backend, ("highs", "cbc"), duals=True, ranging=False, mip=True,
            warm_resolve=False, quadratic=True,
            doc="thin adapter building a Pyomo ConcreteModel; HiGHS (pyomo.contrib.solver) or CBC"),
)}
BACKEND_NAMES = tuple(BACKENDS)
SOLVER_NAMES = ("highs", "cbc")


def backend(name: str) -> Backend:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}: use {', '.join(BACKEND_NAMES)}")
    return BACKENDS[name]


def resolve(backend_name: str, solver: str) -> tuple[Backend, str | None]:
    """The backend that will run ``solver``, and a note when it is not the one asked for
    (CBC is reached through PuLP)."""
    b = backend(backend_name)
    if solver not in SOLVER_NAMES:
        raise ValueError(f"unknown solver {solver!r}: use {' or '.join(SOLVER_NAMES)}")
    if solver in b.solvers:
        return b, None
    other = next(x for x in BACKENDS.values() if solver in x.solvers)
    return other, (f"{solver.upper()} is reached through {other.name.capitalize() if other.name != 'pulp' else 'PuLP'}: "
                   f"backend switched from {b.name} to {other.name}.")
