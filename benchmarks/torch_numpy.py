"""NumPy's names on PyTorch tensors: the subset of NumPy the benchmarked functions call,
with NumPy's arguments (``axis``, ``keepdims``) and results (``max`` returns values).

The benchmarks run each function's own source on every tool, with ``np`` naming that
tool's array module (``jax.numpy``, ``autograd.numpy``, this for PyTorch), so every tool
differentiates the same program. Tensors are float64 (``torch.set_default_dtype``).
"""

from __future__ import annotations

import math

import torch

pi = math.pi
newaxis = None

sin, cos, tan, exp, log, log1p, sqrt, tanh, sign, abs = (
    torch.sin, torch.cos, torch.tan, torch.exp, torch.log, torch.log1p, torch.sqrt,
    torch.tanh, torch.sign, torch.abs)
dot, outer, einsum, where, maximum, minimum = (
    torch.dot, torch.outer, torch.einsum, torch.where, torch.maximum, torch.minimum)
zeros, ones, eye, arange, linspace = torch.zeros, torch.ones, torch.eye, torch.arange, torch.linspace
zeros_like, ones_like = torch.zeros_like, torch.ones_like


def _reduce(fn, x, axis, keepdims):
    return fn(x) if axis is None else fn(x, dim=axis, keepdim=keepdims)


def sum(x, axis=None, keepdims=False):  # noqa: A001  (NumPy's name)
    return _reduce(torch.sum, x, axis, keepdims)


def mean(x, axis=None, keepdims=False):
    return _reduce(torch.mean, x, axis, keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.amax, x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return _reduce(torch.amin, x, axis, keepdims)


def concatenate(arrays, axis=0):
    return torch.cat(tuple(arrays), dim=axis)


def stack(arrays, axis=0):
    return torch.stack(tuple(arrays), dim=axis)


def cross(a, b, axis=-1):
    return torch.linalg.cross(a, b, dim=axis)


def array(obj):
    """A tensor from nested lists of numbers and 0-d tensors (kept in the graph)."""
    if isinstance(obj, (list, tuple)):
        return torch.stack([array(item) for item in obj])
    return torch.as_tensor(obj, dtype=torch.get_default_dtype())
