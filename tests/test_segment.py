from hypothesis import given
from hypothesis import strategies as st

from eventcoder.segment import segment

TEXT = """BAGHDAD, 14 March 2017 (Levant Wire) - A car bomb exploded near a market. Gen. Ali Hassan said 12 died.

Wilayat al-Khayr
On the 8th of Rabi' al-Awwal, the fighters shelled the airport. They used 15 mortar rounds."""


def test_sentences_headers_and_paragraphs():
    sents = segment(TEXT)
    texts = [TEXT[s.start : s.end] for s in sents]
    assert texts[0].startswith("BAGHDAD") and texts[0].endswith("market.")
    assert texts[1] == "Gen. Ali Hassan said 12 died."  # "Gen." is not a sentence end
    header = [s for s in sents if s.is_header]
    assert [TEXT[s.start : s.end] for s in header] == ["Wilayat al-Khayr"]
    assert sents[-1].paragraph == 1 and sents[0].paragraph == 0


def test_lowercase_muc_style_text():
    t = "san salvador, 3 jan 90 -- guerrillas attacked a post. the u.s. embassy said two died.  the army denied it."
    texts = [t[s.start : s.end] for s in segment(t)]
    assert texts[1] == "the u.s. embassy said two died."
    assert len(texts) == 3


@given(st.lists(st.sampled_from(["Gunmen attacked a bus.", "Two died!", "Why? ", "\n\n", "Raqqa Wilayah\n", "x"]), max_size=12))
def test_spans_are_inside_the_text_and_ordered(parts):
    text = " ".join(parts)
    prev = 0
    for s in segment(text):
        assert prev <= s.start < s.end <= len(text)
        assert text[s.start : s.end].strip() == text[s.start : s.end]
        prev = s.end
