#!/usr/bin/env python
"""``softrecon-fit-pose`` from a clone: ``python scripts/fit_pose.py --help``; the code is
softrecon/cli/fit_pose.py."""

import sys

from softrecon.cli import run

if __name__ == "__main__":
    sys.exit(run("fit-pose", prog="fit_pose.py"))
