"""Fused primitives: functions users spell as several operations, whose derivative is
simpler, cheaper and more accurate as one (the logistic function and its logarithms).

`passes.fuse` finds them in a function about to be differentiated and puts these prims in
place of the operations; the derivative rules below see the whole function; and the same
pass writes each back as the operations the user wrote once the derivative is built, so
values are computed to the bit as the source computes them and emitted code never names
these prims. They are written over the exponent `w` as users write it,
`1 / (1 + np.exp(w))` (the logistic of -w), since `-(X @ b)` is often `X @ -b` by then.

Through the composition, the adjoint of `w` in `np.log(1 / (1 + np.exp(w)))` is
`g / p * (-p * t / (1 + t))` (t = exp(w)); as one function it is `g * (p - 1)`: the
gradient of a logistic regression's likelihood comes out as `X.T @ (p - y)`, as a person
writes it, instead of dividing by `p` and `1 - p` (which are 0 where the logistic
saturates: the composed adjoint is then NaN where this one is exact).
"""

from __future__ import annotations

import numpy as np

from .kinds import ufunc_kind
from .record import primitive
from .ufuncs import elementwise_rules


def logistic(w):
    """`1 / (1 + exp(w))`: the logistic function of -w."""
    return 1 / (1 + np.exp(w))


def log_logistic(w):
    """`log(1 / (1 + exp(w)))`."""
    return np.log(logistic(w))


def log1m_logistic(w):
    """`log(1 - 1 / (1 + exp(w)))`."""
    return np.log(1 - logistic(w))


def logistic_slope(w, ans):
    return ans * (ans - 1)


def log_logistic_slope(w, ans):
    return logistic(w) - 1


def log1m_logistic_slope(w, ans):
    return logistic(w)


primitive(logistic, log_logistic, log1m_logistic, elementwise=True, fresh=True, arity=1, infer=ufunc_kind)
for _fn, _slope in ((logistic, logistic_slope), (log_logistic, log_logistic_slope),
                    (log1m_logistic, log1m_logistic_slope)):
    elementwise_rules(_fn, _slope)

LOGISTIC = "ad_compiler.primitives.fused.logistic"
LOG_LOGISTIC = "ad_compiler.primitives.fused.log_logistic"
LOG1M_LOGISTIC = "ad_compiler.primitives.fused.log1m_logistic"
