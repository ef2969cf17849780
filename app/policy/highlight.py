"""Marking the query's words in search results: shared by policy and directory search."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

__all__ = ["Highlighter"]


class Highlighter:
    """Marks every occurrence of the query's words (and synonyms) in a text, longest words
    first, HTML-escaped, with the matches in <em>."""

    def __init__(self, words: Sequence[str], *, snippet_chars: int = 80, snippet_lead: int = 20) -> None:
        words = sorted({word for word in words if word}, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, words)), re.IGNORECASE) if words else None
        self.snippet_chars = snippet_chars
        self.snippet_lead = snippet_lead

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return html.escape(text)
        parts, last = [], 0
        for found in self.pattern.finditer(text):
            parts.append(html.escape(text[last : found.start()]))
            parts.append(f"<em>{html.escape(found.group())}</em>")
            last = found.end()
        parts.append(html.escape(text[last:]))
        return "".join(parts)

    def first(self, text: str) -> int | None:
        found = self.pattern.search(text) if self.pattern else None
        return found.start() if found else None

    def snippet(self, *texts: str) -> str:
        """About `snippet_chars` characters around the first match in the first text that has
        one, else the beginning of the first non-empty text."""
        sources = [" ".join(text.split()) for text in texts if text and text.strip()]
        if not sources:
            return ""
        text, start = sources[0], 0
        for source in sources:
            position = self.first(source)
            if position is not None:
                text, start = source, max(0, position - self.snippet_lead)
                break
        start = max(0, min(start, len(text) - self.snippet_chars))
        end = min(len(text), start + self.snippet_chars)
        return ("…" if start > 0 else "") + self(text[start:end]) + ("…" if end < len(text) else "")
