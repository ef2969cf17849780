"""Text similarity between appeals: jieba words weighted by TF-IDF, compared by cosine.

Three uses: flagging a new appeal as a likely duplicate of an open one (`find_duplicates`),
suggesting who should handle it from who handled similar ones (`app.appeal.routing`), and
grouping a period's appeals into topics with their hot words (`cluster`, `hot_words`) for the
coordination office's analysis.

Pure Python on purpose: the corpora are a few thousand short texts, for which sparse
dictionaries are fast enough (an index of 5,000 appeals in a few tenths of a second once their
words are known, a query in a few milliseconds), and numpy/scikit-learn would be a large
dependency for that.

Words come from the policy search segmentation (`app.policy.segment`: jieba with the policy
dictionary and stop words, in search mode so 租金补贴 also yields 租金 and 补贴), with a few
appeal words jieba's dictionary cuts wrongly protected first (`APPEAL_TERMS`: 用电报装 would
otherwise come out as 用 电报 装), and with single characters, bare numbers and words every
appeal uses (希望, 目前, 问题 ...) dropped.

Segmentation is the expensive part (jieba manages roughly 200,000 characters a second), so
the words of each text are memoised (`tokens`, a bounded per-process LRU of derived,
read-only data): rebuilding an index over mostly the same appeals costs little after the
first time. The first call in a process also loads jieba (~1 s); async callers should
`await app.policy.segment.ensure_ready()` first and build large indexes in a thread.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from app.policy import segment

__all__ = [
    "APPEAL_STOP_WORDS",
    "APPEAL_TERMS",
    "Cluster",
    "TfidfIndex",
    "cluster",
    "find_duplicates",
    "hot_words",
    "tokens",
]

K = TypeVar("K", bound=Hashable)

#: Appeal words jieba's dictionary cuts wrongly or into parts only, each with the words inside
#: it that should count too. They are taken out of the text before jieba sees it.
APPEAL_TERMS: dict[str, tuple[str, ...]] = {
    "用电报装": ("用电", "报装"),
    "用水报装": ("用水", "报装"),
    "燃气报装": ("燃气", "报装"),
    "电力增容": ("电力", "增容"),
    "拖欠账款": ("拖欠", "账款"),
    "出口退税": ("出口", "退税"),
    "消防验收": ("消防", "验收"),
    "竣工验收": ("竣工", "验收"),
}

#: Words nearly every appeal uses, beyond the policy stop words: they say nothing about the topic.
APPEAL_STOP_WORDS = frozenset(
    """
    您好 你好 谢谢 感谢 麻烦 希望 恳请 请求 帮忙 帮助 协助 尽快 尽早 早日 及时
    目前 现在 当前 已经 一直 至今 仍然 仍未 还是 但是 可是 因为 所以 由于 导致 造成 之后 以后 以来
    情况 问题 反映 诉求 咨询 事宜 事项 工作 方面 部门 相关部门 有关部门 单位 我方 贵方
    """.split()
)

#: How many texts' words are memoised per process: a routing corpus (~3,000 appeals) and the
#: open appeals duplicates are looked for among, at a few kilobytes each.
TOKEN_CACHE_SIZE = 10_000

_TERMS_RE = re.compile("|".join(sorted(map(re.escape, APPEAL_TERMS), key=len, reverse=True)))
_HAS_LETTER = re.compile(r"[^\W\d_]")


def tokens(text: str) -> list[str]:
    """The words of `text` that carry its topic, in order (repeats kept: they are its term frequencies)."""
    return list(_tokens(text))


@lru_cache(maxsize=TOKEN_CACHE_SIZE)
def _tokens(text: str) -> tuple[str, ...]:
    if not text:
        return ()
    normalised = segment.normalise(text)
    words: list[str] = []

    def protect(match: re.Match[str]) -> str:
        words.extend(APPEAL_TERMS[match.group()])
        words.append(match.group())
        return "，"

    rest = _TERMS_RE.sub(protect, normalised)
    words.extend(segment.segment(rest))
    return tuple(word for word in words if _is_topical(word))


def _is_topical(word: str) -> bool:
    # Single characters (的, 电, 厂) match nearly everything; bare numbers are years and amounts.
    return len(word) > 1 and _HAS_LETTER.search(word) is not None and word not in APPEAL_STOP_WORDS


class TfidfIndex(Generic[K]):
    """TF-IDF vectors of a corpus of keyed texts, with an inverted index for cosine queries.

    Weights: sublinear term frequency (1 + ln tf) times smoothed inverse document frequency
    (ln((1 + N) / (1 + df)) + 1), each vector L2-normalised, so a dot product is the cosine.
    A query only touches the documents sharing at least one word with it (the postings of its
    words), which keeps it in the low milliseconds for thousands of documents. Read-only once
    built, so one index may be shared by concurrent readers.
    """

    def __init__(self, documents: Iterable[tuple[K, str]] = ()) -> None:
        self._build((key, tokens(text)) for key, text in documents)

    @classmethod
    def from_tokens(cls, documents: Iterable[tuple[K, Sequence[str]]]) -> TfidfIndex[K]:
        """An index over texts already cut into words (by `tokens`, or by a test)."""
        index = cls.__new__(cls)
        index._build(documents)
        return index

    def _build(self, documents: Iterable[tuple[K, Sequence[str]]]) -> None:
        counted: list[tuple[K, Counter[str]]] = []
        seen: set[K] = set()
        document_frequency: Counter[str] = Counter()
        for key, words in documents:
            if key in seen:
                raise ValueError(f"duplicate document key {key!r}")
            seen.add(key)
            counts = Counter(words)
            counted.append((key, counts))
            document_frequency.update(counts.keys())
        total = len(counted)
        self._size = total
        self._idf = {term: math.log((1 + total) / (1 + df)) + 1 for term, df in document_frequency.items()}
        self._unseen_idf = math.log(1 + total) + 1
        self._vectors: dict[K, dict[str, float]] = {}
        self._postings: dict[str, list[tuple[K, float]]] = defaultdict(list)
        idf = self._idf
        postings = self._postings
        for key, counts in counted:
            vector = _normalised({term: _tf(count) * idf[term] for term, count in counts.items()})
            self._vectors[key] = vector
            for term, weight in vector.items():
                postings[term].append((key, weight))

    def __len__(self) -> int:
        return self._size

    def __contains__(self, key: object) -> bool:
        return key in self._vectors

    def keys(self) -> list[K]:
        return list(self._vectors)

    def weights(self, key: K) -> Mapping[str, float]:
        """The normalised vector of one document (term -> weight); empty if it had no topical words."""
        return self._vectors[key]

    def document_frequency(self, term: str) -> int:
        return len(self._postings.get(term, ()))

    def vector(self, text: str) -> dict[str, float]:
        """`text` as a normalised vector in this corpus's weights (unknown words weigh like df = 0)."""
        counts = Counter(tokens(text))
        return _normalised(
            {term: _tf(count) * self._idf.get(term, self._unseen_idf) for term, count in counts.items()}
        )

    def similar(self, text: str, *, limit: int = 10, threshold: float = 0.0) -> list[tuple[K, float]]:
        """The documents most similar to `text`: (key, cosine) with cosine >= `threshold`, best first."""
        return self.similar_to_vector(self.vector(text), limit=limit, threshold=threshold)

    def similar_to_vector(
        self, vector: Mapping[str, float], *, limit: int = 10, threshold: float = 0.0
    ) -> list[tuple[K, float]]:
        scores: dict[K, float] = defaultdict(float)
        postings = self._postings
        for term, query_weight in vector.items():
            for key, weight in postings.get(term, ()):
                scores[key] += query_weight * weight
        # Floating-point sums of a text with itself can come out a hair above 1.
        found = ((key, min(score, 1.0)) for key, score in scores.items() if score >= threshold and score > 0)
        return heapq.nlargest(limit, found, key=lambda item: item[1])

    def pairs_above(self, threshold: float) -> list[tuple[K, K, float]]:
        """Every pair of documents with cosine >= `threshold` (> 0), exactly, without comparing all pairs.

        All-pairs search with prefix filtering (Bayardo, Ma and Srikant, "Scaling up all pairs
        similarity search", 2007). Documents are taken in decreasing order of their largest
        weight, each one's words from the most to the least common; a document is put in the
        index under a word only once the words before it could no longer reach `threshold`
        on their own (bounded by the word's largest weight in the corpus, and by the document's
        own largest weight, which no later document exceeds). A pair at or above `threshold`
        therefore always meets in the index, while the common words, whose postings are the
        long ones, mostly stay out of it; scores are accumulated over the index and completed
        with the few words left out.
        """
        if threshold <= 0:
            raise ValueError("threshold must be positive")
        largest = {term: max(weight for _, weight in postings) for term, postings in self._postings.items()}
        by_commonness = sorted(self._postings, key=lambda term: (-len(self._postings[term]), term))
        rank = {term: position for position, term in enumerate(by_commonness)}
        vectors = [(key, vector) for key, vector in self._vectors.items() if vector]
        vectors.sort(key=lambda item: max(item[1].values()), reverse=True)
        indexed: dict[str, list[tuple[K, float]]] = defaultdict(list)
        # Per indexed document: its left-out words, their bound, their norm and the rank of the last.
        left_out: dict[K, tuple[dict[str, float], float, float, int]] = {}
        found: list[tuple[K, K, float]] = []
        for key, vector in vectors:
            terms = sorted(vector, key=rank.__getitem__)
            ranks = [rank[term] for term in terms]
            # prefix_norms[i]: the norm of this document's i most common words.
            prefix_norms = [0.0]
            for term in terms:
                prefix_norms.append(prefix_norms[-1] + vector[term] ** 2)
            prefix_norms = [math.sqrt(value) for value in prefix_norms]

            partial: dict[K, float] = defaultdict(float)
            for term, weight in vector.items():
                for other, other_weight in indexed.get(term, ()):
                    partial[other] += weight * other_weight
            for other, score in partial.items():
                rest, rest_bound, rest_norm, rest_last = left_out[other]
                if rest:
                    # The left-out words are all at least as common as rank rest_last, so only this
                    # document's words up to that rank can meet them (Cauchy-Schwarz).
                    overlap_norm = prefix_norms[bisect.bisect_right(ranks, rest_last)]
                    if score + min(rest_bound, rest_norm * overlap_norm) < threshold:
                        continue
                    score += sum(weight * vector.get(term, 0.0) for term, weight in rest.items())
                if score >= threshold:
                    found.append((other, key, min(score, 1.0)))

            # Leave out this document's most common words while they cannot reach `threshold` alone.
            ceiling = max(vector.values())
            linear = squares = 0.0
            kept_out: dict[str, float] = {}
            rest_linear = rest_squares = 0.0
            for term in terms:
                weight = vector[term]
                linear += weight * min(largest[term], ceiling)
                squares += weight * weight
                if min(linear, math.sqrt(squares)) < threshold:
                    kept_out[term] = weight
                    rest_linear, rest_squares = linear, squares
                else:
                    indexed[term].append((key, weight))
            last = ranks[len(kept_out) - 1] if kept_out else -1
            left_out[key] = (kept_out, rest_linear, math.sqrt(rest_squares), last)
        return found

    def summed_weights(self, keys: Iterable[K] | None = None) -> Counter[str]:
        """Each word's weight summed over the given documents (all by default): what a topic is about."""
        total: Counter[str] = Counter()
        for key in self._vectors if keys is None else keys:
            total.update(self._vectors[key])
        return total


@dataclass(frozen=True)
class Cluster:
    """A group of similar texts: their keys in corpus order and the words that characterise them."""

    keys: tuple[int, ...]
    hot_words: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.keys)


def find_duplicates(
    text: str, candidates: Sequence[tuple[int, str]], *, threshold: float = 0.6, limit: int = 5
) -> list[tuple[int, float]]:
    """The candidates (typically the same enterprise's or district's open appeals) that `text`
    likely repeats: (key, cosine) at or above `threshold`, best first.

    Advisory: a dispatcher confirms before merging, so the threshold favours near-rewordings
    of the same matter over appeals that merely share a topic.
    """
    if not candidates:
        return []
    return TfidfIndex(candidates).similar(text, limit=limit, threshold=threshold)


def cluster(
    documents: Sequence[tuple[int, str]], *, threshold: float = 0.45, min_size: int = 2, words: int = 8
) -> list[Cluster]:
    """Group texts that are about the same thing, largest group first.

    Single linkage: two texts with cosine >= `threshold` are in the same group, and so are
    groups joined by such a pair (union-find over `TfidfIndex.pairs_above`). Groups smaller
    than `min_size` are left out; each group's hot words are its `words` heaviest words by
    summed TF-IDF weight.
    """
    index = TfidfIndex(documents)
    order = {key: position for position, (key, _) in enumerate(documents)}
    parent = {key: key for key in order}

    def root(key: int) -> int:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for first, second, _ in index.pairs_above(threshold):
        a, b = root(first), root(second)
        if a != b:
            # The earlier text becomes the root, so results do not depend on the pair order.
            if order[a] > order[b]:
                a, b = b, a
            parent[b] = a

    groups: dict[int, list[int]] = defaultdict(list)
    for key in order:
        groups[root(key)].append(key)
    members = [keys for keys in groups.values() if len(keys) >= min_size]
    members.sort(key=lambda keys: (-len(keys), order[keys[0]]))
    return [
        Cluster(keys=tuple(keys), hot_words=tuple(word for word, _ in index.summed_weights(keys).most_common(words)))
        for keys in members
    ]


def hot_words(texts: Iterable[str], limit: int = 20) -> list[str]:
    """The words that best characterise a set of texts (a period's appeals), heaviest first.

    By summed TF-IDF weight: a word counts for each text it matters in, and a word every text
    uses counts for less in each.
    """
    index = TfidfIndex(enumerate(texts))
    return [word for word, _ in index.summed_weights().most_common(limit)]


def _tf(count: int) -> float:
    """Sublinear term frequency: a word said three times is not three times the topic."""
    return 1.0 if count == 1 else 1.0 + math.log(count)


def _normalised(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(weight * weight for weight in vector.values()))
    if norm == 0:
        return {}
    return {term: weight / norm for term, weight in vector.items()}


def _dot(first: Mapping[str, float], second: Mapping[str, float]) -> float:
    if len(first) > len(second):
        first, second = second, first
    return sum(weight * second.get(term, 0.0) for term, weight in first.items())
