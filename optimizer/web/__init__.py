"""Local web app: upload a workbook, see its validation issues or its results, download the result.

* :mod:`.jobs` -- job store: unguessable ids, one folder per job, a process pool that runs
  validate -> solve -> write (or the pooled analysis for a pool workbook), progress stages,
  expiry sweep;
* :mod:`.summary` -- the key numbers of a run as plain JSON;
* :mod:`.charts` -- server-side SVG geometry for the sourcing-mix and China-share charts;
* :mod:`.app` -- the Flask app: HTML pages and the JSON API (:mod:`.openapi` describes it);
* :mod:`.cli` -- registers ``sourcing serve``.
"""
