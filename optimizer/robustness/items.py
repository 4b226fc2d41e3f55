"""What one input of the robustness corpus is, and the folder the corpus is written into.

An :class:`Item` is one run of the tool: a command line (``argv``, by default ``solve INPUT
-o OUT``), the corpus file it reads, and what a correct run ends in (``expect``):

=========  =====  ===========================================================================
expect     exit   and
=========  =====  ===========================================================================
ok         0      every workbook written opens and holds no formula; ``contains`` is in the
                  output; with ``same_as``, the objective equals that item's (a file that
                  reads differently but means the same, e.g. rows stored in another order)
error      1      the output names the input file and contains every string of ``contains``
                  (sheet!cell, the value, the rule or the limit hit)
usage      2      a usage error (an argument out of range, an output path that cannot be
                  written) whose message contains ``contains``
stopped    3      a web job stopped by its own limit (time, memory), the limit named
=========  =====  ===========================================================================

``cls`` is the class of failure the item belongs to (see :data:`CLASSES`); ``setup`` prepares
the item's work folder before the run (paths: a folder where the output should go, a symlink
loop, ...); ``as_user`` drops root's override of file permissions for the run, so that an
unreadable file or a read-only folder is what it is for any user; ``entry`` is the function
run in the child (the CLI, or :mod:`optimizer.robustness.webcheck` for the web API).
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from optimizer.robustness import factory as F

EXIT = {"ok": 0, "error": 1, "usage": 2, "stopped": 3}
SOLVE = ("solve", "{input}", "-o", "{out}")
CLASSES = {
    "cells": "wrong types, blanks, duplicates, unknown ids in cells",
    "structure": "sheets, headers, merges, formulas, hostile text",
    "files": "files that are not workbooks, damaged zips, macros, oversize",
    "bombs": "zip and XML bombs, row, cell and string limits",
    "libreoffice": "files saved by LibreOffice",
    "positions": "1. rows and cells placed by their r address (order, gaps, duplicates)",
    "encodings": "2. the guard on what is parsed (UTF-16, prefixes, moved parts, duplicate names)",
    "elements": "3. memory bombs inside the size caps (elements, runs, children)",
    "values": "4. stored values that are not what their type says",
    "magnitudes": "5. numeric extremes in cells and after scenario overrides",
    "arguments": "6. command-line options: finite, in range, bounded work",
    "growth": "7. work that grows with the input (suggestions, scenarios, pools of 13-30)",
    "paths": "8. input and output paths of every command",
    "web": "9. uploads through the web API (limits, per-job limits, fairness)",
}


@dataclass(frozen=True)
class Item:
    name: str                          # unique; by default also the corpus file read
    expect: str                        # "ok", "error", "usage" or "stopped" (see the module docstring)
    contains: tuple[str, ...] = ()     # strings the output must contain
    what: str = ""                     # one line: what is wrong with the input
    argv: tuple[str, ...] = SOLVE      # {input}, {out}, {work}, {corpus} are filled in
    cls: str = ""                      # the class of failure (CLASSES)
    input: str | None = None           # the corpus file read ("" = none; None = the item's name)
    same_as: str = ""                  # an "ok" item whose objective this one's must equal
    setup: Callable | None = None      # setup(work, corpus) before the run
    as_user: bool = False              # run without root's override of file permissions
    entry: str = "optimizer.cli:main"

    @property
    def source(self) -> str:
        return self.name if self.input is None else self.input

    @property
    def code(self) -> int:
        return EXIT[self.expect]


class Corpus:
    """Collects items while writing their files into ``folder``; ``quick`` keeps a sample."""

    def __init__(self, folder: Path, quick: bool, full_only=frozenset(), on_item=None):
        self.folder, self.quick = Path(folder), quick
        self.on_item = on_item          # called with each item once its file is written
        self.written: set[str] = set()  # names of the files the corpus writes (anything else is stray)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.items: list[Item] = []
        self.notes: list[str] = []
        self.full_only = set(full_only)
        self.cls = ""
        self.base = F.write_valid(self.folder / ".base", "valid.xlsx")

    def path(self, name: str) -> Path:
        self.written.add(name)
        return self.folder / name

    def add(self, name: str, expect: str, contains=(), what: str = "", **kw) -> Path:
        kw.setdefault("cls", self.cls)
        item = Item(name, expect, tuple(contains), what, **kw)
        self.items.append(item)
        if self.on_item is not None:
            self.on_item(item)
        return self.folder / name

    def copy(self, name: str) -> Path:
        return Path(shutil.copy(self.base, self.path(name)))

    def skip(self, name: str) -> bool:
        return self.quick and name in self.full_only

    def edited(self, name: str, sheet: str, cells: dict, expect: str, contains=(), what="", item=None,
               **kw) -> None:
        """The base workbook with ``cells`` changed (``kw`` for :func:`.factory.edit`, ``item`` for
        the :class:`Item`, e.g. its ``argv``)."""
        if self.skip(name):
            return
        F.edit(self.copy(name), sheet, cells, **kw)
        self.add(name, expect, contains, what, **(item or {}))

    def workbook(self, name: str, change, expect: str, contains=(), what="") -> None:
        """Open the base workbook, let ``change(wb)`` edit it, save under ``name``."""
        if self.skip(name):
            return
        wb = openpyxl.load_workbook(self.base)
        change(wb)
        wb.save(self.path(name))
        self.add(name, expect, contains, what)
