#!/usr/bin/env python
"""``softrecon-reproduce`` from a clone: ``python scripts/reproduce.py --help``; the code is
softrecon/cli/reproduce.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("reproduce", prog="reproduce.py"))
