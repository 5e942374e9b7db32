"""The plain baselines and the dev/test split of benchmarks/retrieval_quality.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from benchmarks.retrieval_quality import (
    PlainBM25,
    evaluate_baselines,
    load,
    passage_texts,
    plain_dense_rank,
    plain_rrf,
    split_questions,
    word_tokens,
)
from graph.embedding import HashEmbedder


def test_split_dev_is_odd_positions_test_is_even_and_they_partition():
    questions = [{"n": i} for i in range(7)]
    dev, test = split_questions(questions, "dev"), split_questions(questions, "test")
    assert [q["n"] for q in dev] == [0, 2, 4, 6]  # the 1st, 3rd, 5th, 7th
    assert [q["n"] for q in test] == [1, 3, 5]
    assert split_questions(questions, "all") == questions
    with pytest.raises(ValueError):
        split_questions(questions, "train")


def test_word_tokens_are_lower_case_words():
    assert word_tokens("The Eiffel-Tower, 1889!") == ["the", "eiffel", "tower", "1889"]


def test_bm25_matches_the_textbook_formula():
    docs = ["apple banana apple", "banana cherry", "cherry cherry cherry date"]
    bm25 = PlainBM25(docs, k1=1.5, b=0.75)
    avgdl = (3 + 2 + 4) / 3

    def term(tf: int, df: int, dl: int) -> float:
        idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
        return idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * dl / avgdl))

    ranked = dict(bm25.rank("apple cherry"))
    assert ranked[0] == pytest.approx(term(2, 1, 3))
    assert ranked[1] == pytest.approx(term(1, 2, 2))
    assert ranked[2] == pytest.approx(term(3, 2, 4))
    assert [i for i, _ in bm25.rank("apple cherry")] == sorted(ranked, key=lambda i: -ranked[i])
    assert bm25.rank("zebra") == [] and bm25.rank("banana", limit=1)[0][0] in (0, 1)


def test_dense_rank_is_exact_cosine_and_rrf_sums_reciprocal_ranks():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    assert [i for i, _ in plain_dense_rank(vectors, np.array([0.0, 1.0]))] == [1, 2, 0]
    fused = plain_rrf([[(0, 9.0), (1, 1.0)], [(1, 5.0), (2, 1.0)]], k=60)
    assert fused[0] == (1, pytest.approx(1 / 62 + 1 / 61))
    assert dict(fused)[2] == pytest.approx(1 / 62)


def test_baselines_score_whole_passages_with_their_titles():
    corpus = {"Eiffel Tower": ["A lattice tower in Paris."], "Great Wall": ["Fortifications in China."]}
    assert passage_texts(corpus)[0] == "Eiffel Tower\nA lattice tower in Paris."
    questions = [{"question": "Where is the Eiffel Tower?", "supporting_facts": [["Eiffel Tower", 0]]}]
    results = evaluate_baselines(corpus, questions, HashEmbedder(64))
    assert results["plain bm25"]["recall@2"] == 1.0 and results["plain rrf"]["recall@5"] == 1.0


def test_parse_weights():
    from benchmarks.retrieval_quality import parse_weights

    assert parse_weights("") == {}
    assert parse_weights("dense=1, bm25=0.5,graph=2") == {"dense": 1.0, "bm25": 0.5, "graph": 2.0}


def test_chinese_is_cut_into_words_for_the_plain_bm25():
    tokens = word_tokens("北京冬奥会的运动员 Library")
    assert "冬奥会" in tokens and "运动员" in tokens and tokens[-1] == "library"


def test_rgb_becomes_a_chinese_retrieval_set_after_its_tuned_items(tmp_path):
    rows = [{"id": i, "query": f"问题{i}", "answer": ["x"], "positive": [f"正{i}a", f"正{i}b"],
             "negative": [f"负{i}"]} for i in range(45)]
    (tmp_path / "zh_refine_dev.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                                                  encoding="utf-8")
    corpus, questions = load(tmp_path, 3)
    assert [q["question"] for q in questions] == ["问题40", "问题41", "问题42"]  # items 0-39 tuned the gate
    assert questions[0]["supporting_facts"] == [["rgb-40-pos0", 0], ["rgb-40-pos1", 0]]
    assert corpus["rgb-40-neg0"] == ["负40"] and len(corpus) == 9
