#!/usr/bin/env python
"""``softrecon-show-predictions`` from a clone: ``python scripts/show_predictions.py --help``; the code is
softrecon/cli/show_predictions.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("show-predictions", prog="show_predictions.py"))
