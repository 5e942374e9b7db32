"""graph.extract: the fast (jieba + spaCy) and llm (schema-checked JSON) extractors."""

from __future__ import annotations

import json

import pytest

from agent.llm.fake import FakeLLM
from agent.llm.structured import JsonCompleter
from graph.errors import ConfigError, InputError
from graph.extract import (
    CO_OCCURS,
    ExtractionError,
    Extractor,
    co_occurrences,
    create_extractor,
)
from graph.extract_llm import extraction_schema, snake_case
from graph.types import ENTITY_TYPES


def by_name(extraction):
    return {e.name: e for e in extraction.entities}


def pairs(extraction):
    return {(r.subject, r.object): r for r in extraction.relations}


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    pytest.importorskip("jieba")
    pytest.importorskip("spacy")
    return create_extractor("fast", cache_dir=str(tmp_path_factory.mktemp("jieba")))


# fast mode, Chinese


def test_chinese_person_place_organisation(fast):
    text = "林小姐住在杭州，在阿里巴巴工作。"
    result = fast.extract(text)
    entities = by_name(result)
    assert {n: e.type for n, e in entities.items()} == {
        "林小姐": "person", "杭州": "place", "阿里巴巴": "organization"}
    for name, entity in entities.items():
        assert [text[s:e] for s, e in entity.mentions] == [name]
    found = {(r.subject, r.relation, r.object) for r in result.relations}
    assert found == {("林小姐", "lives_in", "杭州"), ("林小姐", "works_for", "阿里巴巴"),
                     ("杭州", CO_OCCURS, "阿里巴巴")}  # what the text states is named; the rest co-occurs
    assert all(r.weight == 1.0 and r.evidence == text for r in result.relations)


def test_chinese_concepts_need_repetition(fast):
    text = "张伟在北京大学研究人工智能。人工智能改变了世界。腾讯公司总部位于深圳。"
    entities = by_name(fast.extract(text))
    assert entities["张伟"].type == "person"
    assert entities["北京大学"].type == "organization"
    assert entities["人工智能"].type == "concept" and len(entities["人工智能"].mentions) == 2
    assert entities["腾讯"].type == "organization"  # followed by 公司
    assert "世界" not in entities  # a plain noun seen once is no key concept


def test_user_words(tmp_path):
    pytest.importorskip("jieba")
    extractor = create_extractor("fast", cache_dir=str(tmp_path),
                                 user_words={"蚂蚁森林": "other"})
    assert by_name(extractor.extract("我每天在蚂蚁森林种树。"))["蚂蚁森林"].type == "other"
    with pytest.raises(InputError, match="user_words"):
        create_extractor("fast", user_words={"蚂蚁森林": "forest"})


# fast mode, English


def test_english_named_entities_and_weights(fast):
    text = ("Ada Lovelace met Charles Babbage in London. "
            "Ada Lovelace and Charles Babbage wrote letters. Microsoft is not related.")
    result = fast.extract(text)
    entities = by_name(result)
    assert entities["Ada Lovelace"].type == "person"
    assert entities["Charles Babbage"].type == "person"
    assert entities["London"].type == "place"
    assert entities["Microsoft"].type == "organization"
    assert len(entities["Ada Lovelace"].mentions) == 2
    relations = pairs(result)
    together = relations[("Ada Lovelace", "Charles Babbage")]
    assert together.weight == 2.0
    assert together.evidence == "Ada Lovelace met Charles Babbage in London."
    assert relations[("Charles Babbage", "London")].weight == 1.0
    assert not any("Microsoft" in pair for pair in relations)


def test_english_key_noun_phrases(fast):
    text = ("Our graph database keeps every node. The graph database is open source. "
            "Retrieval uses the vector index. The vector index is fast.")
    entities = by_name(fast.extract(text))
    assert entities["graph database"].type == "concept"
    assert len(entities["graph database"].mentions) == 2
    assert entities["vector index"].type == "concept"
    assert not {"Our", "The", "every node", "node"} & set(entities)


def test_mixed_languages(fast):
    text = "Ada Lovelace lived in London.\n林小姐住在杭州。"
    entities = by_name(fast.extract(text))
    assert {"Ada Lovelace", "London", "林小姐", "杭州"} <= set(entities)
    assert ("林小姐", "London") not in pairs(fast.extract(text))


def test_empty_text(fast):
    result = fast.extract("   ")
    assert result.entities == () and result.relations == ()


def test_extract_many_equals_one_at_a_time(fast):
    texts = ["Ada Lovelace lived in London.\n林小姐住在杭州。Then Charles Babbage visited Paris.",
             "   ", "张伟在北京大学研究人工智能。", "The vector index and the vector index again."]
    assert fast.extract_many(texts) == [fast.extract(text) for text in texts]
    assert fast.extract_many([]) == []


def test_co_occurrences_caps_crowded_sentences():
    from graph.chunking import split_sentences

    text = "a b c d."
    mentions = [(n, i * 2, i * 2 + 1) for i, n in enumerate("abcd")]
    relations = co_occurrences(split_sentences(text), mentions, max_entities_per_sentence=3)
    assert {(r.subject, r.object) for r in relations} == {("a", "b"), ("a", "c"), ("b", "c")}


# llm mode

GOOD = {
    "entities": [
        {"name": "Lin", "type": "Person"},
        {"name": "Hangzhou", "type": "location"},
        {"name": "Alibaba", "type": "organization"},
        {"name": "Paris", "type": "place"},  # not in the text
        {"name": "  ", "type": "other"},  # empty
        {"name": "x" * 200, "type": "other"},  # too long
    ],
    "relations": [
        {"subject": "Lin", "relation": "Lives In", "object": "hangzhou"},
        {"subject": "Lin", "relation": "worksAt", "object": "Alibaba"},
        {"subject": "Lin", "relation": "lives-in", "object": "Hangzhou"},
        {"subject": "Lin", "relation": "visited", "object": "Paris"},
        {"subject": "Lin", "relation": "knows", "object": "Lin"},
        {"subject": "Lin", "relation": "!!!", "object": "Alibaba"},
    ],
}
TEXT = "Ms Lin lives in Hangzhou. She works at Alibaba."


def llm_extractor(*replies, json_schema=True):
    llm = FakeLLM(list(replies), json_schema=json_schema)
    return create_extractor("llm", llm=JsonCompleter(llm)), llm


def test_llm_output_is_validated_and_normalised():
    extractor, llm = llm_extractor(json.dumps(GOOD))
    assert isinstance(extractor, Extractor)
    result = extractor.extract(TEXT)
    entities = by_name(result)
    assert {n: e.type for n, e in entities.items()} == {
        "Lin": "person", "Hangzhou": "place", "Alibaba": "organization"}
    assert [TEXT[s:e] for s, e in entities["Alibaba"].mentions] == ["Alibaba"]
    triples = {(r.subject, r.relation, r.object): r for r in result.relations}
    assert set(triples) == {("Lin", "lives_in", "Hangzhou"), ("Lin", "works_at", "Alibaba")}
    assert triples[("Lin", "lives_in", "Hangzhou")].weight == 2.0
    assert triples[("Lin", "works_at", "Alibaba")].evidence == TEXT  # "She" is Lin
    assert len(result.dropped) == 6  # 3 entities, 3 relations
    assert all(len(reason) < 200 for reason in result.dropped)
    assert any("Paris" in reason and "not in the text" in reason for reason in result.dropped)
    assert TEXT in llm.prompts[0][-1].content


@pytest.mark.parametrize("reply", [
    "Sure! Here are the entities: Lin, Hangzhou.",
    '{"entities": [{"name": "Lin", "type": "person"}], "relations": [',
    '{"entities": "Lin", "relations": []}',
    '["Lin", "Hangzhou"]',
])
def test_malformed_llm_output_raises_extraction_error(reply):
    extractor, _ = llm_extractor(reply)
    with pytest.raises(ExtractionError) as info:
        extractor.extract(TEXT)
    assert info.value.raw == reply


def test_fenced_json_is_accepted():
    reply = "```json\n" + json.dumps({"entities": [{"name": "Lin", "type": "person"}],
                                      "relations": []}) + "\n```"
    extractor, _ = llm_extractor(reply)
    assert [e.name for e in extractor.extract(TEXT).entities] == ["Lin"]


def test_schema_goes_into_the_prompt_when_the_backend_cannot_constrain():
    extractor, llm = llm_extractor(json.dumps(GOOD), json_schema=False)
    extractor.extract(TEXT)
    assert '"relations"' in llm.prompts[0][0].content and "JSON schema" in llm.prompts[0][0].content


def test_schema_is_valid_and_names_the_entity_types():
    jsonschema = pytest.importorskip("jsonschema")
    schema = extraction_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["entities"]["items"]["properties"]["type"]["enum"] == list(ENTITY_TYPES)


def test_schema_compiles_to_a_llamacpp_grammar():
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = llama_cpp.LlamaGrammar.from_json_schema(json.dumps(extraction_schema()),
                                                      verbose=False)
    assert grammar is not None


def test_llm_input_limits():
    extractor, _ = llm_extractor(json.dumps(GOOD))
    assert extractor.extract("  ").entities == ()
    with pytest.raises(InputError):
        extractor.extract("x" * 10_000)


def test_snake_case():
    assert snake_case("Works At") == "works_at"
    assert snake_case("worksAt") == "works_at"
    assert snake_case("  born-in ") == "born_in"
    assert snake_case("住在") == "住在"


def test_extractors_are_picked_by_name():
    with pytest.raises(ConfigError, match="fast"):
        create_extractor("magic")
    with pytest.raises(ConfigError, match="language model"):
        create_extractor("llm")


@pytest.mark.model
@pytest.mark.slow
def test_packaged_model_gives_checked_output_or_a_clear_error(packaged_llm):
    extractor = create_extractor("llm", llm=JsonCompleter(packaged_llm, max_tokens=160))
    try:
        result = extractor.extract("Ada Lovelace worked with Charles Babbage in London.")
    except ExtractionError as error:  # a 135M model may run out of tokens mid-JSON
        assert error.raw
    else:
        text = "Ada Lovelace worked with Charles Babbage in London."
        assert all(e.type in ENTITY_TYPES and e.mentions for e in result.entities)
        assert all(e.name.casefold() in text.casefold() for e in result.entities)
