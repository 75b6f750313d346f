"""Derivative rules, registered on import (core: operators and math; numpy: arrays)."""

from . import core, numpy, select  # noqa: F401  (registration)
from .registry import RULES, Registry, VJPRule, defvjp, defzero

__all__ = ["RULES", "Registry", "VJPRule", "defvjp", "defzero"]
