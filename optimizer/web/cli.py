"""``sourcing serve``: start the local web app (127.0.0.1 by default)."""
from __future__ import annotations

import sys

from optimizer.core import cli as C
from optimizer.core import limits as LIM
from optimizer.web import lifecycle

UPLOAD = C.real(0.0, LIM.MAX_UPLOAD_MB_CEILING, low_open=True)
JOB_SECONDS = C.real(1.0, 86_400.0)
JOB_MEMORY = C.whole(256, 65_536)


def add_arguments(p) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only)")
    p.add_argument("--port", type=C.whole(0, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--max-upload-mb", type=UPLOAD, default=LIM.MAX_UPLOAD_MB,
                   help=f"largest accepted workbook in MB, the file itself (default {LIM.MAX_UPLOAD_MB:g}; "
                        f"{UPLOAD.range})")
    p.add_argument("--keep-minutes", type=C.real(0.0, LIM.MAX_KEEP_MINUTES), default=60.0,
                   help="delete a job's files this many minutes after it finishes (default 60)")
    p.add_argument("--data-dir", default=None, help="folder for uploads and results (default: a new temp folder)")
    p.add_argument("--workers", type=C.whole(1, LIM.MAX_WORKERS), default=2,
                   help="solver processes running at once (default 2)")
    p.add_argument("--client-jobs", type=C.whole(1, LIM.MAX_JOBS_PER_CLIENT), default=LIM.JOBS_PER_CLIENT,
                   help=f"unfinished jobs one client address may have at once (default {LIM.JOBS_PER_CLIENT})")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a host name the server answers to besides loopback and --host (repeatable; "
                        "the name users type, e.g. sourcing.example.go.kr)")
    p.add_argument("--lang", choices=("en", "ko"), default=None,
                   help="page language when the browser asks for neither (default: the browser's choice, else en)")
    p.add_argument("--job-seconds", type=JOB_SECONDS, default=LIM.JOB_SECONDS,
                   help=f"wall time one upload may use before it is stopped (default {LIM.JOB_SECONDS:g}; "
                        f"{JOB_SECONDS.range})")
    p.add_argument("--job-memory-mb", type=JOB_MEMORY, default=LIM.JOB_MEMORY_MB,
                   help=f"memory one upload may use before it is stopped (default {LIM.JOB_MEMORY_MB:,}; "
                        f"{JOB_MEMORY.range})")


def make_server(host: str, port: int, app):
    """A threaded WSGI server (werkzeug) for ``app``; port 0 picks a free port."""
    from werkzeug.serving import make_server as _make
    return _make(host, port, app, threaded=True)


def cmd_serve(args) -> int:
    try:
        from optimizer.web.app import create_app
    except ModuleNotFoundError as exc:
        print(f"error: the web app needs the package '{exc.name}': pip install flask", file=sys.stderr)
        return 4
    if args.port < 0 or args.port > 65535 or args.max_upload_mb <= 0 or args.keep_minutes < 0 or args.workers < 1:
        print("error: --port must be 0-65535, --max-upload-mb and --workers positive, --keep-minutes >= 0",
              file=sys.stderr)
        return 2
    app = create_app(args.data_dir, max_upload_mb=args.max_upload_mb, keep_minutes=args.keep_minutes,
                     workers=args.workers, job_seconds=getattr(args, "job_seconds", LIM.JOB_SECONDS),
                     job_memory_mb=getattr(args, "job_memory_mb", LIM.JOB_MEMORY_MB),
                     client_jobs=getattr(args, "client_jobs", LIM.JOBS_PER_CLIENT), listen_host=args.host,
                     allow_hosts=getattr(args, "allow_host", []), lang=getattr(args, "lang", None))
    store = app.extensions["sourcing_jobs"]
    lifecycle.install(store)
    try:
        server = make_server(args.host, args.port, app)
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}", file=sys.stderr)
        return 2
    store.start_sweeper(min(60.0, max(1.0, store.keep_seconds / 4)))
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Sourcing optimizer web app: http://{host}:{server.server_port}/  (Ctrl+C to stop)", flush=True)
    print(f"Uploads and results in {store.data_dir}; kept {args.keep_minutes:g} minutes after a job finishes.", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: listening beyond this computer; anyone who can reach it can upload files.",
              file=sys.stderr)
    try:
        server.serve_forever()          # werkzeug ends it quietly on Ctrl-C (and SIGTERM, see lifecycle)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        store.cleanup()
    print("stopped: job processes ended, uploaded and result files deleted", flush=True)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="start the local web app (upload a workbook in the browser)")
    add_arguments(p)
    p.set_defaults(func=cmd_serve)


def main(argv: list[str] | None = None) -> int:
    """``python -m optimizer.web.cli [options]``: the same as ``sourcing serve``."""
    import argparse
    p = argparse.ArgumentParser(prog="sourcing serve", description="Start the local web app.")
    add_arguments(p)
    return cmd_serve(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
