#!/usr/bin/env python
"""``softrecon-export-model`` from a clone: ``python scripts/export_model.py --help``; the code is
softrecon/predict/export.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("export-model", prog="export_model.py"))
