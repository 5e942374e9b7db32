"""graph.chunking: exact offsets, bounded sizes, overlap, and sentence splitting."""

from __future__ import annotations

from itertools import pairwise

import pytest

from graph.chunking import approx_tokens, chunk_text, split_sentences, with_title
from graph.errors import InputError

pytest.importorskip("langchain_text_splitters")

ENGLISH = " ".join(
    f"Sentence number {i} says that graphs connect entities through relations." for i in range(40)
)
CHINESE = "".join(f"这是第{i}句话，讲的是知识图谱和实体之间的关系。" for i in range(40))
MIXED = ("Neo4j is a graph database.\n\n林小姐住在杭州，在阿里巴巴工作。她喜欢读书！\n\n"
         "Retrieval mixes dense vectors with BM25 keywords. 检索同时使用向量和关键词。") * 5


def check_spans(text, spans, chunk_size, measure=approx_tokens):
    assert spans, "expected at least one chunk"
    for span in spans:
        assert text[span.start:span.end] == span.text
        assert span.text.strip() == span.text and span.text
        assert measure(span.text) <= chunk_size
    starts = [s.start for s in spans]
    assert starts == sorted(set(starts))
    covered = "".join(text[a.end:b.start] for a, b in pairwise(spans)
                      if b.start > a.end)
    assert not covered.strip(), "text between chunks was lost"
    assert spans[0].start == len(text) - len(text.lstrip())
    assert spans[-1].end == len(text.rstrip())


@pytest.mark.parametrize("text", [ENGLISH, CHINESE, MIXED], ids=["en", "zh", "mixed"])
def test_offsets_exact_and_sizes_bounded(text):
    spans = chunk_text(text, chunk_size=60, overlap=15)
    check_spans(text, spans, 60)
    assert len(spans) > 3


@pytest.mark.parametrize("text", [ENGLISH, CHINESE], ids=["en", "zh"])
def test_neighbouring_chunks_overlap(text):
    spans = chunk_text(text, chunk_size=60, overlap=20)
    overlaps = [a.end - b.start for a, b in pairwise(spans)]
    assert all(o > 0 for o in overlaps)
    shared = [text[b.start:a.end] for a, b in pairwise(spans)]
    assert all(approx_tokens(s) <= 20 for s in shared)


def test_no_overlap_when_asked():
    spans = chunk_text(ENGLISH, chunk_size=60, overlap=0)
    assert all(b.start >= a.end for a, b in pairwise(spans))


def test_chinese_chunks_end_at_sentence_marks():
    spans = chunk_text(CHINESE, chunk_size=50, overlap=0)
    assert all(s.text.endswith("。") for s in spans)


def test_paragraphs_are_preferred_boundaries():
    text = "First paragraph is short.\n\nSecond paragraph is short too."
    spans = chunk_text(text, chunk_size=8, overlap=0)
    assert [s.text for s in spans] == ["First paragraph is short.", "Second paragraph is short too."]


def test_custom_length_function():
    spans = chunk_text(CHINESE, chunk_size=40, overlap=5, length_function=len)
    check_spans(CHINESE, spans, 40, measure=len)


def test_repeated_text_gets_its_own_offsets():
    text = "Same sentence here. " * 30
    spans = chunk_text(text, chunk_size=20, overlap=0)
    check_spans(text, spans, 20)
    assert len({s.start for s in spans}) == len(spans)


def test_short_and_blank_text():
    assert chunk_text("   \n\n ", chunk_size=10, overlap=2) == []
    [span] = chunk_text("  Hello there.  ", chunk_size=10, overlap=2)
    assert (span.text, span.start, span.end) == ("Hello there.", 2, 14)


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_bad_sizes(size, overlap):
    with pytest.raises(InputError):
        chunk_text("text", chunk_size=size, overlap=overlap)


def test_approx_tokens_is_fair_to_both_languages():
    assert approx_tokens("林小姐住在杭州") == 7
    assert approx_tokens("The quick brown fox jumps") == 7  # 5 words x 1.3
    assert approx_tokens("") == 0


def test_english_sentences_respect_abbreviations():
    text = ("Mr. Smith works at Neo4j Inc. in San Mateo. He likes graphs! Does he? "
            "The U.S. market is large. J. K. Rowling wrote books.\nA new line")
    assert [s.text for s in split_sentences(text)] == [
        "Mr. Smith works at Neo4j Inc. in San Mateo.",
        "He likes graphs!",
        "Does he?",
        "The U.S. market is large.",
        "J. K. Rowling wrote books.",
        "A new line",
    ]


def test_chinese_sentences_with_offsets():
    text = "林小姐住在杭州，在阿里巴巴工作。她喜欢读书！你呢？“好的。”他说\n\n第二段；还有分号。"
    spans = split_sentences(text)
    assert [s.text for s in spans] == [
        "林小姐住在杭州，在阿里巴巴工作。", "她喜欢读书！", "你呢？", "“好的。”", "他说",
        "第二段；还有分号。",
    ]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_with_title_puts_the_title_before_the_text():
    assert with_title("Eiffel Tower", "It is in Paris.") == "Eiffel Tower\nIt is in Paris."
    assert with_title("  ", "It is in Paris.") == "It is in Paris."
    assert with_title("", "") == ""
