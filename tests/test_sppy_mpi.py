"""The extensive form and mpi-sppy progressive hedging agree on a small case (2 MPI ranks).

Runs ``mpiexec -n 2 python -m mpi4py <script>`` in a subprocess; skipped (with the reason)
when mpi-sppy, mpi4py or an ``mpiexec`` launcher is not installed
(``pip install mpi-sppy mpich mpi4py``).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mpiexec():
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


def _skip_reason():
    for mod in ("mpisppy", "mpi4py"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} not installed (pip install mpi-sppy mpich mpi4py)"
    if _mpiexec() is None:
        return "no mpiexec launcher (pip install mpich)"
    return None


SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {tests!r})
    from mpi4py import MPI
    import test_stochastic as T
    from models.sppy_adapter import evaluate_first_stage, run_ph
    from optimizer.risk.metrics import solve_stochastic
    data = T.random_data(1, with_projects=False)
    risk, avail, spot = T._risk_case(data)
    first, info = run_ph(data, avail, spot, risk.prob, risk.names, 0.9, 0.0, rho=1.0, iters=300,
                         convthresh=1e-7)
    if MPI.COMM_WORLD.Get_rank() == 0:
        ph = evaluate_first_stage(data, avail, spot, risk.prob, risk.names, first, 0.9, 0.0)
        ef = solve_stochastic(data, avail, spot, risk.prob, risk.names, 0.9, 0.0, with_vss=False)
        print("RESULT " + json.dumps({{"ph": ph, "ef": ef.objective, "size": MPI.COMM_WORLD.Get_size(),
                                      "conv": float(info["convergence"])}}))
""")


@pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))
def test_ph_on_two_ranks_matches_extensive_form(tmp_path):
    import json
    script = tmp_path / "ph_case.py"
    script.write_text(SCRIPT.format(tests=str(ROOT / "tests")))
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1")
    proc = subprocess.run([_mpiexec(), "-n", "2", sys.executable, "-m", "mpi4py", str(script)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert line, proc.stdout[-2000:]
    res = json.loads(line[0][len("RESULT "):])
    assert res["size"] == 2
    assert res["ph"] is not None
    # PH tolerance: the consensus first stage is optimal for the EF to 1e-5 relative
    assert res["ph"] == pytest.approx(res["ef"], rel=1e-5)
    assert res["ph"] >= res["ef"] - 1e-7       # never better than the true optimum
