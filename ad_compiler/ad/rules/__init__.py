"""Derivative rules, lowered for the transforms (`registry`); the rules themselves are the
primitives' (`ad_compiler.primitives`)."""

from ...primitives import Rule
from .registry import RULES, JVPSlot, Registry, defjvp, defvjp, defzero

__all__ = ["RULES", "JVPSlot", "Registry", "Rule", "defjvp", "defvjp", "defzero"]
