"""The Flask app: HTML pages (upload, job progress / issues / results) and the JSON API.

Pages are rendered by Jinja with autoescape on, so text from a workbook (supplier names,
cell values) is always escaped; the charts are SVG drawn by the templates.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Flask, abort, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from optimizer.core import limits as LIM
from optimizer.sourcing.template import write_input_workbook
from optimizer.web import charts
from optimizer.web.jobs import DONE, FINISHED, Busy, JobStore
from optimizer.web.openapi import spec

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SAFE_STEM = re.compile(r"[^A-Za-z0-9_.-]+")


def _download_name(filename: str) -> str:
    stem = _SAFE_STEM.sub("_", Path(filename or "workbook").stem).strip("._") or "workbook"
    return f"{stem[:60]}_result.xlsx"


def create_app(data_dir=None, max_upload_mb: float = LIM.MAX_UPLOAD_MB, keep_minutes: float = 60.0,
               workers: int = 2, store: JobStore | None = None, job_seconds: float = LIM.JOB_SECONDS,
               job_memory_mb: int = LIM.JOB_MEMORY_MB) -> Flask:
    app = Flask(__name__)
    limit = round(max_upload_mb * 1024 * 1024)          # the workbook file itself, in bytes
    # the request may be a little larger: multipart boundaries, headers and the scenario field
    app.config["MAX_CONTENT_LENGTH"] = limit + LIM.UPLOAD_ENVELOPE_BYTES
    app.config["MAX_UPLOAD_MB"] = max_upload_mb
    jobs = store or JobStore(data_dir, keep_minutes=keep_minutes, workers=workers, job_seconds=job_seconds,
                             job_memory_mb=job_memory_mb)
    app.extensions["sourcing_jobs"] = jobs
    too_big = (f"The file is larger than the upload limit of {max_upload_mb:g} MB. "
               "Remove unused sheets or rows and try again.")

    def is_api() -> bool:
        return request.path.startswith("/api/")

    def error(code: int, message: str):
        if is_api():
            return jsonify({"error": message}), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc):
        return error(413, too_big)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        messages = {404: "Not found: there is no such page or job (jobs are deleted some time after they finish).",
                    405: "This method is not allowed here."}
        return error(exc.code or 500, messages.get(exc.code, exc.description or exc.name))

    @app.before_request
    def _sweep():
        jobs.maybe_sweep()

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                                "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith(("/jobs/", "/api/jobs")):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    def upload():
        """(job, None) or (None, error response) for the file in this request."""
        f = request.files.get("file")
        if f is None or not f.filename:
            return None, error(400, "No file was sent: choose an .xlsx workbook.")
        content = f.stream.read(limit + 1)
        if len(content) > limit:
            return None, error(413, too_big)
        if not content:
            return None, error(400, "The file is empty.")
        scenario = (request.form.get("scenario") or "").strip() or None
        try:
            return jobs.create(content, f.filename, scenario), None
        except Busy:
            return None, error(503, "The server is busy with other runs: try again in a minute.")

    def job_or_404(job_id: str):
        job = jobs.get(job_id)
        if job is None:
            abort(404)
        return job

    def job_json(job) -> dict:
        st = jobs.state(job)
        out = {"id": job.id, "status": st["status"], "scenario": job.scenario, "issues": st.get("issues", [])}
        for key in ("scenarios", "error", "result"):
            if key in st:
                out[key] = st[key]
        if st["status"] == DONE:
            out["result_url"] = url_for("api_result", job_id=job.id)
        return out

    def rerun(job):
        scenario = (request.form.get("scenario") or "").strip() or None
        try:
            return jobs.create(jobs.input_bytes(job), job.filename, scenario)
        except Busy:
            abort(503, "The server is busy with other runs: try again in a minute.")

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
        return render_template("job.html", job=info, filename=job.filename, res=res,
                               finished=info["status"] in FINISHED,
                               mix=charts.mix_chart(res.get("mix", {})) if res else None,
                               share=charts.share_chart(res.get("glide_path", [])) if res else None,
                               errors=[i for i in info["issues"] if i["severity"] == "error"],
                               warnings=[i for i in info["issues"] if i["severity"] != "error"])

    @app.post("/jobs/<job_id>/rerun")
    def page_rerun(job_id):
        new = rerun(job_or_404(job_id))
        return redirect(url_for("page_job", job_id=new.id), 303)

    @app.get("/jobs/<job_id>/result.xlsx")
    def page_result(job_id):
        return api_result(job_id)

    @app.get("/template.xlsx")
    def page_template():
        return api_template()

    # ------------------------------------------------------------------ API
    @app.post("/api/jobs")
    def api_create():
        job, err = upload()
        return err if err else (jsonify({"id": job.id, "status": jobs.state(job)["status"]}), 202)

    @app.get("/api/jobs/<job_id>")
    def api_job(job_id):
        return jsonify(job_json(job_or_404(job_id)))

    @app.post("/api/jobs/<job_id>/rerun")
    def api_rerun(job_id):
        new = rerun(job_or_404(job_id))
        return jsonify({"id": new.id, "status": jobs.state(new)["status"]}), 202

    @app.get("/api/jobs/<job_id>/result.xlsx")
    def api_result(job_id):
        job = job_or_404(job_id)
        path = jobs.result_path(job)
        if path is None:
            return error(409, f"No result workbook: the job is {jobs.state(job)['status']}.")
        return send_file(path, mimetype=XLSX, as_attachment=True, download_name=_download_name(job.filename))

    @app.get("/api/template.xlsx")
    def api_template():
        return send_file(template_file(), mimetype=XLSX, as_attachment=True,
                         download_name="sourcing_input_template.xlsx")

    @app.get("/api/openapi.json")
    def api_openapi():
        return jsonify(spec(max_upload_mb))

    return app
