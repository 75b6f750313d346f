"""The library-call construct: a call of one of the `forms` (NumPy and SciPy primitives
beyond the few the expression rules write themselves), its operands expressions of the
shapes the form asks for."""

from __future__ import annotations

from .forms import every_form
from .gen import Gen, atom, expression
from .scope import Expr, Scope, Shape

FORMS = every_form()


@expression(3)
def library_call(g: Gen, s: Scope, shape: Shape, depth: int) -> Expr | None:
    fitting = [(form, operands) for form in FORMS if (operands := form.operands(shape)) is not None]
    if not fitting:
        return None
    form, operands = fitting[g.rng.choices(range(len(fitting)), [f.weight for f, _ in fitting])[0]]
    exprs = [g.expr(s, operand, depth - 1) for operand in operands]
    text = form.template.format(*(atom(e.text) for e in exprs))
    return Expr(f"({text})", exprs[0].roots if form.view else frozenset())
