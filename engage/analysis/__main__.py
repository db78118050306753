"""Entry point for ``python -m engage.analysis``; see ``engage.analysis.cli``."""

import sys

from engage.analysis.cli import main

if __name__ == "__main__":
    sys.exit(main())
