"""Turning what a user types into the search box into a safe FTS5 query, and cutting result snippets.

The index uses FTS5's trigram tokenizer: every term is a case-insensitive substring match, which is what
makes Chinese searchable (`二次方程` is found inside a sentence with no spaces). Two consequences:
- a term shorter than three characters has no trigram, so the index cannot answer it; such terms are
  matched with LIKE instead (a scan, still fast at the size a history reaches);
- user input never goes into the query syntax. Each term becomes a quoted FTS5 string (quotes doubled),
  so `"`, `*`, `-`, `AND`, `NEAR(`, `:` ... are searched for as text and can never raise a syntax error.

A query is split on whitespace into terms that must all occur; `"two words"` in double quotes is one
term with its space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

MIN_INDEXED_CHARS = 3  # a trigram needs three characters
SNIPPET_CHARS = 90
_CONTEXT_BEFORE = 30

_TERM_RE = re.compile(r'"([^"]*)"?|(\S+)')
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_WHITESPACE_RE = re.compile(r"\s")


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[str, ...]  # every term, as typed (case is ignored when matching)
    match: str | None  # FTS5 MATCH expression of the terms the index can answer (None: there are none)
    short_terms: tuple[str, ...]  # terms of one or two characters, matched with LIKE

    @property
    def empty(self) -> bool:
        return not self.terms


def parse_query(text: str) -> SearchQuery:
    cleaned = _CONTROL_RE.sub(" ", text)
    terms: list[str] = []
    for quoted, bare in _TERM_RE.findall(cleaned):
        term = (quoted if quoted else bare).strip()
        if term and term not in terms:
            terms.append(term)
    indexed = [term for term in terms if len(term) >= MIN_INDEXED_CHARS]
    short = tuple(term for term in terms if len(term) < MIN_INDEXED_CHARS)
    match = " AND ".join(fts_string(term) for term in indexed) if indexed else None
    return SearchQuery(tuple(terms), match, short)


def fts_string(term: str) -> str:
    """A term as an FTS5 string literal: everything inside is text, not query syntax."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    """`%term%` for `LIKE ? ESCAPE '\\'`, with the term's own `%`, `_` and `\\` taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def make_snippet(texts: Sequence[str], terms: Sequence[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The passage around the first match, from the first of `texts` that has one (question before
    answer before solution), on one line, with the (start, end) offsets of every term inside it."""
    patterns = [re.compile(re.escape(term), re.IGNORECASE) for term in terms]
    for text in texts:
        first = min(
            (found.start() for pattern in patterns if (found := pattern.search(text)) is not None),
            default=None,
        )
        if first is not None:
            return _window(text, first, patterns)
    fallback = next((text for text in texts if text), "")
    return _window(fallback, 0, patterns)


def _window(
    text: str, at: int, patterns: Sequence[re.Pattern[str]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    start = max(0, at - _CONTEXT_BEFORE)
    if start > 0:
        # Begin at a word when one starts close by.
        space = text.find(" ", start, at)
        if space != -1:
            start = space + 1
    end = min(len(text), start + SNIPPET_CHARS)
    # Each whitespace character becomes one space, so offsets in the window stay valid.
    body = _WHITESPACE_RE.sub(" ", text[start:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        for found in pattern.finditer(text, start, end):
            spans.append((found.start() - start + len(prefix), found.end() - start + len(prefix)))
    return prefix + body + suffix, tuple(sorted(spans))
