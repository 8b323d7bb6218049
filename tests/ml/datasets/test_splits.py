"""Grouped splits: no group is ever on both sides."""

from __future__ import annotations

import numpy as np
import pytest

from pose_ml.datasets.splits import (
    cross_validation,
    group_k_fold,
    holdout_split,
    leave_one_group_out,
)

GROUPS = np.array(["a"] * 10 + ["b"] * 20 + ["c"] * 30 + ["d"] * 5 + ["e"] * 35)


def _disjoint(train: np.ndarray, test: np.ndarray) -> bool:
    return not set(GROUPS[train]) & set(GROUPS[test]) and len(train) + len(test) == len(GROUPS)


def test_a_holdout_keeps_whole_groups_and_is_deterministic() -> None:
    split = holdout_split(GROUPS, test_fraction=0.2, seed=3)
    assert _disjoint(split.train, split.test)
    again = holdout_split(GROUPS, test_fraction=0.2, seed=3)
    assert split.test_groups == again.test_groups and np.array_equal(split.test, again.test)
    assert set(GROUPS[split.test]) == set(split.test_groups)
    named = holdout_split(GROUPS, test_groups=["b", "d"])
    assert named.test_groups == ("b", "d") and len(named.test) == 25


def test_leave_one_group_out_tests_each_group_once() -> None:
    splits = list(leave_one_group_out(GROUPS))
    assert [s.test_groups for s in splits] == [("a",), ("b",), ("c",), ("d",), ("e",)]
    assert all(_disjoint(s.train, s.test) for s in splits)
    assert sum(len(s.test) for s in splits) == len(GROUPS)


def test_group_k_fold_balances_rows_and_covers_every_group() -> None:
    folds = list(group_k_fold(GROUPS, folds=2))
    assert all(_disjoint(f.train, f.test) for f in folds)
    assert sorted(g for f in folds for g in f.test_groups) == ["a", "b", "c", "d", "e"]
    sizes = sorted(len(f.test) for f in folds)
    assert sizes[1] - sizes[0] <= 10
    assert [s.name for s in cross_validation(GROUPS, kind="group_kfold", folds=3)] == [
        "fold-1",
        "fold-2",
        "fold-3",
    ]


def test_impossible_splits_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="at least 2 groups"):
        holdout_split(np.array(["a", "a"]))
    with pytest.raises(ValueError, match=r"test groups \['z'\] are not in the data"):
        holdout_split(GROUPS, test_groups=["z"])
    with pytest.raises(ValueError, match="nothing is left to train on"):
        holdout_split(GROUPS, test_groups=list("abcde"))
    with pytest.raises(ValueError, match="folds must be in"):
        list(group_k_fold(GROUPS, folds=9))
    with pytest.raises(ValueError, match="unknown cross-validation"):
        cross_validation(GROUPS, kind="random")
