"""IR → Graphviz DOT: the picture of a function's computational graph, for `adc graph`.

The printed IR (`adc ir`) is exact but a list; the graph shows what flows into what. Nodes
carry the names the printer gives (`g = +` is the op whose result prints as `%g`), numbered
in program order (`n0`, `n1`, ...), so the same IR always gives the same text:

- parameters are ellipses at the top (`x: float` when the kind is known);
- each op is a box labelled by its prim in Python's spelling (`*`, `@`, `[]`, `np.sin`)
  and its attrs (`axis=0`), with an edge from each operand; where operand order matters
  (`a - b`) the edges are numbered;
- each constant operand is a small plaintext node of its own, one per use;
- a control-flow op is a bold header box (`if`, `for range`, `for each`, `while`) taking
  the op's inputs, one cluster per region holding its arguments (ellipses) and ops, and one
  ellipse per result; yields have edges to the results (a while's results are the values
  its last test saw), and a loop's yields dashed back edges to the loop-carried arguments;
- the returned values have edges to a `return` node at the bottom.

`render` runs the Graphviz `dot` program to draw the text as SVG, PNG or PDF.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from .ir import Const, Function, Op, Operand, Region, Value
from .ir.printer import ValueNames, format_const
from .ir.prims import BINARY_OPS, COMPARE_OPS, UNARY_OPS

def _operator_symbol(node: ast.expr) -> str:
    """`+` of `a + b`: an operator as Python spells it."""
    return ast.unparse(node).replace("a", "").replace("b", "").strip()


_SYMBOLS = {
    **{prim: _operator_symbol(ast.BinOp(ast.Name("a"), op(), ast.Name("b"))) for prim, op in BINARY_OPS.items()},
    **{prim: _operator_symbol(ast.UnaryOp(op(), ast.Name("a"))) for prim, op in UNARY_OPS.items()},
    **{prim: _operator_symbol(ast.Compare(ast.Name("a"), [op()], [ast.Name("b")])) for prim, op in COMPARE_OPS.items()},
    "getitem": "[]", "setitem": "[]=", "transpose": ".T",
    "cond": "if", "for_range": "for range", "for_each": "for each", "while": "while",
}
"""How a prim is drawn, where Python has a spelling for it (its operators, indexing and
control flow); other prims keep their name."""

_SYMMETRIC = frozenset({"add", "mul", "eq", "ne"})
"""Prims whose operands may be read in any order: their edges need no numbers."""

_INPUT_ROLES = {"for_range": ("start", "stop", "step"), "for_each": ("in",)}
"""Edge labels of a loop's leading inputs (the rest are initial loop-carried values)."""

_REGION_TITLES = {
    "cond": ("if true", "if false"),
    "for_range": ("for",),
    "for_each": ("for each",),
    "while": ("while test", "while body"),
}

_LOOPS = frozenset({"for_range", "for_each", "while"})


class GraphvizMissing(Exception):
    """The Graphviz `dot` program, needed to draw SVG, PNG or PDF, is not on the PATH."""


def _quote(text: str) -> str:
    """`text` as a DOT double-quoted string: quotes and backslashes escaped, newlines kept."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\n").replace("\n", "\\n").replace("\r", "\\n") + '"'


def _attrs(**attrs: Any) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        parts.append(f"{key}={_quote(value) if key in ('label', 'tooltip') else value}")
    return f" [{', '.join(parts)}]" if parts else ""


@dataclass
class _Graph:
    fn: Function
    names: ValueNames = field(init=False)
    nodes: dict[Value, str] = field(default_factory=dict)
    """The node that draws each value: its defining op, region argument or parameter."""
    ops: dict[Op, str] = field(default_factory=dict)
    """The node of each op: its box, or a control-flow op's header."""
    edges: list[str] = field(default_factory=list)
    count: int = 0

    def __post_init__(self) -> None:
        self.names = ValueNames(self.fn.hint)

    def node(self, lines: list[str], indent: str, **attrs: Any) -> str:
        """Declare a new node in the current (sub)graph; return its id."""
        node_id = f"n{self.count}"
        self.count += 1
        lines.append(f"{indent}{node_id}{_attrs(**attrs)};")
        return node_id

    def edge(self, tail: str, head: str, **attrs: Any) -> None:
        # Edges go at the top level: an edge inside a cluster would pull its ends into it.
        self.edges.append(f"  {tail} -> {head}{_attrs(**attrs)};")

    def value(self, v: Value) -> str:
        """A value node's label: its printed name (`%3` if it has no hint, as in the IR
        text, not to be read as the constant 3), and its kind when known."""
        name = self.names.define(v) if self.fn.hint(v) else "%" + self.names.define(v)
        return f"{name}: {v.kind}" if v.kind is not None else name

    def source(self, operand: Operand, lines: list[str], indent: str) -> str:
        """The node an edge from `operand` starts at: a fresh node for a constant (one per
        use) or for a value defined nowhere (broken IR, drawn so it is seen)."""
        if isinstance(operand, Const):
            return self.node(lines, indent, label=format_const(operand.value), shape="plaintext", fontsize=10)
        if operand not in self.nodes:
            label = f"undefined {operand.name or '?'}"
            self.nodes[operand] = self.node(lines, indent, label=label, color="red", style="dashed")
        return self.nodes[operand]

    def tooltip(self, op: Op) -> str | None:
        if op.loc is None:
            return None
        same_file = op.loc.file == self.fn.file
        where = f"line {op.loc.line}" if same_file else f"{os.path.basename(op.loc.file)}:{op.loc.line}"
        text = (self.fn.line_text(op.loc) or "").strip()
        return f"{where}: {text}" if text else where

    # -- the graph ----------------------------------------------------------------------

    def function(self, title: str | None) -> str:
        lines = [f"digraph {_quote(self.fn.name)} {{"]
        lines.append(f"  label={_quote(self.fn.name if title is None else title)};")
        lines.append("  labelloc=t;")
        lines.append("  compound=true;")
        lines.append("  node [shape=box];")
        lines.append("  edge [fontsize=10];")
        params = []
        for p in self.fn.params:
            self.nodes[p] = self.node(lines, "  ", label=self.value(p), shape="ellipse")
            params.append(self.nodes[p])
        if params:
            lines.append(f"  {{ rank=source; {'; '.join(params)}; }}")
        self.region(self.fn.body, lines, "  ")
        sources = [self.source(r, lines, "  ") for r in self.fn.returns]
        out = self.node(lines, "  ", label="return", shape="doublecircle")
        lines.append(f"  {{ rank=sink; {out}; }}")
        for i, tail in enumerate(sources):
            self.edge(tail, out, label=str(i) if len(sources) > 1 else None)
        return "\n".join(lines + self.edges + ["}"]) + "\n"

    def region(self, region: Region, lines: list[str], indent: str) -> None:
        for op in region.ops:
            if op.regions:
                self.control(op, lines, indent)
            else:
                self.op(op, lines, indent)

    def op(self, op: Op, lines: list[str], indent: str) -> None:
        """A plain op: one box; a value of its own per result when it has several."""
        label = _SYMBOLS.get(op.prim, op.prim)
        if len(op.results) == 1 and self.fn.hint(op.result):
            label = f"{self.names.define(op.result)} = {label}"
        if op.attrs:
            label += "\n" + ", ".join(f"{k}={format_const(v)}" for k, v in sorted(op.attrs.items()))
        sources = [self.source(x, lines, indent) for x in op.inputs]
        node_id = self.ops[op] = self.node(lines, indent, label=label, tooltip=self.tooltip(op))
        numbered = len(op.inputs) > 1 and op.prim not in _SYMMETRIC
        for i, tail in enumerate(sources):
            self.edge(tail, node_id, label=str(i) if numbered else None)
        if len(op.results) == 1:
            self.names.define(op.result)
            self.nodes[op.result] = node_id
            return
        for i, r in enumerate(op.results):
            self.nodes[r] = self.node(lines, indent, label=self.value(r), shape="ellipse")
            self.edge(node_id, self.nodes[r], label=str(i))

    def control(self, op: Op, lines: list[str], indent: str) -> None:
        """A header box taking the inputs, a cluster per region, a node per result."""
        roles = _INPUT_ROLES.get(op.prim, ())
        sources = [self.source(x, lines, indent) for x in op.inputs]
        header = self.ops[op] = self.node(
            lines, indent, label=_SYMBOLS.get(op.prim, op.prim), style="bold", tooltip=self.tooltip(op)
        )
        for i, tail in enumerate(sources):
            self.edge(tail, header, label=roles[i] if i < len(roles) else None)
        for r in op.results:  # named before the regions' arguments, as the printer does
            self.names.define(r)
        yields: list[list[str]] = []
        titles = _REGION_TITLES.get(op.prim, ())
        for k, region in enumerate(op.regions):
            title = titles[k] if k < len(titles) and len(titles) == len(op.regions) else f"region {k}"
            if op.loc is not None:
                title += f" (line {op.loc.line})"
            lines.append(f"{indent}subgraph cluster_{header}_{k} {{")
            inner = indent + "  "
            lines.append(f"{inner}label={_quote(title)};")
            for a in region.args:
                self.nodes[a] = self.node(lines, inner, label=self.value(a), shape="ellipse")
                if k == 0 or op.prim != "while":  # a while's body takes what its test did
                    self.edge(header, self.nodes[a], style="dotted")
            first = self.count
            self.region(region, lines, inner)
            yields.append([self.source(y, lines, inner) for y in region.yields])
            lines.append(f"{indent}}}")
            if op.prim == "cond" and self.count > first:  # an arrow from the `if` to the branch's box
                self.edge(header, f"n{first}", lhead=f"cluster_{header}_{k}", style="dotted")
        for r in op.results:
            self.nodes[r] = self.node(lines, indent, label=self.value(r), shape="ellipse")
        self.link(op, header, yields)

    def link(self, op: Op, header: str, yields: list[list[str]]) -> None:
        """Edges out of the regions: yields to the op's results and, in a loop, dashed back
        to the loop-carried arguments. A while's results are the values its test last saw;
        its test's yield goes back to the header."""
        results = [self.nodes[r] for r in op.results]
        if op.prim == "cond":  # the test chooses the results
            for r in results:
                self.edge(header, r, style="dotted")
        if op.prim not in _LOOPS:  # an if: either region's yields are the results
            for region_yields in yields:
                if len(region_yields) == len(results):
                    for tail, r in zip(region_yields, results):
                        self.edge(tail, r)
            return
        body = op.regions[-1]
        if op.prim == "while" and len(op.regions) == 2:  # the values tested flow on or out
            test = op.regions[0]
            for tail in yields[0]:
                self.edge(tail, header, label="test", style="dashed", constraint="false")
            for arg, body_arg in zip(test.args, body.args):
                self.edge(self.nodes[arg], self.nodes[body_arg], style="dotted")
            outs, carried = [self.nodes[a] for a in test.args], test.args
        else:
            outs, carried = yields[-1], body.args[len(body.args) - len(body.yields):]
        for tail, r in zip(outs, results):
            self.edge(tail, r)
        for tail, arg in zip(yields[-1], carried):
            self.edge(tail, self.nodes[arg], style="dashed", constraint="false")


def to_dot(fn: Function, title: str | None = None) -> str:
    """The computational graph of `fn` as Graphviz DOT text (deterministic: the same IR
    gives the same text). `title` labels the graph; by default the function's name."""
    return _Graph(fn).function(title)


FORMATS = ("svg", "png", "pdf")
"""What `render` draws (DOT text itself needs no drawing)."""


def render(dot_text: str, fmt: str) -> bytes:
    """Draw DOT text with the Graphviz `dot` program: `fmt` is one of `FORMATS`.

    Raises GraphvizMissing when `dot` is not installed, RuntimeError when it fails."""
    if fmt not in FORMATS:
        raise ValueError(f"cannot render the graph as {fmt!r}: the formats are {', '.join(FORMATS)}")
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(
            f"cannot write {fmt.upper()}: the Graphviz `dot` program, which draws it, is not installed; "
            "install graphviz (apt install graphviz, brew install graphviz, conda install graphviz)"
        )
    run = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, check=False)
    if run.returncode != 0:
        message = run.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"dot -T{fmt} failed (exit {run.returncode}): {message}")
    return run.stdout
