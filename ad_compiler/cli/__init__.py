"""The command line, `adc` (and `python cli.py`): see `main`."""

from .main import main

__all__ = ["main"]
