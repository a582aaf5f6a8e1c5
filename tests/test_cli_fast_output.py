"""The fast paths of `ls --json`, `export`, reading a record and the technique tags give exactly what the plain ones gave."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greentui.cli.fast_json import dumps_records
from greentui.config import KEYS, RunConfig
from greentui.metrics.registry import declared_order
from greentui.report.csv_export import FORMULA_SIGNS, FORMULA_STARTS, MAX_DEPTH, NESTED, TOP_LEVEL, csv_text, neutralise
from greentui.store.record import _FIELD_NAMES, RunRecord, _typed
from greentui.store.techniques import techniques_of

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                                             max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=6), values, max_size=6), max_size=4))
def test_dumps_records_is_json_dumps_indent_2(docs: list[dict]) -> None:
    assert dumps_records(docs) == json.dumps(docs, indent=2)
    assert dumps_records(docs * 2) == json.dumps(docs * 2, indent=2)  # the second time from the memo


def test_dumps_records_takes_tuples_and_refuses_what_json_refuses() -> None:
    docs = [{"tags": ("a", "b"), "m": {"x": -0.0, "y": float("nan")}, "n": {"k": (1, [2])}}]
    assert dumps_records(docs) == json.dumps(docs, indent=2)
    with pytest.raises(TypeError):
        dumps_records([{"a": {"s": {1}}}])


def test_dumps_records_tells_apart_values_that_compare_equal_and_stops_looking_up_unrepeated_fields() -> None:
    alike = [{"m": {"x": value}, "c": {"k": value}} for value in (0.0, -0.0, 1, 1.0, True, 0.0, -0.0, False, 0)]
    unrepeated = [{"m": {"x": i / 7}, "c": {"k": 1}} for i in range(40)]  # "m" is soon encoded without a look-up
    docs = alike + unrepeated + alike
    assert dumps_records(docs) == json.dumps(docs, indent=2)


@given(st.text(max_size=4))
def test_neutralise_is_the_plain_rule(text: str) -> None:
    quoted = text.lstrip()[:1] in FORMULA_SIGNS or text[:1] in FORMULA_STARTS
    assert neutralise(text) == ("'" + text if quoted else text)


def test_text_starting_with_no_quote_start_is_left_as_it_is_for_every_character() -> None:
    # The export leaves such text alone without calling neutralise: that must be exactly neutralise's rule.
    from greentui.report.csv_export import _QUOTE_STARTS

    for code in range(0x110000):
        first = chr(code)
        if first not in _QUOTE_STARTS:
            assert neutralise(first + "=1") == first + "=1", hex(code)


def _plain_techniques(config: dict) -> tuple[str, ...]:
    try:
        return tuple(RunConfig.from_mapping({k: v for k, v in config.items() if k in KEYS}).techniques())
    except ValueError:
        return ()


def test_technique_tags_match_a_validated_config() -> None:
    rng = random.Random(0)
    base = RunConfig().to_dict()
    odd = [None, "", "x", -1, 0, -0.0, 0.0, 0.5, 1, 1.0, True, False, 2, 512, float("nan"), "bf16", "sgd", "cosine",
           [1], {"a": 1}, "dynamic-int8", "low-carbon", 1e9]
    for _ in range(3000):
        config = dict(base)
        for key in rng.sample(KEYS, rng.randint(0, 4)):
            config[key] = rng.choice(odd)
        if rng.random() < 0.1:
            config["not_a_key"] = 1
        assert techniques_of(config) == _plain_techniques(config), config


full_docs = st.fixed_dictionaries({name: values for name in _FIELD_NAMES} | {"id": st.text(min_size=1)},
                                  optional={"unknown": values})


@settings(max_examples=300, deadline=None)
@given(st.one_of(full_docs, st.dictionaries(st.sampled_from(_FIELD_NAMES), values).map(lambda d: {**d, "id": "r1"})))
def test_a_record_read_without_the_dataclass_init_is_the_one_init_builds(doc: dict) -> None:
    assert not hasattr(RunRecord, "__post_init__")  # the fast path skips __init__: it must not skip more
    plain = RunRecord(**_typed({k: v for k, v in doc.items() if k in _FIELD_NAMES}))
    read = RunRecord.from_doc(doc, copy=False)
    assert read == plain
    assert read.to_doc() == plain.to_doc()
    assert RunRecord.from_doc(doc) == plain


def _plain_flatten(row: dict, prefix: str, value: object, depth: int) -> None:
    if isinstance(value, dict) and depth > 0:
        for key, inner in value.items():
            _plain_flatten(row, f"{prefix}.{key}", inner, depth - 1)
    elif isinstance(value, list):
        row[prefix] = "; ".join(map(str, value))
    else:
        row[prefix] = value


def _plain_csv(records: list[RunRecord]) -> str:
    """The export as the documented rule makes it: flatten, order the columns, neutralise every cell, DictWriter."""
    rows = []
    for record in records:
        row = {key: getattr(record, key) for key in TOP_LEVEL}
        row |= {"techniques": " ".join(record.techniques()) or "baseline", "tags": "; ".join(record.tags),
                "notes": record.notes}
        row |= {f"config.{key}": record.config.get(key) for key in KEYS}
        for section in NESTED:
            _plain_flatten(row, section, getattr(record, section), MAX_DEPTH)
        rows.append(row)
    columns = list(dict.fromkeys(c for row in rows for c in row))
    metrics = [c for c in columns if c.startswith("metrics.")]
    if metrics:
        rest = [c for c in columns if not c.startswith("metrics.")]
        at = columns.index(metrics[0])
        columns = rest[:at] + ["metrics." + k for k in declared_order(c[8:] for c in metrics)] + rest[at:]
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, columns or list(TOP_LEVEL))
    writer.writeheader()
    writer.writerows({c: neutralise(row.get(c)) for c in columns} for row in rows)
    return out.getvalue()


cells = st.one_of(scalars, st.sampled_from(["=1+1", "-2", " @x", "\u3000=x", "\uff0b1", "a,b", 'q"uote', "\n", "", "x"]),
                  st.sampled_from([0.0, -0.0, 1, 1.0, True, -3.5, float("nan"), None]))
section_values = st.recursive(cells, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["a", "b", "a.b", "energy_kwh", "accuracy"]), inner, max_size=3), max_leaves=8)
sections = st.dictionaries(st.sampled_from(["a", "b", "energy_kwh", "accuracy", "f1", "duration_s"]), section_values,
                           max_size=4)
config_values = st.dictionaries(st.sampled_from(KEYS[:8] + ("not_a_key",)), cells, max_size=4).map(
    lambda changed: {**RunConfig().to_dict(), **changed})
export_docs = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=4), "name": cells, "notes": cells, "tags": st.lists(cells, max_size=2),
     "config": config_values} | {section: sections for section in NESTED}, optional={"error": cells})


@settings(max_examples=300, deadline=None)
@given(st.lists(export_docs, min_size=0, max_size=4))
def test_export_is_the_plain_rule_cell_for_cell(docs: list[dict]) -> None:
    records = [RunRecord.from_doc(doc) for doc in docs]
    for runs in (records, records * 2, records[::-1]):  # repeats go through the memos
        assert csv_text(runs)[0] == _plain_csv(runs)
