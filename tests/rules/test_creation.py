"""The rules of the functions that make arrays (`primitives/creation.py`): np.linspace,
the one of them differentiable in its operands (its ends), checked against central
differences in four modes, with scalar ends and with arrays of ends (the samples along
axis 0)."""

from __future__ import annotations

import numpy as np

from tests.rules.checks import Spec, family_tests


def four_samples(start, stop):
    return np.linspace(start, stop, 4)


def open_interval(start, stop):
    return np.linspace(start, stop, 5, endpoint=False)


def samples_by_keyword(start, stop):
    return np.linspace(start, stop, num=3)


SPECS = [
    Spec(np.linspace, arity=2, call=four_samples, shapes=((), ())),
    Spec(np.linspace, arity=2, call=open_interval, shapes=((), ())),
    Spec(np.linspace, arity=2, call=samples_by_keyword, shapes=((), ())),
    Spec(np.linspace, arity=2, call=four_samples, shapes=((3,), (3,))),
    Spec(np.linspace, arity=2, call=open_interval, shapes=((), (2, 3))),
]


test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)
