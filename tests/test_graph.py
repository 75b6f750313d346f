"""The computational graph (`ad_compiler.graph`): exact DOT for a small function, the
structure of the DOT of branches, loops and derivatives, determinism across processes,
and rendering through Graphviz."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ad_compiler import grad
from ad_compiler.api import _CACHE
from ad_compiler.frontend import lower
from ad_compiler.graph import GraphvizMissing, _Graph, _quote, render, to_dot
from ad_compiler.ir import Const, Function, Op, Region, Value, format_function, walk_ops
from ad_compiler.ir.printer import format_const
from ad_compiler.ir.types import Array

ROOT = Path(__file__).resolve().parent.parent


def seed(x, y, c):
    z = (x * y + c) * c + x
    return z


def branch(x, y):
    if x > y:
        g = x * y
    else:
        g = np.sin(x)
    return g + 1.0


def loop(x, n):
    acc = x
    for i in range(n):
        if acc > 10.0:
            acc = acc - 1.0
        acc = acc * x + 2.0
    return acc


def halve(x):
    while x > 1.0:
        x = x / 2.0
    return x


def reduce(a):
    s = np.sum(np.sin(a) * a, axis=0)
    return s[0] - a.T @ a


def pair(x, y):
    return x * y, x - y


def _derivative(fn, argnums, *args) -> Function:
    """The IR of the generic gradient of `fn` (compiled by calling it once)."""
    df = grad(fn, argnums=argnums)
    df(*args)
    return _CACHE.version(fn, df.options, None).ir


# -- reading our own DOT back ---------------------------------------------------------

_NODE = re.compile(r"^\s*(n\d+) \[(.*)\];$")
_EDGE = re.compile(r"^\s*(n\d+) -> (n\d+)(?: \[(.*)\])?;$")
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^,\s]+)')


def _unquote(value: str) -> str:
    if not value.startswith('"'):
        return value
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])


def _attrs(text: str | None) -> dict[str, str]:
    return {key: _unquote(value) for key, value in _ATTR.findall(text or "")}


def _parse(dot: str) -> tuple[dict[str, dict], list[tuple[str, str, dict]], dict[str, str]]:
    """Nodes (id -> attrs, with "cluster": the innermost enclosing cluster or ""), edges
    (tail, head, attrs) in order, and cluster labels."""
    nodes: dict[str, dict] = {}
    edges: list[tuple[str, str, dict]] = []
    labels: dict[str, str] = {}
    stack: list[str] = []
    for line in dot.splitlines():
        if m := re.match(r"^\s*subgraph (cluster_\w+) \{$", line):
            stack.append(m.group(1))
        elif line.strip() == "}" and stack:
            stack.pop()
        elif (m := re.match(r'^\s*label=(".*");$', line)) and stack:
            labels[stack[-1]] = _unquote(m.group(1))
        elif m := _NODE.match(line):
            assert m.group(1) not in nodes, f"{m.group(1)} declared twice"
            nodes[m.group(1)] = {**_attrs(m.group(2)), "cluster": stack[-1] if stack else ""}
        elif m := _EDGE.match(line):
            assert not stack, "an edge inside a cluster pulls its ends into the cluster"
            edges.append((m.group(1), m.group(2), _attrs(m.group(3))))
    assert not stack
    return nodes, edges, labels


# -- the exact text of a small graph --------------------------------------------------


def test_the_seed_example_is_exactly_its_graph() -> None:
    line = seed.__code__.co_firstlineno + 1
    tip = f"line {line}: z = (x * y + c) * c + x"
    expected = textwrap.dedent(f"""\
        digraph "seed" {{
          label="seed";
          labelloc=t;
          compound=true;
          node [shape=box];
          edge [fontsize=10];
          n0 [label="x", shape=ellipse];
          n1 [label="y", shape=ellipse];
          n2 [label="c", shape=ellipse];
          {{ rank=source; n0; n1; n2; }}
          n3 [label="*", tooltip="{tip}"];
          n4 [label="+", tooltip="{tip}"];
          n5 [label="*", tooltip="{tip}"];
          n6 [label="z = +", tooltip="{tip}"];
          n7 [label="return", shape=doublecircle];
          {{ rank=sink; n7; }}
          n0 -> n3;
          n1 -> n3;
          n3 -> n4;
          n2 -> n4;
          n4 -> n5;
          n2 -> n5;
          n5 -> n6;
          n0 -> n6;
          n6 -> n7;
        }}
        """)
    assert to_dot(lower(seed)) == expected


def test_title_kinds_symbols_attrs_and_one_constant_node_per_use() -> None:
    fn = lower(reduce)
    fn.params[0].kind = Array(2, "float")
    dot = to_dot(fn, title='d "reduce"')
    assert dot.splitlines()[1] == '  label="d \\"reduce\\"";'
    nodes, edges, _ = _parse(dot)
    labels = [n["label"] for n in nodes.values()]
    assert labels[0] == "a: float[ndim=2]"
    assert {"np.sin", "*", "s = np.sum\naxis=0", "[]", ".T", "@", "-"} <= set(labels)
    assert '"s = np.sum\\naxis=0"' in dot  # a newline in a label is DOT's \n
    (constant,) = [i for i, n in nodes.items() if n.get("shape") == "plaintext"]
    assert nodes[constant]["label"] == "0"
    # the operands of `-` and `[]` are in order, so their edges are numbered
    (minus,) = [i for i, n in nodes.items() if n["label"] == "-"]
    assert sorted(e[2].get("label") for e in edges if e[1] == minus) == ["0", "1"]


def test_a_constant_used_twice_is_drawn_twice() -> None:
    x, y, z = Value("x"), Value("y"), Value("z")
    two = Const(2.0)
    body = Region(ops=[Op("mul", [x, two], [y]), Op("add", [y, two], [z])], yields=[z])
    nodes, edges, _ = _parse(to_dot(Function("f", [x], body)))
    constants = [i for i, n in nodes.items() if n["label"] == "2.0"]
    assert len(constants) == 2
    assert [len([e for e in edges if e[0] == c]) for c in constants] == [1, 1]


def test_labels_name_values_as_the_printed_ir_does() -> None:
    fn = _derivative(loop, 0, 1.5, 3)
    text = format_function(fn)
    printed = re.findall(r"^\s*%([\w.]+)(?::[^=]*)? = ([\w.]+)\(", text, re.M)
    control = ("cond", "for_range", "for_each", "while")
    named = [name for name, prim in printed if not name.isdigit() and prim not in control]
    graph = _Graph(fn)
    nodes, _, _ = _parse(graph.function(None))
    op_labels = [nodes[graph.ops[op]]["label"] for op in walk_ops(fn.body) if not op.regions]
    drawn = [label.split("\n")[0].split(" = ")[0] for label in op_labels if " = " in label]
    assert drawn == named and len(drawn) > 3
    # parameters, region arguments and results of control flow: `name: kind`, `%3` if unnamed
    values = [n["label"].split(": ")[0] for n in nodes.values() if n.get("shape") == "ellipse"]
    assert values and {v.lstrip("%") for v in values} <= set(re.findall(r"%([\w.]+)", text))
    assert any(v.startswith("%") for v in values)


# -- structure: clusters, and an edge for every operand -------------------------------


def assert_graph_structure(fn: Function) -> None:
    graph = _Graph(fn)
    dot = graph.function(None)
    nodes, edges, cluster_labels = _parse(dot)
    assert list(nodes) == [f"n{i}" for i in range(len(nodes))], "ids in program order"
    for tail, head, _ in edges:
        assert tail in nodes and head in nodes, f"{tail} -> {head}: undeclared node"
    data = [e for e in edges if e[2].get("style") not in ("dashed", "dotted")]  # not back edges, not control
    incoming = {i: [e for e in data if e[1] == i] for i in nodes}

    def check_region(region: Region, cluster: str) -> None:
        for arg in region.args:
            assert nodes[graph.nodes[arg]]["cluster"] == cluster
        for op in region.ops:
            node = graph.ops[op]
            assert nodes[node]["cluster"] == cluster, f"{op.prim} outside its region's cluster"
            sources = [tail for tail, _, _ in incoming[node]]
            assert len(sources) == len(op.inputs), f"{op.prim}: {len(sources)} edges, {len(op.inputs)} inputs"
            for x in op.inputs:
                if isinstance(x, Const):
                    assert any(nodes[s]["label"] == format_const(x.value) for s in sources)
                else:
                    assert graph.nodes[x] in sources, f"{op.prim}: no edge from {x.name or '?'}"
            for k, sub in enumerate(op.regions):
                inner = f"cluster_{node}_{k}"
                assert inner in cluster_labels
                check_region(sub, inner)
                # a while's results are the values its test saw last; other ops' come from yields
                outs = sub.args if op.prim == "while" else sub.yields
                if op.prim != "while" or k == 0:
                    for y, r in zip(outs, op.results):
                        if isinstance(y, Value):
                            assert (graph.nodes[y], graph.nodes[r]) in [(t, h) for t, h, _ in edges]
            if op.regions:
                for r in op.results:
                    assert nodes[graph.nodes[r]]["cluster"] == cluster
                    assert incoming[graph.nodes[r]], f"{op.prim}: nothing flows into its result"
            elif len(op.results) == 1:
                assert graph.nodes[op.result] == node

    check_region(fn.body, "")
    (out,) = [i for i, n in nodes.items() if n["label"] == "return"]
    assert len(incoming[out]) == len(fn.returns)


STRUCTURE_CASES = {
    "seed": lambda: lower(seed),
    "branch": lambda: lower(branch),
    "loop": lambda: lower(loop),
    "halve": lambda: lower(halve),
    "reduce": lambda: lower(reduce),
    "pair": lambda: lower(pair),
    "grad loop": lambda: _derivative(loop, 0, 1.5, 3),
    "grad halve": lambda: _derivative(halve, 0, 7.0),
    "grad branch": lambda: _derivative(branch, (0, 1), 1.0, 2.0),
}


@pytest.mark.parametrize("name", list(STRUCTURE_CASES))
def test_every_operand_has_its_edge_and_every_op_sits_in_its_regions_cluster(name: str) -> None:
    fn = STRUCTURE_CASES[name]()
    assert_graph_structure(fn)


def test_branches_are_two_clusters_holding_their_ops() -> None:
    nodes, edges, clusters = _parse(to_dot(lower(branch)))
    line = branch.__code__.co_firstlineno + 1
    by_label = {label: cluster for cluster, label in clusters.items()}
    assert set(by_label) == {f"if true (line {line})", f"if false (line {line})"}
    inside = {n["label"]: n["cluster"] for n in nodes.values()}
    assert inside["g.1 = *"] == by_label[f"if true (line {line})"]
    assert inside["g.2 = np.sin"] == by_label[f"if false (line {line})"]
    assert inside["g"] == inside["if"] == ""
    (header,) = [i for i, n in nodes.items() if n["label"] == "if"]
    assert sorted(e[2]["lhead"] for e in edges if e[0] == header and "lhead" in e[2]) == sorted(clusters)


def test_a_loop_is_a_cluster_with_its_arguments_and_dashed_back_edges() -> None:
    nodes, edges, clusters = _parse(to_dot(lower(loop)))
    line = loop.__code__.co_firstlineno + 2
    (outer,) = [c for c, label in clusters.items() if label == f"for (line {line})"]
    (inner,) = [c for c, label in clusters.items() if label.startswith("if true")]
    inside = {n["label"]: n["cluster"] for n in nodes.values()}
    assert inside["i"] == inside["acc.1"] == inside["acc.2"] == inside["acc.4 = +"] == outer
    assert inside["acc.3 = -"] == inner
    ids = {n["label"]: i for i, n in nodes.items()}
    back = [(t, h) for t, h, a in edges if a.get("style") == "dashed"]
    assert back == [(ids["acc.4 = +"], ids["acc.1"])]
    roles = {a.get("label") for t, h, a in edges if h == ids["for range"]}
    assert {"start", "stop", "step"} <= roles


def test_a_while_loop_tests_then_runs_its_body() -> None:
    nodes, edges, clusters = _parse(to_dot(lower(halve)))
    assert sorted(label.split(" (")[0] for label in clusters.values()) == ["while body", "while test"]
    ids = {n["label"]: i for i, n in nodes.items()}
    pairs = {(t, h): a for t, h, a in edges}
    assert pairs[ids[">"], ids["while"]]["label"] == "test"
    assert (ids["x.2"], ids["x.3"]) in pairs  # the tested values enter the body
    assert (ids["x.2"], ids["x.1"]) in pairs  # and leave the loop
    assert pairs[ids["x.4 = /"], ids["x.2"]]["style"] == "dashed"


def test_an_op_with_several_results_draws_each_and_undefined_values_show() -> None:
    a, b, q, r, ghost = Value("a"), Value("b"), Value("q"), Value(), Value("ghost")
    body = Region(ops=[Op("divmod", [a, b], [q, r])], yields=[q, r, ghost])
    nodes, edges, _ = _parse(to_dot(Function("f", [a, b], body)))
    ids = {n["label"]: i for i, n in nodes.items()}
    assert [(t, h, e.get("label")) for t, h, e in edges if t == ids["divmod"]] == [
        (ids["divmod"], ids["q"], "0"),
        (ids["divmod"], ids["%0"], "1"),
    ]
    assert nodes[ids["undefined ghost"]]["color"] == "red"
    assert [e[2].get("label") for e in edges if e[1] == ids["return"]] == ["0", "1", "2"]


def test_quotes_and_backslashes_are_escaped() -> None:
    assert _quote('say "hi" \\n\n') == '"say \\"hi\\" \\\\n\\n"'
    x, y = Value("x"), Value("y")
    body = Region(ops=[Op("np.einsum", [Const('i"\\'), x], [y])], yields=[y])
    dot = to_dot(Function("f", [x], body))
    nodes, _, _ = _parse(dot)
    assert format_const('i"\\') in [n["label"] for n in nodes.values()]
    if shutil.which("dot"):
        assert b"<svg" in render(dot, "svg")


# -- determinism and rendering --------------------------------------------------------

_MODULE = '''
import numpy as np

def f(x, n):
    acc = x
    for i in range(n):
        if acc > 1.0:
            acc = np.sin(acc) * x
        while acc > 4.0:
            acc = acc / 2.0
    return (acc, x - acc)


def g(x, n):
    a, b = f(x, n)
    return a * b
'''

_SCRIPT = '''
import sys
sys.path.insert(0, sys.argv[1])
import model
from ad_compiler import grad
from ad_compiler.api import _CACHE
from ad_compiler.frontend import lower
from ad_compiler.graph import to_dot
from ad_compiler.ir.types import kind_of

dg = grad(model.g)
dg(1.5, 3)
print(to_dot(lower(model.f)))
print(to_dot(_CACHE.version(model.g, dg.options, None).ir))
print(to_dot(_CACHE.version(model.g, dg.options, (kind_of(1.5), kind_of(3))).ir))
'''


def test_the_text_is_the_same_in_every_process(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(_MODULE)
    (tmp_path / "script.py").write_text(_SCRIPT)
    runs = []
    for hash_seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed, PYTHONPATH=str(ROOT))
        command = [sys.executable, str(tmp_path / "script.py"), str(tmp_path)]
        runs.append(subprocess.Popen(command, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("digraph") == 3 and "cluster_" in outputs[0]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_draws_svg_and_png_and_reports_a_failing_dot() -> None:
    dot = to_dot(lower(loop))
    svg = render(dot, "svg")
    assert svg.startswith(b"<?xml") or b"<svg" in svg
    assert render(dot, "png").startswith(b"\x89PNG")
    with pytest.raises(RuntimeError, match="dot -Tsvg failed"):
        render("digraph {", "svg")


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_render_without_graphviz_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(GraphvizMissing, match=f"cannot write {fmt.upper()}: .*apt install graphviz"):
        render(to_dot(lower(seed)), fmt)


def test_render_refuses_unknown_formats() -> None:
    with pytest.raises(ValueError, match="svg, png, pdf"):
        render(to_dot(lower(seed)), "jpg")
