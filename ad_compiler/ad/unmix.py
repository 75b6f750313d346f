"""Taking apart a branch or loop that both has effects and depends on a seed.

A Jacobian by plain forward passes runs what depends on the seed (a unit direction)
once per column (`split.split_at_seeds`). A loop that draws a random number each
iteration *and* carries a tangent cannot run per column: the draw must happen once per
call. So it is taken apart into two ops: one that runs once (the primal work and the
effects), recording on a tape, each iteration, the values the other reads; and one that
runs per seed (the tangent work), over that tape. A branch is taken apart the same way,
the first `cond` handing out what the second reads. Nested branches and loops are taken
apart first.
"""

from __future__ import annotations

from ..errors import NoDerivativeError
from ..ir import Const, Op, Operand, Region, Value, absent
from ..ir.clone import substitute
from ..ir.prims import LOOP_HEAD, carried_args, has_effects, loop_inits
from ..passes.activity import region_reads
from .fresh import made_per_seed


def unmix(ops: list[Op], dependent: set[Value], inside: bool = False) -> list[Op]:
    """`ops` with each region op that has effects and depends on `dependent` replaced by
    an op that runs once and one that depends on the seed; `dependent` grows with what
    depends on the seed. So is a branch or loop that computes both primal values and
    what depends on the seed where code with effects, which runs once, may read those
    primal values: after it, or `inside` a region being taken apart."""
    out: list[Op] = []
    effects_after = [False] * len(ops)
    for k in reversed(range(len(ops) - 1)):
        effects_after[k] = effects_after[k + 1] or has_effects(ops[k + 1])
    for k, op in enumerate(ops):
        reads = region_reads(op) & dependent
        if reads and op.regions and (has_effects(op) or (inside or effects_after[k]) and _mixed(op, dependent)):
            out += _cond(op, dependent) if op.prim == "cond" else _loop(op, dependent)
        elif reads:
            if has_effects(op):
                raise _runs_again(op)
            dependent.update(op.results)
            out.append(op)
        else:
            out.append(op)
    return out


def _mixed(op: Op, dependent: set[Value]) -> bool:
    """Whether some of the results of a region op that reads what depends on the seed
    do not depend on it (the primal values of a branch that carries tangents too): they
    may be read by code that runs once, so the op is taken apart."""
    probe = set(dependent)
    _reach([op], probe)
    return not all(r in probe for r in op.results)


def _split(ops: list[Op], dependent: set[Value]) -> tuple[list[Op], list[Op]]:
    """A region's ops as (once, per seed), nested region ops taken apart first."""
    ops = unmix(ops, dependent, inside=True)
    during = {k for k, op in enumerate(ops) if any(r in dependent for r in op.results)
              or region_reads(op) & dependent and not has_effects(op)}
    during |= made_per_seed(ops, during)  # (a tangent tape pushed to per seed)
    return [op for k, op in enumerate(ops) if k not in during], [op for k, op in enumerate(ops) if k in during]


def _needed(once: list[Op], args: list[Value], per_seed: list[Op], yields: list[Operand]) -> list[Value]:
    """Values made at this level by `once` (or region `args`) that the seed part reads."""
    made = set(args) | {r for op in once for r in op.results}
    read: list[Value] = []
    for x in [x for op in per_seed for x in _reads_in_order(op)] + [y for y in yields if isinstance(y, Value)]:
        if x in made and x not in read:
            read.append(x)
    return read


def _cond(op: Op, dependent: set[Value]) -> list[Op]:
    if op.inputs[0] in dependent:
        raise _runs_again(op)
    parts = [_split(region.ops, dependent) for region in op.regions]
    seeded = [k for k in range(len(op.results)) if any(
        isinstance(r.yields[k], Value) and r.yields[k] in dependent for r in op.regions)]
    kept = [k for k in range(len(op.results)) if k not in seeded]
    needs = [_needed(once, [], per, [r.yields[k] for k in seeded])
             for (once, per), r in zip(parts, op.regions)]
    handed = [Value(v.name, v.kind) for need in needs for v in need]
    first_regions, second_regions = [], []
    offset = 0
    for (once, per), region, need in zip(parts, op.regions, needs):
        slots = [absent() for _ in handed]
        slots[offset:offset + len(need)] = need
        mapping = dict(zip(need, handed[offset:offset + len(need)]))
        offset += len(need)
        first_regions.append(Region([], once, [region.yields[k] for k in kept] + slots))
        yields = substitute(per, [region.yields[k] for k in seeded], mapping)
        second_regions.append(Region([], per, yields))
    first = Op("cond", [op.inputs[0]], [op.results[k] for k in kept] + handed, {}, first_regions, op.loc)
    second = Op("cond", [op.inputs[0]], [op.results[k] for k in seeded], {}, second_regions, op.loc)
    dependent.update(second.results)
    return [first, second]


def _loop(op: Op, dependent: set[Value]) -> list[Op]:
    head, body = LOOP_HEAD[op.prim], op.regions[-1]
    carried, inits = carried_args(op, body), loop_inits(op)
    if set(op.inputs[:head]) & dependent or (op.prim == "while" and _reads(op.regions[0]) & dependent):
        raise _runs_again(op)
    seeded = {k for k, x in enumerate(inits) if isinstance(x, Value) and x in dependent}
    while True:  # a carried value is seeded if it starts or becomes so
        probe = set(dependent) | {carried[k] for k in seeded}
        _reach(body.ops, probe)
        more = {k for k, y in enumerate(body.yields) if isinstance(y, Value) and y in probe} - seeded
        if not more:
            break
        seeded |= more
    trial = set(dependent) | {carried[k] for k in seeded}
    once, per = _split(list(body.ops), trial)  # (it rewrites the body's ops: once)
    dependent |= trial
    if op.prim == "while" and _reads(op.regions[0]) & {op.regions[0].args[k] for k in seeded}:
        raise _runs_again(op)  # the test reads what depends on the seed
    kept = [k for k in range(len(carried)) if k not in seeded]
    seeded_slots = sorted(seeded)
    lead = body.args[: len(body.args) - len(carried)]  # the index or item
    need = _needed(once, lead + [carried[k] for k in kept], per, [body.yields[k] for k in seeded_slots])
    tape, arg, pushed, filled, entry = Value("tape"), Value("tape"), Value("tape"), Value("tape"), Value()
    record = [Op("tuple", list(need), [entry], loc=op.loc), Op("push", [arg, entry], [pushed], loc=op.loc)]
    first_body = Region(lead + [carried[k] for k in kept] + [arg], once + record,
                        [body.yields[k] for k in kept] + [pushed])
    regions = [first_body]
    if op.prim == "while":
        test = op.regions[0]
        test_args = [test.args[k] for k in kept] + [Value("tape")]
        regions = [Region(test_args, test.ops, test.yields), first_body]
    first = Op(op.prim, list(op.inputs[:head]) + [inits[k] for k in kept] + [tape],
               [op.results[k] for k in kept] + [filled], {}, regions, op.loc)
    item = Value("entry")
    unpacked = {v: Value(v.name, v.kind) for v in need}
    reads = [Op("getitem", [item, Const(j)], [unpacked[v]], loc=op.loc) for j, v in enumerate(need)]
    yields = substitute(per, [body.yields[k] for k in seeded_slots], unpacked)
    second_body = Region([item] + [carried[k] for k in seeded_slots], reads + per, yields)
    second = Op("for_each", [filled] + [inits[k] for k in seeded_slots], [op.results[k] for k in seeded_slots],
                {}, [second_body], op.loc)
    dependent.update(second.results)
    return [Op("list", [], [tape], loc=op.loc), first, second]


def _reads_in_order(op: Op) -> list[Value]:
    """`region_reads(op)` in program order (what is handed out is numbered by it: the
    same code on every run)."""
    reads = [x for x in op.inputs if isinstance(x, Value)]
    for region in op.regions:
        for inner in region.ops:
            reads += _reads_in_order(inner)
        reads += [y for y in region.yields if isinstance(y, Value)]
    return reads


def _reach(ops: list[Op], dependent: set[Value]) -> None:
    """Add to `dependent` what `ops` compute from it. A branch or loop whose decisions
    (test, bounds) do not depend on it hands out, of its results, those its regions
    compute from it: the primal values of a branch that carries tangents too are not
    the seed's."""
    for op in ops:
        if not region_reads(op) & dependent:
            continue
        head = LOOP_HEAD.get(op.prim, 1 if op.prim == "cond" else None)
        if head is None or set(op.inputs[:head]) & dependent:
            _reach_all(op, dependent)
        elif op.prim == "cond":
            for region in op.regions:
                _reach(region.ops, dependent)
            dependent.update(r for k, r in enumerate(op.results)
                             if any(isinstance(y := region.yields[k], Value) and y in dependent for region in op.regions))
        else:
            _reach_loop(op, dependent)


def _reach_loop(op: Op, dependent: set[Value]) -> None:
    """A loop's carried values that start or become dependent, to a fixed point."""
    inits = loop_inits(op)
    seeded = {k for k, x in enumerate(inits) if isinstance(x, Value) and x in dependent}
    while True:
        probe = set(dependent) | {args[k] for region in op.regions for args in [carried_args(op, region)] for k in seeded}
        if op.prim == "while" and _reads(op.regions[0]) & probe:
            _reach_all(op, dependent)  # the test reads it: every iteration count depends on it
            return
        _reach(op.regions[-1].ops, probe)
        more = {k for k, y in enumerate(op.regions[-1].yields) if isinstance(y, Value) and y in probe} - seeded
        if not more:
            break
        seeded |= more
    dependent |= probe
    dependent.update(op.results[k] for k in seeded)


def _reach_all(op: Op, dependent: set[Value]) -> None:
    """Everything `op` computes depends on it (coarse: a decision depends on it)."""
    dependent.update(op.results)
    for region in op.regions:
        dependent.update(region.args)
        _reach_all_ops(region.ops, dependent)


def _reach_all_ops(ops: list[Op], dependent: set[Value]) -> None:
    for op in ops:
        _reach_all(op, dependent)


def _reads(region: Region) -> set[Value]:
    return {x for op in region.ops for x in region_reads(op)} | {y for y in region.yields if isinstance(y, Value)}


def _runs_again(op: Op) -> NoDerivativeError:
    """A block with code run as written (a print, a random draw) that would run once per
    seed: refused, since it must run once per call."""
    message = ("this block calls code run as written (a print, a random draw, ...) where its "
               "decisions depend on the direction of the derivative, so it would run once per "
               "direction; move the call out of the block, before it")
    loc = op.loc
    if loc is None:
        return NoDerivativeError(message)
    return NoDerivativeError(message, loc.file, loc.line, loc.col)
