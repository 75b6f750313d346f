"""The instrumented twin of a program: the same module, with every place where its value
may stop being smooth in the inputs wrapped in a recorder.

Recorded, in order of evaluation: each comparison's result, each branch and loop test,
and the piece of each kink's domain the point lies in (the sign of `abs`'s operand, which
operand `np.maximum` picks, where `np.max` is attained, the value of `int()` and the
like: `KINKS`). Two points with the same trace are on the same smooth piece of the
program, so central differences between them measure its derivative. The twin is made
from the program's syntax tree, not by the generator, so that a shrunk program and any
construct added to the grammar get one too: a new function that is not smooth needs an
entry in `KINKS`.
"""

from __future__ import annotations

import ast

TRACE = "_fz_trace"
SINGULAR = "singular"
"""Recorded where a function has no derivative at all (`np.hypot` at the origin): such a
point is never smooth, even where the program is constant around it."""

PRELUDE = f'''

{TRACE} = []
SINGULAR = {SINGULAR!r}


def _fz_key(value):
    a = np.asarray(value)
    return tuple(a.ravel().tolist()) if a.ndim else a.item()


def _fz_record(site, value):
    {TRACE}.append((site, _fz_key(value)))
    return value


def _fz_call(site, key, function, *args, **kwargs):
    value = function(*args, **kwargs)
    {TRACE}.append((site, _fz_key(key(value, *args, **kwargs))))
    return value


def _fz_sign(value, x, *rest, **kwargs):
    return np.sign(x)


def _fz_order(value, a, b=None, *rest, **kwargs):
    return np.sign(np.asarray(a) - np.asarray(b)) if b is not None else np.asarray(value)


def _fz_value(value, *args, **kwargs):
    return value


def _fz_argmax(value, x, axis=None, *rest, **kwargs):
    return np.argmax(x, axis=axis)


def _fz_argmin(value, x, axis=None, *rest, **kwargs):
    return np.argmin(x, axis=axis)


def _fz_clip(value, x, lo=None, hi=None, *rest, **kwargs):
    return np.stack(np.broadcast_arrays(np.sign(x - (-np.inf if lo is None else lo)),
                                        np.sign(x - (np.inf if hi is None else hi))))


def _fz_origin(value, a, b, *rest, **kwargs):
    return SINGULAR if np.any((np.asarray(a) == 0) & (np.asarray(b) == 0)) else 0


def _fz_zero(value, x, *args, **kwargs):
    # zero up to rounding (the std of equal elements is a few ulps): sqrt's kink
    return SINGULAR if np.any(np.abs(value) <= 1e-7 * (1.0 + np.max(np.abs(x)))) else 0


def _fz_floor(value, a, b, *rest, **kwargs):
    return np.floor(np.asarray(a) / np.asarray(b))


def _fz_trunc(value, a, b, *rest, **kwargs):
    return np.trunc(np.asarray(a) / np.asarray(b))
'''

KINKS = {
    "abs": "_fz_sign", "np.abs": "_fz_sign", "np.absolute": "_fz_sign", "np.fabs": "_fz_sign",
    "math.fabs": "_fz_sign",
    "np.maximum": "_fz_order", "np.minimum": "_fz_order", "np.fmax": "_fz_order", "np.fmin": "_fz_order",
    "max": "_fz_order", "min": "_fz_order",
    "np.max": "_fz_argmax", "np.amax": "_fz_argmax", "np.min": "_fz_argmin", "np.amin": "_fz_argmin",
    "np.clip": "_fz_clip",
    "np.mod": "_fz_floor", "np.remainder": "_fz_floor", "np.fmod": "_fz_trunc", "math.fmod": "_fz_trunc",
    "int": "_fz_value", "round": "_fz_value", "np.sign": "_fz_value", "np.floor": "_fz_value",
    "np.ceil": "_fz_value", "np.round": "_fz_value", "np.trunc": "_fz_value", "np.rint": "_fz_value",
    "math.floor": "_fz_value", "math.ceil": "_fz_value", "math.trunc": "_fz_value",
    "np.hypot": "_fz_origin", "math.hypot": "_fz_origin", "np.std": "_fz_zero", "np.linalg.norm": "_fz_zero",
}
"""Callables (as spelled in the source) whose result is not smooth everywhere, and the key
naming the piece of their domain an evaluation lies in."""
METHODS = {"max": "np.max", "min": "np.min", "std": "np.std"}
"""Methods that are kinks, as the function they call (`x.max(axis=0)` is `np.max(x, axis=0)`)."""
BINOPS = {ast.Mod: ("_fz_floor", "operator.mod"), ast.FloorDiv: ("_fz_value", "operator.floordiv")}


class _Instrument(ast.NodeTransformer):
    def __init__(self, differentiated: set[str]) -> None:
        self.sites = 0
        self.differentiated = differentiated
        """Functions the program differentiates (`grad(fn)`): left as they are, since the
        compiler differentiates their source (a recorder in it would be compiled too)."""

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        return node if node.name in self.differentiated else self.generic_visit(node)

    def _site(self) -> ast.Constant:
        self.sites += 1
        return ast.Constant(self.sites)

    def _record(self, node: ast.expr) -> ast.expr:
        return ast.Call(ast.Name("_fz_record", ast.Load()), [self._site(), node], [])

    def _call(self, key: str, function: ast.expr, args: list, keywords: list) -> ast.expr:
        head = [self._site(), ast.Name(key, ast.Load()), function]
        return ast.Call(ast.Name("_fz_call", ast.Load()), head + args, keywords)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        return self._record(self.generic_visit(node))

    def visit_If(self, node: ast.If) -> ast.If:
        self.generic_visit(node)
        node.test = self._record(node.test)
        return node

    visit_While = visit_If

    def visit_IfExp(self, node: ast.IfExp) -> ast.IfExp:
        self.generic_visit(node)
        node.test = self._record(node.test)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if type(node.op) not in BINOPS:
            return node
        key, function = BINOPS[type(node.op)]
        return self._call(key, ast.parse(function, mode="eval").body, [node.left, node.right], [])

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if _differentiates(node):  # (its function, a lambda say, as written)
            node.args[1:] = [self.visit(arg) for arg in node.args[1:]]
            return node
        self.generic_visit(node)
        spelled = ast.unparse(node.func)
        if spelled in KINKS:
            return self._call(KINKS[spelled], node.func, node.args, node.keywords)
        func = node.func
        module = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in ("np", "math")
        if isinstance(func, ast.Attribute) and func.attr in METHODS and not module:
            function = ast.parse(METHODS[func.attr], mode="eval").body
            return self._call(KINKS[METHODS[func.attr]], function, [func.value, *node.args], node.keywords)
        return node


def _differentiates(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "grad" and bool(node.args)


def instrument(source: str) -> str:
    """The twin's source: `source` with its kinks recorded into the list `_fz_trace`."""
    parsed = ast.parse(source)
    differentiated = {n.args[0].id for n in ast.walk(parsed) if _differentiates(n) and isinstance(n.args[0], ast.Name)}
    tree = _Instrument(differentiated).visit(parsed)
    return "import operator\n" + ast.unparse(ast.fix_missing_locations(tree)) + "\n" + PRELUDE
