"""Fused primitives in and out (`primitives.fused`): `run` puts them in place of the
operations that spell them, in a function about to be differentiated, so that their
derivative rules see whole functions; `expand` writes them back as those operations once
the derivative is built, so that the values are the source's to the bit."""

from __future__ import annotations

from ..ir import Const, Function, Op, Operand, Region, Value, walk_ops
from ..primitives.fused import LOG1M_LOGISTIC, LOG_LOGISTIC, LOGISTIC


def _one(x: Operand) -> bool:
    return isinstance(x, Const) and type(x.value) in (int, float) and x.value == 1


def _made(x: Operand, producers: dict[Value, Op], prim: str) -> Op | None:
    op = producers.get(x) if isinstance(x, Value) else None
    return op if op is not None and op.prim == prim else None


def _exponent(op: Op, producers: dict[Value, Op]) -> Operand | None:
    """`w` if `op` is `1 / (1 + np.exp(w))` (or `1 / (np.exp(w) + 1)`)."""
    if op.prim != "truediv" or not _one(op.inputs[0]):
        return None
    total = _made(op.inputs[1], producers, "add")
    if total is None:
        return None
    for one, other in (total.inputs, total.inputs[::-1]):
        exp = _made(other, producers, "np.exp")
        if _one(one) and exp is not None:
            return exp.inputs[0]
    return None


def _fused(op: Op, producers: dict[Value, Op]) -> tuple[str, Operand] | None:
    """The fused prim `op` computes, and its operand."""
    w = _exponent(op, producers)
    if w is not None:
        return LOGISTIC, w
    if op.prim != "np.log":
        return None
    logistic = _made(op.inputs[0], producers, LOGISTIC)
    if logistic is not None:
        return LOG_LOGISTIC, logistic.inputs[0]
    rest = _made(op.inputs[0], producers, "sub")
    logistic = _made(rest.inputs[1], producers, LOGISTIC) if rest is not None and _one(rest.inputs[0]) else None
    return (LOG1M_LOGISTIC, logistic.inputs[0]) if logistic is not None else None


def run(fn: Function) -> bool:
    """Fuse in place (the operations the fused ones read stay, for other readers or dce)."""
    producers: dict[Value, Op] = {}
    changed = False
    for op in walk_ops(fn.body):
        found = _fused(op, producers) if not op.attrs and len(op.results) == 1 else None
        if found is not None:
            op.prim, op.inputs = found[0], [found[1]]
            changed = True
        for r in op.results:
            producers[r] = op
    return changed


def _spelled(op: Op) -> list[Op]:
    """The operations `op` (a fused prim) stands for, computing its result."""
    def new(prim: str, inputs: list[Operand], result: Value | None = None) -> Value:
        made = result or Value()
        ops.append(Op(prim, inputs, [made], loc=op.loc))
        return made

    ops: list[Op] = []
    last = op.prim == LOGISTIC
    p = new("truediv", [Const(1), new("add", [Const(1), new("np.exp", op.inputs)])], op.result if last else None)
    if op.prim == LOG_LOGISTIC:
        new("np.log", [p], op.result)
    elif op.prim == LOG1M_LOGISTIC:
        new("np.log", [new("sub", [Const(1), p])], op.result)
    return ops


_FUSED = (LOGISTIC, LOG_LOGISTIC, LOG1M_LOGISTIC)


def _expand(region: Region) -> None:
    ops: list[Op] = []
    for op in region.ops:
        for sub in op.regions:
            _expand(sub)
        ops.extend(_spelled(op) if op.prim in _FUSED else [op])
    region.ops = ops


def expand(fn: Function) -> None:
    """Write every fused op back as the operations it stands for."""
    _expand(fn.body)
