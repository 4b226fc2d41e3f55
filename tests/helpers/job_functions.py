"""Functions run as web jobs in the job runner's child processes (importable by name there)."""
from __future__ import annotations

import os
import signal
import time


def quick(value):
    return {"status": "done", "value": value}


def sleeps(seconds: float):
    time.sleep(seconds)
    return {"status": "done", "slept": seconds}


def allocates(gib: float):
    block = bytearray(int(gib * 1024 ** 3))      # more than the job's address-space limit
    return {"status": "done", "size": len(block)}


def crashes():
    os.kill(os.getpid(), signal.SIGSEGV)


def raises():
    raise KeyError("boom")


def vmsize():
    with open("/proc/self/status") as fh:
        return {line.split(":")[0]: line.split(":")[1].strip() for line in fh if line.startswith(("VmSize", "VmPeak", "VmRSS"))}
