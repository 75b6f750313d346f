"""Pytrees of parameters, with JAX's semantics: an argument that is a list of (W, b)
pairs, a dict, a NamedTuple or a dataclass is differentiated leaf by leaf, and the
gradient has its structure. Each case is checked in reverse and forward mode, generic and
specialized, and to second order, against central differences of the leaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from ad_compiler.errors import ArgumentError
from ad_compiler.ir.trees import flatten, unflatten

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=6)
LIST_PARAMS = [(RNG.normal(size=(3, 4)), RNG.normal(size=4)), (RNG.normal(size=(4, 2)), RNG.normal(size=2)),
               (RNG.normal(size=(2, 1)), RNG.normal(size=1))]


def mlp_list(params, X, y):
    h = X
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W, b = params[-1]
    out = (h @ W + b)[:, 0]
    return np.mean((out - y) ** 2)


DICT_PARAMS = {"W1": LIST_PARAMS[0][0], "b1": LIST_PARAMS[0][1], "w2": RNG.normal(size=4), "scale": 0.7}


def mlp_dict(p, X, y):
    h = np.tanh(X @ p["W1"] + p["b1"])
    return np.mean((p["scale"] * (h @ p["w2"]) - y) ** 2)


class Layer(NamedTuple):
    W: np.ndarray
    b: np.ndarray


@dataclass
class Model:
    first: Layer
    w: np.ndarray
    shift: float


MODEL = Model(Layer(LIST_PARAMS[0][0], LIST_PARAMS[0][1]), RNG.normal(size=4), 0.1)


def mlp_dataclass(model, X, y):
    h = np.tanh(X @ model.first.W + model.first.b)
    return np.mean((h @ model.w + model.shift - y) ** 2)


def mlp_namedtuple(layer, X, y):
    W, b = layer
    return np.mean((np.tanh(X @ W + b) @ np.ones(4) - y) ** 2)


def nested(p, X, y):
    total = 0.0
    for block in p["blocks"]:
        total = total + np.sum(np.sin(X @ block["w"]) * block["s"])
    return total + np.sum(p["bias"][0] * y) + p["bias"][1]


NESTED = {"blocks": [{"w": RNG.normal(size=3), "s": 0.5}, {"w": RNG.normal(size=3), "s": 1.5}],
          "bias": (RNG.normal(size=6), 0.25)}

CASES = {
    "list of (W, b) pairs": (mlp_list, LIST_PARAMS),
    "dict": (mlp_dict, DICT_PARAMS),
    "dataclass holding a NamedTuple": (mlp_dataclass, MODEL),
    "NamedTuple": (mlp_namedtuple, Layer(LIST_PARAMS[0][0], LIST_PARAMS[0][1])),
    "dict of lists of dicts": (nested, NESTED),
}


def numeric_tree_grad(f, params, *rest, h=1e-6):
    leaves, tree = flatten(params)
    out = []
    for k, leaf in enumerate(leaves):
        base = np.asarray(leaf, dtype=float)
        g = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            plus, minus = base.copy(), base.copy()
            plus[index] += h
            minus[index] -= h

            def at(value):
                moved = list(leaves)
                moved[k] = value if base.shape else float(value)
                return f(unflatten(tree, moved), *rest)

            g[index] = (at(plus) - at(minus)) / (2 * h)
        out.append(g if base.shape else float(g))
    return unflatten(tree, out)


def assert_tree_close(got, expected, rtol=1e-5, atol=1e-7):
    got_leaves, got_tree = flatten(got)
    want_leaves, want_tree = flatten(expected)
    assert got_tree == want_tree, (got_tree, want_tree)
    for g, w in zip(got_leaves, want_leaves):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", CASES)
def test_gradient_has_the_structure_of_the_parameters(name):
    f, params = CASES[name]
    expected = numeric_tree_grad(f, params, X, Y)
    for mode in ("reverse", "forward"):
        g = grad(f, mode=mode)
        assert_tree_close(g(params, X, Y), expected)
        assert_tree_close(g.generic(params, X, Y), expected)
    value, got = value_and_grad(f)(params, X, Y)
    assert np.isclose(value, f(params, X, Y))
    assert_tree_close(got, expected)


@pytest.mark.parametrize("name", CASES)
def test_second_order(name):
    """The Hessian along a direction: forward over reverse against differences of the
    central-difference gradient."""
    f, params = CASES[name]
    leaves, tree = flatten(params)
    direction = unflatten(tree, [RNG.normal(size=np.shape(leaf)) if np.ndim(leaf) else float(RNG.normal())
                                 for leaf in leaves])
    _, hv = jvp(grad(f), (params, X, Y), (direction, None, None))
    eps = 1e-4

    def moved(t):
        return unflatten(tree, [a + t * d for a, d in zip(leaves, flatten(direction)[0])])

    expected_leaves = [(p - m) / (2 * eps) for p, m in zip(flatten(numeric_tree_grad(f, moved(eps), X, Y, h=1e-5))[0],
                                                          flatten(numeric_tree_grad(f, moved(-eps), X, Y, h=1e-5))[0])]
    assert_tree_close(hv, unflatten(tree, expected_leaves), rtol=1e-3, atol=1e-5)


def test_hessian_of_a_dict_is_a_dict_of_dicts():
    def f(p):
        return np.sum(p["a"] ** 2 * p["b"]) + p["b"] ** 3

    p = {"a": np.array([1.0, 2.0]), "b": 3.0}
    H = hessian(f)(p)
    assert set(H) == {"a", "b"} and set(H["a"]) == {"a", "b"}
    np.testing.assert_allclose(H["a"]["a"], np.diag([6.0, 6.0]))
    np.testing.assert_allclose(H["a"]["b"], [2.0, 4.0])
    np.testing.assert_allclose(H["b"]["b"], 18.0)


@pytest.mark.parametrize("jacobian", [jacfwd, jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_of_a_pytree_output_has_its_structure_outside(jacobian):
    def f(p):
        return {"twice": p["a"] * 2.0, "total": np.sum(p["a"] * p["c"])}

    J = jacobian(f)({"a": np.array([1.0, 2.0]), "c": 0.5})
    np.testing.assert_allclose(J["twice"]["a"], 2.0 * np.eye(2))
    np.testing.assert_allclose(J["twice"]["c"], np.zeros(2))
    np.testing.assert_allclose(J["total"]["a"], [0.5, 0.5])
    np.testing.assert_allclose(J["total"]["c"], 3.0)


def test_jacrev_of_a_tuple_output_against_central_differences():
    def f(x, y):
        return np.sin(x) * y[0], np.sum(x * y), np.outer(x, y)

    x, y = np.array([0.3, -0.7, 1.1]), np.array([0.5, 2.0, -1.0])
    eps = 1e-6
    for argnum, arg in enumerate((x, y)):
        J = jacrev(f, argnums=argnum)(x, y)
        for k in range(3):
            columns = []
            for e in np.eye(3):
                plus = f(*[a + eps * e if i == argnum else a for i, a in enumerate((x, y))])[k]
                minus = f(*[a - eps * e if i == argnum else a for i, a in enumerate((x, y))])[k]
                columns.append((np.asarray(plus) - np.asarray(minus)) / (2 * eps))
            np.testing.assert_allclose(J[k], np.stack(columns, axis=-1), rtol=1e-6, atol=1e-8)
    source = jacrev(f)
    source(x, y)
    assert "np.zeros((13,))" in source.source, "not one reverse sweep per output entry"


def test_jvp_and_vjp_take_and_give_pytrees():
    tangent = {k: np.ones_like(v) if np.ndim(v) else 1.0 for k, v in DICT_PARAMS.items()}
    value, t = jvp(mlp_dict, (DICT_PARAMS, X, Y), (tangent, None, None))
    expected = numeric_tree_grad(mlp_dict, DICT_PARAMS, X, Y)
    assert np.isclose(value, mlp_dict(DICT_PARAMS, X, Y))
    assert np.isclose(t, sum(np.sum(v) for v in expected.values()), rtol=1e-5)
    out, pullback = vjp(mlp_dict, DICT_PARAMS, X, Y)
    cot_params, cot_x, cot_y = pullback(2.0)
    assert_tree_close(cot_params, {k: 2.0 * v for k, v in expected.items()})
    assert np.shape(cot_x) == X.shape


def test_argnums_tuple_over_pytrees():
    g = grad(nested, argnums=(0, 2))(NESTED, X, Y)
    assert isinstance(g, tuple) and len(g) == 2
    assert_tree_close(g[0], numeric_tree_grad(nested, NESTED, X, Y))
    np.testing.assert_allclose(g[1], NESTED["bias"][0], rtol=1e-12)


def test_emitted_code_names_the_leaves_and_unrolls_the_layers():
    g = grad(mlp_list)
    g(LIST_PARAMS, X, Y)
    header = g.source.split("def grad_mlp_list(", 1)[1].split(")")[0]
    assert header == "W, b, W_1, b_1, W_2, b_2, X, y"
    assert "np.zeros_like([" not in g.source and "for " not in g.source


def test_an_int_inside_a_differentiated_pytree_is_refused():
    with pytest.raises(ArgumentError, match=r"p\['n'\]"):
        grad(lambda p: p["x"] * p["n"])({"x": 1.0, "n": 3})


def test_none_in_a_pytree_has_a_none_gradient():
    got = grad(lambda p: np.sum(p[0] ** 2))((np.array([1.0, 2.0]), None))
    assert got[1] is None
    np.testing.assert_allclose(got[0], [2.0, 4.0])


def test_a_changed_structure_compiles_again():
    g = grad(mlp_list)
    two = LIST_PARAMS[1:]
    assert_tree_close(g(two, np.tanh(X @ LIST_PARAMS[0][0] + LIST_PARAMS[0][1]), Y),
                      numeric_tree_grad(mlp_list, two, np.tanh(X @ LIST_PARAMS[0][0] + LIST_PARAMS[0][1]), Y))
    assert_tree_close(g(LIST_PARAMS, X, Y), numeric_tree_grad(mlp_list, LIST_PARAMS, X, Y))




def loss_with_predictions(w, X, y):
    pred = X @ w
    return np.mean((pred - y) ** 2), pred


def loss_with_a_dict(p, X, y):
    pred = np.tanh(X @ p["W1"] + p["b1"]) @ p["w2"]
    return np.mean((pred - y) ** 2), {"pred": pred, "norm": np.sum(p["w2"] ** 2)}


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_has_aux_returns_aux_beside_the_gradient(mode):
    w = RNG.normal(size=3)
    g, aux = grad(loss_with_predictions, has_aux=True, mode=mode)(w, X, Y)
    np.testing.assert_allclose(aux, X @ w)
    np.testing.assert_allclose(g, numeric_tree_grad(lambda v, *r: loss_with_predictions(v, *r)[0], w, X, Y),
                               rtol=1e-6, atol=1e-8)
    (value, aux), g2 = value_and_grad(loss_with_predictions, has_aux=True, mode=mode)(w, X, Y)
    assert np.isclose(value, loss_with_predictions(w, X, Y)[0])
    np.testing.assert_allclose(g2, g)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_has_aux_with_pytrees_on_both_sides(mode):
    params = {k: DICT_PARAMS[k] for k in ("W1", "b1", "w2")}
    g, aux = grad(loss_with_a_dict, has_aux=True, mode=mode)(params, X, Y)
    assert set(aux) == {"pred", "norm"} and np.isclose(aux["norm"], np.sum(params["w2"] ** 2))
    assert_tree_close(g, numeric_tree_grad(lambda p, *r: loss_with_a_dict(p, *r)[0], params, X, Y))


def test_has_aux_needs_a_pair():
    from ad_compiler.errors import CompileError

    with pytest.raises(CompileError, match="must return a pair"):
        grad(mlp_dict, has_aux=True)(DICT_PARAMS, X, Y)


@pytest.mark.parametrize("name", CASES)
def test_the_second_call_takes_the_generated_fast_path(name):
    """After the first call, a call with pytrees of the same structures and leaves is
    checked and taken apart by generated code: the same results; another structure or
    another shape goes the general way."""
    f, params = CASES[name]
    g = grad(f)
    first = g(params, X, Y)
    assert_tree_close(g(params, X, Y), first, rtol=1e-12, atol=0)
    assert g._dispatch._trees, "no fast path was remembered"
    if f is not nested:  # (its bias has the data's length)
        assert_tree_close(g(params, X[:4], Y[:4]), numeric_tree_grad(f, params, X[:4], Y[:4]))


def test_a_dict_in_another_key_order_is_read_by_key():
    g = grad(mlp_dict)
    expected = g(DICT_PARAMS, X, Y)
    reordered = dict(reversed(list(DICT_PARAMS.items())))
    got = g(reordered, X, Y)
    for key in DICT_PARAMS:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-12)


def test_a_version_for_any_arguments_refuses_a_dict_it_differentiates():
    """`.source` before a call (and `adc grad` without shapes) compiles for arguments of
    any kind: a differentiated argument read by key is a dict whose structure is not
    known then; refused in one sentence rather than compiled into code that fails."""
    from ad_compiler.errors import CompileError

    with pytest.raises(CompileError, match="read by key, as a dict"):
        grad(mlp_dict).source


def test_the_command_line_refuses_a_dict_parameter_in_one_line(tmp_path):
    from tests.test_cli import adc

    (tmp_path / "model.py").write_text("import numpy as np\n\n\ndef loss(p, x):\n    return np.sum(p['w'] * x)\n")
    done = adc("grad", "model.py:loss", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "read by key, as a dict" in done.stderr
