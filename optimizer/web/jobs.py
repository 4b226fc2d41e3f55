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

import re
import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import CancelledError, Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.core import limits as LIM
from optimizer.web.analyses import (DONE, FAILED, INPUT_NAME, INVALID, POOL, QUEUED, RESULT_NAME, SOLVING,
                                    VALIDATING, WRITING, issue_dict, offered, read_stage, run_job, set_stage,
                                    sheet_titles)
from optimizer.web.worker import JobCancelled, JobLimitExceeded, JobRunner

__all__ = ["DONE", "FAILED", "INVALID", "QUEUED", "SOLVING", "VALIDATING", "WRITING", "RESULT_NAME",
           "issue_dict", "run_job", "JobStore", "Job", "Busy", "TooManyForClient"]

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
FINISHED = (DONE, INVALID, FAILED)
CANCELLED = "cancelled"


def is_pool_workbook(path: Path) -> bool:
    """True when the workbook has the pool sheets (Members and PooledOffers)."""
    return offered(sheet_titles(path)) == [POOL]


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
    params: dict = field(default_factory=dict)     # analysis and its parameters
    client: str = ""                               # who uploaded it (the per-client limit)


class Busy(Exception):
    """Too many jobs waiting: try again later."""


class TooManyForClient(Busy):
    """This client already has its limit of unfinished jobs."""


class JobStore:
    """In-memory index of jobs with their files under ``data_dir/jobs``.

    At most ``max_waiting`` jobs may be unfinished at once (:class:`Busy` beyond), and at most
    ``per_client`` of them from one client (:class:`TooManyForClient`), so one client cannot queue
    unbounded work or fill the disk.  A ``data_dir`` that persists across restarts is swept of job
    folders older than ``keep_minutes`` when the store opens (what a killed server left behind);
    :meth:`shutdown` stops every worker and deletes every job's files (and a temporary data folder).
    """

    def __init__(self, data_dir: str | Path | None = None, keep_minutes: float = 60.0, workers: int = 2,
                 executor: Executor | None = None, max_waiting: int = 200,
                 job_seconds: float = LIM.JOB_SECONDS, job_memory_mb: int = LIM.JOB_MEMORY_MB,
                 per_client: int = LIM.JOBS_PER_CLIENT):
        self.temporary = not data_dir
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="sourcing-web-"))
        self.jobs_dir = self.data_dir / "jobs"
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self.keep_seconds = float(keep_minutes) * 60.0
        self._executor = executor
        self._workers = workers
        self.job_seconds, self.job_memory_mb = float(job_seconds), int(job_memory_mb)
        self.max_waiting = max_waiting
        self.per_client = int(per_client)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0
        self._closed = False
        self.sweep_disk()

    @property
    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                # one process per job, forked from a fork server (never the multi-threaded web server)
                self._executor = JobRunner(self._workers, self.job_seconds, self.job_memory_mb)
            return self._executor

    def shutdown(self, delete_files: bool = True) -> None:
        """Stop every worker (and the fork server), then delete every job's files."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if delete_files:
            with self._lock:
                self._jobs.clear()
            if self.temporary:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            else:
                for d in list(self.jobs_dir.iterdir()) if self.jobs_dir.is_dir() else []:
                    shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)
                shutil.rmtree(self.data_dir / "template", ignore_errors=True)

    # ------------------------------------------------------------------ create / read
    def _unfinished(self, job: Job) -> bool:
        return job.outcome is None and not (job.future is not None and job.future.done())

    def waiting(self, client: str | None = None) -> int:
        with self._lock:
            jobs = list(self._jobs.values())
        return sum(1 for j in jobs if self._unfinished(j) and (client is None or j.client == client))

    def create(self, content: bytes, filename: str, scenario: str | None = None, params: dict | None = None,
               client: str = "") -> Job:
        if self.waiting() >= self.max_waiting:
            raise Busy(f"{self.max_waiting} runs are already waiting")
        if client and self.per_client and self.waiting(client) >= self.per_client:
            raise TooManyForClient(f"{self.per_client} of your runs are still going")
        job_id = secrets.token_urlsafe(24)
        folder = self.jobs_dir / job_id
        folder.mkdir(mode=0o700)
        (folder / INPUT_NAME).write_bytes(content)
        set_stage(folder, QUEUED)
        p = dict(params or {})
        p["scenario"] = scenario or None
        job = Job(job_id, folder, filename, scenario or None, time.time(), params=p, client=client)
        with self._lock:
            self._jobs[job_id] = job
        try:
            try:
                job.future = self.executor.submit(run_job, str(folder), p)
            except BrokenProcessPool:   # a worker died (e.g. out of memory): start a fresh pool once
                with self._lock:
                    self._executor = None
                job.future = self.executor.submit(run_job, str(folder), p)
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

    def cancel(self, job: Job) -> bool:
        """Stop a queued or running job (its process is killed); False when it had already finished."""
        if job.future is None or not self._unfinished(job):
            return False
        cancel = getattr(self.executor, "cancel", None)
        stopped = cancel(job.future) if cancel else job.future.cancel()
        if stopped:
            job.outcome = {"status": FAILED, "cancelled": True, "issues": [], "error": "cancelled: the run was stopped"}
            job.finished = time.time()
        return bool(stopped)

    def state(self, job: Job) -> dict:
        """{status, issues, ...}: the outcome once finished, else the current stage and its detail."""
        if job.outcome is None and job.future is not None and job.future.done():
            try:
                outcome = job.future.result()
            except (JobCancelled, CancelledError):
                outcome = {"status": FAILED, "cancelled": True, "issues": [], "error": "cancelled: the run was stopped"}
            except JobLimitExceeded as exc:   # its time or memory limit, or the process died
                outcome = {"status": FAILED, "issues": [], "error": str(exc)}
            except Exception as exc:   # e.g. the worker process died
                outcome = {"status": FAILED, "issues": [], "error": f"{type(exc).__name__}: {exc}"}
            job.outcome, job.finished = outcome, time.time()
        if job.outcome is not None:
            return job.outcome
        stage, detail = read_stage(job.folder)
        return {"status": stage, "detail": detail, "issues": []}

    def result_path(self, job: Job) -> Path | None:
        st = self.state(job)
        path = job.folder / RESULT_NAME
        return path if st["status"] == DONE and path.is_file() else None

    def input_bytes(self, job: Job) -> bytes:
        return (job.folder / INPUT_NAME).read_bytes()

    # ------------------------------------------------------------------ expiry
    def sweep(self, now: float | None = None) -> list[str]:
        """Delete jobs finished more than ``keep_minutes`` ago, and any folder on disk no job of this
        store owns that is older than that; returns the ids of the jobs deleted."""
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
        self.sweep_disk(now)
        self._last_sweep = now
        return gone

    def sweep_disk(self, now: float | None = None) -> list[str]:
        """Delete what is under ``jobs/`` and belongs to no job of this store, once older than
        ``keep_minutes`` (by its newest file): a previous server's leftovers in a persistent folder."""
        now = time.time() if now is None else now
        with self._lock:
            known = set(self._jobs)
        gone = []
        try:
            entries = list(self.jobs_dir.iterdir())
        except OSError:
            return gone
        for d in entries:
            if d.name in known:
                continue
            try:
                stamps = [d.lstat().st_mtime] + ([f.lstat().st_mtime for f in d.iterdir()] if d.is_dir() else [])
            except OSError:
                continue
            if now - max(stamps) > self.keep_seconds:
                shutil.rmtree(d, ignore_errors=True) if d.is_dir() and not d.is_symlink() else d.unlink(missing_ok=True)
                gone.append(d.name)
        return gone

    def maybe_sweep(self, every_seconds: float = 30.0) -> None:
        if time.time() - self._last_sweep >= every_seconds:
            self.sweep()

    def start_sweeper(self, every_seconds: float = 60.0) -> threading.Thread:
        """A daemon thread that sweeps every ``every_seconds`` (for the real server)."""
        def loop():
            while not self._closed:
                time.sleep(every_seconds)
                try:
                    self.sweep()
                except Exception:   # noqa: BLE001 - a failed sweep is retried next time
                    pass
        t = threading.Thread(target=loop, name="job-sweeper", daemon=True)
        t.start()
        return t
