"""The rules of the reductions (`primitives/reductions.py`) and of the functions along an
axis (`primitives/cumulative.py`: running sums and products, products, differences,
sorting, order statistics), in four modes against central differences
(`tests/rules/checks.py`), and their conventions: zeros in products, one-element spreads,
ties and NaNs, refusals.
"""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, jacrev, jvp
from ad_compiler.errors import NoDerivativeError
from tests.numeric import numeric_grad
from tests.rules.checks import Spec, family_tests

HOLES = np.array([[False, True, False], [True, False, False]])


def holed(x):
    """`x` of shape (2, 3) with NaN at two places, for the nan reductions."""
    return np.where(HOLES, np.nan, x)


# --- sums, means, spreads -------------------------------------------------------------


def sum_method(x):
    return x.sum(axis=0)


def mean_method_keepdims(x):
    return x.mean(-1, keepdims=True)


def var_correction(x):
    return np.var(x, axis=0, correction=1)


def var_given_mean(x):
    return np.var(x, mean=0.5)


def var_method_axes(x):
    return x.var(axis=(0, 2), ddof=1)


def std_method(x):
    return x.std()


def std_negative_axis(x):
    return np.std(x, axis=-2, ddof=1, keepdims=True)


def nansum_call(x):
    return np.nansum(holed(x))


def nansum_axis(x):
    return np.nansum(holed(x), axis=1, keepdims=True)


def nanmean_call(x):
    return np.nanmean(holed(x), axis=0)


def nanmean_all(x):
    return np.nanmean(holed(x))


def nanvar_call(x):
    return np.nanvar(holed(x), axis=1)


def nanvar_ddof(x):
    return np.nanvar(holed(x), ddof=1)


def nanstd_call(x):
    return np.nanstd(holed(x), axis=1, keepdims=True)


def nanstd_all(x):
    return np.nanstd(holed(x))


def average_call(x):
    return np.average(x, axis=1)


def average_weights(x, w):
    return np.average(x, weights=w)


def average_axis_vector(x, w):
    return np.average(x, axis=0, weights=w)


def average_last_axis(x, w):
    return np.average(x, -1, w, keepdims=True)


# --- products -------------------------------------------------------------------------


def prod_axis(x):
    return np.prod(x, axis=1)


def prod_axes_keepdims(x):
    return np.prod(x, axis=(0, 2), keepdims=True)


def prod_negative_axis(x):
    return np.prod(x, axis=-1)


def prod_initial(x):
    return np.prod(x, axis=0, initial=2.0)


def prod_method(x):
    return x.prod(0)


def nanprod_call(x):
    return np.nanprod(holed(x), axis=0)


def nanprod_all(x):
    return np.nanprod(holed(x))


# --- running sums and products -------------------------------------------------------


def cumsum_axis(x):
    return np.cumsum(x, axis=0)


def cumsum_method(x):
    return x.cumsum(-1)


def cumprod_axis(x):
    return np.cumprod(x, axis=1)


def cumprod_negative_axis(x):
    return np.cumprod(x, axis=-2)


def cumprod_method(x):
    return x.cumprod()


def nancumsum_call(x):
    return np.nancumsum(holed(x), axis=1)


def nancumprod_call(x):
    return np.nancumprod(holed(x))


def cumulative_sum_call(x):
    return np.cumulative_sum(x, axis=0, include_initial=True)


def cumulative_prod_call(x):
    return np.cumulative_prod(x, axis=1)


def cumulative_prod_initial(x):
    return np.cumulative_prod(x, include_initial=True)


# --- differences ----------------------------------------------------------------------


def diff_twice(x):
    return np.diff(x, n=2, axis=0)


def diff_prepend(x):
    return np.diff(x, prepend=0.5)


def diff_edges(x):
    return np.diff(x, 2, 0, prepend=0.5, append=(0.25, 0.75))


def ediff1d_edges(x):
    return np.ediff1d(x, to_end=(0.5, 1.0, 1.5), to_begin=0.5)


# --- sorting and order statistics ------------------------------------------------------


def sort_axis(x):
    return np.sort(x, axis=0)


def sort_flat(x):
    return np.sort(x, axis=None)


def median_axis(x):
    return np.median(x, axis=1)


def median_axes_keepdims(x):
    return np.median(x, axis=(0, 2), keepdims=True)


def ptp_axis(x):
    return np.ptp(x, axis=0)


def nanmax_call(x):
    return np.nanmax(holed(x), axis=1)


def nanmin_call(x):
    return np.nanmin(holed(x))


SPECS = [
    Spec(np.sum, call=sum_method, shapes=((2, 3),)),
    Spec(np.mean, call=mean_method_keepdims, shapes=((2, 3),)),
    Spec(np.var, call=var_correction, shapes=((3, 2),)),
    Spec(np.var, call=var_given_mean, shapes=((4,),)),
    Spec(np.var, call=var_method_axes, shapes=((2, 3, 2),)),
    Spec(np.std, call=std_method, shapes=((2, 3),)),
    Spec(np.std, call=std_negative_axis, shapes=((3, 2, 2),)),
    Spec(np.nansum, shapes=((3,),)),
    Spec(np.nansum, call=nansum_call, shapes=((2, 3),)),
    Spec(np.nansum, call=nansum_axis, shapes=((2, 3),)),
    Spec(np.nanmean, shapes=((2, 3),)),
    Spec(np.nanmean, call=nanmean_call, shapes=((2, 3),)),
    Spec(np.nanmean, call=nanmean_all, shapes=((2, 3),)),
    Spec(np.nanvar, shapes=((4,),)),
    Spec(np.nanvar, call=nanvar_call, shapes=((2, 3),)),
    Spec(np.nanvar, call=nanvar_ddof, shapes=((2, 3),)),
    Spec(np.nanstd, call=nanstd_call, shapes=((2, 3),)),
    Spec(np.nanstd, call=nanstd_all, shapes=((2, 3),)),
    Spec(np.average, shapes=((2, 3),)),
    Spec(np.average, call=average_call, shapes=((2, 3),)),
    Spec(np.average, arity=2, call=average_weights, shapes=((2, 3), (2, 3))),
    Spec(np.average, arity=2, call=average_axis_vector, shapes=((2, 3), (2,))),
    Spec(np.average, arity=2, call=average_last_axis, shapes=((3, 2, 4), (4,))),
    Spec(np.prod, shapes=((4,),)),
    Spec(np.prod, shapes=((2, 3),)),
    Spec(np.prod, call=prod_axis, shapes=((3, 4),)),
    Spec(np.prod, call=prod_axes_keepdims, shapes=((2, 3, 2),)),
    Spec(np.prod, call=prod_negative_axis, shapes=((2, 3),)),
    Spec(np.prod, call=prod_initial, shapes=((3, 2),)),
    Spec(np.prod, call=prod_method, shapes=((3, 2),)),
    Spec(np.nanprod, call=nanprod_call, shapes=((2, 3),)),
    Spec(np.nanprod, call=nanprod_all, shapes=((2, 3),)),
    Spec(np.cumsum, shapes=((2, 3),)),
    Spec(np.cumsum, call=cumsum_axis, shapes=((3, 2),)),
    Spec(np.cumsum, call=cumsum_method, shapes=((2, 3),)),
    Spec(np.cumprod, shapes=((5,),)),
    Spec(np.cumprod, call=cumprod_axis, shapes=((2, 5),)),
    Spec(np.cumprod, call=cumprod_negative_axis, shapes=((3, 2, 2),)),
    Spec(np.cumprod, call=cumprod_method, shapes=((2, 3),)),
    Spec(np.nancumsum, call=nancumsum_call, shapes=((2, 3),)),
    Spec(np.nancumprod, call=nancumprod_call, shapes=((2, 3),)),
    Spec(np.diff, shapes=((4,),)),
    Spec(np.diff, shapes=((2, 3),)),
    Spec(np.diff, call=diff_twice, shapes=((4, 3),)),
    Spec(np.diff, call=diff_prepend, shapes=((2, 3),)),
    Spec(np.diff, call=diff_edges, shapes=((3,),)),
    Spec(np.ediff1d, shapes=((2, 3),)),
    Spec(np.ediff1d, call=ediff1d_edges, shapes=((4,),)),
    Spec(np.sort, shapes=((5,),)),
    Spec(np.sort, shapes=((2, 3),)),
    Spec(np.sort, call=sort_axis, shapes=((3, 2),)),
    Spec(np.sort, call=sort_flat, shapes=((2, 3),)),
    Spec(np.median, shapes=((5,),)),
    Spec(np.median, shapes=((2, 3),)),
    Spec(np.median, call=median_axis, shapes=((3, 4),)),
    Spec(np.median, call=median_axes_keepdims, shapes=((3, 2, 3),)),
    Spec(np.ptp, shapes=((2, 3),)),
    Spec(np.ptp, call=ptp_axis, shapes=((3, 2),)),
    Spec(np.nanmax, call=nanmax_call, shapes=((2, 3),)),
    Spec(np.nanmin, call=nanmin_call, shapes=((2, 3),)),
]
if hasattr(np, "cumulative_sum"):  # (NumPy 2.1)
    SPECS += [
        Spec(np.cumulative_sum, call=cumulative_sum_call, shapes=((3, 2),)),
        Spec(np.cumulative_sum, shapes=((4,),)),
        Spec(np.cumulative_prod, call=cumulative_prod_call, shapes=((2, 4),)),
        Spec(np.cumulative_prod, call=cumulative_prod_initial, shapes=((4,),)),
    ]

test_reverse, test_forward, test_batched, test_second_order = family_tests(SPECS)


# --- conventions and edge cases, against analytic baselines ---------------------------

MODES = ("reverse", "forward")


def others_product(x):
    """For each element of a vector, the product of the others (by loops)."""
    return np.array([np.prod(np.delete(x, i)) for i in range(len(x))])


def product_hessian(x):
    """d2 prod(x) / dx_i dx_j: the product of the elements but i and j (0 for i = j)."""
    n = len(x)
    return np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(n)] for i in range(n)])


ZEROS = [np.array([0.7, 0.0, 1.3, 0.9]), np.array([0.0, 0.8, 0.0, 1.1]), np.zeros(4)]


def prod_all(x):
    return np.prod(x)


def prod_rows(x):
    return np.sum(np.prod(x, axis=1) * np.array([1.0, -2.0]))


def prod_axes(x):
    return np.sum(np.prod(x, axis=(0, 2)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", ZEROS, ids=["one zero", "two zeros", "all zeros"])
def test_prod_with_zeros_is_exact(x, mode: str) -> None:
    np.testing.assert_allclose(grad(prod_all, mode=mode)(x), others_product(x), atol=1e-15)
    rows = np.stack([x, x[::-1] + 0.5])
    np.testing.assert_allclose(grad(prod_rows, mode=mode)(rows),
                               np.stack([others_product(x), -2.0 * others_product(x[::-1] + 0.5)]), atol=1e-15)
    cube = np.reshape(x, (2, 1, 2))
    np.testing.assert_allclose(grad(prod_axes, mode=mode)(cube), np.reshape(others_product(x), (2, 1, 2)),
                               atol=1e-15)


@pytest.mark.parametrize("x", ZEROS, ids=["one zero", "two zeros", "all zeros"])
def test_prod_second_order_with_zeros_is_exact(x) -> None:
    expected = product_hessian(x)
    np.testing.assert_allclose(hessian(prod_all)(x), expected, atol=1e-15)
    np.testing.assert_allclose(jacrev(grad(prod_all))(x), expected, atol=1e-15)
    np.testing.assert_allclose(jacfwd(jacfwd(prod_all))(x), expected, atol=1e-15)


CUMPROD_WEIGHTS = np.array([0.5, -1.0, 2.0, 1.5])


def cumprod_weighed(x):
    return np.sum(np.cumprod(x) * CUMPROD_WEIGHTS)


def cumprod_gradient(x):
    """d/dx_j sum_i w_i prod(x[:i+1]) = sum over i >= j of w_i times the product of
    x[:i+1] but x_j (by loops)."""
    return np.array([sum(CUMPROD_WEIGHTS[i] * np.prod(np.delete(x[:i + 1], j)) for i in range(j, len(x)))
                     for j in range(len(x))])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x", ZEROS, ids=["one zero", "two zeros", "all zeros"])
def test_cumprod_with_zeros_is_exact(x, mode: str) -> None:
    np.testing.assert_allclose(grad(cumprod_weighed, mode=mode)(x), cumprod_gradient(x), atol=1e-15)
    expected = np.array([numeric_grad(lambda z: cumprod_gradient(z)[i], (x,), 0) for i in range(4)])
    np.testing.assert_allclose(hessian(cumprod_weighed)(x), expected, atol=1e-8)
    np.testing.assert_allclose(jacrev(grad(cumprod_weighed))(x), expected, atol=1e-8)


def cumprod_columns(x):
    return np.cumprod(x, axis=0)


def test_cumprod_jacobian_with_zeros_along_an_axis() -> None:
    x = np.array([[0.5, 0.0, 2.0], [0.0, 1.5, 0.5], [3.0, 0.0, 0.0]])
    expected = np.zeros((3, 3, 3, 3))
    for i in range(3):
        for c in range(3):
            for j in range(i + 1):
                expected[i, c, j, c] = np.prod(np.delete(x[:i + 1, c], j))
    np.testing.assert_allclose(jacfwd(cumprod_columns)(x), expected, atol=1e-15)
    np.testing.assert_allclose(jacrev(cumprod_columns)(x), expected, atol=1e-15)


def std_of(x):
    return np.std(x)


def var_of(x):
    return np.var(x)


def std_columns(x):
    return np.std(x, axis=0)


def var_columns_keepdims(x):
    return np.var(x, axis=0, keepdims=True)


def nanstd_of(x):
    return np.nanstd(x)


@pytest.mark.parametrize("f", [std_of, var_of, nanstd_of], ids=lambda f: f.__name__)
def test_spread_of_one_element_has_derivative_zero(f) -> None:
    """One element does not spread: the spread is 0 whatever it is (every derivative is 0,
    not NaN), in both modes and to second order."""
    x = np.array([0.7])
    for mode in MODES:
        assert grad(f, mode=mode)(x).tolist() == [0.0]
    assert hessian(f)(x).tolist() == [[0.0]]
    assert jacrev(grad(f))(x).tolist() == [[0.0]]
    assert jvp(f, (x,), (np.array([1.0]),))[1] == 0.0


@pytest.mark.parametrize("f", [std_columns, var_columns_keepdims], ids=lambda f: f.__name__)
def test_spread_over_an_axis_of_length_one_has_derivative_zero(f) -> None:
    x = np.array([[0.7, -0.2, 1.5]])
    for jacobian in (jacfwd, jacrev):
        np.testing.assert_array_equal(jacobian(f)(x), np.zeros(np.shape(f(x)) + (1, 3)))
        np.testing.assert_array_equal(jacobian(jacrev(f))(x), np.zeros(np.shape(f(x)) + (1, 3, 1, 3)))


@pytest.mark.parametrize("mode", MODES)
def test_std_of_equal_elements_has_derivative_zero(mode: str) -> None:
    """A kink (the std is |x - y| / 2 for two elements): the subgradient 0, not 0 / 0."""
    assert grad(std_of, mode=mode)(np.array([0.5, 0.5, 0.5])).tolist() == [0.0, 0.0, 0.0]


def var_one_dof(x):
    return np.var(x, ddof=1)


@pytest.mark.parametrize("mode", MODES)
def test_variance_without_degrees_of_freedom_is_nan(mode: str) -> None:
    """ddof = n: NumPy's variance is NaN (0 / 0), and so is its derivative (no
    ZeroDivisionError while compiling or running)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(grad(var_one_dof, mode=mode)(np.array([0.7]))).all()


SORT_WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])


def sort_weighed(x):
    return np.sum(np.sort(x) * SORT_WEIGHTS)


@pytest.mark.parametrize("mode", MODES)
def test_sort_sends_g_back_through_the_stable_order(mode: str) -> None:
    """Tied elements keep their order (as JAX's stable sort): of the two 0.5, the first
    gets the third place's weight."""
    x = np.array([0.5, 0.2, 0.5, 0.1])
    np.testing.assert_array_equal(grad(sort_weighed, mode=mode)(x), [3.0, 2.0, 4.0, 1.0])


def median_of(x):
    return np.median(x)


@pytest.mark.parametrize("mode", MODES)
def test_median_weighs_the_middle_elements(mode: str) -> None:
    np.testing.assert_array_equal(grad(median_of, mode=mode)(np.array([0.9, 0.1, 0.5])), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad(median_of, mode=mode)(np.array([0.9, 0.1, 0.5, 0.2])), [0.0, 0.0, 0.5, 0.5])
    # ties: the middle places of the stable order
    np.testing.assert_array_equal(grad(median_of, mode=mode)(np.array([0.5, 0.5, 0.5])), [0.0, 1.0, 0.0])
    with np.errstate(invalid="ignore"):
        assert np.isnan(grad(median_of, mode=mode)(np.array([0.5, np.nan, 0.2]))).all()


def nanmax_rows(x):
    return np.sum(np.nanmax(x, axis=1) * np.array([1.0, 2.0]))


def nanmin_of(x):
    return np.nanmin(x)


def ptp_of(x):
    return np.ptp(x)


@pytest.mark.filterwarnings("ignore:All-NaN slice")
@pytest.mark.parametrize("mode", MODES)
def test_nan_extremes_share_g_among_ties_and_skip_nans(mode: str) -> None:
    x = np.array([[0.3, np.nan, 0.3], [np.nan, 0.9, 0.1]])
    np.testing.assert_array_equal(grad(nanmax_rows, mode=mode)(x), [[0.5, 0.0, 0.5], [0.0, 2.0, 0.0]])
    np.testing.assert_array_equal(grad(nanmin_of, mode=mode)(x), [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    with np.errstate(invalid="ignore"):
        assert np.isnan(grad(nanmin_of, mode=mode)(np.array([np.nan, np.nan]))).all()


@pytest.mark.parametrize("mode", MODES)
def test_ptp_shares_g_among_ties(mode: str) -> None:
    np.testing.assert_array_equal(grad(ptp_of, mode=mode)(np.array([0.9, 0.1, 0.9, 0.1])), [0.5, -0.5, 0.5, -0.5])
    np.testing.assert_array_equal(grad(ptp_of, mode=mode)(np.array([0.4, 0.4])), [0.0, 0.0])


def every_method(x):
    return (x.sum() + x.mean() * x.prod() + x.std() - x.var() + np.sum(x.cumsum() * x.cumprod(0))
            + x.max() * x.min())


@pytest.mark.parametrize("mode", MODES)
def test_methods(mode: str) -> None:
    x = np.array([0.3, 0.8, 0.5, 0.6])
    np.testing.assert_allclose(grad(every_method, mode=mode)(x), numeric_grad(every_method, (x,), 0), rtol=1e-7)


def sum_masked(x):
    return np.sum(x, where=False)


def var_masked(x):
    return np.var(x, where=True)


def prod_masked(x):
    return np.prod(x, where=False)


def average_returned(x, w):
    return np.average(x, weights=w, returned=True)[0]


def diff_positional_prepend(x):
    return np.sum(np.diff(x, 1, -1, 0.5) ** 2)


@pytest.mark.parametrize("f, message", [
    (sum_masked, "np.sum with where= has no derivative rule"),
    (prod_masked, "np.prod with where= has no derivative rule"),
    (average_returned, "np.average with returned= (a tuple result) has no derivative rule"),
    (diff_positional_prepend, "the derivative rule of np.diff takes 3 operands"),
], ids=lambda v: getattr(v, "__name__", None))
def test_refused(f, message: str) -> None:
    x = np.array([0.3, 0.8, 0.5])
    with pytest.raises(NoDerivativeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        grad(f)(*(x,) * (2 if f is average_returned else 1))


def test_var_with_where_true_is_plain() -> None:
    x = np.array([0.3, 0.8, 0.5])
    np.testing.assert_allclose(grad(var_masked)(x), numeric_grad(var_masked, (x,), 0), rtol=1e-7)


def row_sums(x):
    return np.sum(x, axis=1)


def test_a_reductions_tangent_leaves_keepdims_at_its_default():
    x = np.random.default_rng(2).standard_normal((4, 3))
    ahead = jacfwd(row_sums)
    expected = np.stack([numeric_grad(lambda x, i=i: row_sums(x)[i], (x,), 0) for i in range(4)])
    np.testing.assert_allclose(ahead(x), expected, rtol=1e-6, atol=1e-8)
    assert "keepdims" not in ahead.source
