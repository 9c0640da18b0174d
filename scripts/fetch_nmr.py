#!/usr/bin/env python
"""``softrecon-fetch-nmr`` from a clone: ``python scripts/fetch_nmr.py --help``; the code is
softrecon/cli/fetch_nmr.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("fetch-nmr", prog="fetch_nmr.py"))
