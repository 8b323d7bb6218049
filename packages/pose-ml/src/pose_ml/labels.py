"""Label names <-> class indices of a classifier, in the order of its output units."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LabelMap:
    """An ordered, duplicate-free list of label names; index i is output unit i."""

    names: tuple[str, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = tuple(self.names)
        if not names:
            raise ValueError("a label map needs at least one label")
        for name in names:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"label names must be non-empty strings, got {name!r}")
        if len(set(names)) != len(names):
            duplicates = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"duplicate label names: {duplicates}")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "_index", {name: i for i, name in enumerate(names)})

    @classmethod
    def from_names(cls, names: Iterable[str]) -> LabelMap:
        return cls(tuple(names))

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def index(self, name: str) -> int:
        """The output unit of a label; KeyError names the unknown label."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"unknown label {name!r}; known: {list(self.names)}") from None

    def name(self, index: int) -> str:
        if not 0 <= index < len(self.names):
            raise IndexError(f"label index {index} out of range 0..{len(self.names) - 1}")
        return self.names[index]

    def to_list(self) -> list[str]:
        return list(self.names)

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    @classmethod
    def from_json(cls, text: str | bytes) -> LabelMap:
        data = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("a label map is stored as a JSON list of names")
        return cls(tuple(data))
