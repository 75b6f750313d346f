"""The function drawn in docs/seed-graph.svg: `adc graph docs/seed.py:seed -o docs/seed-graph.svg`."""


def seed(x, y, c):
    z = (x * y + c) * c + x
    return z
