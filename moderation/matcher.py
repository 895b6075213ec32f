"""Blocked-term matching that survives the usual evasions.

`Matcher([(key, term), ...], allow=[...])` compiles the terms once into one regular expression (a
trie of letter classes, so the engine follows shared prefixes instead of trying 500 branches at
every word); `find(text)` answers every hit with its span in the ORIGINAL text and the normalised
form that matched. Rebuild the matcher when the rules change.

Each text is folded in one pass (`normalize`): NFKC (fullwidth letters, ligatures), casefold,
combining marks dropped ("s̈pâm"), Default_Ignorable_Code_Point characters dropped (zero-width
space/joiner/non-joiner, soft hyphen, word joiner, variation selectors...), and letters of other
scripts replaced by the Latin letter they are confusable with (UTS #39 confusables). The fold of
each character is computed once and kept in a table that `str.translate` reads; pure-ASCII text
only needs `str.lower`.

The compiled pattern then absorbs the rest: leetspeak (each letter is a class: "a" is [a4@]; the
text is searched with "1" read as "i" and again as "l"), repeated letters (a letter written n
times in the term matches n or more times), and separators between SINGLE letters ("s.p.a.m",
"s p a m", "s_p_a_m": a run of one-character tokens is also matched without its separators). A
term hits only as a whole word of the folded text, so "assessment", "classic" and "title" never
hit "ass" or "tit"; the words of a phrase term match across any run of separators and
spaces. Words on the allow-list (the built-in ones in `moderation.matcher_allow` plus the
caller's) never hit. Runs of letters are matched possessively, so the time stays linear in the
text's length whatever it holds.

Confusables data: `confusable-homoglyphs` (MIT, pure Python, the package django-registration
uses), which ships Unicode's UTS #39 confusables.txt as JSON inside the package, so nothing is
fetched at run time; it is read once per process (about 30 ms). Its table is symmetric (it lists
each pair both ways rather than source -> prototype), so the skeleton here keeps what a
blocked-term matcher needs: a non-ASCII character confusable with an ASCII letter or digit folds
to it, and one whose prototype is a Latin small capital (Cyrillic "к", "м", "т", Greek "κ") folds
to that capital's letter.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from moderation.matcher_allow import BUILTIN_ALLOW


@dataclass(frozen=True)
class Hit:
    key: str
    term: str
    start: int
    end: int
    matched: str
    normalized: str


# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt): the stdlib has no property
# lookup, and the list is short and stable.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


def _is_default_ignorable(ch: str) -> bool:
    cp = ord(ch)
    return any(low <= cp <= high for low, high in _DEFAULT_IGNORABLE)


def _small_capital(ch: str) -> str | None:
    """The letter a Latin small capital (or kra, a small capital K) stands for."""
    name = unicodedata.name(ch, "")
    if name == "LATIN SMALL LETTER KRA":
        return "k"
    if name.startswith("LATIN LETTER SMALL CAPITAL ") and len(name) == len("LATIN LETTER SMALL CAPITAL X"):
        return name[-1].lower()
    return None


@cache
def _confusable_to_ascii() -> dict[str, str]:
    """Non-ASCII character -> the ASCII letter or digit it is confusable with (UTS #39 data).

    UTS #39 gives Cyrillic and Greek letters that look like small capitals (к, κ, м, т, н, в)
    the small capital as prototype, not the Latin letter; in a caption they read as that letter,
    so a small capital (and what is confusable with one) folds to its letter too.
    """
    from confusable_homoglyphs import confusables  # type: ignore[import-untyped]  # ships no types

    data: dict[str, list[dict[str, str]]] = confusables.confusables_data

    def neighbours(char: str) -> list[str]:
        return [p["c"] for p in data.get(char, ()) if len(p["c"]) == 1]

    def latin(chars: list[str]) -> str | None:
        targets = {c.lower() for c in chars if c.isascii() and c.isalnum()}
        letters = sorted(t for t in targets if t.isalpha())
        if letters:
            # I, l and 1 are one class in UTS #39, whose prototype is "l".
            return "l" if "l" in letters else letters[0]
        if targets:
            return sorted(targets)[0]
        small = sorted({s for s in map(_small_capital, chars) if s})
        return small[0] if small else None

    table: dict[str, str] = {}
    for char in data:
        if len(char) != 1 or char.isascii():
            continue
        near = [char, *neighbours(char)]
        # The table lists pairs, not classes: one more step reaches "м" -> "ʍ" -> "ᴍ".
        letter = latin(near) or latin([c for n in near[1:] for c in neighbours(n)])
        if letter:
            table[char] = letter
    return table


def _fold_char(ch: str) -> str:
    confusable = _confusable_to_ascii()
    out = []
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch).casefold()):
        if unicodedata.category(c).startswith("M") or _is_default_ignorable(c):
            continue
        out.append(c if c.isascii() else confusable.get(c, c))
    return "".join(out)


class _FoldTable(dict[int, str]):
    """`str.translate` table that folds a character the first time it is seen."""

    MAX = 65536  # a text made of rare characters must not grow the table without bound

    def __missing__(self, cp: int) -> str:
        folded = _fold_char(chr(cp))
        if len(self) < self.MAX:
            self[cp] = folded
        return folded


_FOLD = _FoldTable({cp: chr(cp).lower() for cp in range(128)})


def normalize(text: str) -> str:
    """The folded text: NFKC, casefold, no marks, no invisibles, confusables as Latin letters."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the source character."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for c in _FOLD[ord(ch)]:
            chars.append(c)
            offsets.append(i)
    return "".join(chars), offsets


# Leetspeak: the character -> the letter it stands for. Each stands for ONE letter, so the letter
# classes of the pattern never overlap and every run can be matched possessively (no
# backtracking: a long run of look-alike characters costs linear time, not exponential). "1" is
# both "i" and "l": the text is searched once with "1" read as "i" and once as "l" (the same
# length, so the spans hold), and a term written with "1" is compiled both ways.
_ONE = ("i", "l")
_LEET = {
    "0": "o",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "+": "t",
}
_STANDS_FOR: dict[str, set[str]] = {}
for _sym, _letter in _LEET.items():
    _STANDS_FOR.setdefault(_letter, {_letter}).add(_sym)

# Characters that separate the letters of an evasion ("s.p.a.m") or the words of a phrase:
# white space and punctuation, but not the leet symbols, which stand for letters.
_SEPARATORS = "".join(sorted(set(string.whitespace + string.punctuation + "·•‧") - set(_LEET)))
_SEP = "[" + re.escape(_SEPARATORS) + "]"
_NON_SEP = "[^" + re.escape(_SEPARATORS) + "]"
# A run of two or more one-character tokens separated by separators: "s p a m", "s.p.a.m!".
_SINGLES = re.compile(rf"(?<!{_NON_SEP}){_NON_SEP}(?:{_SEP}+{_NON_SEP}(?!{_NON_SEP}))*{_SEP}+{_NON_SEP}(?![^\W_])")
# Between the words of a phrase: anything but a letter, a digit or a leet symbol.
_PHRASE_GAP = r"(?:[^\w" + re.escape("".join(_LEET)) + r"]|_)+"
# A term ends a word: no letter or digit (of any script) follows it (`_token_pattern` checks
# the start).
_WORD_END = r"(?![^\W_])"

_Token = tuple[frozenset[str], int] | None  # (letters, times written) or a gap between words


def _readings(text: str) -> list[str]:
    """The folded text as searched: "1" read as "i", and as "l"."""
    return [text.replace("1", one) for one in _ONE] if "1" in text else [text]


def _term_tokens(term: str) -> set[tuple[_Token, ...]]:
    """Each reading of the term as tokens (none when it folds to nothing)."""
    return {tokens for reading in _readings(normalize(term)) if (tokens := _tokens(reading))}


def _tokens(folded: str) -> tuple[_Token, ...]:
    """A folded term as letter classes with their repeat counts; None between words."""
    tokens: list[_Token] = []
    for ch in folded:
        if ch in _LEET:
            letters = frozenset(_LEET[ch])
        elif ch.isalnum():
            letters = frozenset(ch)
        else:
            if tokens and tokens[-1] is not None:
                tokens.append(None)
            continue
        last = tokens[-1] if tokens else None
        if last is not None and last[0] == letters:
            tokens[-1] = (letters, last[1] + 1)
        else:
            tokens.append((letters, 1))
    while tokens and tokens[-1] is None:
        tokens.pop()
    return tuple(tokens)


def _chars(token: _Token) -> frozenset[str]:
    """The characters a letter token matches in folded text (none for a gap between words)."""
    if token is None:
        return frozenset()
    return frozenset().union(*(_STANDS_FOR.get(letter, {letter}) for letter in token[0]))


def _token_pattern(token: _Token, *, first: bool, whole_words: bool, possessive: bool) -> str:
    """A token's regular expression.

    Possessive (no backtracking into a run of letters) when no token that may follow shares a
    character with it. The first token of a term starts with its class, which lets the regular
    expression engine skip the alternatives of other letters at once, and checks behind that
    first character that the term starts a word and does not start inside a run of its own first
    letter: a long run ("$5$5...", "aaaa...") is tried once, not from each of its characters.
    """
    plus = "+" if possessive else ""
    if token is None:
        return f"{_PHRASE_GAP}{plus}"
    cls = "[" + "".join(re.escape(c) for c in sorted(_chars(token))) + "]"
    times = token[1]
    if not first:
        return f"{cls}+{plus}" if times == 1 else f"{cls}{{{times},}}{plus}"
    starts = f"(?<!{cls}{cls})" + (f"(?<![^\\W_]{cls})" if whole_words else "")
    rest = f"{cls}*{plus}" if times == 1 else f"{cls}{{{times - 1},}}{plus}"
    return f"{cls}{starts}{rest}"


@dataclass
class _Node:
    children: dict[_Token, _Node]
    group: str | None = None


def _compile(
    terms: Iterable[tuple[_Token, ...]], *, whole_words: bool = True
) -> tuple[re.Pattern[str] | None, list[tuple[_Token, ...]]]:
    """One pattern for all the terms (a trie: shared prefixes are tried once); group tN ends term N.

    Without `whole_words` a term may start and end anywhere: for runs of single letters whose
    separators were removed, where every letter was a word of its own.
    """
    root = _Node({})
    order: list[tuple[_Token, ...]] = []
    for tokens in terms:
        node = root
        for token in tokens:
            node = node.children.setdefault(token, _Node({}))
        if node.group is None:
            node.group = f"t{len(order)}"
            order.append(tokens)
    if not order:
        return None, order

    def render(node: _Node, *, first: bool = False) -> str:
        alternatives = []
        for token, child in node.children.items():
            chars = _chars(token)
            possessive = not any(chars & _chars(after) for after in child.children)
            pattern = _token_pattern(token, first=first, whole_words=whole_words, possessive=possessive)
            alternatives.append(pattern + render(child))
        if node.group is not None:
            # Last, so a longer term (a phrase that starts with this one) wins.
            alternatives.append(f"{_WORD_END if whole_words else ''}(?P<{node.group}>)")
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    return re.compile(render(root, first=True)), order


class Matcher:
    """Compiled blocked terms; rebuilt when the rules change.

    `terms` are (key, term) pairs; several keys may share a term, and each gets its hit. A term
    that folds to nothing (only invisible characters or punctuation) is ignored. `allow` adds
    words that never hit to the built-in ones.
    """

    def __init__(self, terms: Iterable[tuple[str, str]], allow: Iterable[str] = ()) -> None:
        _confusable_to_ascii()  # load the data now rather than on the first non-ASCII text
        by_tokens: dict[tuple[_Token, ...], list[tuple[str, str]]] = {}
        for key, term in terms:
            for tokens in _term_tokens(term):
                by_tokens.setdefault(tokens, []).append((key, term))
        self._pattern, order = _compile(by_tokens)
        self._loose, _ = _compile(order, whole_words=False)
        self._keys = {f"t{i}": by_tokens[tokens] for i, tokens in enumerate(order)}
        allowed = {tokens for word in (*BUILTIN_ALLOW, *allow) for tokens in _term_tokens(word)}
        self._allow, _ = _compile(allowed)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def find(self, text: str) -> list[Hit]:
        """Every hit in `text`, in order; spans index the original text."""
        if self._pattern is None or self._loose is None or not text:
            return []
        folded = normalize(text)
        # (start, end) in `folded`, the reading that matched, the folded text there, the term's group.
        found: list[tuple[int, int, str, str, str]] = []
        for reading in _readings(folded):
            for m in self._pattern.finditer(reading):
                found.append((m.start(), m.end(), m.group(), folded[m.start() : m.end()], m.lastgroup or ""))
            for run in _SINGLES.finditer(reading):
                # The run's letters without their separators, and where each one sits in `folded`.
                at = [i for i in range(run.start(), run.end()) if reading[i] not in _SEPARATORS]
                joined = "".join(reading[i] for i in at)
                for m in self._loose.finditer(joined):
                    letters = "".join(folded[i] for i in at[m.start() : m.end()])
                    found.append((at[m.start()], at[m.end() - 1] + 1, m.group(), letters, m.lastgroup or ""))
        if not found:
            return []
        offsets = None if len(folded) == len(text) and text.isascii() else normalize_with_offsets(text)[1]
        hits: list[Hit] = []
        seen: set[tuple[str, int, int]] = set()
        for fstart, fend, reading, normalized, group in sorted(found):
            if self._allow is not None and self._allow.fullmatch(reading):
                continue
            start, end = self._span(offsets, fstart, fend, len(text))
            for key, term in self._keys[group]:
                if (key, start, end) in seen:
                    continue
                seen.add((key, start, end))
                hits.append(
                    Hit(key=key, term=term, start=start, end=end, matched=text[start:end], normalized=normalized)
                )
        return hits

    @staticmethod
    def _span(offsets: list[int] | None, fstart: int, fend: int, length: int) -> tuple[int, int]:
        """The span in the original text; it takes in marks and invisibles right after the hit."""
        if offsets is None:
            return fstart, fend
        start = offsets[fstart]
        if fend == len(offsets):
            return start, length
        if offsets[fend] > offsets[fend - 1]:
            return start, offsets[fend]
        return start, offsets[fend - 1] + 1
