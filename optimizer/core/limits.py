"""Every limit the tool applies to what it is given, in one place.

The README's "Limits" table lists these same numbers (``tests/core/test_limits.py`` checks
that it does); every refusal names the limit it hit.  The modules that enforce them read
the values from here at call time, so a test can lower one with ``monkeypatch``.
"""
from __future__ import annotations

MiB = 1 << 20

# --------------------------------------------------------------------------- the file and its zip archive
MAX_FILE_BYTES = 50 * MiB             # the workbook file on disk
MAX_UNCOMPRESSED_BYTES = 500 * MiB    # sum of the zip members' declared sizes
MAX_ZIP_MEMBERS = 10_000
MAX_INDEX_PART_BYTES = 32 * MiB       # workbook index, styles, relationships, content types, properties

# --------------------------------------------------------------------------- sheets and cells
MAX_ROWS_PER_SHEET = 200_000          # data rows (below the header row) of one data sheet
MAX_COLUMNS = 64                      # columns read from a data sheet (A..BL)
MAX_CELLS = 1_000_000                 # cells (filled or formatted) over all data sheets
EXCEL_MAX_ROW = 1_048_576             # the last row of an Excel sheet: a row number beyond it is damage
EXCEL_MAX_COLUMN = 16_384             # the last column of an Excel sheet (XFD)
STREAM_MIN_ROWS = 2_000               # result tables with this many data rows are streamed into the sheet XML
SPILL_KEEP_ROWS = 50_000              # rows kept on the sheet when a result table passes Excel's last row
                                      # (the whole table goes to a CSV file beside the workbook)
MAX_SHEETS = 1_000                    # sheets in one workbook
MAX_MERGED_RANGES = 100_000           # merged ranges on one data sheet

# --------------------------------------------------------------------------- XML parts the reader parses
MAX_XML_ELEMENTS = 5_000_000          # elements in one part (a sheet, the shared strings, styles, ...)
MAX_XML_DEPTH = 64                    # nesting depth of elements
MAX_SHARED_STRINGS = 1_000_000        # entries of the shared-string table
MAX_STRING_CHARS = 32_767             # characters in one cell text (Excel's own limit)
MAX_STRING_RUNS = 32_767              # rich-text runs (and other child elements) in one cell text
MAX_TEXT_RUN = MiB                    # bytes of text between two tags, checked before parsing
MAX_NUMBER_CHARS = 64                 # characters of one stored number (Excel writes at most 24)

# --------------------------------------------------------------------------- magnitudes of workbook numbers
MAX_TONNES = 1e9                      # any mass in tonnes (per row, per year)
MAX_PRICE = 1e9                       # any price or penalty in currency per kg
MAX_MONEY_M = 1e9                     # any amount in currency millions (capex, budgets)
MAX_MAGNITUDE = 1e12                  # any other number: |x| at most this
MAX_TIME_LIMIT = 1e6                  # seconds, a solver time limit (about 11.6 days)
MAX_SEED = 2 ** 32 - 1

# --------------------------------------------------------------------------- work that grows with the input
MAX_SUGGESTIONS = 20                  # "did you mean" look-ups per column checked (then exact matches only)
MAX_SUGGESTION_CANDIDATES = 5_000     # known values a "did you mean" compares with (beyond: exact matches only)
MAX_SCENARIOS = 100                   # named scenarios on the Scenarios sheet (each is checked, compare runs all)
MAX_SCENARIO_ROWS = 2_000             # rows (overrides) of the Scenarios sheet
EXACT_MAX_MIP_PLAYERS = 10            # pool members solved exactly when the joint model is a MILP (LP: 12)
MAX_SAMPLED_SOLVES = 2_000            # coalition solves for a sampled Shapley value, LP joint model
MAX_SAMPLED_MIP_SOLVES = 300          # ... MILP joint model (volume tiers, minimum lots)
MAX_PERMUTATIONS = 100_000            # shapley_permutations setting

# --------------------------------------------------------------------------- command-line arguments
MAX_CURVE_GRID = 200                  # curve --grid
MAX_FRONTIER_POINTS = 200             # frontier --points
MAX_TTS_WEEKS = 520                   # risk --tts-weeks (ten years of demand)
MAX_BETA = 1_000.0                    # risk --beta (CVaR weight)
MAX_PH_ITERS = 10_000                 # risk --max-iters (--iters)
MAX_SCENARIO_WORKERS = 64             # risk --workers (scenario worker processes or MPI ranks it starts)
MAX_JOBS = 16                         # robustness --jobs

# --------------------------------------------------------------------------- the web app
MAX_UPLOAD_MB = 20.0                  # default upload limit (the file itself, not the request envelope)
MAX_UPLOAD_MB_CEILING = 1024.0        # serve --max-upload-mb may not exceed this
UPLOAD_ENVELOPE_BYTES = 64 * 1024     # allowance for the multipart headers and form fields around the file
JOB_SECONDS = 300.0                   # per-job wall time (default of serve --job-seconds)
JOB_MEMORY_MB = 2048                  # per-job address space (default of serve --job-memory-mb)
JOB_PATIENCE_SECONDS = 5.0            # a job running longer than this no longer holds back a new upload
MAX_WORKERS = 32                      # serve --workers
JOBS_PER_CLIENT = 4                   # unfinished jobs one client (address) may have (serve --client-jobs)
MAX_JOBS_PER_CLIENT = 1000            # serve --client-jobs at most
MAX_KEEP_MINUTES = 7 * 24 * 60        # serve --keep-minutes
