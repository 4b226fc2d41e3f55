"""Tests mirror the code's folders (tests/core, tests/sourcing, tests/curves, ...).  Shared
fixtures and helpers live in tests/helpers and are imported by name (model_fixtures, ...)."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE / "helpers"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
