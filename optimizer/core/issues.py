"""Problems found in an input (workbook, command-line argument, path): one message format for
the terminal, the web page and the result workbook."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in an input workbook."""

    sheet: str
    cell: str          # e.g. "C7"; a column letter or "" when the whole sheet is concerned
    value: object
    rule: str
    severity: str = "error"   # "error" stops the run, "warning" is reported

    def __str__(self) -> str:  # the one message format shared by CLI, web and reports
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        shown = "" if self.value is None or self.value == "" else f" (value: {shown_value(self.value)})"
        return f"{self.severity.upper()} {where}{shown}: {self.rule}"


LONG_VALUE = 200     # characters of a value shown whole in a message; longer ones are shortened


def shown_value(value) -> str:
    """repr() of a cell value for a message; a very long text shows its start and its length."""
    text = repr(value)
    if len(text) <= LONG_VALUE:
        return text
    raw = str(value)
    return repr(f"{raw[:40]}... ({len(raw):,} characters)")


class InputError(Exception):
    """Raised when a workbook cannot be used; carries every issue found."""

    def __init__(self, issues: list[Issue], path: str = ""):
        self.issues = list(issues)
        self.path = path
        errors = [i for i in self.issues if i.severity == "error"]
        head = f"{path}: " if path else ""
        super().__init__(f"{head}{len(errors)} error(s) in the input workbook")
