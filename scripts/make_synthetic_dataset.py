#!/usr/bin/env python
"""``softrecon-make-synthetic-dataset`` from a clone: ``python scripts/make_synthetic_dataset.py --help``; the code is
softrecon/cli/make_synthetic_dataset.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("make-synthetic-dataset", prog="make_synthetic_dataset.py"))
