"""Lists whose length is known only at run time: grown in a loop over a run-time range or
an array, a `while` loop, comprehensions over arrays and such lists, read by index,
iterated, stacked, summed. Each program is differentiated in reverse and forward mode,
generic and specialized, and to second order, against central differences; the emitted
code keeps the list (`hs.append`) and its reverse pops the items' adjoints off it."""

from __future__ import annotations

import numpy as np
import pytest

from ad_compiler import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp, vmap
from ad_compiler.errors import CompileError
from ad_compiler.testing import check_grads
from tests.numeric import assert_grad_close, numeric_hessian

X = np.array([0.3, -0.7, 1.1])
XS = np.array([[0.2, -0.4, 0.6], [0.5, 0.1, -0.3], [-0.2, 0.7, 0.4], [0.3, 0.3, -0.6]])


def rnn_states(x, xs):
    h = np.tanh(x)
    hs = []
    for t in range(xs.shape[0]):
        h = np.tanh(x * h + xs[t])
        hs.append(h)
    return np.sum(np.stack(hs) ** 2) + np.sum(hs[-1] * hs[0])


def second_loop_over_the_list(x, xs):
    hs = [x * 1.0]
    for row in xs:
        hs.append(np.sin(hs[-1]) * row + x)
    total = 0.0
    for h in hs:
        total = total + np.sum(h * h)
    for i in range(len(hs)):
        total = total + np.sum(hs[i]) * i
    return total


def comprehension_over_an_array(x, xs):
    ys = [np.sum(row * x) for row in xs]
    zs = [y * y for y in ys if y > -10.0]
    return sum(zs) + np.sum(np.array(ys) * 2.0) + sum(np.cos(v) for v in x)


def while_grows_a_list(x, xs):
    out = [x[0]]
    k = 0
    while k < xs.shape[0]:
        out.append(out[-1] * 0.5 + np.sum(xs[k] * x))
        k = k + 1
    return np.sum(np.array(out) ** 2)


def joined_lists(x, xs):
    pieces = []
    for row in xs:
        pieces.append(row * x)
    flat = np.concatenate(pieces)
    rows = np.vstack(pieces)
    cols = np.hstack([p[:, None] for p in pieces])
    return np.sum(flat ** 2) + np.sum(rows * 3.0) + np.sum(np.sin(cols)) + np.sum(np.stack(pieces, axis=1)[0])


def joined_as_columns_and_depths(x, xs):
    """The joins that make their items alike first (np.column_stack, np.dstack) of a
    list grown in a loop."""
    pieces = []
    for row in xs:
        pieces.append(np.sin(row * x))
    cols = np.column_stack(pieces)
    depths = np.dstack(pieces)
    return np.sum(cols ** 2) + np.sum(depths[0, :, -1] * x) + np.sum(np.cos(cols[0]))


def reversed_and_zipped(x, xs):
    hs = []
    for t in range(len(xs)):
        hs.append(np.tanh(xs[t] * x))
    acc = 0.0
    for h in reversed(hs):
        acc = acc * 0.5 + np.sum(h)
    for h, row in zip(hs, xs):
        acc = acc + np.sum(h * row)
    for k, h in enumerate(hs):
        acc = acc + k * np.sum(h)
    return acc + len(hs) * x[0]


def cell(h, row, x):
    return np.tanh(h * x + row)


def states_through_a_helper(x, xs):
    h = x
    states = [h]
    for row in xs:
        h = cell(h, row, x)
        states.append(h)
    return np.sum(sum(states) ** 2)


def rnn_with_an_inner_cell(x, xs):
    """The RNN of published examples: a `cell` helper defined inside the loss, hidden
    states appended to a list and stacked."""
    def cell(h, row):
        return np.tanh(x * h + row * 0.5)

    h = np.zeros(3)
    hs = []
    for row in xs:
        h = cell(h, row)
        hs.append(h)
    states = np.stack(hs)
    return np.sum(states[-1] ** 2) + np.mean(states)


def items_assigned_at_the_loop_index(x, xs):
    """Items of a run-time list replaced at a loop's index (layers of a recurrent net)."""
    hs = [x * row for row in xs]
    for _ in range(2):
        for i in range(len(hs)):
            hs[i] = np.tanh(hs[i] * x + hs[i - 1] * 0.5)
    return np.sum(np.stack(hs) ** 2)


def items_at_indices_from_data(x, xs):
    """A list known here, read and assigned at indices computed from the data (a tree's
    parents), in a loop and in one branch of an if, and a run-time list read at such
    indices."""
    known = [x * 1.0, np.sin(x), x * x]
    grown = [x]
    for row in xs:
        j = int(np.argmin(row))
        if row[1] > 0.0:
            known[j] = known[j] * 0.5 + np.cos(row * x)
        else:
            known[0] = known[0] * row
        grown.append(np.sin(grown[len(grown) - 1 - j // 2]) * known[j - 1])
    return np.sum(known[0] * known[1]) + np.sum(known[2]) + np.sum(grown[len(grown) // 2] * x)


PROGRAMS = [items_assigned_at_the_loop_index, items_at_indices_from_data, rnn_with_an_inner_cell, rnn_states, second_loop_over_the_list, comprehension_over_an_array, while_grows_a_list,
            joined_lists, joined_as_columns_and_depths, reversed_and_zipped, states_through_a_helper]


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_against_central_differences(f):
    for mode in ("reverse", "forward"):
        g = grad(f, mode=mode)
        assert_grad_close(f, (X, XS), 0, g(X, XS))
        assert_grad_close(f, (X, XS), 0, g.generic(X, XS))
        assert_grad_close(f, (X, XS), 1, grad(f, argnums=1, mode=mode)(X, XS))
    np.testing.assert_allclose(hessian(f)(X, XS), numeric_hessian(lambda v: f(v, XS), X), rtol=1e-5, atol=1e-5)
    check_grads(f, (X, XS), order=2)


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_the_list_length_follows_the_input(f):
    """One compiled derivative serves inputs of any length (generic) and is specialized
    per shape: a longer sequence, and one of a single row."""
    g = grad(f, argnums=(0, 1))
    for xs in (np.vstack([XS, XS * 0.5]), XS[:1]):
        bx, bxs = g(X, xs)
        assert_grad_close(f, (X, xs), 0, bx)
        assert_grad_close(f, (X, xs), 1, bxs)


def test_the_emitted_reverse_pops_the_list():
    g = grad(rnn_states)
    g(X, XS)
    assert "hs.append(" in g.source
    assert ".pop()" in g.source
    assert "zeros_like([" not in g.source and "zeros_like(hs" not in g.source


def test_transforms_of_functions_with_run_time_lists():
    def vector_out(x, xs):
        ys = [np.sin(row * x) for row in xs]
        return np.stack(ys)

    eps = 1e-6
    columns = [(vector_out(X + eps * e, XS) - vector_out(X - eps * e, XS)) / (2 * eps) for e in np.eye(3)]
    expected = np.stack(columns, axis=-1)
    np.testing.assert_allclose(jacfwd(vector_out)(X, XS), expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(jacrev(vector_out)(X, XS), expected, rtol=1e-6, atol=1e-8)
    v = np.array([0.1, 0.2, -0.3])
    _, tangent = jvp(vector_out, (X, XS), (v, np.zeros_like(XS)))
    np.testing.assert_allclose(tangent, expected @ v, rtol=1e-6, atol=1e-8)
    out, pullback = vjp(vector_out, X, XS)
    u = np.ones_like(out)
    np.testing.assert_allclose(pullback(u)[0], np.einsum("ij,ijk->k", u, expected), rtol=1e-6, atol=1e-8)
    value, bx = value_and_grad(rnn_states)(X, XS)
    assert value == pytest.approx(rnn_states(X, XS))
    assert_grad_close(rnn_states, (X, XS), 0, bx)


def test_a_shared_run_time_list_is_refused():
    def f(x, xs):
        hs = []
        for row in xs:
            kept = hs
            hs.append(row * x)
        return np.sum(np.stack(hs)) + len(kept)

    with pytest.raises(CompileError, match="make a copy first"):
        grad(f)(X, XS)


def grow(values, v):
    return values + [v]


def test_a_list_grown_by_a_callee_in_a_run_time_loop_is_refused_with_advice():
    def f(x, xs):
        hs = []
        for row in xs:
            hs = grow(hs, row * x)
        return np.sum(np.stack(hs))

    with pytest.raises(CompileError, match="written in the loop itself"):
        grad(f)(X, XS)


def gradient_along(f):
    """x -> <grad f(x), w>: its gradient is reverse over reverse."""
    w = np.linspace(-1.0, 1.0, np.size(X)).reshape(np.shape(X))

    def along(x):
        return np.sum(grad(f)(x, XS) * w)

    return along


@pytest.mark.parametrize("f", PROGRAMS, ids=lambda f: f.__name__)
def test_reverse_over_reverse(f):
    """The first sweep pops, pushes and writes items of lists' adjoints; the second
    reverses those ops."""
    along = gradient_along(f)
    assert_grad_close(along, (X,), 0, grad(along)(X))


def layers_as_deep_as_the_state(params, state, xs):
    """The LSTM's layers: one list item per row of `state`, assigned in a loop over the
    layers inside a loop over the sequence."""
    n_layers = state.shape[0]
    hs = [state[i] for i in range(n_layers)]
    total = 0.0
    for row in xs:
        for i in range(n_layers):
            hs[i] = np.tanh(hs[i] * params[i] + row)
            row = hs[i]
        total = total + np.sum(row ** 2)
    return total


def test_a_list_whose_length_follows_a_shape_is_known_item_by_item():
    """Its length is known once the arguments' shapes are: each version is lowered for
    them, the list's items are values and the loop over the layers is unrolled; the
    generic version keeps a run-time list."""
    g = grad(layers_as_deep_as_the_state)
    for n in (2, 3):
        params, state = np.linspace(0.5, 1.5, 3 * n).reshape(n, 3), np.linspace(-0.4, 0.6, 3 * n).reshape(n, 3)
        args = (params, state, XS)
        assert_grad_close(layers_as_deep_as_the_state, args, 0, g(*args))
        code = [line for line in g.source.splitlines() if not line.strip().startswith("#")]
        assert not any("_list" in line or "hs[" in line for line in code), g.source
        assert_grad_close(layers_as_deep_as_the_state, args, 0, g.generic(*args))
        assert_grad_close(layers_as_deep_as_the_state, args, 0, grad(layers_as_deep_as_the_state, mode="forward")(*args))


def shaped_list_and_a_filtered_one(x):
    n = x.shape[0]
    hs = [x[i] for i in range(n)]
    for i in range(n):
        hs[i] = np.sin(hs[i]) * 2.0
    ys = [x[0]]
    for i in range(n):
        if x[i] > 0:
            ys.append(x[i] * hs[i])
    return np.sum(np.stack(ys) ** 2)


def test_where_the_lowering_for_the_shapes_fails_the_run_time_list_stays():
    """Lowered for the shapes, the second loop is unrolled and its list is not of one
    length after the if: refused there, the version keeps the run-time lists."""
    assert_grad_close(shaped_list_and_a_filtered_one, (X,), 0, grad(shaped_list_and_a_filtered_one)(X))


def test_vmap_of_items_at_run_time_indices():
    """Mapped over x (the indices come from the data `xs`, not mapped): the lists hold
    batched items, read and replaced at the same index for every example."""
    xs = np.stack([X, X * 0.5 - 0.2])
    for f in (items_assigned_at_the_loop_index, items_at_indices_from_data):
        np.testing.assert_allclose(vmap(f, in_axes=(0, None))(xs, XS), [f(x, XS) for x in xs], rtol=1e-12)


def bones(x, parents):
    """Hand tracking's skeleton: each item is made from the item at its parent's index,
    an int of a tuple argument, known only at run time."""
    absolutes = []
    for i, parent in enumerate(parents):
        local = np.sin(x * (i + 1.0))
        if parent == -1:
            absolutes.append(local)
        else:
            absolutes.append(absolutes[parent] * local + 0.5)
    return np.stack(absolutes)


def test_items_read_at_a_parent_index_of_a_tuple_argument():
    """The first item's parent branch reads an empty list: there Python raises IndexError
    whatever the index, and so does the compiled code, and the batched Jacobian stays
    batched (the raising branch hands out nothing)."""
    parents = (-1, 0, 0, 1, 3)
    eps = 1e-6
    expected = np.stack([(bones(X + eps * e, parents) - bones(X - eps * e, parents)) / (2 * eps)
                         for e in np.eye(3)], axis=-1)
    forward = jacfwd(bones)
    for transform in (forward, jacrev(bones)):
        np.testing.assert_allclose(transform(X, parents), expected, rtol=1e-6, atol=1e-8)
    assert "for j in range" not in forward.source
    loss = grad(lambda x, parents: np.sum(bones(x, parents) ** 2))
    assert_grad_close(lambda x, parents: np.sum(bones(x, parents) ** 2), (X, parents), 0, loss(X, parents))
    with pytest.raises(IndexError, match="list index out of range"):
        forward(X, (0, 0))
