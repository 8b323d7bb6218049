"""LabelMap: order, lookups, JSON round trip, refusals."""

from __future__ import annotations

import pytest

from pose_ml.labels import LabelMap


def test_order_lookup_and_round_trip() -> None:
    labels = LabelMap.from_names(["tree", "warrior", "cobra"])
    assert len(labels) == 3 and list(labels) == ["tree", "warrior", "cobra"]
    assert labels.index("cobra") == 2 and labels.name(1) == "warrior"
    assert "tree" in labels and "chair" not in labels
    assert LabelMap.from_json(labels.to_json()) == labels


@pytest.mark.parametrize("names", [[], ["a", "a"], ["a", ""], ["a", 3]])
def test_refuses_bad_names(names: list) -> None:
    with pytest.raises(ValueError):
        LabelMap.from_names(names)


def test_unknown_label_and_index() -> None:
    labels = LabelMap.from_names(["a", "b"])
    with pytest.raises(KeyError, match="unknown label 'c'"):
        labels.index("c")
    with pytest.raises(IndexError):
        labels.name(2)
    with pytest.raises(ValueError):
        LabelMap.from_json('{"a": 0}')
