"""Jobs: one uploaded workbook, validated and solved in a worker process.

Safety rules kept here:

* a job id is ``secrets.token_urlsafe(24)`` (192 random bits); files live in
  ``<data_dir>/jobs/<id>/`` as ``input.xlsx`` / ``result.xlsx`` -- never under the user's
  file name; an id is only accepted if it matches :data:`ID_PATTERN` *and* is a job of
  this store, so no path is ever built from unchecked text;
* nothing lists jobs; the only way to a job is its id;
* finished jobs are deleted ``keep_minutes`` after they finish (:meth:`JobStore.sweep`);
* a workbook with the pool sheets (Members, PooledOffers) gets the pooled-procurement
  analysis (:mod:`optimizer.pooling`) instead of the sourcing solve;
* every job runs in its own process (:class:`optimizer.web.worker.JobRunner`) with its own
  wall-time and memory limit, so a long or hostile run never blocks the web threads, and a
  few slow uploads cannot keep another user's waiting for their whole time limit; the worker
  writes its stage (validating / solving / writing) to a file in the job folder, the web
  process reads it while the job runs.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.core.issues import InputError
from optimizer.core.workbook.reader import workbook_titles
from optimizer.pooling.load import load_pool_workbook
from optimizer.pooling.report import write_pool_result
from optimizer.pooling.run import run_pool
from optimizer.sourcing.report import write_result_workbook
from optimizer.sourcing.run import RunOptions, solve_data
from optimizer.sourcing.validate import load_and_validate
from optimizer.web.summary import pool_summary, summarize
from optimizer.web.worker import JobLimitExceeded, JobRunner

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
QUEUED, VALIDATING, SOLVING, WRITING = "queued", "validating", "solving", "writing"
DONE, INVALID, FAILED = "done", "invalid", "failed"
FINISHED = (DONE, INVALID, FAILED)
INPUT_NAME, RESULT_NAME, STAGE_NAME = "input.xlsx", "result.xlsx", "stage"


def _set_stage(job_dir: Path, stage: str) -> None:
    tmp = job_dir / (STAGE_NAME + ".tmp")
    tmp.write_text(stage)
    os.replace(tmp, job_dir / STAGE_NAME)


def issue_dict(issue) -> dict:
    """One :class:`optimizer.core.issues.Issue` as JSON: the CLI's message plus its parts."""
    value = issue.value
    if value is not None and not isinstance(value, (str, int, float, bool)):
        value = str(value)
    if isinstance(value, float) and value != value:
        value = None
    return {"sheet": issue.sheet, "cell": issue.cell, "value": value, "rule": issue.rule,
            "severity": issue.severity, "message": str(issue)}


POOL_SHEETS = ("Members", "PooledOffers")


def is_pool_workbook(path: Path) -> bool:
    """True when the workbook has the pool sheets (Members and PooledOffers), as the reader finds
    its sheets (the workbook index only, through the same guard); False for anything unreadable
    (the sourcing validation then names the problem)."""
    names = set(workbook_titles(path) or ())
    return all(n in names for n in POOL_SHEETS)


def run_pool_job(folder: Path, src: Path) -> dict:
    """The pooled-procurement analysis of a pool workbook (optimizer.pooling)."""
    try:
        data = load_pool_workbook(str(src))
    except InputError as err:
        errors = [i for i in err.issues if i.severity == "error"]
        others = [i for i in err.issues if i.severity != "error"]
        return {"status": INVALID, "issues": [issue_dict(i) for i in errors + others]}
    _set_stage(folder, SOLVING)
    res = run_pool(data)
    summary = pool_summary(res)
    if res.standalone is None:
        return {"status": FAILED, "issues": [issue_dict(i) for i in data.warnings],
                "error": " ".join(summary["notes"]) or res.status, "result": summary}
    _set_stage(folder, WRITING)
    write_pool_result(res, folder / RESULT_NAME, protect=(str(src),))
    return {"status": DONE, "issues": [issue_dict(i) for i in data.warnings], "scenarios": [],
            "result": summary}


def run_job(job_dir: str, scenario: str | None) -> dict:
    """Validate, solve and write one job (runs in a worker process); returns a JSON-able dict.

    status "invalid" carries every issue; "failed" a one-line message (no traceback);
    "done" the key results (:func:`optimizer.web.summary.summarize`).
    """

    folder = Path(job_dir)
    src = folder / INPUT_NAME
    try:
        _set_stage(folder, VALIDATING)
        if is_pool_workbook(src):
            return run_pool_job(folder, src)
        try:
            data = load_and_validate(str(src), scenario=scenario)
        except InputError as err:
            errors = [i for i in err.issues if i.severity == "error"]
            others = [i for i in err.issues if i.severity != "error"]
            return {"status": INVALID, "issues": [issue_dict(i) for i in errors + others]}
        _set_stage(folder, SOLVING)
        res, _, _ = solve_data(data, RunOptions())
        _set_stage(folder, WRITING)
        write_result_workbook(res, folder / RESULT_NAME, protect=(str(src),))
        return {"status": DONE, "issues": [issue_dict(i) for i in data.warnings],
                "scenarios": list(data.scenario_names()), "result": summarize(res)}
    except MemoryError:
        raise                  # the job runner names the per-job memory limit
    except Exception as exc:   # never a traceback to the user; the type and message are enough
        return {"status": FAILED, "issues": [], "error": f"{type(exc).__name__}: {exc}"}


@dataclass
class Job:
    id: str
    folder: Path
    filename: str
    scenario: str | None
    created: float
    future: Future | None = None
    outcome: dict | None = None
    finished: float | None = None
    extra: dict = field(default_factory=dict)


class Busy(Exception):
    """Too many jobs waiting: try again later."""


class JobStore:
    """In-memory index of jobs with their files under ``data_dir/jobs``.

    At most ``max_waiting`` jobs may be unfinished at once (:class:`Busy` beyond), so one
    client cannot queue unbounded work or fill the disk.
    """

    def __init__(self, data_dir: str | Path | None = None, keep_minutes: float = 60.0, workers: int = 2,
                 executor: Executor | None = None, max_waiting: int = 200,
                 job_seconds: float = LIM.JOB_SECONDS, job_memory_mb: int = LIM.JOB_MEMORY_MB):
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="sourcing-web-"))
        self.jobs_dir = self.data_dir / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.keep_seconds = float(keep_minutes) * 60.0
        self._executor = executor
        self._workers = workers
        self.job_seconds, self.job_memory_mb = float(job_seconds), int(job_memory_mb)
        self.max_waiting = max_waiting
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    @property
    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                # one process per job, forked from a fork server (never the multi-threaded web server)
                self._executor = JobRunner(self._workers, self.job_seconds, self.job_memory_mb)
            return self._executor

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ create / read
    def waiting(self) -> int:
        with self._lock:
            jobs = list(self._jobs.values())
        return sum(1 for j in jobs if j.outcome is None and not (j.future is not None and j.future.done()))

    def create(self, content: bytes, filename: str, scenario: str | None = None) -> Job:
        if self.waiting() >= self.max_waiting:
            raise Busy(f"{self.max_waiting} runs are already waiting")
        job_id = secrets.token_urlsafe(24)
        folder = self.jobs_dir / job_id
        folder.mkdir(mode=0o700)
        (folder / INPUT_NAME).write_bytes(content)
        _set_stage(folder, QUEUED)
        job = Job(job_id, folder, filename, scenario or None, time.time())
        with self._lock:
            self._jobs[job_id] = job
        try:
            try:
                job.future = self.executor.submit(run_job, str(folder), job.scenario)
            except BrokenProcessPool:   # a worker died (e.g. out of memory): start a fresh pool once
                with self._lock:
                    self._executor = None
                job.future = self.executor.submit(run_job, str(folder), job.scenario)
        except Exception as exc:   # e.g. the pool is shut down or cannot start a process
            job.outcome = {"status": FAILED, "issues": [], "error": f"could not start the run: {exc}"}
            job.finished = time.time()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None for anything else (bad shape, unknown, expired)."""
        if not isinstance(job_id, str) or not ID_PATTERN.fullmatch(job_id):
            return None
        with self._lock:
            return self._jobs.get(job_id)

    def state(self, job: Job) -> dict:
        """{status, issues, ...}: the outcome once finished, else the current stage."""
        if job.outcome is None and job.future is not None and job.future.done():
            try:
                outcome = job.future.result()
            except JobLimitExceeded as exc:   # its time or memory limit, or the process died
                outcome = {"status": FAILED, "issues": [], "error": str(exc)}
            except Exception as exc:   # e.g. the worker process died
                outcome = {"status": FAILED, "issues": [], "error": f"{type(exc).__name__}: {exc}"}
            job.outcome, job.finished = outcome, time.time()
        if job.outcome is not None:
            return job.outcome
        try:
            stage = (job.folder / STAGE_NAME).read_text().strip() or QUEUED
        except OSError:
            stage = QUEUED
        return {"status": stage, "issues": []}

    def result_path(self, job: Job) -> Path | None:
        st = self.state(job)
        path = job.folder / RESULT_NAME
        return path if st["status"] == DONE and path.is_file() else None

    def input_bytes(self, job: Job) -> bytes:
        return (job.folder / INPUT_NAME).read_bytes()

    # ------------------------------------------------------------------ expiry
    def sweep(self, now: float | None = None) -> list[str]:
        """Delete jobs finished more than ``keep_minutes`` ago; returns their ids."""
        now = time.time() if now is None else now
        with self._lock:
            jobs = list(self._jobs.values())
        gone = []
        for job in jobs:
            self.state(job)
            if job.finished is not None and now - job.finished > self.keep_seconds:
                with self._lock:
                    self._jobs.pop(job.id, None)
                shutil.rmtree(job.folder, ignore_errors=True)
                gone.append(job.id)
        self._last_sweep = now
        return gone

    def maybe_sweep(self, every_seconds: float = 30.0) -> None:
        if time.time() - self._last_sweep >= every_seconds:
            self.sweep()

    def start_sweeper(self, every_seconds: float = 60.0) -> threading.Thread:
        """A daemon thread that sweeps every ``every_seconds`` (for the real server)."""
        def loop():
            while True:
                time.sleep(every_seconds)
                try:
                    self.sweep()
                except Exception:
                    pass
        t = threading.Thread(target=loop, name="job-sweeper", daemon=True)
        t.start()
        return t
