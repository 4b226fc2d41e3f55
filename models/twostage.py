"""A generic two-stage stochastic linear program with a mean-CVaR objective.

    minimise   F(x) = E_w[cost_w(x)] + beta * CVaR_alpha(cost_w(x))
    over x:    xl <= x <= xu,   rl <= A x <= ru                              (first stage)
    cost_w(x) = c_w . x + Q_w(x)
    Q_w(x)    = min_y { q_w . y :  hl_w <= T_w x + W y <= hu_w,  yl_w <= y <= yu_w }   (recourse)

for scenarios w with probabilities p_w (summing to 1).  The recourse matrix W is the same
in every scenario ("fixed recourse"); every other item is either one vector shared by all
scenarios (shape ``(n,)``) or one row per scenario (shape ``(S, n)``), and ``T_w`` is a fixed
sparsity pattern (``T_rows``, ``T_cols``) with shared or per-scenario values.  CVaR is the
Rockafellar-Uryasev one: CVaR_alpha(L) = min_eta eta + E[(L - eta)+] / (1 - alpha), so at a
fixed first stage F(x) has the closed form of :func:`risk_objective`.

This one structure is what every method reads: the extensive form (:func:`extensive_form`,
one LP with a copy of y per scenario, eta and delta_w), the L-shaped method (one cut per
scenario, eta in the master) and progressive hedging (one scenario LP each).  The sourcing
model is one instance of it (:mod:`models.stochastic_twostage`); the Birge-Louveaux farmer
problem is another (tests).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from models.lp import INF, LinearProgram, Terms

#: items that may be shared (1-D) or given per scenario (2-D, one row per scenario)
SCENARIO_ITEMS = ("c", "q", "yl", "yu", "hl", "hu", "T_vals")


@dataclass
class Sparse:
    """A sparse matrix as (row, column, value) triplets."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def empty(cls, m: int, n: int) -> "Sparse":
        z = np.zeros(0, np.int64)
        return cls(z, z, np.zeros(0), (m, n))

    def dot(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=self.vals * x[self.cols], minlength=self.shape[0])

    def rdot(self, y: np.ndarray) -> np.ndarray:
        """y^T A (a vector over the columns)."""
        return np.bincount(self.cols, weights=self.vals * y[self.rows], minlength=self.shape[1])


@dataclass
class TwoStageLP:
    """See the module docstring.  ``mean`` is the expected-value problem used for the VSS (one
    scenario); when None it is the problem with every per-scenario item probability-weighted."""

    names: list[str]
    prob: np.ndarray
    c: np.ndarray
    xl: np.ndarray
    xu: np.ndarray
    A: Sparse
    rl: np.ndarray
    ru: np.ndarray
    W: Sparse
    T_rows: np.ndarray
    T_cols: np.ndarray
    T_vals: np.ndarray
    q: np.ndarray
    yl: np.ndarray
    yu: np.ndarray
    hl: np.ndarray
    hu: np.ndarray
    alpha: float = 0.95
    beta: float = 0.0
    mean: "TwoStageLP | None" = None
    x_labels: list[str] = field(default_factory=list)
    name: str = "two-stage"

    # ------------------------------------------------------------------ sizes
    @property
    def S(self) -> int:
        return len(self.names)

    @property
    def n1(self) -> int:
        return int(self.xl.size)

    @property
    def n2(self) -> int:
        return int(self.W.shape[1])

    @property
    def m2(self) -> int:
        return int(self.W.shape[0])

    def at(self, item: str, w: int) -> np.ndarray:
        """Item ``item`` (one of :data:`SCENARIO_ITEMS`) of scenario ``w``."""
        a = getattr(self, item)
        return a[w] if a.ndim == 2 else a

    def mean_c(self) -> np.ndarray:
        """sum_w p_w c_w: the first stage's expected cost vector."""
        return self.prob @ self.c if self.c.ndim == 2 else self.c

    def check(self) -> "TwoStageLP":
        """Shapes, probabilities and alpha; raises ValueError naming the first problem."""
        S, n1, n2, m2 = self.S, self.n1, self.n2, self.m2
        sizes = {"c": n1, "q": n2, "yl": n2, "yu": n2, "hl": m2, "hu": m2, "T_vals": self.T_rows.size}
        for item, n in sizes.items():
            a = getattr(self, item)
            if a.shape not in ((n,), (S, n)):
                raise ValueError(f"{item} must have shape ({n},) or ({S}, {n}), not {a.shape}")
        if self.prob.shape != (S,) or (self.prob < 0).any() or abs(self.prob.sum() - 1.0) > 1e-9:
            raise ValueError("prob must hold one non-negative probability per scenario, summing to 1")
        if not 0.0 <= self.alpha < 1.0 or self.beta < 0.0:
            raise ValueError("alpha must be in [0, 1) and beta >= 0")
        if self.A.shape != (self.rl.size, n1) or self.ru.size != self.rl.size:
            raise ValueError("A, rl, ru disagree in size")
        if self.T_cols.size != self.T_rows.size or (self.T_rows.size and (self.T_rows.max() >= m2
                                                                          or self.T_cols.max() >= n1)):
            raise ValueError("T pattern outside (m2, n1)")
        return self

    # ------------------------------------------------------------------ derived problems
    def subset(self, idx, renormalise: bool = False) -> "TwoStageLP":
        """The scenarios ``idx`` only (shared items shared, per-scenario rows selected)."""
        idx = np.asarray(idx, dtype=np.int64)
        picked = {it: (getattr(self, it)[idx] if getattr(self, it).ndim == 2 else getattr(self, it))
                  for it in SCENARIO_ITEMS}
        prob = self.prob[idx]
        if renormalise:
            prob = prob / prob.sum()
        return replace(self, names=[self.names[i] for i in idx], prob=prob, mean=None, **picked)

    def scenario(self, w: int) -> "TwoStageLP":
        """Scenario ``w`` alone, with probability 1 (its wait-and-see problem)."""
        return self.subset([w], renormalise=True)

    def mean_value(self) -> "TwoStageLP":
        """The expected-value problem: one scenario 'EV' with probability 1."""
        if self.mean is not None:
            return self.mean
        avg = {it: (self.prob @ getattr(self, it) if getattr(self, it).ndim == 2 else getattr(self, it))
               for it in SCENARIO_ITEMS}
        return replace(self, names=["EV"], prob=np.ones(1), mean=None, **avg)


def risk_objective(costs, prob, alpha: float, beta: float) -> float:
    """E[cost] + beta * CVaR_alpha(cost) of a discrete cost distribution (closed form)."""
    costs = np.asarray(costs, float)
    e = float(np.asarray(prob, float) @ costs)
    return e + (beta * var_cvar(costs, prob, alpha)[1] if beta > 0 else 0.0)


def var_cvar(losses, probs, alpha: float) -> tuple[float, float]:
    """VaR_alpha and CVaR_alpha of a discrete loss distribution, in closed form.

    VaR = the smallest loss l with P(L <= l) >= alpha;
    CVaR = VaR + 1/(1-alpha) * sum_w p_w * max(0, l_w - VaR)   (Rockafellar-Uryasev 2002).
    """
    l = np.asarray(losses, float)
    p = np.asarray(probs, float)
    if not 0.0 <= alpha < 1.0:
        raise ValueError("alpha must be in [0, 1)")
    order = np.argsort(l, kind="stable")
    cum = np.cumsum(p[order])
    k = int(np.searchsorted(cum, alpha - 1e-12, side="left"))
    var = float(l[order][min(k, l.size - 1)])
    cvar = var + float(p @ np.maximum(l - var, 0.0)) / (1.0 - alpha)
    return var, cvar


@dataclass
class ExtensiveForm:
    """The extensive form of a :class:`TwoStageLP` and where its parts sit."""

    lp: LinearProgram
    ts: TwoStageLP
    x: np.ndarray                  # columns of the first stage
    y: np.ndarray                  # (S, n2) columns of each scenario's recourse

    def first_stage(self, sol_x: np.ndarray) -> np.ndarray:
        return sol_x[self.x].copy()

    def scenario_costs(self, sol_x: np.ndarray) -> np.ndarray:
        """cost_w = c_w . x + q_w . y_w at an EF solution."""
        ts = self.ts
        x, y = sol_x[self.x], sol_x[self.y]
        c = ts.c if ts.c.ndim == 2 else np.broadcast_to(ts.c, (ts.S, ts.n1))
        q = ts.q if ts.q.ndim == 2 else np.broadcast_to(ts.q, (ts.S, ts.n2))
        return c @ x + np.einsum("ij,ij->i", q, y)

    def mean_recourse(self, sol_x: np.ndarray) -> np.ndarray:
        """sum_w p_w y_w."""
        return self.ts.prob @ sol_x[self.y]


def _per_scenario(a: np.ndarray, S: int) -> np.ndarray:
    return a if a.ndim == 2 else np.broadcast_to(a, (S, a.size))


def extensive_form(ts: TwoStageLP) -> ExtensiveForm:
    """One LP holding the first stage once and the recourse once per scenario:

        min  sum_w p_w (c_w . x + q_w . y_w) + beta * (eta + sum_w p_w delta_w / (1 - alpha))
        s.t. rl <= A x <= ru;   hl_w <= T_w x + W y_w <= hu_w;
             cvar_excess[w]:  c_w . x + q_w . y_w - eta - delta_w <= 0   (only where beta > 0)
             xl <= x <= xu,  yl_w <= y_w <= yu_w,  delta_w >= 0,  eta free.
    """
    ts.check()
    S, n1, n2, m2 = ts.S, ts.n1, ts.n2, ts.m2
    lp = LinearProgram(ts.name)
    p = ts.prob
    x = lp.add_variables("x", pd.DataFrame({"j": np.arange(n1)}), lower=ts.xl, upper=ts.xu, cost=ts.mean_c(),
                         doc="first stage")
    yidx = pd.DataFrame({"scenario": np.repeat(np.asarray(ts.names, dtype=object), n2),
                         "j": np.tile(np.arange(n2), S)})
    q = _per_scenario(ts.q, S)
    y = lp.add_variables("y", yidx, lower=_per_scenario(ts.yl, S).ravel(), upper=_per_scenario(ts.yu, S).ravel(),
                         cost=(p[:, None] * q).ravel(), doc="recourse (per scenario)").reshape(S, n2)
    if ts.rl.size:
        lp.add_constraints("first", pd.DataFrame({"i": np.arange(ts.rl.size)}),
                           Terms().add(ts.A.rows, x[ts.A.cols], ts.A.vals), lower=ts.rl, upper=ts.ru,
                           doc="first-stage rows")
    ridx = pd.DataFrame({"scenario": np.repeat(np.asarray(ts.names, dtype=object), m2),
                         "i": np.tile(np.arange(m2), S)})
    w_of = np.repeat(np.arange(S), ts.W.rows.size)
    terms = Terms().add(np.tile(ts.W.rows, S) + w_of * m2, y[w_of, np.tile(ts.W.cols, S)], np.tile(ts.W.vals, S))
    wt = np.repeat(np.arange(S), ts.T_rows.size)
    terms.add(np.tile(ts.T_rows, S) + wt * m2, x[np.tile(ts.T_cols, S)], _per_scenario(ts.T_vals, S).ravel())
    lp.add_constraints("recourse", ridx, terms, lower=_per_scenario(ts.hl, S).ravel(),
                       upper=_per_scenario(ts.hu, S).ravel(), doc="recourse rows (per scenario)")
    if ts.beta > 0.0:
        eta = lp.add_variables("eta", pd.DataFrame(index=range(1)), lower=-INF, cost=ts.beta, doc="VaR_alpha")
        sidx = pd.DataFrame({"scenario": ts.names})
        delta = lp.add_variables("delta", sidx, cost=ts.beta * p / (1.0 - ts.alpha), doc="cost above VaR")
        c = _per_scenario(ts.c, S)
        ex = Terms().add(np.repeat(np.arange(S), n1), np.tile(x, S), c.ravel())
        ex.add(np.repeat(np.arange(S), n2), y.ravel(), q.ravel())
        ex.add(np.arange(S), np.full(S, eta[0]), -1.0).add(np.arange(S), delta, -1.0)
        lp.add_constraints("cvar_excess", sidx, ex, upper=0.0, doc="scenario cost above VaR")
    return ExtensiveForm(lp, ts, x, y)
