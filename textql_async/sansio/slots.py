"""Replace-by-id in first-appearance order: the one rule behind every fold in this SDK.

Ana's blocks and v2 chat cells are both re-sent under the same id as they grow;
the newer version replaces the older in its original slot. A dict from id to
slot keeps each update O(1); an item without an id gets a slot of its own.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["OrderedSlots"]

T = TypeVar("T")


class OrderedSlots(Generic[T]):
    """Items in the order their id first appeared, each slot holding the newest version."""

    __slots__ = ("_index", "items")

    def __init__(self) -> None:
        #: the newest version of every item, in first-appearance order (do not mutate)
        self.items: list[T] = []
        self._index: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def put(self, key: str | None, item: T) -> tuple[int, bool]:
        """Store ``item`` under ``key``; returns its slot and whether the slot is new."""
        if key is not None:
            index = self._index.get(key)
            if index is not None:
                self.items[index] = item
                return index, False
            self._index[key] = index = len(self.items)
        else:
            index = len(self.items)
        self.items.append(item)
        return index, True

    def index_of(self, key: str) -> int | None:
        """The slot of ``key``, if it was seen."""
        return self._index.get(key)
