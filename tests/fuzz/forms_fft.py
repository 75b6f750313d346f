"""Calls of the Fourier transforms and the parts of complex numbers (`primitives/fft.py`).
A transform of a real operand is complex: each form ends in a real result (np.real,
np.imag, a power spectrum, or an inverse real transform) of one of the grammar's shapes,
as a loss computed through a spectrum does. np.angle is taken away from 0 (its kink)."""

from __future__ import annotations

from .forms import Form, only
from .scope import Shape


def arrays(shape: Shape) -> tuple[Shape, ...] | None:
    return (shape,) if shape else None


def matrices(shape: Shape) -> tuple[Shape, ...] | None:
    return (shape,) if len(shape) == 2 else None


POWER = "np.real({z} * np.conj({z}))"
"""The power spectrum of a complex value `z`."""


FORMS = [
    Form("np.real(np.fft.fft({0}))", arrays, ("np.fft.fft", "np.real"), weight=0.4),
    Form("np.imag(np.fft.fft({0}, axis=0))", arrays, ("np.fft.fft", "np.imag"), weight=0.3),
    Form(POWER.format(z="np.fft.fft({0}, norm='ortho')"), arrays, ("np.fft.fft", "np.conjugate"), weight=0.3),
    Form("np.imag(np.fft.ifft({0}))", arrays, ("np.fft.ifft", "np.imag"), weight=0.3),
    Form("np.real(np.fft.ifft(np.fft.fft({0}) * np.fft.fft({1})))", lambda s: (s, s) if s else None,
         ("np.fft.ifft", "np.fft.fft"), weight=0.3),
    Form("np.real(np.fft.rfft({0}, 4))", only((3,), (3,)), ("np.fft.rfft",), weight=0.3),
    Form("np.imag(np.fft.rfft({0}, 4, axis=0))", only((3, 2), (3, 2)), ("np.fft.rfft",), weight=0.3),
    Form("np.fft.irfft(np.fft.rfft({0}) * 0.5, 3)", only((3,), (3,)), ("np.fft.irfft", "np.fft.rfft"), weight=0.3),
    Form("np.fft.irfft(np.fft.fft({0}), 3)", only((2, 3), (2, 3)), ("np.fft.irfft",), weight=0.3),
    Form("np.real(np.fft.fft2({0}))", matrices, ("np.fft.fft2",), weight=0.3),
    Form("np.imag(np.fft.ifft2({0}, norm='forward'))", matrices, ("np.fft.ifft2",), weight=0.3),
    Form(POWER.format(z="np.fft.rfft2({0})"), only((3, 2), (3, 3)), ("np.fft.rfft2",), weight=0.3),
    Form("np.fft.irfft2(np.fft.rfft2({0}), (3, 3))", only((3, 3), (3, 3)), ("np.fft.irfft2",), weight=0.3),
    Form("np.real(np.fft.fftn({0}))", arrays, ("np.fft.fftn",), weight=0.3),
    Form("np.imag(np.fft.ifftn({0}, axes=(0,)))", arrays, ("np.fft.ifftn",), weight=0.3),
    Form(POWER.format(z="np.fft.rfftn({0})"), only((2, 2), (2, 3)), ("np.fft.rfftn",), weight=0.3),
    Form("np.fft.irfftn(np.fft.fftn({0}), (2, 3), (0, 1))", only((2, 3), (2, 3)), ("np.fft.irfftn",), weight=0.3),
    Form("np.fft.fftshift({0})", arrays, ("np.fft.fftshift",), weight=0.3),
    Form("np.fft.ifftshift({0}, axes=0)", arrays, ("np.fft.ifftshift",), weight=0.3),
    Form("np.angle(np.fft.fft({0}) + 10.0)", arrays, ("np.angle",), weight=0.3),
]
