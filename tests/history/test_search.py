"""Full-text search: English and Chinese, one- and two-character queries, and input that is not syntax."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from satori_desktop.history import HistoryStore
from satori_desktop.history.search import fts_string, like_pattern, make_snippet, parse_query
from tests.history.support import record

QUADRATIC_ZH = "解这个二次方程：$x^2 - 5x + 6 = 0$，并求两根之和。"
VIETA_TRACE = (
    "By Vieta's formulas the sum of the roots is $-b/a$."
    "<|continue|>\nHere it is $5$.<|reflect|>\nFactoring checks it: $(x-2)(x-3)$."
    "<|continue|>\nTherefore, the final answer is: $\\boxed{5}$."
)


@pytest.fixture
def filled(store: HistoryStore) -> dict[str, int]:
    ids = {}
    ids["zh"] = store.create_conversation()
    record(store, ids["zh"], QUADRATIC_ZH, "两根之和为 $5$。<|continue|>\n所以答案是 $\\boxed{5}$。")
    ids["vieta"] = store.create_conversation()
    record(store, ids["vieta"], "Sum of the roots of $x^2-5x+6$", VIETA_TRACE)
    ids["series"] = store.create_conversation("Series homework")
    record(store, ids["series"], "Evaluate the geometric series 1 + 1/2 + 1/4 + ...", "$\\boxed{2}$")
    record(store, ids["series"], 'What does "converge" mean? AND -1 * (2) NEAR', "It means: $\\boxed{e^x}$")
    return ids


def found(store: HistoryStore, query: str) -> list[int]:
    return [hit.conversation_id for hit in store.search(query)]


def test_english_words_in_questions_answers_and_solutions(
    store: HistoryStore, filled: dict[str, int]
) -> None:
    assert found(store, "geometric") == [filled["series"]]  # a question
    assert found(store, "Vieta") == [filled["vieta"]]  # the solution's text
    assert found(store, "FACTORING") == [filled["vieta"]]  # case does not matter
    assert found(store, "e^x") == [filled["series"]]  # the final answer
    assert found(store, "roots factoring") == [filled["vieta"]]  # every term must occur
    assert found(store, "roots nothinglikethis") == []
    assert found(store, '"the sum of the roots"') == [filled["vieta"]]  # a quoted phrase


def test_chinese_is_found_inside_sentences(store: HistoryStore, filled: dict[str, int]) -> None:
    assert found(store, "二次方程") == [filled["zh"]]
    assert found(store, "所以答案") == [filled["zh"]]  # in the solution
    hit = store.search("二次方程")[0]
    assert hit.turn_id is not None
    start, end = hit.highlights[0]
    assert hit.snippet[start:end] == "二次方程"


def test_one_and_two_character_queries_fall_back_to_like(store: HistoryStore, filled: dict[str, int]) -> None:
    assert found(store, "方程") == [filled["zh"]]  # two Chinese characters: a word
    assert found(store, "和") == [filled["zh"]]
    assert set(found(store, "5x")) == {filled["zh"], filled["vieta"]}
    assert set(found(store, "x")) == set(filled.values())
    assert found(store, "e^") == [filled["series"]]  # in an answer
    # Mixed: the long term goes to the index, the short one filters what it found.
    assert found(store, "方程 x") == [filled["zh"]]
    assert found(store, "geometric 1/") == [filled["series"]]
    assert found(store, "geometric zz") == []


def test_results_are_newest_first_one_per_conversation(store: HistoryStore, filled: dict[str, int]) -> None:
    newest = store.create_conversation()
    record(store, newest, "Sum of two numbers", "Their sum is $\\boxed{3}$.")
    assert found(store, "sum") == [newest, filled["vieta"]]
    record(store, filled["vieta"], "Sum once more", "again")
    assert found(store, "sum") == [filled["vieta"], newest]
    hits = store.search("sum")
    assert hits[0].turn_id is not None and "Sum once more" in hits[0].snippet  # the newest matching turn
    assert len(store.search("sum", limit=1)) == 1


def test_a_renamed_title_is_searchable(store: HistoryStore, filled: dict[str, int]) -> None:
    store.rename(filled["vieta"], "Week 3 revision")
    hits = store.search("week 3")
    assert [h.conversation_id for h in hits] == [filled["vieta"]]
    assert hits[0].turn_id is None and hits[0].snippet == "Week 3 revision"


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"converge',
        "*",
        "-",
        "AND",
        "OR NOT",
        "NEAR(",
        "a:b",
        "^start",
        "(2)",
        "\\",
        "%",
        "_",
        "'",
        "\x00",
        "   ",
        "-1 *",
        "{x}",
        "\u200b",
        "👍",
    ],
)
def test_hostile_queries_never_raise(store: HistoryStore, filled: dict[str, int], query: str) -> None:
    hits = store.search(query)
    assert isinstance(hits, list)


def test_syntax_characters_are_searched_as_text(store: HistoryStore, filled: dict[str, int]) -> None:
    assert found(store, '"converge"') == [filled["series"]]
    assert found(store, 'does ""converge""') == []  # a literal quote then the word: no such text
    assert found(store, "AND -1 *") == [filled["series"]]
    assert found(store, "NEAR") == [filled["series"]]
    assert found(store, "(2)") == [filled["series"]]
    assert found(store, "%") == [] and found(store, "_") == []  # LIKE's wildcards are literal too
    assert found(store, "1/4 + ...") == [filled["series"]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=30))
def test_any_text_is_a_valid_query(store: HistoryStore, query: str) -> None:
    store.search(query)


def test_deleted_conversations_are_not_found(store: HistoryStore, filled: dict[str, int]) -> None:
    store.delete(filled["zh"])
    assert found(store, "二次方程") == [] and found(store, "方程") == []


def test_query_parsing() -> None:
    query = parse_query('二次方程 x "two words" AND ab')
    assert query.terms == ("二次方程", "x", "two words", "AND", "ab")
    assert query.match == '"二次方程" AND "two words" AND "AND"'
    assert query.short_terms == ("x", "ab")
    assert parse_query("  ").empty and parse_query('""').empty
    assert fts_string('say "hi"') == '"say ""hi"""'
    assert like_pattern("50%_\\") == "%50\\%\\_\\\\%"


def test_snippets_mark_every_term_and_stay_on_one_line() -> None:
    text = (
        "Intro line.\n"
        + "filler " * 20
        + "the Quadratic formula gives\n$x$ and the quadratic again "
        + "x" * 200
    )
    snippet, spans = make_snippet(["no match here", text], ["quadratic"])
    assert "\n" in text and "\n" not in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert [snippet[a:b].lower() for a, b in spans] == ["quadratic", "quadratic"]


def test_a_term_found_everywhere_gives_the_newest_conversations_up_to_the_limit(tmp_path: Path) -> None:
    from satori_desktop.history.recorder import TurnEnding, TurnStart
    from satori_desktop.history.writer import insert_turn, save_ending

    with HistoryStore(tmp_path / "many.sqlite3") as store:
        ids = [store.create_conversation() for _ in range(300)]

        def fill(conn: sqlite3.Connection) -> None:
            # The writer's own functions, in one transaction: 300 turns without 300 commits.
            for n, conversation_id in enumerate(ids):
                start = TurnStart(conversation_id, f"Problem {n}: 求二次方程的根", None, None, "{}", None, n)
                turn_id = insert_turn(conn, start, (0, 0.0), "")
                ending = TurnEnding("stop", None, None, None, None, None, None, None, 0.0)
                save_ending(conn, turn_id, VIETA_TRACE * 5, ending)

        store._writer.call(fill)
        newest_first = ids[::-1]
        assert found(store, "Vieta") == newest_first[:50]
        assert [h.conversation_id for h in store.search("方程", limit=7)] == newest_first[:7]
        assert [h.conversation_id for h in store.search("的", limit=3)] == newest_first[:3]
        assert found(store, "x") == []  # short terms are looked for in questions and answers only
        assert sorted(found(store, '"Problem 29"')) == sorted([ids[29], *ids[290:300]])
