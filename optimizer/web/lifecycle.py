"""The server's end: on SIGTERM, SIGINT or a normal exit, stop every job process, the fork server and
the resource tracker, and delete every uploaded and result file (:meth:`optimizer.web.jobs.JobStore.shutdown`).

SIGTERM is turned into :class:`KeyboardInterrupt` in the main thread (what Ctrl-C raises), so the
serving loop -- werkzeug's for ``sourcing serve``, waitress's for production -- ends the normal way
and the clean-up runs once, from ``finally`` or ``atexit``.
"""
from __future__ import annotations

import atexit
import signal
import threading


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def install(store) -> None:
    """Clean up ``store`` at exit; SIGTERM ends the process like Ctrl-C (main thread only)."""
    done = threading.Event()

    def cleanup():
        if not done.is_set():
            done.set()
            store.shutdown()
    atexit.register(cleanup)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
        if signal.getsignal(signal.SIGINT) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(signal.SIGINT, _interrupt)
    store.cleanup = cleanup
