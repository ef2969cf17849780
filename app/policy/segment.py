"""Chinese word segmentation for policy search: jieba with a dictionary of policy terms,
synonym groups and stop words (the files in `app/policy/dict/`).

The index and the query are segmented the same way, in an extended search mode: every
word jieba cuts out is kept together with every dictionary word inside it, so a text
saying 研发费用加计扣除 is found by 研发费用, 加计扣除 or 研发 alike (jieba's own
`cut_for_search` only adds the 2- and 3-character words inside a word). Synonyms are
applied to queries only (`analyse_query`), so editing `synonyms.txt` needs no reindex;
editing `userdict.txt` or `stopwords.txt` changes how texts are cut, so run
`qiyun reindex-policies` afterwards.

jieba takes about a second to load its dictionary, so the tokenizer is built lazily, once
per process, under a lock; async callers use `await ensure_ready()` so the first load
happens in a thread instead of blocking the event loop. jieba's own log lines are
silenced (they would otherwise go to stderr on every process start).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import jieba

DICT_DIR = Path(__file__).with_name("dict")
USER_DICT = DICT_DIR / "userdict.txt"
SYNONYMS = DICT_DIR / "synonyms.txt"
STOP_WORDS = DICT_DIR / "stopwords.txt"

#: Words longer than this are not searched for dictionary words inside them (long digit or
#: Latin runs, HMM guesses); it bounds the quadratic inner loop.
MAX_COMPOUND_CHARS = 16
#: A query is cut into at most this many terms: a pasted paragraph must not become a huge OR.
MAX_QUERY_TERMS = 12

_PIECE = re.compile(r"[^\W_]+")  # letters, digits and CJK characters; punctuation and "_" separate
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


@dataclass(frozen=True)
class QueryTerm:
    """One word of a query and the words that count as it: itself first, then its synonyms."""

    term: str
    alternatives: tuple[str, ...]


def _lines(path: Path) -> Iterable[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


@cache
def stop_words() -> frozenset[str]:
    return frozenset(word for line in _lines(STOP_WORDS) for word in line.split())


@cache
def synonym_index() -> dict[str, tuple[str, ...]]:
    """word -> every word sharing a group with it (itself first); a word in two groups gets both."""
    index: dict[str, list[str]] = {}
    for line in _lines(SYNONYMS):
        group = [normalise(word) for word in re.split(r"[\s/]+", line) if word]
        for word in group:
            merged = index.setdefault(word, [word])
            merged.extend(other for other in group if other not in merged)
    return {word: tuple(words) for word, words in index.items()}


def synonyms(word: str) -> tuple[str, ...]:
    """`word` and its synonyms, `word` first."""
    return synonym_index().get(word, (word,))


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, lower case: what both index and query see."""
    return unicodedata.normalize("NFKC", text).lower()


def _build() -> jieba.Tokenizer:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()  # ~0.6 s from jieba's cache file in the temp directory, ~1 s without
    for line in _lines(USER_DICT):
        word, *rest = line.split()
        tokenizer.add_word(normalise(word), rest[0] if rest else None, rest[1] if len(rest) > 1 else None)
    # A synonym must come out of a text as one word, or the query could never match it.
    for word in synonym_index():
        if not tokenizer.FREQ.get(word):
            tokenizer.add_word(word)
    return tokenizer


def tokenizer() -> jieba.Tokenizer:
    """The process's tokenizer, built on first use (thread-safe, once per process)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                _tokenizer = _build()
    return _tokenizer


def is_ready() -> bool:
    return _tokenizer is not None


async def ensure_ready() -> None:
    """Build the tokenizer in a thread if this process has not yet: never block the loop ~1 s."""
    if _tokenizer is None:
        await asyncio.to_thread(tokenizer)


def warm_up() -> None:
    """Build the tokenizer now (a server or worker start-up hook may call it)."""
    tokenizer()


def _with_inner_words(word: str, frequencies: dict[str, int]) -> list[str]:
    """`word` preceded by every dictionary word inside it (search mode)."""
    length = len(word)
    if length <= 2 or length > MAX_COMPOUND_CHARS or not _CJK_CHAR.search(word):
        return [word]
    inner = [
        word[start : start + size]
        for size in range(2, length)
        for start in range(length - size + 1)
        if frequencies.get(word[start : start + size])
    ]
    return [*inner, word]


def _words(text: str) -> Iterable[tuple[str, bool]]:
    """(word, is_inner) for each word of `text`: jieba's words, each preceded by the dictionary
    words inside it. A stop word is dropped with everything inside it (有没有 takes 没有 along)."""
    cutter = tokenizer()
    frequencies = cutter.FREQ
    dropped = stop_words()
    for token in cutter.cut(normalise(text)):
        for piece in _PIECE.findall(token):
            if piece in dropped:
                continue
            *inner, whole = _with_inner_words(piece, frequencies)
            for word in inner:
                if word not in dropped:
                    yield word, True
            yield whole, False


def segment(text: str) -> list[str]:
    """The words of `text` for indexing, in order: normalised, search mode, no punctuation or stop words."""
    if not text:
        return []
    return [word for word, _ in _words(text)]


def analyse_query(query: str) -> list[QueryTerm]:
    """The terms of a search query, each with its synonyms.

    jieba's own words come first and the words inside them after, so a long query keeps its
    whole words when it is cut to `MAX_QUERY_TERMS`. Single Chinese characters are dropped
    when the query has longer words (in 科技型的小企业 the 小 would match nearly everything);
    terms whose synonym sets coincide are merged (补贴 资助 is one term).
    """
    if not query:
        return []
    found = list(dict.fromkeys(_words(query)))
    ordered = [word for word, inner in found if not inner] + [word for word, inner in found if inner]
    words = list(dict.fromkeys(ordered))
    if any(len(word) > 1 or not _CJK_CHAR.match(word) for word in words):
        words = [word for word in words if len(word) > 1 or not _CJK_CHAR.match(word)]
    terms: list[QueryTerm] = []
    seen: set[frozenset[str]] = set()
    for word in words:
        alternatives = synonyms(word)
        key = frozenset(alternatives)
        if key in seen:
            continue
        seen.add(key)
        terms.append(QueryTerm(term=word, alternatives=alternatives))
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms
