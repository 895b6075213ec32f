"""Blocked-term matching that survives the usual evasions (first cut: NFKC, case, invisibles).

The interface the rules use: `Matcher(terms)` compiles (key, term) pairs once; `find(text)`
answers every hit with the span in the original text and the normalised form that matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    key: str
    term: str
    start: int
    end: int
    matched: str
    normalized: str


def _fold(ch: str) -> str:
    out = []
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch).casefold()):
        if unicodedata.combining(c) or unicodedata.category(c) == "Cf":
            continue
        out.append(c)
    return "".join(out)


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the source character."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold(ch):
            chars.append(c)
            offsets.append(i)
    return "".join(chars), offsets


def normalize(text: str) -> str:
    return normalize_with_offsets(text)[0]


class Matcher:
    """Compiled blocked terms; rebuilt when the rules change."""

    def __init__(self, terms: Iterable[tuple[str, str]]) -> None:
        self._terms: dict[str, list[tuple[str, str]]] = {}
        for key, term in terms:
            folded = " ".join(normalize(term).split())
            if folded:
                self._terms.setdefault(folded, []).append((key, term))
        if self._terms:
            alternatives = "|".join(re.escape(t) for t in sorted(self._terms, key=len, reverse=True))
            self._pattern: re.Pattern[str] | None = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        else:
            self._pattern = None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def find(self, text: str) -> list[Hit]:
        if self._pattern is None or not text:
            return []
        folded, offsets = normalize_with_offsets(text)
        hits = []
        for m in self._pattern.finditer(folded):
            start, end = offsets[m.start()], offsets[m.end() - 1] + 1
            for key, term in self._terms[m.group(0)]:
                hits.append(
                    Hit(key=key, term=term, start=start, end=end, matched=text[start:end], normalized=m.group(0))
                )
        return hits
