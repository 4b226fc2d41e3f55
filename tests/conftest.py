import sys
from pathlib import Path

# tests import their helper modules (model_fixtures, workbook_factory, ...) by name
sys.path.insert(0, str(Path(__file__).resolve().parent))
