"""The Flask app: HTML pages (upload, job progress / issues / results of every analysis) and the JSON API.

Pages are rendered by Jinja with autoescape on, so text from a workbook (supplier names,
cell values) is always escaped; the charts are SVG drawn by the templates from
:mod:`.charts` geometry.  An upload is stored as bytes and read by the workbook reader only; it
is never served back, executed or rendered.  Requests from other sites are refused
(:mod:`.security`); every text is in English or Korean (:mod:`optimizer.core.i18n`).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from flask import Flask, abort, g, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from optimizer.core import i18n
from optimizer.core import limits as LIM
from optimizer.sourcing.template import write_input_workbook
from optimizer.web import charts, lifecycle, security
from optimizer.web.analyses import KINDS, offered, sheet_titles
from optimizer.web.jobs import DONE, FINISHED, Busy, JobStore, TooManyForClient
from optimizer.web.openapi import spec

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SAFE_STEM = re.compile(r"[^A-Za-z0-9_.-]+")
_MEASURE = re.compile(r"^[A-Za-z0-9_:.-]{1,40}$")
LANG_COOKIE = "sourcing_lang"


def _download_name(filename: str, kind: str = "plan") -> str:
    stem = _SAFE_STEM.sub("_", Path(filename or "workbook").stem).strip("._") or "workbook"
    suffix = "result" if kind in ("plan", "pool", "") else kind
    return f"{stem[:60]}_{suffix}.xlsx"


class BadParam(ValueError):
    """A form field out of its range (the message names it)."""


def _float(form, name: str, lo: float, hi: float, default: float, hi_open: bool = False) -> float:
    raw = (form.get(name) or "").strip()
    if not raw:
        return default
    try:
        v = float(raw)
    except ValueError:
        raise BadParam(name) from None
    if not (lo <= v <= hi) or (hi_open and v >= hi) or v != v:
        raise BadParam(name)
    return v


def read_params(form) -> dict:
    """The analysis and its parameters from a form; BadParam names the first field out of range."""
    kind = (form.get("analysis") or "").strip()
    if kind and kind not in KINDS:
        raise BadParam("analysis")
    p = {"analysis": kind}
    p["alpha"] = _float(form, "alpha", 0.0, 1.0, 0.95, hi_open=True)
    p["beta"] = _float(form, "beta", 0.0, LIM.MAX_BETA, 1.0)
    points = _float(form, "points", 2, LIM.MAX_FRONTIER_POINTS, 10)
    if points != int(points):
        raise BadParam("points")
    p["points"] = int(points)
    measure = (form.get("measure") or "").strip()
    if measure and not _MEASURE.fullmatch(measure):
        raise BadParam("measure")
    p["measure"] = measure or "china"
    return p


def create_app(data_dir=None, max_upload_mb: float = LIM.MAX_UPLOAD_MB, keep_minutes: float = 60.0,
               workers: int = 2, store: JobStore | None = None, job_seconds: float = LIM.JOB_SECONDS,
               job_memory_mb: int = LIM.JOB_MEMORY_MB, client_jobs: int = LIM.JOBS_PER_CLIENT,
               listen_host: str | None = None, allow_hosts=(), lang: str | None = None) -> Flask:
    app = Flask(__name__)
    app.test_client_class = security.token_client_class()
    limit = round(max_upload_mb * 1024 * 1024)          # the workbook file itself, in bytes
    # the request may be a little larger: multipart boundaries, headers and the form fields
    app.config["MAX_CONTENT_LENGTH"] = limit + LIM.UPLOAD_ENVELOPE_BYTES
    app.config["MAX_UPLOAD_MB"] = max_upload_mb
    jobs = store or JobStore(data_dir, keep_minutes=keep_minutes, workers=workers, job_seconds=job_seconds,
                             job_memory_mb=job_memory_mb, per_client=client_jobs)
    app.extensions["sourcing_jobs"] = jobs
    hosts = security.allowed_hosts(listen_host, allow_hosts)
    csrf = security.Csrf()
    app.extensions["sourcing_csrf"] = csrf
    default_lang = lang if lang in i18n.LANGS else None

    def t(key: str, **kw) -> str:
        return i18n.t(key, g.get("lang", "en"), **kw)

    def money(v, currency: str = "USD", digits: int = 1) -> str:
        return i18n.money(v, currency, g.get("lang", "en"), digits)

    def term(text):
        return i18n.term(text, g.get("lang", "en"))

    app.jinja_env.globals.update(t=t, money=money, term=term, csrf_field=security.FIELD, kinds=KINDS)

    def is_api() -> bool:
        return request.path.startswith("/api/")

    def error(code: int, message: str):
        if is_api():
            return jsonify({"error": message}), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc):
        return error(413, t("err.too_big", mb=f"{max_upload_mb:g}"))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        messages = {404: t("err.404"), 405: t("err.405")}
        return error(exc.code or 500, messages.get(exc.code, exc.description or exc.name))

    @app.before_request
    def _guard():
        if security.host_name(request.host) not in hosts:
            g.lang = "en"
            return error(400, "This server does not answer to that host name (Host header not allowed).")
        asked = request.args.get("lang")
        g.set_lang = asked if asked in i18n.LANGS else None
        g.lang = g.set_lang or request.cookies.get(LANG_COOKIE) or default_lang or \
            i18n.pick(request.headers.get("Accept-Language"))
        if g.lang not in i18n.LANGS:
            g.lang = "en"
        cookie = request.cookies.get(security.COOKIE)
        g.csrf_cookie = cookie if cookie and len(cookie) <= 100 else security.Csrf.new_cookie()
        g.csrf_token = csrf.token(g.csrf_cookie)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if not security.same_origin(request.headers.get("Origin"), request.headers.get("Referer"),
                                        request.headers.get("Sec-Fetch-Site"), request.host, request.scheme):
                return error(403, t("err.cross_site"))
            sent = request.headers.get(security.HEADER) or request.form.get(security.FIELD)
            if not csrf.valid(cookie, sent):
                return error(403, t("err.csrf"))
        jobs.maybe_sweep()

    @app.after_request
    def _headers(resp):
        for k, v in security.HEADERS.items():
            resp.headers.setdefault(k, v)
        if request.path.startswith(("/jobs", "/api/jobs", "/api/csrf")) or request.path == "/":
            resp.headers.setdefault("Cache-Control", "no-store")
        if g.get("csrf_cookie") and request.cookies.get(security.COOKIE) != g.csrf_cookie:
            resp.set_cookie(security.COOKIE, g.csrf_cookie, httponly=True, samesite="Strict", path="/")
        if g.get("set_lang"):
            resp.set_cookie(LANG_COOKIE, g.set_lang, samesite="Lax", path="/", max_age=365 * 86400)
        return resp

    def client() -> str:
        return request.remote_addr or ""

    def busy_error(exc: Busy):
        if isinstance(exc, TooManyForClient):
            return error(429, t("err.client_busy", n=jobs.per_client))
        return error(503, t("err.busy"))

    def upload():
        """(job, None) or (None, error response) for the file in this request."""
        f = request.files.get("file")
        if f is None or not f.filename:
            return None, error(400, t("err.no_file"))
        content = f.stream.read(limit + 1)
        if len(content) > limit:
            return None, error(413, t("err.too_big", mb=f"{max_upload_mb:g}"))
        if not content:
            return None, error(400, t("err.empty"))
        scenario = (request.form.get("scenario") or "").strip()[:64] or None
        try:
            params = read_params(request.form)
        except BadParam as exc:
            return None, error(400, t("err.param", name=str(exc)))
        params["lang"] = g.lang
        try:
            return jobs.create(content, f.filename, scenario, params, client=client()), None
        except Busy as exc:
            return None, busy_error(exc)

    def job_or_404(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            abort(404)
        return job

    def job_json(job) -> dict:
        st = jobs.state(job)
        out = {"id": job.id, "status": st["status"], "scenario": job.scenario, "issues": st.get("issues", []),
               "analysis": st.get("analysis") or job.params.get("analysis") or ""}
        for key in ("scenarios", "error", "result", "detail", "offered", "cancelled"):
            if key in st:
                out[key] = st[key]
        if st["status"] == DONE:
            out["result_url"] = url_for("api_result", job_id=job.id)
        return out

    def rerun(job):
        scenario = (request.form.get("scenario") or "").strip()[:64] or None
        try:
            params = read_params(request.form)
        except BadParam as exc:
            return None, error(400, t("err.param", name=str(exc)))
        params["lang"] = g.lang
        try:
            return jobs.create(jobs.input_bytes(job), job.filename, scenario, params, client=client()), None
        except Busy as exc:
            return None, busy_error(exc)

    def template_file() -> Path:
        path = jobs.data_dir / "template" / "sourcing_input_template.xlsx"
        if not path.is_file():
            path.parent.mkdir(exist_ok=True)
            write_input_workbook(path)
        return path

    # ------------------------------------------------------------------ pages
    @app.get("/")
    def index():
        return render_template("index.html", max_mb=max_upload_mb)

    @app.post("/jobs")
    def page_upload():
        job, err = upload()
        return err if err else redirect(url_for("page_job", job_id=job.id), 303)

    @app.get("/jobs/<job_id>")
    def page_job(job_id):
        job = job_or_404(job_id)
        info = job_json(job)
        res = info.get("result") or {}
        kind = res.get("kind", "plan") if res else info["analysis"]
        cur = res.get("currency", "USD") if res else "USD"
        figs = chart_figures(kind, res, cur) if res and info["status"] == DONE else {}
        choices = info.get("offered") or offered(sheet_titles(job.folder / "input.xlsx"))
        return render_template("job.html", job=info, filename=job.filename, res=res, kind=kind, figs=figs,
                               finished=info["status"] in FINISHED, choices=choices, params=job.params,
                               errors=[i for i in info["issues"] if i["severity"] == "error"],
                               warnings=[i for i in info["issues"] if i["severity"] != "error"])

    def chart_figures(kind: str, res: dict, cur: str) -> dict:
        m = lambda v: money(v, cur, 2)   # noqa: E731
        if kind == "plan":
            return {"mix": charts.mix_chart(res.get("mix", {})), "share": charts.share_chart(res.get("glide_path", []))}
        if kind == "curve":
            return {"curve": charts.curve_chart(res, lambda p: t(
                "curve.tip", target=f"{100 * p['target']:.2f} %", money=m(p["money"]), cost=m(p["cost"]),
                per_pp=("–" if p["money_per_pp"] is None else m(p["money_per_pp"])),
                cost_pp=("–" if p["cost_per_pp"] is None else m(p["cost_per_pp"])), kind=t("kind." + p["kind"])))}
        if kind == "compare":
            return {"compare": charts.compare_chart(res, lambda name, v: t(
                "compare.tip", scenario=name, target=f"{100 * v['target']:.2f} %", money=m(v["money"])))}
        if kind == "frontier":
            return {"frontier": charts.frontier_chart(res, lambda p: t(
                "frontier.tip", cost=m(p["cost"]), risk=m(p["risk"])))}
        if kind == "risk":
            return {"risk": charts.risk_chart(res, lambda s: t(
                "risk.tip", scenario=s["scenario"], p=f"{100 * (s['probability'] or 0):.1f} %", cost=m(s["cost"])))}
        if kind == "pool":
            titles = {k: t("method." + k) for k in ("prop_volume", "prop_standalone", "pay_as_you_take", "shapley",
                                                   "nucleolus", "least_core", "owen", "proposed")}
            members = (res.get("game3") or {}).get("members", [])
            return {"bars": charts.pool_bars(res, titles),
                    "triangle": charts.core_triangle(res.get("game3"), lambda key, x: titles.get(key, key) + ": " + ", ".join(
                        f"{mm} {v:,.2f}" for mm, v in zip(members, x)))}
        return {}

    @app.post("/jobs/<job_id>/rerun")
    def page_rerun(job_id):
        new, err = rerun(job_or_404(job_id))
        return err if err else redirect(url_for("page_job", job_id=new.id), 303)

    @app.post("/jobs/<job_id>/cancel")
    def page_cancel(job_id):
        jobs.cancel(job_or_404(job_id))
        return redirect(url_for("page_job", job_id=job_id), 303)

    @app.get("/jobs/<job_id>/result.xlsx")
    def page_result(job_id):
        return api_result(job_id)

    @app.get("/template.xlsx")
    def page_template():
        return api_template()

    # ------------------------------------------------------------------ API
    @app.get("/api/csrf")
    def api_csrf():
        return jsonify({"token": g.csrf_token, "header": security.HEADER, "cookie": security.COOKIE})

    @app.post("/api/jobs")
    def api_create():
        job, err = upload()
        return err if err else (jsonify({"id": job.id, "status": jobs.state(job)["status"]}), 202)

    @app.get("/api/jobs/<job_id>")
    def api_job(job_id):
        return jsonify(job_json(job_or_404(job_id)))

    @app.post("/api/jobs/<job_id>/rerun")
    def api_rerun(job_id):
        new, err = rerun(job_or_404(job_id))
        return err if err else (jsonify({"id": new.id, "status": jobs.state(new)["status"]}), 202)

    @app.post("/api/jobs/<job_id>/cancel")
    def api_cancel(job_id):
        job = job_or_404(job_id)
        stopped = jobs.cancel(job)
        return jsonify({"id": job.id, "cancelled": stopped, "status": jobs.state(job)["status"]})

    @app.get("/api/jobs/<job_id>/result.xlsx")
    def api_result(job_id):
        job = job_or_404(job_id)
        path = jobs.result_path(job)
        if path is None:
            return error(409, t("err.no_result", status=jobs.state(job)["status"]))
        kind = jobs.state(job).get("analysis", "plan")
        return send_file(path, mimetype=XLSX, as_attachment=True, download_name=_download_name(job.filename, kind))

    @app.get("/api/template.xlsx")
    def api_template():
        return send_file(template_file(), mimetype=XLSX, as_attachment=True,
                         download_name="sourcing_input_template.xlsx")

    @app.get("/api/openapi.json")
    def api_openapi():
        return jsonify(spec(max_upload_mb))

    return app


def production_app():
    """The app for a WSGI server (``waitress-serve --call optimizer.web.app:production_app``), set up
    from environment variables (``SOURCING_DATA_DIR``, ``SOURCING_KEEP_MINUTES``, ``SOURCING_WORKERS``,
    ``SOURCING_ALLOW_HOSTS`` comma-separated, ``SOURCING_MAX_UPLOAD_MB``, ``SOURCING_LANG``); its
    workers and files end with the process (:func:`optimizer.web.lifecycle.install`)."""
    env = os.environ.get
    app = create_app(env("SOURCING_DATA_DIR") or None, max_upload_mb=float(env("SOURCING_MAX_UPLOAD_MB", LIM.MAX_UPLOAD_MB)),
                     keep_minutes=float(env("SOURCING_KEEP_MINUTES", "60")), workers=int(env("SOURCING_WORKERS", "2")),
                     client_jobs=int(env("SOURCING_CLIENT_JOBS", LIM.JOBS_PER_CLIENT)),
                     allow_hosts=[h for h in env("SOURCING_ALLOW_HOSTS", "").split(",") if h.strip()],
                     lang=env("SOURCING_LANG"))
    store = app.extensions["sourcing_jobs"]
    store.start_sweeper(min(60.0, max(1.0, store.keep_seconds / 4)))
    lifecycle.install(store)
    return app
