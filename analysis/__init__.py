"""Analysis of load-test runs: numbers (analysis.json, comparison tables) and plots.

Run from the repository root:

    python -m analysis report RUN_DIR
    python -m analysis compare RUN_DIR [RUN_DIR ...] --out OUT_DIR [--title T]

See analysis/README.md for the definitions of every figure.
"""

SCHEMA_VERSION = 1
DEFAULT_ALPHA = 0.1
