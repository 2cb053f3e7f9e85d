"""``python -m closedloop``: the ``closedloop`` command, for when its script is not on PATH."""

import sys

from closedloop.cli import main

if __name__ == "__main__":
    sys.exit(main())
