"""The JSON API's OpenAPI 3.0 description (written by hand; tests check it matches the routes)."""
from __future__ import annotations

_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"},
       "description": "The job id returned by POST /api/jobs (unguessable; the only way to a job)."}
_ERR = {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_XLSX = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    "schema": {"type": "string", "format": "binary"}}}


def spec(max_upload_mb: float) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Sourcing optimizer", "version": "1",
                 "description": "Upload an input workbook, poll the job, download the result workbook."},
        "paths": {
            "/api/jobs": {"post": {
                "summary": "Upload a workbook and start validate + solve",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"},
                                   "scenario": {"type": "string",
                                                "description": "named scenario of the Scenarios sheet"}}}}}},
                "responses": {"202": {"description": "Job created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/JobCreated"}}}},
                    "400": _ERR, "413": {"description": f"Upload larger than {max_upload_mb:g} MB"},
                    "503": _ERR}}},
            "/api/jobs/{job_id}": {"get": {
                "summary": "Job status, validation issues and (when done) key results",
                "parameters": [_ID],
                "responses": {"200": {"description": "Job state", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Job"}}}}, "404": _ERR}}},
            "/api/jobs/{job_id}/rerun": {"post": {
                "summary": "Run the same workbook again with another scenario (a new job)",
                "parameters": [_ID],
                "requestBody": {"content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"scenario": {"type": "string"}}}}}},
                "responses": {"202": {"description": "Job created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/JobCreated"}}}}, "404": _ERR, "503": _ERR}}},
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
                "result": {"type": "object", "description": "key results: status, status_text, objective "
                           "(currency M), china_share rows, glide_path, unmet, explanation, mix, suppliers, weak_points (shortest times-to-survive)"},
                "result_url": {"type": "string"}}},
        }},
    }
