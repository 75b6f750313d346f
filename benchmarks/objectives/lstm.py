"""ADBench's LSTM objective: the average log-loss of a multi-layer LSTM predicting each
next element of a sequence from the previous ones.

``main_params`` has two rows per layer, the weights and the biases of the four gates
(4 b each: forget, input, output, change); ADBench's LSTM has diagonal weights, so each
gate multiplies its input elementwise. ``extra_params`` holds the input weights, output
weights and output biases (b each); ``state`` the hidden state and cell of each layer
(two rows per layer); ``sequence`` c rows of b bits. Step t feeds sequence[t] through the
layers and scores the prediction against sequence[t + 1] with a log-softmax whose sum
carries an extra 2 (``log(sum(exp(y)) + 2)``, as ADBench defines it).

ADBench's instances: l in {2, 4} layers, c in {1024, 4096} characters of b = 14 bits.
Differentiated with respect to main_params and extra_params.
"""

from __future__ import annotations

import numpy as np

ARGNUMS = (0, 1)
DERIVATIVE = "grad"
SIZES = {"small": dict(l=2, c=64), "medium": dict(l=2, c=1024)}   # layers, characters
BITS = 14


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_cell(weight, bias, hidden, cell, x):
    b = hidden.shape[0]
    forget = sigmoid(x * weight[0:b] + bias[0:b])
    ingate = sigmoid(hidden * weight[b:2 * b] + bias[b:2 * b])
    outgate = sigmoid(x * weight[2 * b:3 * b] + bias[2 * b:3 * b])
    change = np.tanh(hidden * weight[3 * b:] + bias[3 * b:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def objective(main_params, extra_params, state, sequence):
    n_layers = state.shape[0] // 2
    hiddens = [state[2 * i] for i in range(n_layers)]
    cells = [state[2 * i + 1] for i in range(n_layers)]
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        x = sequence[t] * extra_params[0]
        for i in range(n_layers):
            hiddens[i], cells[i] = lstm_cell(main_params[2 * i], main_params[2 * i + 1],
                                             hiddens[i], cells[i], x)
            x = hiddens[i]
        prediction = x * extra_params[1] + extra_params[2]
        normalized = prediction - np.log(np.sum(np.exp(prediction)) + 2.0)
        total = total + np.sum(sequence[t + 1] * normalized)
    return -total / ((sequence.shape[0] - 1) * sequence.shape[1])


def hand(main_params, extra_params, state, sequence):
    """Backpropagation through time: the forward loop keeps every cell's gates, then the
    steps and layers are walked back."""
    n_layers = state.shape[0] // 2
    b = state.shape[1]
    steps = sequence.shape[0] - 1
    hidden = [state[2 * i] for i in range(n_layers)]
    cell = [state[2 * i + 1] for i in range(n_layers)]
    tape = []
    for t in range(steps):
        x = sequence[t] * extra_params[0]
        layers = []
        for i in range(n_layers):
            w, bias = main_params[2 * i], main_params[2 * i + 1]
            f = sigmoid(x * w[0:b] + bias[0:b])
            g = sigmoid(hidden[i] * w[b:2 * b] + bias[b:2 * b])
            o = sigmoid(x * w[2 * b:3 * b] + bias[2 * b:3 * b])
            ch = np.tanh(hidden[i] * w[3 * b:] + bias[3 * b:])
            new_cell = cell[i] * f + g * ch
            tanh_cell = np.tanh(new_cell)
            layers.append((x, hidden[i], cell[i], f, g, o, ch, tanh_cell))
            cell[i] = new_cell
            hidden[i] = o * tanh_cell
            x = hidden[i]
        prediction = x * extra_params[1] + extra_params[2]
        tape.append((layers, x, prediction))
    scale = -1.0 / (steps * b)
    d_main = np.zeros_like(main_params)
    d_extra = np.zeros_like(extra_params)
    d_hidden = [np.zeros(b) for _ in range(n_layers)]
    d_cell = [np.zeros(b) for _ in range(n_layers)]
    for t in range(steps - 1, -1, -1):
        layers, top, prediction = tape[t]
        gold = sequence[t + 1]
        e = np.exp(prediction)
        d_pred = scale * (gold - np.sum(gold) * e / (np.sum(e) + 2.0))
        d_extra[1] += d_pred * top
        d_extra[2] += d_pred
        dx = d_pred * extra_params[1]
        for i in range(n_layers - 1, -1, -1):
            x, h, c, f, g, o, ch, tanh_cell = layers[i]
            w = main_params[2 * i]
            dh = d_hidden[i] + dx
            do = dh * tanh_cell * o * (1 - o)
            dc = d_cell[i] + dh * o * (1 - tanh_cell * tanh_cell)
            df = dc * c * f * (1 - f)
            dg = dc * ch * g * (1 - g)
            dch = dc * g * (1 - ch * ch)
            d_gates = np.concatenate([df, dg, do, dch])
            d_main[2 * i] += d_gates * np.concatenate([x, h, x, h])
            d_main[2 * i + 1] += d_gates
            d_cell[i] = dc * f
            d_hidden[i] = dg * w[b:2 * b] + dch * w[3 * b:]
            dx = df * w[0:b] + do * w[2 * b:3 * b]
        d_extra[0] += dx * sequence[t]
    return d_main, d_extra


def make_data(size="small", seed=0):
    """As ADBench's generator: parameters and state uniform on [0, 1); the sequence is
    the bits of random characters."""
    n_layers, n_chars = SIZES[size].values()
    rng = np.random.default_rng(seed)
    main_params = rng.random((2 * n_layers, 4 * BITS))
    extra_params = rng.random((3, BITS))
    state = rng.random((2 * n_layers, BITS))
    codes = rng.integers(0, 2 ** BITS, n_chars)
    sequence = ((codes[:, None] >> np.arange(BITS)) & 1).astype(np.float64)
    return main_params, extra_params, state, sequence
