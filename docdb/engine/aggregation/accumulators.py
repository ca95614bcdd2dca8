"""Group accumulators ($sum $avg $min $max $first $last $push $addToSet …, and the N/top/bottom family).

An accumulator is compiled once into ``(factory, argument)``: ``argument(doc, vars)`` is evaluated per
input document and fed to ``state.add(value)`` of a fresh ``factory()`` per group; ``state.result()``
gives the group's value. ``$setWindowFields`` reuses the same states over each window.
"""

from __future__ import annotations

import decimal
import functools
import heapq
import math
from collections.abc import Callable
from typing import Any

from docdb.engine.aggregation.sorting import compile_sort_key
from docdb.engine.bson_order import compare, hash_key
from docdb.engine.collation import active
from docdb.engine.expressions.core import MISSING, Evaluator, Scope, compile_node, is_constant
from docdb.engine.expressions.numeric import (
    DECIMAL,
    DOUBLE,
    INT,
    box_int,
    make_decimal,
    num_kind,
    to_decimal,
    to_float,
)
from docdb.engine.expressions.objects import check_n
from docdb.engine.sort import Descending
from docdb.errors import MongoError

Factory = Callable[[], Any]


def sum_values(values: list) -> Any:
    """MongoDB's $sum over numbers: int stays int, widens to long/double, decimal wins."""
    state = Sum()
    for value in values:
        state.add(value)
    return state.result()


def avg_values(values: list) -> Any:
    state = Avg()
    for value in values:
        state.add(value)
    return state.result()


class Sum:
    """Exact integer sum while only ints are seen; compensated double sum; Decimal when any decimal."""

    __slots__ = ("kind", "ints", "floats", "comp", "dec")

    def __init__(self) -> None:
        self.kind = INT
        self.ints = 0
        self.floats = 0.0
        self.comp = 0.0
        self.dec: decimal.Decimal | None = None

    def add(self, value: Any) -> None:
        cls = type(value)
        if cls is int:
            self.ints += value
            return
        kind = num_kind(value)
        if kind < 0:
            return
        if kind > self.kind:
            self.kind = kind
        if kind == DOUBLE:
            total = self.floats + value
            if math.isfinite(total) and math.isfinite(value):
                if abs(self.floats) >= abs(value):
                    self.comp += (self.floats - total) + value
                else:
                    self.comp += (value - total) + self.floats
            self.floats = total
        elif kind == DECIMAL:
            self.dec = (self.dec or decimal.Decimal(0)) + to_decimal(value)
        else:
            self.ints += int(value)

    def result(self) -> Any:
        if self.kind == DECIMAL:
            total = (self.dec or decimal.Decimal(0)) + decimal.Decimal(self.ints)
            if self.floats or self.comp:
                total += to_decimal(self.floats + self.comp)
            return make_decimal(total)
        if self.kind == DOUBLE:
            return self.ints + (self.floats + self.comp)
        kind = self.kind
        if kind == INT and not -(2**31) <= self.ints < 2**31:
            kind = 1
        return box_int(self.ints, kind)

    def remove(self, value: Any) -> None:
        raise NotImplementedError


class Avg:
    __slots__ = ("sum", "count")

    def __init__(self) -> None:
        self.sum = Sum()
        self.count = 0

    def add(self, value: Any) -> None:
        if num_kind(value) >= 0:
            self.sum.add(value)
            self.count += 1

    def result(self) -> Any:
        if not self.count:
            return None
        total = self.sum.result()
        if num_kind(total) == DECIMAL:
            return make_decimal(to_decimal(total) / self.count)
        return to_float(total) / self.count


class Extreme:
    """$min / $max: null and missing are ignored; null when nothing else was seen."""

    __slots__ = ("best", "sign")

    def __init__(self, sign: int) -> None:
        self.best: Any = MISSING
        self.sign = sign

    def add(self, value: Any) -> None:
        if value is None or value is MISSING:
            return
        if self.best is MISSING or self.sign * compare(value, self.best) > 0:
            self.best = value

    def result(self) -> Any:
        return None if self.best is MISSING else self.best


class CollatedExtreme(Extreme):
    """$min / $max under a collation (a subclass, so the default path keeps its plain ``compare``)."""

    __slots__ = ("compare",)

    def __init__(self, sign: int, compare: Callable[[Any, Any], int]) -> None:
        super().__init__(sign)
        self.compare = compare

    def add(self, value: Any) -> None:
        if value is None or value is MISSING:
            return
        if self.best is MISSING or self.sign * self.compare(value, self.best) > 0:
            self.best = value


class First:
    __slots__ = ("value", "seen")

    def __init__(self) -> None:
        self.value: Any = None
        self.seen = False

    def add(self, value: Any) -> None:
        if not self.seen:
            self.seen = True
            self.value = None if value is MISSING else value

    def result(self) -> Any:
        return self.value


class Last:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: Any = None

    def add(self, value: Any) -> None:
        self.value = None if value is MISSING else value

    def result(self) -> Any:
        return self.value


class Push:
    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: list = []

    def add(self, value: Any) -> None:
        if value is not MISSING:
            self.values.append(value)

    def result(self) -> Any:
        return self.values


class AddToSet:
    __slots__ = ("values", "keys")

    def __init__(self) -> None:
        self.values: list = []
        self.keys: set = set()

    def add(self, value: Any) -> None:
        if value is MISSING:
            return
        key = hash_key(value)
        if key not in self.keys:
            self.keys.add(key)
            self.values.append(value)

    def result(self) -> Any:
        return self.values


class CollatedAddToSet(AddToSet):
    """$addToSet under a collation: values equal by the collator are one."""

    __slots__ = ("hash_key",)

    def __init__(self, hash_key: Callable[[Any], Any]) -> None:
        super().__init__()
        self.hash_key = hash_key

    def add(self, value: Any) -> None:
        if value is MISSING:
            return
        key = self.hash_key(value)
        if key not in self.keys:
            self.keys.add(key)
            self.values.append(value)


class StdDev:
    """Welford's online variance; non-numbers are ignored; null if no (or, for samples, one) number."""

    __slots__ = ("count", "mean", "m2", "sample")

    def __init__(self, sample: bool) -> None:
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.sample = sample

    def add(self, value: Any) -> None:
        if num_kind(value) < 0:
            return
        x = to_float(value)
        self.count += 1
        delta = x - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (x - self.mean)

    def result(self) -> Any:
        if self.count == 0 or (self.sample and self.count == 1):
            return None
        return math.sqrt(self.m2 / (self.count - 1 if self.sample else self.count))


class MergeObjects:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: dict = {}

    def add(self, value: Any) -> None:
        if value is None or value is MISSING:
            return
        if not isinstance(value, dict):
            from docdb.engine.expressions.core import type_name

            raise MongoError(
                40400,
                f"$mergeObjects requires object inputs, but input {value!r} is of type {type_name(value)}",
            )
        self.value.update(value)

    def result(self) -> Any:
        return dict(self.value)


class FirstN:
    __slots__ = ("n", "values")

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: list = []

    def add(self, value: Any) -> None:
        if len(self.values) < self.n:
            self.values.append(None if value is MISSING else value)

    def result(self) -> Any:
        return self.values


class LastN:
    __slots__ = ("n", "values")

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: list = []

    def add(self, value: Any) -> None:
        self.values.append(None if value is MISSING else value)
        if len(self.values) > self.n:
            del self.values[0]

    def result(self) -> Any:
        return self.values


class ExtremeN:
    """$maxN / $minN: the n largest (smallest) non-null values, best first."""

    __slots__ = ("n", "sign", "heap", "counter")

    def __init__(self, n: int, sign: int) -> None:
        self.n = n
        self.sign = sign
        self.heap: list = []
        self.counter = 0

    def add(self, value: Any) -> None:
        if value is None or value is MISSING:
            return
        self.counter += 1
        self.heap.append(value)

    def result(self) -> Any:
        cmp = functools.cmp_to_key(lambda a, b: -self.sign * compare(a, b))
        return sorted(self.heap, key=cmp)[: self.n]


class TopBottom:
    """$top/$bottom/$topN/$bottomN: values arrive as (sort key, output); keep the n best by the sort."""

    __slots__ = ("n", "single", "reverse", "items", "seq")

    def __init__(self, n: int, single: bool, reverse: bool = False) -> None:
        self.n = n
        self.single = single
        self.reverse = reverse
        self.items: list = []
        self.seq = 0

    def add(self, value: Any) -> None:
        key, output = value
        self.seq += 1
        entry = (key, self.seq, output)
        if len(self.items) < self.n:
            heapq.heappush(self.items, _Neg(entry))
        elif entry[:2] < self.items[0].entry[:2]:
            heapq.heapreplace(self.items, _Neg(entry))

    def result(self) -> Any:
        ordered = sorted((item.entry for item in self.items), key=lambda e: e[:2])
        outputs = [None if e[2] is MISSING else e[2] for e in ordered]
        if self.reverse:
            outputs.reverse()
        if self.single:
            return outputs[0] if outputs else None
        return outputs


class _Neg:
    """Max-heap entry for TopBottom (heapq is a min-heap)."""

    __slots__ = ("entry",)

    def __init__(self, entry: tuple) -> None:
        self.entry = entry

    def __lt__(self, other: _Neg) -> bool:
        return self.entry[:2] > other.entry[:2]


def sort_by_key(spec: Any) -> Callable[[Any], Any]:
    """A ``sortBy`` document as a key in ``$sort``'s order (mongod's $top/$bottom use the $sort pattern)."""
    if not isinstance(spec, dict):
        raise MongoError(10065, "invalid parameter: expected an object (sortBy)")
    if not spec:
        raise MongoError(9657900, "Value for 'sortBy' must be a non-empty object")
    key = compile_sort_key(spec)
    return lambda doc: key(doc if isinstance(doc, dict) else {})


def _n_value(name: str, spec: Any, scope: Scope) -> int:
    n_fn = compile_node(spec, scope)
    if not is_constant(n_fn):
        raise MongoError(5787902, f"{name}: 'n' must be a constant expression in this context")
    return check_n(name, n_fn.constant)  # type: ignore[attr-defined]


def _object_arg(name: str, arg: Any, required: tuple[str, ...]) -> dict:
    if not isinstance(arg, dict):
        raise MongoError(5787801, f"specification must be an object; found {arg!r}")
    for key in arg:
        if key not in required:
            raise MongoError(5787901, f"Unknown argument for '{name}' accumulator: {key}")
    for key in required:
        if key not in arg:
            raise MongoError(5787906 if key == "n" else 5787907, f"Missing value for '{key}'")
    return arg


def compile_accumulator(name: str, arg: Any, scope: Scope) -> tuple[Factory, Evaluator]:
    """(factory, argument evaluator) for one ``{name: arg}`` accumulator; unknown names raise 15952."""
    simple = _SIMPLE.get(name)
    collator = active()
    if simple is not None and not collator.is_simple and name in ("$addToSet", "$max", "$min"):
        simple = {
            "$addToSet": lambda: CollatedAddToSet(collator.hash_key),
            "$max": lambda: CollatedExtreme(1, collator.compare),
            "$min": lambda: CollatedExtreme(-1, collator.compare),
        }[name]
    if simple is not None:
        if isinstance(arg, list):
            raise MongoError(40237, f"The {name} accumulator is a unary operator")
        return simple, compile_node(arg, scope)
    if name == "$count":
        if arg != {}:
            raise MongoError(40237, "$count takes no arguments, i.e. $count:{}")
        return Sum, lambda doc, v: 1
    if name in ("$firstN", "$lastN", "$maxN", "$minN"):
        spec = _object_arg(name, arg, ("n", "input"))
        n = _n_value(name, spec["n"], scope)
        factory = {
            "$firstN": lambda: FirstN(n),
            "$lastN": lambda: LastN(n),
            "$maxN": lambda: ExtremeN(n, 1),
            "$minN": lambda: ExtremeN(n, -1),
        }[name]
        return factory, compile_node(spec["input"], scope)
    if name in ("$top", "$bottom", "$topN", "$bottomN"):
        single = name in ("$top", "$bottom")
        spec = _object_arg(name, arg, ("sortBy", "output") if single else ("n", "sortBy", "output"))
        n = 1 if single else _n_value(name, spec["n"], scope)
        key = sort_by_key(spec["sortBy"])
        if name.startswith("$bottom"):
            forward = key

            def key(doc: Any, forward: Any = forward) -> Any:
                return Descending(forward(doc))

        output = compile_node(spec["output"], scope)
        bottom = name.startswith("$bottom")
        return (lambda: TopBottom(n, single, bottom)), (lambda doc, v: (key(doc), output(doc, v)))
    if name == "$accumulator":
        from docdb.engine.js.accumulator import compile_js_accumulator

        return compile_js_accumulator(arg, scope)
    raise MongoError(15952, f"unknown group operator '{name}'")


_SIMPLE: dict[str, Factory] = {
    "$addToSet": AddToSet,
    "$avg": Avg,
    "$first": First,
    "$last": Last,
    "$max": lambda: Extreme(1),
    "$mergeObjects": MergeObjects,
    "$min": lambda: Extreme(-1),
    "$push": Push,
    "$stdDevPop": lambda: StdDev(False),
    "$stdDevSamp": lambda: StdDev(True),
    "$sum": Sum,
}
ACCUMULATORS = (
    frozenset(_SIMPLE)
    | {"$count", "$firstN", "$lastN", "$maxN", "$minN", "$top", "$bottom"}
    | {
        "$topN",
        "$bottomN",
    }
)
