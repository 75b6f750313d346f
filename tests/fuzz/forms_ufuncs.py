"""Calls of NumPy's elementwise functions and the `math` functions of
`primitives/ufuncs.py`, their operands kept where the functions are smooth: copysign of
values of fixed signs, remainder by a divisor far larger than its operand, a distance
between points that do not meet."""

from __future__ import annotations

from .forms import Form, only, same

SCALARS = only((), (), ())
"""Two numbers to a number (a `math` function of two operands)."""

FORMS = [
    Form("np.logaddexp2({0}, {1})", same(2), ("np.logaddexp2",)),
    Form("np.float_power(1.0 + {0} * {0}, {1})", same(2), ("np.float_power",)),
    Form("np.rad2deg({0})", same(), ("np.rad2deg",)),
    Form("np.deg2rad({0})", same(), ("np.deg2rad",)),
    Form("np.copysign(1.0 + {0} * {0}, -1.0 - {1} * {1})", same(2), ("np.copysign",)),
    Form("np.nextafter({0}, {1})", same(2), ("np.nextafter",)),
    Form("np.ldexp({0}, 2)", same(), ("np.ldexp",)),
    Form("np.sinc({0})", same(), ("np.sinc",)),
    Form("np.nan_to_num({0})", same(), ("np.nan_to_num",)),
    Form("math.copysign(1.0 + {0} * {0}, -1.5)", only((), ()), ("math.copysign",), weight=0.5),
    Form("math.nextafter({0}, {1})", SCALARS, ("math.nextafter",), weight=0.5),
    Form("math.ldexp({0}, -1)", only((), ()), ("math.ldexp",), weight=0.5),
    Form("math.remainder({0}, 20.0 + {1} * {1})", SCALARS, ("math.remainder",), weight=0.5),
    Form("math.dist({0}, {1} + 3.0)", only((), (3,), (3,)), ("math.dist",), weight=0.5),
]
