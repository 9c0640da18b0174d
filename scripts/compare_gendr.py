#!/usr/bin/env python
"""``softrecon-compare-gendr`` from a clone: ``python scripts/compare_gendr.py --help``; the code is
softrecon/cli/compare_gendr.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("compare-gendr", prog="compare_gendr.py"))
