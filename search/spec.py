"""What a search asks for, as plain frozen data that a page token can carry.

A query is a tree: a `Leaf` is one text (or one image) searched in some options; a
`Node` joins sub-queries with the Twelve Labs combined-query operators `and`, `or`,
`not` (children: origin, sub) and `then` (children in the order they must occur).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

OPERATORS = ("and", "or", "not", "then")
GROUP_BY = ("clip", "video")
SORT_OPTIONS = ("score", "clip_count")
CONVERSATION_OPTIONS = ("semantic", "exact_match")


@dataclass(frozen=True)
class Leaf:
    text: str = ""
    # An image query: the uploaded bytes while the first page is served, then only its
    # CLIP vector (`with_image_vectors`), which is what page tokens carry.
    image: bytes | None = field(default=None, repr=False)
    image_vector: tuple[float, ...] | None = None
    options: tuple[str, ...] | None = None  # overrides the search's options for this sub-query
    conversation_option: str | None = None  # overrides the search's conversation_option

    @property
    def label(self) -> str:
        return self.text or "an image"


@dataclass(frozen=True)
class Node:
    operator: str
    children: tuple[Leaf | Node, ...]


Query = Leaf | Node


@dataclass(frozen=True)
class SearchSpec:
    query: Query
    index_ids: tuple[str, ...]
    options: tuple[str, ...]
    conversation_option: str = "semantic"
    operator: str = "or"  # across options
    threshold: str = "low"
    group_by: str = "clip"
    sort_option: str = "score"
    page_limit: int = 10
    # Strictness of the confidence cut points in [0, 1]; 0.5 is the calibration as documented.
    adjust_confidence_level: float = 0.5
    filter: dict[str, Any] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        return {
            "q": _query_data(self.query),
            "i": list(self.index_ids),
            "o": list(self.options),
            "c": self.conversation_option,
            "p": self.operator,
            "t": self.threshold,
            "g": self.group_by,
            "s": self.sort_option,
            "l": self.page_limit,
            "a": self.adjust_confidence_level,
            "f": self.filter,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SearchSpec:
        return cls(
            query=_query_from(data["q"]),
            index_ids=tuple(data["i"]),
            options=tuple(data["o"]),
            conversation_option=data["c"],
            operator=data["p"],
            threshold=data["t"],
            group_by=data["g"],
            sort_option=data["s"],
            page_limit=int(data["l"]),
            adjust_confidence_level=float(data["a"]),
            filter=data["f"],
        )


def _query_data(query: Query) -> dict[str, Any]:
    if isinstance(query, Node):
        return {"op": query.operator, "of": [_query_data(child) for child in query.children]}
    if query.image is not None:
        raise ValueError("resolve image queries to vectors (with_image_vectors) before serialising")
    data: dict[str, Any] = {"text": query.text}
    if query.image_vector is not None:
        # float16 bytes: a 512-d CLIP vector is 1 KB in the token instead of 8 KB of digits.
        packed = np.asarray(query.image_vector, dtype=np.float16).tobytes()
        data["image"] = base64.urlsafe_b64encode(packed).decode()
    if query.options is not None:
        data["options"] = list(query.options)
    if query.conversation_option is not None:
        data["conversation_option"] = query.conversation_option
    return data


def _query_from(data: dict[str, Any]) -> Query:
    if "op" in data:
        return Node(operator=data["op"], children=tuple(_query_from(child) for child in data["of"]))
    image = data.get("image")
    vector = None
    if image is not None:
        vector = tuple(float(x) for x in np.frombuffer(base64.urlsafe_b64decode(image), dtype=np.float16))
    options = data.get("options")
    return Leaf(
        text=data.get("text", ""),
        image_vector=vector,
        options=tuple(options) if options is not None else None,
        conversation_option=data.get("conversation_option"),
    )


def leaves(query: Query) -> list[Leaf]:
    if isinstance(query, Leaf):
        return [query]
    return [leaf for child in query.children for leaf in leaves(child)]


def with_image_vectors(query: Query, embed: Callable[[bytes], np.ndarray]) -> Query:
    """The query with every image replaced by its vector (`embed` is cached: no second inference)."""
    if isinstance(query, Node):
        return Node(query.operator, tuple(with_image_vectors(child, embed) for child in query.children))
    if query.image is None:
        return query
    vector = tuple(float(x) for x in embed(query.image))
    return replace(query, image=None, image_vector=vector)
