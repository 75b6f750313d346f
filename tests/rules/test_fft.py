"""The rules of the Fourier transforms and of the parts of complex numbers
(`primitives/fft.py`), checked against central differences in the four modes of
`tests.rules.checks` and in generic code. Arguments are real (complex ones are refused at
the API): each call below makes complex values inside and returns a real result, as a
loss does.
"""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, jacfwd
from tests.numeric import numeric_grad
from tests.rules.checks import APPLY, Spec, arguments, cases, family_tests, weights

TWIST = np.array([1.0 + 0.5j, -0.3 + 1.2j, 0.8 - 0.7j, 0.4 + 0.1j])
"""Complex factors."""


def complex_of(x):
    """A complex array of `x`'s shape whose real and imaginary parts both vary with `x`.
    (Made by a transform: arithmetic of a real argument with a complex constant, `x * 1j`,
    gives the argument a complex cotangent, a limitation of the arithmetic rules.)"""
    return np.fft.fft(x) * TWIST[:np.shape(x)[-1]]


def power(z):
    return np.real(z * np.conj(z))


def fft_real(x):
    return np.real(np.fft.fft(x))


def fft_imag(x):
    return np.imag(np.fft.fft(x))


def fft_power(x):
    return power(np.fft.fft(x))


def fft_of_complex(x):
    return np.real(np.fft.fft(complex_of(x)) * TWIST[:3])


def fft_padded(x):
    return power(np.fft.fft(x, 5))


def fft_cut(x):
    return fft_real(x[:2]) + np.imag(np.fft.fft(x, 2))


def fft_axis_ortho(x):
    return power(np.fft.fft(x, axis=0, norm="ortho"))


def ifft_forward(x):
    return np.imag(np.fft.ifft(complex_of(x), norm="forward") * TWIST[0])


def ifft_real(x):
    return power(np.fft.ifft(x, 4))


def rfft_power(x):
    return power(np.fft.rfft(x))


def rfft_parts(x):
    z = np.fft.rfft(x, axis=0)
    return np.real(z) * 0.3 + np.imag(z)


def rfft_padded(x):
    return np.imag(np.fft.rfft(x, 6, norm="ortho"))


def rfft_cut(x):
    return np.real(np.fft.rfft(x, 3) * TWIST[:2])


def irfft_of_complex(x):
    return np.fft.irfft(complex_of(x))


def irfft_odd(x):
    return np.fft.irfft(complex_of(x), 5)


def irfft_norms(x):
    return np.fft.irfft(complex_of(x), norm="ortho", axis=0) + np.fft.irfft(complex_of(x), 3, 0, "forward")[:2]


def irfft_of_real(x):
    return np.fft.irfft(x, 4)


def irfft_of_rfft(x):
    return np.fft.irfft(np.fft.rfft(x) * TWIST[:2], 3)


def fft2_power(x):
    return power(np.fft.fft2(x))


def fft2_sized(x):
    return np.real(np.fft.fft2(complex_of(x), s=(3, 2), axes=(1, 0)))


def ifft2_ortho(x):
    return np.imag(np.fft.ifft2(x, norm="ortho"))


def rfft2_power(x):
    return power(np.fft.rfft2(x))


def rfft2_sized(x):
    return np.real(np.fft.rfft2(x, (2, 4)) * TWIST[:3])


def irfft2_of_complex(x):
    return np.fft.irfft2(complex_of(x))


def irfft2_sized(x):
    return np.fft.irfft2(complex_of(x), s=(3, 3), axes=(0, 1))


def fftn_all(x):
    return power(np.fft.fftn(x))


def fftn_axes(x):
    return np.real(np.fft.fftn(complex_of(x), axes=(0, 2)))


def ifftn_sized(x):
    return np.imag(np.fft.ifftn(x, s=(2, 3), axes=(0, 1)))


def rfftn_all(x):
    return power(np.fft.rfftn(x))


def rfftn_axes(x):
    return np.real(np.fft.rfftn(x, axes=(2, 0)))


def irfftn_all(x):
    return np.fft.irfftn(complex_of(x))


def irfftn_sized(x):
    return np.fft.irfftn(complex_of(x), s=(2, 4), axes=(0, 1))


def fftshift_all(x):
    return np.fft.fftshift(x) * np.arange(1.0, 7.0).reshape(2, 3)


def fftshift_axis(x):
    return np.fft.fftshift(x, axes=1) * np.arange(1.0, 7.0).reshape(2, 3)


def ifftshift_axes(x):
    return np.fft.ifftshift(x, axes=(0,)) * np.arange(1.0, 7.0).reshape(3, 2)


def ifftshift_complex(x):
    return np.real(np.fft.ifftshift(np.fft.fft(x)) * TWIST[:3])


def real_of(x):
    return np.real(complex_of(x) * complex_of(x))


def real_of_real(x):
    return np.real(x) * x


def imag_of(x):
    return np.imag(complex_of(x) * complex_of(x))


def imag_of_real(x):
    return np.imag(x * x) + x


def conj_of(x):
    return np.real(np.conj(complex_of(x)) * TWIST[:3] * complex_of(x))


def conjugate_of(x):
    return np.imag(np.conjugate(complex_of(x)) * TWIST[:3])


def angle_of(x, y):
    return np.angle(complex_of(x) * complex_of(y))


def angle_degrees(x):
    return np.angle(complex_of(x) + 0.5, deg=True)


def angle_of_real(x):
    return np.angle(x - 0.5) + x


def attributes(x):
    z = np.fft.fft(x)
    return z.real * z.imag


SPECS = [
    Spec(np.fft.fft, call=fft_real, shapes=((4,),)),
    Spec(np.fft.fft, call=fft_imag, shapes=((2, 3),)),
    Spec(np.fft.fft, call=fft_power, shapes=((3,),)),
    Spec(np.fft.fft, call=fft_of_complex, shapes=((3,),)),
    Spec(np.fft.fft, call=fft_padded, shapes=((3,),)),
    Spec(np.fft.fft, call=fft_cut, shapes=((3,),)),
    Spec(np.fft.fft, call=fft_axis_ortho, shapes=((3, 2),)),
    Spec(np.fft.ifft, call=ifft_forward, shapes=((2, 3),)),
    Spec(np.fft.ifft, call=ifft_real, shapes=((3,),)),
    Spec(np.fft.rfft, call=rfft_power, shapes=((4,),)),
    Spec(np.fft.rfft, call=rfft_power, shapes=((2, 5),)),
    Spec(np.fft.rfft, call=rfft_parts, shapes=((3, 2),)),
    Spec(np.fft.rfft, call=rfft_padded, shapes=((3,),)),
    Spec(np.fft.rfft, call=rfft_cut, shapes=((4,),)),
    Spec(np.fft.irfft, call=irfft_of_complex, shapes=((3,),)),
    Spec(np.fft.irfft, call=irfft_odd, shapes=((2, 3),)),
    Spec(np.fft.irfft, call=irfft_norms, shapes=((2, 2),)),
    Spec(np.fft.irfft, call=irfft_of_real, shapes=((3,),)),
    Spec(np.fft.irfft, call=irfft_of_rfft, shapes=((3,),)),
    Spec(np.fft.fft2, call=fft2_power, shapes=((2, 3),)),
    Spec(np.fft.fft2, call=fft2_sized, shapes=((3, 2),)),
    Spec(np.fft.ifft2, call=ifft2_ortho, shapes=((2, 2, 3),)),
    Spec(np.fft.rfft2, call=rfft2_power, shapes=((3, 4),)),
    Spec(np.fft.rfft2, call=rfft2_sized, shapes=((3, 3),)),
    Spec(np.fft.irfft2, call=irfft2_of_complex, shapes=((2, 3),)),
    Spec(np.fft.irfft2, call=irfft2_sized, shapes=((2, 2),)),
    Spec(np.fft.fftn, call=fftn_all, shapes=((2, 3),)),
    Spec(np.fft.fftn, call=fftn_axes, shapes=((2, 2, 3),)),
    Spec(np.fft.ifftn, call=ifftn_sized, shapes=((3, 2),)),
    Spec(np.fft.rfftn, call=rfftn_all, shapes=((2, 3, 2),)),
    Spec(np.fft.rfftn, call=rfftn_axes, shapes=((3, 2, 3),)),
    Spec(np.fft.irfftn, call=irfftn_all, shapes=((2, 3),)),
    Spec(np.fft.irfftn, call=irfftn_sized, shapes=((2, 2),)),
    Spec(np.fft.fftshift, call=fftshift_all, shapes=((2, 3),)),
    Spec(np.fft.fftshift, call=fftshift_axis, shapes=((2, 3),)),
    Spec(np.fft.ifftshift, call=ifftshift_axes, shapes=((3, 2),)),
    Spec(np.fft.ifftshift, call=ifftshift_complex, shapes=((3,),)),
    Spec(np.real, call=real_of, shapes=((3,),)),
    Spec(np.real, call=real_of_real, shapes=((2, 2),)),
    Spec(np.real, call=attributes, shapes=((3,),)),
    Spec(np.imag, call=imag_of, shapes=((3,),)),
    Spec(np.imag, call=imag_of_real, shapes=((3,),)),
    Spec(np.conjugate, call=conj_of, shapes=((3,),)),
    Spec(np.conjugate, call=conjugate_of, shapes=((3,),)),
    Spec(np.angle, 2, call=angle_of, lo=-0.9, hi=0.9, shapes=((3,), (3,))),
    Spec(np.angle, 2, call=angle_of, shapes=((2, 2), (2,))),
    Spec(np.angle, call=angle_degrees, shapes=((3,),)),
    Spec(np.angle, call=angle_of_real, shapes=((3,),)),
]


test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)

GENERIC, GENERIC_IDS = cases(SPECS)


@pytest.mark.parametrize("spec, scalar", GENERIC, ids=GENERIC_IDS)
def test_generic(spec: Spec, scalar: bool) -> None:
    """Code for arguments of any kind (`.generic`: dtypes and ranks known only at run
    time) takes the real part of a real operand's cotangent at run time."""
    fn = spec.call or spec.fn
    args = arguments(spec, scalar)
    f = APPLY[spec.arity, scalar](fn, weights(np.shape(fn(*args))))
    result = grad(f, argnums=tuple(range(spec.arity))).generic(*args)
    for i in range(spec.arity):
        assert not np.iscomplexobj(result[i]), spec.id
        np.testing.assert_allclose(result[i], numeric_grad(f, args, i), rtol=1e-6, atol=1e-9, err_msg=spec.id)


def spectrum_energy(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_energy_of_the_spectrum(mode: str) -> None:
    """Parseval: the energy of the DFT is n times the signal's, so its gradient is 2 n x."""
    x = np.array([0.3, -0.5, 0.8, 0.1])
    np.testing.assert_allclose(grad(spectrum_energy, mode=mode)(x), 2 * 4 * x, rtol=1e-12)


def spectrum_power(x):
    return np.sum(power(np.fft.fft(x)))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_energy_of_the_spectrum_without_abs(mode: str) -> None:
    x = np.array([0.3, -0.5, 0.8, 0.1])
    result = grad(spectrum_power, mode=mode)(x)
    assert not np.iscomplexobj(result)
    np.testing.assert_allclose(result, 2 * 4 * x, rtol=1e-12)


def smoothed(x):
    """A low-pass filter: the upper half of the spectrum dropped."""
    z = np.fft.rfft(x)
    return np.fft.irfft(z * np.array([1.0, 1.0, 0.5, 0.0, 0.0]), 8)


def test_filter_jacobian_is_its_matrix() -> None:
    """A linear filter's Jacobian is its matrix, column `j` the filter of the unit vector `e_j`."""
    x = np.linspace(-1.0, 1.0, 8)
    expected = np.stack([smoothed(e) for e in np.eye(8)], axis=1)
    np.testing.assert_allclose(jacfwd(smoothed)(x), expected, atol=1e-12)
    np.testing.assert_allclose(grad(lambda v: np.sum(smoothed(v) * x))(x), expected.T @ x, atol=1e-12)


def angle_at(x, y):
    """The angle of `x - iy`: the DFT of (x, y, 0, 0) at frequency 1."""
    return np.angle(np.fft.fft(np.stack([x, y, 0.0, 0.0]))[1])


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_angle_derivative_is_that_of_atan2(mode: str) -> None:
    """angle(x - iy) = -atan2(y, x): its derivative is -(x dy - y dx) / (x^2 + y^2)."""
    bx, by = grad(angle_at, argnums=(0, 1), mode=mode)(0.6, -0.8)
    assert (bx, by) == pytest.approx((-0.8, -0.6))
