"""Splits by group (subject or session), never by random rows.

Consecutive frames of one recording are near-duplicates, so a random row split lets a model
be tested on frames it has all but seen. Every split here keeps each group wholly on one
side: a hold-out of named groups (or a deterministic fraction of them), grouped k-fold, and
leave-one-group-out cross-validation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Split:
    """Row indices of the training and the test side, and the groups on the test side."""

    name: str
    train: np.ndarray
    test: np.ndarray
    test_groups: tuple[str, ...]


def _group_order(groups: Sequence[str], seed: int) -> list[str]:
    """Groups in a seeded but platform-independent order (a hash, not Python's hash())."""
    names = sorted(set(groups))
    return sorted(names, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())


def holdout_split(
    groups: np.ndarray,
    *,
    test_groups: Sequence[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Split:
    """Hold out the named groups, or about test_fraction of the rows in whole groups."""
    groups = np.asarray(groups).astype(str)
    names = sorted(set(groups.tolist()))
    if len(names) < 2:
        raise ValueError(f"a grouped split needs at least 2 groups, the data has {names}")
    if test_groups:
        unknown = sorted(set(test_groups) - set(names))
        if unknown:
            raise ValueError(f"test groups {unknown} are not in the data; groups: {names}")
        chosen = sorted(set(test_groups))
        if len(chosen) == len(names):
            raise ValueError("every group is a test group: nothing is left to train on")
    else:
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        target = test_fraction * len(groups)
        chosen, taken = [], 0
        for name in _group_order(groups.tolist(), seed):
            if taken >= target or len(chosen) == len(names) - 1:
                break
            chosen.append(name)
            taken += int((groups == name).sum())
        chosen.sort()
    test = np.isin(groups, chosen)
    return Split("holdout", np.flatnonzero(~test), np.flatnonzero(test), tuple(chosen))


def leave_one_group_out(groups: np.ndarray) -> Iterator[Split]:
    """One split per group, that group being the test side."""
    groups = np.asarray(groups).astype(str)
    names = sorted(set(groups.tolist()))
    if len(names) < 2:
        raise ValueError(f"leave-one-group-out needs at least 2 groups, the data has {names}")
    for name in names:
        test = groups == name
        yield Split(name, np.flatnonzero(~test), np.flatnonzero(test), (name,))


def group_k_fold(groups: np.ndarray, *, folds: int, seed: int = 0) -> Iterator[Split]:
    """k folds of whole groups, balanced by row count (largest groups placed first)."""
    groups = np.asarray(groups).astype(str)
    names = _group_order(groups.tolist(), seed)
    if folds < 2 or folds > len(names):
        raise ValueError(f"folds must be in [2, {len(names)}] for {len(names)} groups, got {folds}")
    sizes = {name: int((groups == name).sum()) for name in names}
    members: list[list[str]] = [[] for _ in range(folds)]
    load = [0] * folds
    for name in sorted(names, key=lambda g: -sizes[g]):  # stable: ties keep the seeded order
        fold = int(np.argmin(load))
        members[fold].append(name)
        load[fold] += sizes[name]
    for index, chosen in enumerate(members):
        test = np.isin(groups, chosen)
        yield Split(
            f"fold-{index + 1}", np.flatnonzero(~test), np.flatnonzero(test), tuple(sorted(chosen))
        )


def cross_validation(
    groups: np.ndarray, *, kind: str, folds: int = 5, seed: int = 0
) -> list[Split]:
    """ "logo" (leave one group out) or "group_kfold" splits."""
    if kind == "logo":
        return list(leave_one_group_out(groups))
    if kind == "group_kfold":
        return list(group_k_fold(groups, folds=folds, seed=seed))
    raise ValueError(f"unknown cross-validation {kind!r}; use 'logo' or 'group_kfold'")
