"""The tagger's tokenizer: offsets into the text, lower-cased words, abbreviations kept whole."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventcoder.learn.tokens import sentences, tokenize

WIRE = (
    "san salvador, 3 jan 90 (acan-efe) -- [text] the u.s. embassy said gen. ramirez's a-37 "
    "aircraft bombed the fmln. guerrillas denied the report."
)


def words(text: str, **kw) -> list[str]:
    return [t.text for t in tokenize(text, **kw)]


def test_words_keep_inner_hyphens_apostrophes_and_dots():
    toks = words("The U.S. embassy, Ramirez's A-37 and the FMLN's (acan-efe) unit.")
    assert toks == ["the", "u.s.", "embassy", ",", "ramirez's", "a-37", "and", "the", "fmln's",
                    "(", "acan-efe", ")", "unit", "."]


def test_a_sentence_final_dot_is_its_own_token_after_a_long_word_only():
    assert words("guerrillas attacked.") == ["guerrillas", "attacked", "."]
    assert words("the fmln.") == ["the", "fmln", "."]
    assert words("gen. ramirez") == ["gen.", "ramirez"]  # four characters or fewer: an abbreviation


def test_a_short_word_ending_a_sentence_is_not_an_abbreviation():
    # "men." is no abbreviation: glued to its dot, a gold filler "armed men" ending a
    # sentence is never found by bio_labels (16 GRIT train mentions are lost this way)
    assert words("they were armed men.") == ["they", "were", "armed", "men", "."]


@settings(max_examples=300, deadline=None)
@example(text=WIRE)
@example(text="İstanbul, ‘gen.’ army’s... -- 1.5 km")
@given(text=st.text(alphabet=st.sampled_from("aZé9İ .-'’,()\n\t\u00a0") | st.characters(), max_size=80))
def test_every_token_is_the_lower_cased_slice_and_nothing_but_space_is_lost(text: str):
    toks = tokenize(text)
    prev = 0
    for t in toks:
        assert prev <= t.start < t.end <= len(text)
        assert t.text == text[t.start:t.end].lower()
        assert t.span == (t.start, t.end)
        prev = t.end
    assert "".join(text[t.start:t.end] for t in toks) == re.sub(r"\s", "", text)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60), a=st.integers(0, 60), b=st.integers(0, 60))
def test_a_window_yields_tokens_inside_it(text: str, a: int, b: int):
    start, end = min(a, b, len(text)), min(max(a, b), len(text))
    for t in tokenize(text, start, end):
        assert start <= t.start < t.end <= end
        assert t.text == text[t.start:t.end].lower()


def test_sentences_are_token_lists_of_the_segmenter_sentences():
    sents = sentences(WIRE)
    assert len(sents) == 2
    assert [t.text for t in sents[1]] == ["guerrillas", "denied", "the", "report", "."]
    flat = [t for s in sents for t in s]
    assert flat == tokenize(WIRE)  # grouping loses no token and adds none
    assert sentences("   \n\n  ") == []
