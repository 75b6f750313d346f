"""`python cli.py ...`: the same as the `adc` command."""

import sys

from ad_compiler.cli import main

if __name__ == "__main__":
    sys.exit(main())
