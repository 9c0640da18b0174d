#!/usr/bin/env python
"""``softrecon-make-fit-targets`` from a clone: ``python scripts/make_fit_targets.py --help``; the code is
softrecon/cli/make_fit_targets.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("make-fit-targets", prog="make_fit_targets.py"))
