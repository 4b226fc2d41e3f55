"""Corpus sections on command lines, paths and the web API (classes 6, 8 and 9 of issue 12).

* arguments: every numeric option of every command given NaN, infinities, out-of-range values
  and work beyond its bound (a usage error, exit 2, naming the option and its range), and a
  few legitimate values at the bounds (the run must then succeed);
* paths: for solve, curve, frontier, compare, risk, pool and template, an output that is a
  folder, below a file, too long, in a read-only folder, on /proc, through a symlink loop, a pipe
  or a device, the default ``outputs`` folder existing as a file (exit 2); for every reading
  command an input that is unreadable, a pipe, a device, a folder, a loop or missing (exit 1); a
  file name that is not UTF-8 (the result must open); three writers of one output at once;
* web: an upload of exactly the limit and one byte more, hostile files through the API, per-job
  time and memory limits, and a normal upload while two slow ones hold both workers.
"""
from __future__ import annotations

import os
import shutil

from optimizer.core import limits as LIM
from optimizer.pooling.template import write_pool_workbook
from optimizer.risk.schema import RISK_SHEETS
from optimizer.robustness import factory as F
from optimizer.robustness.items import Corpus
from optimizer.sourcing.template import write_input_workbook

OUT = "{out}"
WEB = "optimizer.robustness.webcheck:main"


def risk_tables() -> dict:
    tables = F.valid_tables()
    tables["RiskScenarios"] = [dict(scenario="calm", probability=0.7, events=""),
                               dict(scenario="cn_ban", probability=0.3, events="ban")]
    tables["Disruptions"] = [dict(event="ban", source="CN", material="ALL", year=2026, months=6.0,
                                  fraction_lost=0.5, spot_multiplier=1.5)]
    return tables


def fixtures(c: Corpus) -> None:
    """The valid risk and pool workbooks the other commands read (each also an item: it must work)."""
    c.cls = "arguments"
    write_input_workbook(c.path("valid_risk.xlsx"), risk_tables(), extra=tuple((sh, "") for sh in RISK_SHEETS))
    c.add("valid_risk.xlsx", "ok", ("VSS",), "the valid workbook with risk sheets", argv=("risk", "{input}", "-o", OUT))
    write_pool_workbook(c.path("valid_pool.xlsx"), F.pool_tables(3))
    c.add("valid_pool.xlsx", "ok", ("Shapley",), "a valid pool of 3 members", argv=("pool", "{input}", "-o", OUT))


# ----------------------------------------------------------------------------- 6. arguments
BAD = {   # command -> (input, [(option, value), ...]) refused with exit 2
    "solve": ("valid.xlsx", [("--time-limit", "nan"), ("--time-limit", "inf"), ("--time-limit", "-1"),
                             ("--time-limit", "1e308")]),
    "curve": ("valid.xlsx", [("--from", "nan"), ("--from", "inf"), ("--from", "-5"), ("--from", "1e308"),
                             ("--from", "abc"), ("--to", "nan"), ("--grid", "1000000"), ("--grid", "-1"),
                             ("--grid", "2.5"), ("--grid", "nan"), ("--year", "1e9"), ("--year", "99999999999")]),
    "frontier": ("valid.xlsx", [("--points", "1000000"), ("--points", "1"), ("--points", "nan")]),
    "compare": ("valid.xlsx", [("--year", "nan"), ("--year", "99999")]),
    "risk": ("valid_risk.xlsx", [("--alpha", "1"), ("--alpha", "nan"), ("--alpha", "-0.1"), ("--beta", "nan"),
                                 ("--beta", "inf"), ("--beta", "-1"), ("--beta", "1e308"), ("--tts-weeks", "1e308"),
                                 ("--tts-weeks", "nan"), ("--tts-weeks", "-1"), ("--gap", "0"), ("--gap", "nan"),
                                 ("--iters", "0"), ("--iters", "1000000000"), ("--max-iters", "0"),
                                 ("--workers", "0"), ("--time-limit", "nan")]),
    "pool": ("valid_pool.xlsx", [("--mga-slack", "nan"), ("--mga-slack", "2"), ("--mga-slack", "-0.5")]),
    "serve": ("", [("--port", "1e9"), ("--port", "-1"), ("--max-upload-mb", "nan"), ("--max-upload-mb", "0"),
                   ("--max-upload-mb", "1e308"), ("--workers", "0"), ("--workers", "1000000"),
                   ("--job-seconds", "nan"), ("--job-memory-mb", "1"), ("--keep-minutes", "inf")]),
    "robustness": ("", [("--jobs", "0"), ("--jobs", "1000000")]),
}
QUICK_ARGS = {("curve", "--from", "nan"), ("curve", "--grid", "1000000"), ("frontier", "--points", "1000000"),
              ("risk", "--beta", "nan"), ("risk", "--beta", "inf"), ("risk", "--tts-weeks", "1e308"),
              ("solve", "--time-limit", "inf"), ("pool", "--mga-slack", "nan"), ("serve", "--port", "1e9"),
              ("compare", "--year", "nan"), ("robustness", "--jobs", "0")}
GOOD = [   # legitimate values at the bounds: the run must succeed
    ("curve_grid_at_the_limit", "valid.xlsx", ("curve", "{input}", "--grid", str(LIM.MAX_CURVE_GRID), "-o", OUT)),
    ("frontier_points_at_the_limit", "valid.xlsx", ("frontier", "{input}", "--points", str(LIM.MAX_FRONTIER_POINTS),
                                                    "-o", OUT)),
    ("curve_from_percent", "valid.xlsx", ("curve", "{input}", "--from", "100", "-o", OUT)),
    ("risk_beta_0_tts", "valid_risk.xlsx", ("risk", "{input}", "--beta", "0", "--tts-weeks", "4", "-o", OUT)),
]


def arguments(c: Corpus) -> None:
    c.cls = "arguments"
    for command, (source, cases) in BAD.items():
        for option, value in cases:
            if c.quick and (command, option, value) not in QUICK_ARGS:
                continue
            argv = (command, "{input}", option, value, "-o", OUT) if source else (command, option, value)
            name = f"arg_{command}_{option.strip('-').replace('-', '_')}_{value}"
            c.add(name, "usage", (f"argument {option}", repr(value)), f"{command} {option} {value}", argv=argv,
                  input=source)
    for name, source, argv in GOOD:
        if c.quick and name != "risk_beta_0_tts":
            continue
        c.add(name, "ok", (), " ".join(argv[:1] + argv[2:-2]), argv=argv, input=source)


# ----------------------------------------------------------------------------- 8. paths
COMMANDS = {   # command -> (input, argv before the output option; None = the command reads no workbook)
    "solve": ("valid.xlsx", ("solve", "{input}")),
    "curve": ("valid.xlsx", ("curve", "{input}")),
    "frontier": ("valid.xlsx", ("frontier", "{input}", "--points", "3")),
    "compare": ("valid.xlsx", ("compare", "{input}", "--no-curves")),
    "risk": ("valid_risk.xlsx", ("risk", "{input}")),
    "pool": ("valid_pool.xlsx", ("pool", "{input}")),
    "template": ("", ("template",)),
}


def _mkdir(name):
    return lambda work, corpus: (work / name).mkdir(exist_ok=True)


def _touch(name):
    return lambda work, corpus: (work / name).write_text("in the way")


def _loop(work, corpus):
    for a, b in (("loop1", "loop2"), ("loop2", "loop1")):
        if not os.path.lexists(work / a):
            os.symlink(b, work / a)


def _fifo(work, corpus):
    if not (work / "fifo").exists():
        os.mkfifo(work / "fifo")


def _device(name, target):
    """A link in the work folder to a device: a tool that wrongly replaced its output would replace
    the link, never the system's device itself."""
    def setup(work, corpus):
        if not os.path.lexists(work / name):
            os.symlink(target, work / name)
    return setup


def _readonly(work, corpus):
    (work / "ro").mkdir(exist_ok=True)
    os.chmod(work / "ro", 0o555)


def _locked(source):
    def setup(work, corpus):
        shutil.copy(corpus / source, work / "locked.xlsx")
        os.chmod(work / "locked.xlsx", 0)
    return setup


def _non_utf8(source):
    def setup(work, corpus):
        shutil.copy(corpus / source, os.fsencode(work) + b"/\xff\xfe-input.xlsx")
    return setup


OUTPUTS = [   # name, output, setup, as_user, what the message contains
    ("output_is_a_folder", "{work}/adir", _mkdir("adir"), False, "it is a folder"),
    ("output_below_a_file", "{work}/afile/x.xlsx", _touch("afile"), False, "is a file, not a folder"),
    ("output_name_too_long", "{work}/" + "x" * 300 + ".xlsx", None, False, "too long"),
    ("output_in_read_only_folder", "{work}/ro/x.xlsx", _readonly, True, "the folder"),
    ("output_on_proc", "/proc/sourcing-robustness.xlsx", None, False, "/proc"),
    ("output_symlink_loop", "{work}/loop1", _loop, False, "loop of symbolic links"),
    ("output_below_symlink_loop", "{work}/loop1/x.xlsx", _loop, False, "loop of symbolic links"),
    ("output_is_a_pipe", "{work}/fifo", _fifo, False, "pipe"),
    ("output_is_a_device", "{work}/null", _device("null", "/dev/null"), False, "special file"),
    ("outputs_folder_is_a_file", None, _touch("outputs"), False, "outputs is a file, not a folder"),
]
INPUTS = [   # name, input, setup, as_user, what the message contains
    ("input_unreadable", "{work}/locked.xlsx", "locked", True, "permission denied"),
    ("input_is_a_pipe", "{work}/fifo", _fifo, False, "pipe (FIFO)"),
    ("input_is_a_device", "{work}/zero", _device("zero", "/dev/zero"), False, "a device"),
    ("input_is_a_folder", "{work}/adir", _mkdir("adir"), False, "a folder"),
    ("input_symlink_loop", "{work}/loop1", _loop, False, "loop of symbolic links"),
    ("input_missing", "{work}/nothere.xlsx", None, False, "file not found"),
    ("input_below_a_file", "{work}/afile/x.xlsx", _touch("afile"), False, "a part of the path is a file"),
]
QUICK_PATHS = {"output_is_a_folder", "output_below_a_file", "output_in_read_only_folder", "output_on_proc",
               "output_symlink_loop", "outputs_folder_is_a_file", "input_unreadable", "input_is_a_pipe",
               "input_is_a_device"}


def paths(c: Corpus) -> None:
    c.cls = "paths"
    for command, (source, head) in COMMANDS.items():
        for name, out, setup, as_user, text in OUTPUTS:
            if out is None and command == "template":
                continue                           # template has no default output
            if c.quick and (name not in QUICK_PATHS or (command != "solve" and name != "output_is_a_folder")):
                continue
            argv = head + (("-o", out) if out is not None else ())
            c.add(f"{command}_{name}", "usage", ("cannot write", text), f"{command}: {name.replace('_', ' ')}",
                  argv=argv, input=source, setup=setup, as_user=as_user)
        if not source:
            continue
        for name, path, setup, as_user, text in INPUTS:
            if c.quick and (name not in QUICK_PATHS or command != "solve"):
                continue
            setup = _locked(source) if setup == "locked" else setup
            argv = tuple(path if a == "{input}" else a for a in head) + (() if command == "template" else ("-o", OUT))
            c.add(f"{command}_{name}", "error", (text,), f"{command}: {name.replace('_', ' ')}", argv=argv,
                  input="", setup=setup, as_user=as_user)
        if c.quick and command != "solve":
            continue
        name_in = os.fsdecode(b"{work}/\xff\xfe-input.xlsx")
        c.add(f"{command}_file_name_not_utf8", "ok", (), f"{command}: an input and an output whose names are not "
              "UTF-8 (the result's manifest must stay a valid workbook)",
              argv=tuple(name_in if a == "{input}" else a for a in head) + ("-o", os.fsdecode(b"{work}/out\xff.xlsx")),
              input="", setup=_non_utf8(source))
    if c.quick:
        return
    c.add("same_output_three_writers", "ok", ("clean",), "three solves writing one output at once, one killed "
          "half way: one complete workbook, no file left beside it", argv=("{input}", "{work}/same/result.xlsx"),
          input="valid.xlsx", entry="optimizer.robustness.webcheck:concurrent",
          setup=_mkdir("same"))


# ----------------------------------------------------------------------------- 9. web
HOSTILE_UPLOADS = [("row_900_million.xlsx", ("900,000,000",)), ("utf16_formula.xlsx", ("formula with no cached value",)),
                   ("empty_elements_after_sheetdata.xlsx", ("XML elements",)), ("number_nan.xlsx", ("'NaN'",)),
                   ("two_sheets_named_supply.xlsx", ("two sheets are named",)), ("huge_demand.xlsx", ("at most",)),
                   ("unknown_ids_20k_suppliers.xlsx", ("not on the Suppliers sheet",)),
                   ("pool_13_members.xlsx", ("status: done",))]
QUICK_WEB = {"row_900_million.xlsx"}


def web(c: Corpus) -> None:
    c.cls = "web"
    F.with_many_suppliers(c.base, c.path("big_valid.xlsx"), 6_000)     # seconds of work, hundreds of MB
    c.add("web_exact_limit", "ok", ("status: done",), "an upload of exactly the upload limit",
          argv=("upload", "{input}", "--limit-exact", "0"), input="valid.xlsx", entry=WEB)
    c.add("web_one_byte_over", "usage", ("HTTP 413", "upload limit"), "an upload one byte over the limit",
          argv=("upload", "{input}", "--limit-exact", "1"), input="valid.xlsx", entry=WEB)
    for name, contains in HOSTILE_UPLOADS:
        if c.quick and name not in QUICK_WEB:
            continue
        c.add(f"web_{name}", "ok" if name.startswith("pool") else "error", contains, f"{name} uploaded",
              argv=("upload", "{input}"), input=name, entry=WEB)
    c.add("web_job_time_limit", "stopped", ("time limit of one job (1 s)",), "a large valid upload in a job "
          "limited to 1 s", argv=("upload", "{input}", "--job-seconds", "1"), input="big_valid.xlsx", entry=WEB)
    if c.quick:
        return
    c.add("web_job_memory_limit", "stopped", ("memory", "limit of one job ("), "a large valid upload in a job "
          "given 64 MB more than a job process takes before it starts",
          argv=("upload", "{input}", "--job-headroom-mb", "64"), input="big_valid.xlsx", entry=WEB)
    c.add("web_normal_upload_not_held_back", "ok", ("normal upload: done",), "two slow uploads hold both workers; "
          "a normal one must still be done first", argv=("fairness", "{corpus}/big_valid.xlsx", "{input}"),
          input="valid.xlsx", entry=WEB)


SECTIONS = (fixtures, arguments, paths, web)
