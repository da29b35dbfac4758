"""The pure parts of inline completion: the window around the cursor, block starts, snippets of
other documents, trimming an answer into a suggestion, and the typing-through cache. Fuzzed
where they take any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from wave_lsp.inline.cache import SuggestionCache
from wave_lsp.inline.trim import suggestion, without_overlap
from wave_lsp.inline.window import Window, block_start, cut, similar_snippets


def window(prefix: str, suffix: str = "\n", multiline: bool = False) -> Window:
    return Window("app.py", "python", prefix, suffix, multiline)


def test_the_window_is_cut_at_lines() -> None:
    text = "one\ntwo\nthree\nfour\nfive\n"
    before, after = cut(text, text.index("three") + 2, 9, 9)
    assert before == "two\nth"  # 9 characters back start inside "one": from the next line
    assert after == "ree\nfour\n"  # 9 forward end inside "five": up to the line before


@settings(max_examples=300, deadline=1000)
@given(text=st.text(max_size=300), where=st.floats(0, 1), before=st.integers(0, 200),
       after=st.integers(0, 200))  # fmt: skip
def test_the_window_is_around_the_cursor(text: str, where: float, before: int, after: int) -> None:
    offset = int(len(text) * where)
    prefix, suffix = cut(text, offset, before, after)
    assert text[:offset].endswith(prefix) and text[offset:].startswith(suffix)
    assert len(prefix) <= before and len(suffix) <= after


def test_block_starts() -> None:
    assert block_start("def f(x):\n    ", "\n")
    assert block_start("if x {", "")
    assert not block_start("x = f(", ")\n")  # something follows on the line
    assert not block_start("    return ", "\n")
    assert block_start("class A:\n\n    ", "\n")  # the last non-blank line opens it


def test_the_most_similar_snippet_of_each_other_document() -> None:
    prefix = "def total_price(orders):\n    for order in orders:\n        "
    others = [
        ("a.py", "import os\nprint(os.getcwd())\n"),
        ("b.py", "def order_total(orders):\n    return sum(order.price for order in orders)\n"),
    ]
    [snippet] = similar_snippets(prefix, others, budget=1000, count=2)
    assert snippet.path == "b.py" and "order.price" in snippet.text
    assert similar_snippets(prefix, others, budget=10, count=2)[0].text == others[1][1][:10]
    assert similar_snippets(prefix, others, budget=1000, count=0) == ()


def test_trimming() -> None:
    assert suggestion("len(items)\nmore", window("    return "), chat=False) == "len(items)"
    chat = window("    return ", "\n")
    assert suggestion("```python\n    return len(items)\n```", chat, chat=True) == "len(items)"
    assert suggestion("foo(a, b))", window("x = f(", ")\n"), chat=False) == "foo(a, b)"
    block = window("def f(x):\n", "\n    return y\n", multiline=True)
    assert suggestion("    y = x + 1\n    return y", block, chat=False) == "    y = x + 1"
    assert without_overlap(")", ")") == ""


@settings(max_examples=300, deadline=1000)
@given(answer=st.text(max_size=200), prefix=st.text(max_size=80), suffix=st.text(max_size=80),
       multiline=st.booleans(), chat=st.booleans())  # fmt: skip
def test_any_answer_trims_to_a_bounded_suggestion(
    answer: str, prefix: str, suffix: str, multiline: bool, chat: bool
) -> None:
    text = suggestion(answer, window(prefix, suffix, multiline), chat=chat)
    assert len(text) <= len(answer)
    if not multiline:
        assert "\n" not in text


def test_typing_along_the_suggestion_is_answered_from_the_cache() -> None:
    cache = SuggestionCache()
    cache.put("doc", "x = ", "\n", "total(items)")
    assert cache.get("doc", "x = ", "\n") == "total(items)"
    assert cache.get("doc", "x = tot", "\n") == "al(items)"
    assert cache.get("doc", "x = tax", "\n") is None  # off the prediction
    assert cache.get("doc", "x = tot", "\nchanged") is None  # the text after changed
    assert cache.get("doc", "x = total(items)", "\n") is None  # all typed: ask again
    assert cache.get("other", "x = ", "\n") is None


@settings(max_examples=300, deadline=1000)
@given(before=st.text(max_size=40), predicted=st.text(min_size=1, max_size=40),
       typed=st.integers(0, 40))  # fmt: skip
def test_the_cache_answers_the_rest_of_what_was_predicted(
    before: str, predicted: str, typed: int
) -> None:
    cache = SuggestionCache()
    cache.put("doc", before, "", predicted)
    typed = min(typed, len(predicted) - 1)
    assert cache.get("doc", before + predicted[:typed], "") == predicted[typed:]
