"""The JSON API's OpenAPI 3.0 description (written by hand; tests check it matches the routes)."""
from __future__ import annotations

_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "The job id returned by POST /api/jobs (unguessable; the only way to a job)."}
_ERR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_TOKEN = {"name": "X-CSRF-Token", "in": "header", "required": True, "schema": {"type": "string"},
          "description": "The token from GET /api/csrf, sent with the cookie that response set (every POST)."}
_PARAMS = {
    "analysis": {"type": "string", "enum": ["", "plan", "risk", "curve", "frontier", "compare", "pool"],
                 "description": "which analysis; empty = the one the workbook's sheets ask for (pool sheets: pool; "
                                "RiskScenarios and Disruptions: risk; else plan)"},
    "scenario": {"type": "string", "description": "named scenario of the Scenarios sheet (plan, curve, frontier)"},
    "alpha": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.95, "description": "risk: CVaR level"},
    "beta": {"type": "number", "minimum": 0, "default": 1.0, "description": "risk: CVaR weight"},
    "points": {"type": "integer", "minimum": 2, "default": 10, "description": "frontier: grid points"},
    "measure": {"type": "string", "default": "china", "description": "curve, compare: which caps move "
                "(china, any, a country or bloc, optionally :stage)"},
}
_XLSX = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    "schema": {"type": "string", "format": "binary"}}}


def spec(max_upload_mb: float) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Sourcing optimizer", "version": "1",
                 "description": "Upload an input workbook, poll the job, download the result workbook."},
        "paths": {
            "/api/jobs": {"post": {
                "summary": "Upload a workbook and start validate + the chosen analysis",
                "parameters": [_TOKEN],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}, **_PARAMS}}}}},
                "responses": {"202": {"description": "Job created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/JobCreated"}}}},
                    "400": _ERR, "403": _ERR, "413": {"description": f"Upload larger than {max_upload_mb:g} MB"},
                    "429": _ERR, "503": _ERR}}},
            "/api/jobs/{job_id}": {"get": {
                "summary": "Job status, validation issues and (when done) key results",
                "parameters": [_ID],
                "responses": {"200": {"description": "Job state", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Job"}}}}, "404": _ERR}}},
            "/api/jobs/{job_id}/rerun": {"post": {
                "summary": "Run the same workbook again: another analysis, scenario or parameters (a new job)",
                "parameters": [_ID, _TOKEN],
                "requestBody": {"content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": _PARAMS}}}},
                "responses": {"202": {"description": "Job created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/JobCreated"}}}}, "403": _ERR, "404": _ERR,
                    "429": _ERR, "503": _ERR}}},
            "/api/jobs/{job_id}/cancel": {"post": {
                "summary": "Stop a queued or running job (its process is killed)",
                "parameters": [_ID, _TOKEN],
                "responses": {"200": {"description": "Whether it was stopped", "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"id": {"type": "string"},
                                                                "cancelled": {"type": "boolean"},
                                                                "status": {"type": "string"}}}}}},
                              "403": _ERR, "404": _ERR}}},
            "/api/csrf": {"get": {
                "summary": "The CSRF token for POST requests (send it as X-CSRF-Token, with the cookie this sets)",
                "responses": {"200": {"description": "Token", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"token": {"type": "string"}, "header": {"type": "string"},
                                                     "cookie": {"type": "string"}}}}}}}}},
            "/api/jobs/{job_id}/result.xlsx": {"get": {
                "summary": "The result workbook (once status is done)", "parameters": [_ID],
                "responses": {"200": {"description": "Result workbook", "content": _XLSX},
                              "404": _ERR, "409": _ERR}}},
            "/api/template.xlsx": {"get": {
                "summary": "The blank, documented input workbook",
                "responses": {"200": {"description": "Template workbook", "content": _XLSX}}}},
            "/api/openapi.json": {"get": {"summary": "This description",
                                          "responses": {"200": {"description": "OpenAPI document"}}}},
        },
        "components": {"schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "JobCreated": {"type": "object", "properties": {"id": {"type": "string"},
                                                             "status": {"type": "string"}}},
            "Issue": {"type": "object", "properties": {
                "sheet": {"type": "string"}, "cell": {"type": "string"}, "value": {},
                "rule": {"type": "string"}, "severity": {"type": "string", "enum": ["error", "warning"]},
                "message": {"type": "string", "description": "the CLI's one-line message"}}},
            "Job": {"type": "object", "properties": {
                "id": {"type": "string"},
                "status": {"type": "string", "enum": ["queued", "validating", "solving", "writing",
                                                      "done", "invalid", "failed"]},
                "scenario": {"type": "string", "nullable": True},
                "issues": {"type": "array", "items": {"$ref": "#/components/schemas/Issue"}},
                "scenarios": {"type": "array", "items": {"type": "string"}},
                "error": {"type": "string"},
                "analysis": {"type": "string", "description": "the analysis run (plan, risk, curve, frontier, compare, pool)"},
                "offered": {"type": "array", "items": {"type": "string"},
                            "description": "the analyses this workbook's sheets allow, the default first"},
                "detail": {"type": "string", "description": "while running: the progress line (e.g. solve 12: target 41.3 %)"},
                "cancelled": {"type": "boolean"},
                "result": {"type": "object", "description": "key results, by result.kind: plan (status, objective "
                           "(currency M), china_share rows, glide_path, unmet, explanation, mix, suppliers, weak_points); "
                           "risk (expected, cvar, var, objective, vss, evpi, measures with their meaning, scenarios, "
                           "contracts, weak_points); curve (points: target, money, money_per_pp, cost, cost_per_pp); "
                           "frontier (points: cost, risk); compare (runs with their summary and curve); pool (rows, "
                           "methods, verdict with the blocking coalition and its gain, game3 for three members)"},
                "result_url": {"type": "string"}}},
        }},
    }
