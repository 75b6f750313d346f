"""Derivative rules, registered on import (core: operators and math; numpy: arrays;
indexing: x[i] and y[i] = v; joining: np.stack and np.concatenate; select: choices such
as np.where and max)."""

from . import core, indexing, joining, numpy, select  # noqa: F401  (registration)
from .registry import RULES, JVPSlot, Registry, Rule, defjvp, defvjp, defzero

__all__ = ["RULES", "JVPSlot", "Registry", "Rule", "defjvp", "defvjp", "defzero"]
