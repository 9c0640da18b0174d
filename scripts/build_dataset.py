#!/usr/bin/env python
"""``softrecon-build-dataset`` from a clone: ``python scripts/build_dataset.py --help``; the code is
softrecon/cli/build_dataset.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("build-dataset", prog="build_dataset.py"))
