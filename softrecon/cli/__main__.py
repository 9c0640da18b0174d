"""``python -m softrecon.cli <command> [arguments]``: the umbrella command ``softrecon``."""

import sys

from . import main

sys.exit(main())
