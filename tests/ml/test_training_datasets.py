"""Training datasets: the built-in pairs (no held-out leakage) and line-level JSONL checks."""

from __future__ import annotations

import json

import pytest

from ml.documents import perfume_text
from ml.evaluation import load_queries
from ml.knowledge import Catalog
from ml.training.datasets import DatasetLimits, builtin_dataset, validate_jsonl
from ml.training.embedding import check_no_leakage
from ml.training.embedding_pairs import heldout_words, overlaps
from ml.training.examples import Dataset, DatasetError, Example

pytestmark = pytest.mark.unit


def _errors(lines: list[str | bytes], target: str = "embedding", **limits: int) -> list:
    with pytest.raises(DatasetError) as caught:
        validate_jsonl(lines, target, limits=DatasetLimits(**limits))  # type: ignore[arg-type]
    return caught.value.errors


def test_embedding_pairs_never_use_the_evaluation_queries() -> None:
    dataset = builtin_dataset("embedding-pairs")
    every_eval_query = {q.query.lower() for q in load_queries()}
    guard = heldout_words()
    assert dataset.target == "embedding" and len(dataset) > 500
    assert not [e for e in dataset.examples if e.source.lower() in every_eval_query]
    assert not [e for e in dataset.examples if overlaps(e.source, guard)]
    check_no_leakage(dataset)  # does not raise
    texts = {perfume_text(p) for p in Catalog.load().perfumes}
    assert all(e.target in texts for e in dataset.examples)


def test_leaking_a_heldout_query_is_rejected_with_its_line() -> None:
    heldout = next(q.query for q in load_queries() if q.split == "heldout")
    dataset = Dataset("x", "embedding", (Example("woody", "t"), Example(heldout.upper(), "t")))
    with pytest.raises(DatasetError) as caught:
        check_no_leakage(dataset)
    assert [n for n, _ in caught.value.errors] == [2]


def test_generator_pairs_are_prompts_with_formula_json() -> None:
    dataset = builtin_dataset("generator-pairs", limit=3)
    assert dataset.target == "generator" and len(dataset) == 3
    for example in dataset.examples:
        items = json.loads(example.target)["ingredients"]
        assert len(items) >= 5 and example.source.endswith("JSON:")
        assert all(f"\n{item['material_id']} | " in example.source for item in items)


def test_valid_upload_becomes_a_dataset() -> None:
    lines = [json.dumps({"query": "smoky vetiver", "positive": "A dry vetiver."}), "",
             json.dumps({"query": "sheer musk", "positive": "Clean musks."}).encode()]
    dataset = validate_jsonl(lines, "embedding")
    assert dataset.examples == (Example("smoky vetiver", "A dry vetiver."),
                                Example("sheer musk", "Clean musks."))


@pytest.mark.parametrize("lines", [[], ["", "   "]])
def test_empty_upload_is_rejected(lines: list[str]) -> None:
    assert _errors(lines) == [(0, "the file is empty: no examples")]


def test_bad_json_and_wrong_fields_name_their_lines() -> None:
    errors = _errors(['{"prompt": "p", "completion": "c"}', "{not json",
                      '{"prompt": "p"}', '{"prompt": 3, "completion": "c", "extra": 1}',
                      "[1, 2]", b"\xff\xfe"], target="generator")
    by_line: dict[int, list[str]] = {}
    for number, message in errors:
        by_line.setdefault(number, []).append(message)
    assert sorted(by_line) == [2, 3, 4, 5, 6]
    assert by_line[2][0].startswith("invalid JSON")
    assert by_line[3] == ["missing field 'completion'"]
    assert any("unexpected field 'extra'" in m for m in by_line[4])
    assert any("'prompt' must be a non-empty string" in m for m in by_line[4])
    assert by_line[5] == ["expected a JSON object, got list"]
    assert by_line[6] == ["not valid UTF-8"]


def test_a_field_given_twice_in_a_line_is_refused() -> None:
    """As a key given twice in a request body is: which one counted was a guess."""
    errors = _errors(['{"prompt": "p", "completion": "c"}',
                      '{"prompt": "a", "prompt": "b", "completion": "c"}'], target="generator")
    assert errors == [(2, "field 'prompt' is given more than once")]


def test_too_many_lines_and_too_long_texts_are_rejected() -> None:
    row = json.dumps({"query": "q", "positive": "p"})
    assert _errors([row] * 4, max_lines=3) == [(4, "too many lines: the limit is 3")]
    long_row = json.dumps({"query": "q", "positive": "x" * 51})
    assert _errors([row, long_row], max_chars=50) == [
        (2, "field 'positive' has 51 characters; the limit is 50")]


def test_unknown_builtin_dataset_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        builtin_dataset("nope")
