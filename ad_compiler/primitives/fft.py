"""Fourier transforms (np.fft) and the parts of complex numbers (np.real, np.imag,
np.conj, np.angle).

Complex values follow JAX's conventions: the cotangent of a complex `z = x + iy` is
`dL/dx - i dL/dy`, so a VJP is the transpose of the JVP's linear map, not its adjoint:
`np.fft.fft` is its own transpose (the DFT matrix is symmetric), `np.real`'s cotangent is
`g` itself, `np.imag`'s `-1j * g`, `np.conj`'s `np.conj(g)`. The cotangent of a real
operand is the real part of that of its complex promotion (JAX's transpose of
`convert_element_type`): the rules of the transforms that take real or complex operands
have one rule per dtype (`at_dtypes`), and, in code for operands of any kind, decide at
run time.

The transforms are linear: a JVP applies the same transform to the tangent, after its
directions. A VJP applies the transpose: the transform itself (fft, ifft, fftn, ...); for
rfft, the full complex transform of the cotangent padded with zeros to the input's length,
its real part; for irfft, JAX's rule, the conjugate of rfft of the cotangent with the
entries that stand for two frequencies (all but the first and, for an even length, the
last) counted twice, with the normalization of the other direction. Where `n` or `s` cut
or pad the input, the cotangent is padded or cut back (`fitted`).
"""

from __future__ import annotations

import numpy as np

from .helpers import batch_axis
from .products import MAX_RANK, at_ranks, same_call
from .record import compile_time, defjvp, defvjp, primitive
from ..ir.types import Array, Scalar

ONE_AXIS = {np.fft.fft: np.fft.fft, np.fft.ifft: np.fft.ifft, np.fft.rfft: np.fft.fft, np.fft.irfft: np.fft.rfft}
"""The transforms along one axis (`n`, `axis`), each with the transform its VJP applies."""
AXES = {np.fft.fft2: np.fft.fft2, np.fft.ifft2: np.fft.ifft2, np.fft.fftn: np.fft.fftn, np.fft.ifftn: np.fft.ifftn,
        np.fft.rfft2: np.fft.fft2, np.fft.irfft2: np.fft.rfft2, np.fft.rfftn: np.fft.fftn,
        np.fft.irfftn: np.fft.rfftn}
"""The transforms along several axes (`s`, `axes`), each with the transform its VJP applies."""
REAL_INPUT = (np.fft.rfft, np.fft.rfft2, np.fft.rfftn)
REAL_OUTPUT = (np.fft.irfft, np.fft.irfft2, np.fft.irfftn)
SHIFTS = (np.fft.fftshift, np.fft.ifftshift)


def part_kind(op, kinds, producers):
    """np.real, np.imag, np.angle: the operand's shape, of floats (np.real and np.imag of
    a real array keep its dtype)."""
    x = kinds[0]
    if not isinstance(x, (Scalar, Array)):
        return None
    dtype = x.dtype if op.prim != "np.angle" and x.dtype != "complex" else "float"
    return Scalar(dtype) if isinstance(x, Scalar) else Array(x.ndim, dtype, x.shape)


primitive(*ONE_AXIS, *AXES, *SHIFTS, infer=same_call, linear=True, fresh=True)
primitive(np.real, arity=1, infer=part_kind, linear=True, attributes=("real",))
primitive(np.imag, arity=1, infer=part_kind, linear=True, attributes=("imag",))
primitive(np.angle, infer=part_kind, fresh=True)
primitive(np.conjugate, linear=True)


# ---- how the rules call the transforms ----

@compile_time
def transform_axes(s, axes, default):
    """The axes a transform works on (None: all of them), as NumPy reads `s` and `axes`:
    `s` without `axes` names the last `len(s)` axes."""
    if axes is None and s is not None:
        return tuple(range(-len(s), 0))
    return default if axes is None else tuple(np.atleast_1d(axes).tolist())


@compile_time
def swapped_norm(norm):
    """The normalization that scales as `norm` does, in the other direction."""
    return {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}[norm]


def transformed(fn, x, s, axes, norm, one_axis, default):
    """`fn(x)` with lengths `s` (None: as they are) along `axes`, and `norm`, written as a
    person writes it: with `n`, `axis` for a transform along one axis, and the defaults
    left out."""
    if one_axis:
        return transformed_along(fn, x, None if s is None else s[0], axes[0], norm)
    if norm is None and axes == default:
        return fn(x) if s is None else fn(x, s)
    if norm is None:
        return fn(x, axes=axes) if s is None else fn(x, s, axes)
    if axes == default:
        return fn(x, norm=norm) if s is None else fn(x, s, norm=norm)
    return fn(x, axes=axes, norm=norm) if s is None else fn(x, s, axes, norm)


def transformed_along(fn, x, n, axis, norm):
    if norm is None and axis == -1:
        return fn(x) if n is None else fn(x, n)
    if norm is None:
        return fn(x, axis=axis) if n is None else fn(x, n, axis)
    if axis == -1:
        return fn(x, norm=norm) if n is None else fn(x, n, norm=norm)
    return fn(x, axis=axis, norm=norm) if n is None else fn(x, n, axis, norm)


def fitted(x, length, axis):
    """`x` cut or padded with zeros to `length` along `axis` (as np.fft does to its input
    with `n`): a product with a (rectangular) identity matrix."""
    if axis == -1:
        return x @ np.eye(np.shape(x)[-1], length)
    return np.moveaxis(np.moveaxis(x, axis, -1) @ np.eye(np.shape(x)[axis], length), -1, axis)


def fitted_like(t, x, s, axes):
    """The cotangent `t` of a transform's input cut or padded back to `x`'s lengths
    along `axes`, where `s` changed them."""
    if s is None:
        return t
    for axis in axes:
        t = fitted(t, np.shape(x)[axis], axis)
    return t


def hermitian_weights(t, n, axis):
    """`t` (rfft of a real signal of length `n` along `axis`) with each entry that
    stands for two frequencies, `k` and `n - k`, counted twice: all but the first and,
    for an even `n`, the last."""
    weights = np.full(n // 2 + 1, 2.0)
    weights[-1] = 1.0 + n % 2
    weights[0] = 1.0
    if axis == -1:
        return t * weights
    return np.moveaxis(np.moveaxis(t, axis, -1) * weights, -1, axis)


def as_operand(t, x, real):
    """A cotangent for `x`: its real part if `x` is real (`real`: True, False, or None
    for a dtype known only at run time)."""
    if real is None:
        if np.iscomplexobj(x):
            return t
        return np.real(t)
    if real:
        return np.real(t)
    return t


def at_dtypes(define, prim, real, statics=3, **options):
    """A decorator registering a rule for a real (`real` True) or complex (False) first
    operand, followed by up to `statics` constants given by position, or (None) for any."""
    def register(fn):
        if real is None:
            define(prim, **options)(fn)
        else:
            for count in range(statics + 1):
                define(prim, dtypes=("float" if real else "complex",) + (None,) * count, **options)(fn)
        return fn

    return register


# ---- the rules of the transforms ----

def _transform_rules(fn, one_axis, default) -> None:
    """The rules of one transform `fn`; `one_axis`: it takes `n` and `axis` (else `s`
    and `axes`, `default` when not given)."""
    transpose = ONE_AXIS.get(fn) or AXES[fn]
    real_input, real_output = fn in REAL_INPUT, fn in REAL_OUTPUT

    def normalized(n_or_s, axis_or_axes):
        """(s, axes) as tuples (axes None: all of them)."""
        if one_axis:
            return (None if n_or_s is None else (n_or_s,)), (axis_or_axes,)
        return n_or_s, transform_axes(n_or_s, axis_or_axes, default)

    def cotangent(g, x, n_or_s, axis_or_axes, norm):
        s, axes = normalized(n_or_s, axis_or_axes)
        if real_input:  # the full transform of g padded to the input's lengths (or `s`), real
            if axes is None:
                full = fitted(g, np.shape(x)[-1], -1)
                return np.real(transformed(transpose, full, None, None, norm, False, None))
            lengths = s if s is not None else tuple(np.shape(x)[axis] for axis in axes)
            t = transformed(transpose, g, lengths, axes, norm, one_axis, default)
            return np.real(fitted_like(t, x, s, axes))
        if real_output:  # JAX's transpose of irfft
            last = -1 if axes is None else axes[-1]
            t = transformed(transpose, g, None, axes, swapped_norm(norm), one_axis, default)
            return fitted_like(np.conj(hermitian_weights(t, np.shape(g)[last], last)), x, s, axes)
        return fitted_like(transformed(transpose, g, None, axes, norm, one_axis, default), x, s, axes)

    def tangent(dx, n_or_s, axis_or_axes, norm, rank, batch):
        s, axes = normalized(n_or_s, axis_or_axes)
        if batch and axes is None:
            axes = tuple(range(1, rank + 1))
        elif batch:
            axes = batch_axis(axes, 1)
        return transformed(fn, dx, s, axes, norm, one_axis, default)

    for dtype in ((None,) if real_input else (True, False, None)):  # (rfft's cotangent is real already)
        _transform_vjp(fn, dtype, False if real_input else dtype, one_axis, default, cotangent)
    for rank in (*range(MAX_RANK + 1), None):
        _transform_jvp(fn, rank, one_axis, default, tangent)


def _transform_vjp(fn, dtype, real, one_axis, default, cotangent) -> None:
    """A VJP rule for a real (`dtype` True) or complex (False) operand, or for any;
    `real`: whether the cotangent of the operand is to be real (None: if the operand is)."""
    if one_axis:
        @at_dtypes(defvjp, fn, dtype, broadcasting=False)
        def transform_vjp(g, ans, a, n=None, axis=-1, norm=None, out=None):
            return as_operand(cotangent(g, a, n, axis, norm), a, real)
    else:
        @at_dtypes(defvjp, fn, dtype, broadcasting=False)
        def transform_vjp(g, ans, a, s=None, axes=default, norm=None, out=None):
            return as_operand(cotangent(g, a, s, axes, norm), a, real)


def _transform_jvp(fn, rank, one_axis, default, tangent) -> None:
    """A JVP rule for operands of rank `rank` (None: any, then never batched): the
    directions are kept out of the axes transformed."""
    register = defjvp(fn, broadcasting=False) if rank is None else \
        at_ranks(defjvp, fn, ranks=(rank,), broadcasting=False)
    if one_axis:
        @register
        def transform_jvp(da, ans, a, n=None, axis=-1, norm=None, out=None, *, batch=0):
            return tangent(da, n, axis, norm, rank, batch)
    else:
        @register
        def transform_jvp(da, ans, a, s=None, axes=default, norm=None, out=None, *, batch=0):
            return tangent(da, s, axes, norm, rank, batch)


for _fn in ONE_AXIS:
    _transform_rules(_fn, True, (-1,))
for _fn in (np.fft.fft2, np.fft.ifft2, np.fft.rfft2, np.fft.irfft2):
    _transform_rules(_fn, False, (-2, -1))
for _fn in (np.fft.fftn, np.fft.ifftn, np.fft.rfftn, np.fft.irfftn):
    _transform_rules(_fn, False, None)


# ---- shifts ----

def _shift_rules(fn, inverse) -> None:
    """np.fft.fftshift and ifftshift permute the elements: the VJP applies the inverse
    permutation. Of all axes (`axes` None), batched, the directions are left out."""

    @defvjp(fn, broadcasting=False)
    def shift_vjp(g, ans, x, axes=None):
        if axes is None:
            return inverse(g)
        return inverse(g, axes)

    def shift_jvp_of_rank(rank):
        def shift_jvp(dx, ans, x, axes=None, *, batch=0):
            if not batch and axes is None:
                return fn(dx)
            if not batch:
                return fn(dx, axes)
            if axes is None:
                return fn(dx, tuple(range(1, rank + 1)))
            return fn(dx, batch_axis(axes, 1))

        return shift_jvp

    for rank in range(MAX_RANK + 1):
        at_ranks(defjvp, fn, ranks=(rank,), statics=1, broadcasting=False)(shift_jvp_of_rank(rank))
    defjvp(fn, broadcasting=False)(shift_jvp_of_rank(None))


_shift_rules(np.fft.fftshift, np.fft.ifftshift)
_shift_rules(np.fft.ifftshift, np.fft.fftshift)


# ---- the parts of complex numbers ----
# A real result's cotangent `g` is real; where a rule makes a complex value of it
# (`g / 1j`), it takes `np.real(g)` first: in a derivative of the rule, the arithmetic
# gives `g` a complex cotangent, of which np.real's rule keeps the real part.

def _part_rules(prim, of_real_vjp, of_real_jvp, of_complex_vjp, of_complex_jvp, statics=0) -> None:
    """The rules of np.real, np.imag or np.angle: for a real operand, a complex one, and
    (in code for operands of any kind) either, decided at run time."""
    at_dtypes(defvjp, prim, True, statics, broadcasting=False)(of_real_vjp)
    at_dtypes(defjvp, prim, True, statics, broadcasting=False)(of_real_jvp)
    at_dtypes(defvjp, prim, False, statics, broadcasting=False)(of_complex_vjp)
    at_dtypes(defjvp, prim, False, statics, broadcasting=False)(of_complex_jvp)
    constant = of_real_vjp is constant_vjp

    @defvjp(prim, broadcasting=False)
    def part_vjp(g, ans, z, deg=False):
        return complex_or_real_vjp(of_complex_vjp, of_real_vjp, constant, g, ans, z, deg)

    defjvp(prim, broadcasting=False)(of_complex_jvp)


def complex_or_real_vjp(of_complex_vjp, of_real_vjp, constant, g, ans, z, deg):
    """The rule of a complex operand or of a real one (zeros for a constant part: a branch
    yields a value, not None), chosen at run time."""
    if np.iscomplexobj(z):
        t = of_complex_vjp(g, ans, z, deg)
    elif constant:
        t = np.zeros_like(z)
    else:
        t = of_real_vjp(g, ans, z, deg)
    return t


def real_of_real_vjp(g, ans, val, deg=False):
    """np.real of a real array is the array."""
    return np.real(g)


def real_of_real_jvp(dval, ans, val, deg=False, *, batch=0):
    return dval


def real_vjp(g, ans, val, deg=False):
    """`g` as the real part of the cotangent and 0 as its imaginary part: JAX's
    `complex(g, 0)`, which `g` (real) is."""
    return g


def real_jvp(dval, ans, val, deg=False, *, batch=0):
    return np.real(dval)


def constant_vjp(g, ans, val, deg=False):
    """The imaginary part and the angle of a real number are constants (0; 0 or pi)."""
    return None


def constant_jvp(dval, ans, val, deg=False, *, batch=0):
    return None


def imag_vjp(g, ans, val, deg=False):
    """JAX's `complex(0, -g)`: `-1j * g`, written `g / 1j`."""
    return np.real(g) / 1j


def imag_jvp(dval, ans, val, deg=False, *, batch=0):
    return np.imag(dval)


def degrees(t, deg):
    if deg:
        return t * 57.29577951308232
    return t


def angle_vjp(g, ans, z, deg=False):
    """The angle is `atan2(imag(z), real(z))`; its cotangent `-1j * g * conj(z) / |z|^2`
    is `g / (1j * z)` (NaN at 0, as JAX's)."""
    return degrees(np.real(g) / (1j * z), deg)


def angle_jvp(dz, ans, z, deg=False, *, batch=0):
    """`imag(conj(z) dz) / |z|^2`, which is `imag(dz / z)`."""
    return degrees(np.imag(dz / z), deg)


_part_rules(np.real, real_of_real_vjp, real_of_real_jvp, real_vjp, real_jvp)
_part_rules(np.imag, constant_vjp, constant_jvp, imag_vjp, imag_jvp)
_part_rules(np.angle, constant_vjp, constant_jvp, angle_vjp, angle_jvp, statics=1)


@defvjp(np.conjugate, broadcasting=False)
def conjugate_vjp(g, ans, x):
    return np.conj(g)


@defjvp(np.conjugate, broadcasting=False)
def conjugate_jvp(dx, ans, x, *, batch=0):
    return np.conj(dx)
