"""The fast extractor's rules: dates as entities, types from the words around a name, and the
relations a text states (founded_by, headquartered_in, works_for, part_of ...), in English and
Chinese; co-occurrence only where no rule names the link."""

from __future__ import annotations

import pytest

from graph.chunking import split_sentences
from graph.extract import CO_OCCURS, co_occurrences, create_extractor
from graph.extract_dates import find_dates
from graph.extract_relations import Mention, stated_relations


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    pytest.importorskip("jieba")
    pytest.importorskip("spacy")
    return create_extractor("fast", cache_dir=str(tmp_path_factory.mktemp("jieba")))


def triples(extraction) -> set[tuple[str, str, str]]:
    return {(r.subject, r.relation, r.object) for r in extraction.relations if r.relation != CO_OCCURS}


def types(extraction) -> dict[str, str]:
    return {e.name: e.type for e in extraction.entities}


# dates


@pytest.mark.parametrize(("text", "dates"), [
    ("It was founded in 2008 by Mara.", ["2008"]),
    ("In March 2021 it moved; on 12 March 2021, and March 12, 2021.",
     ["March 2021", "12 March 2021", "March 12, 2021"]),
    ("as of January 2025 (see 2021-03-12)", ["January 2025", "2021-03-12"]),
    ("星河科技成立于2015年，2023年5月12日发布新品，从2023年 5月起涨价。",
     ["2015年", "2023年5月12日", "2023年5月"]),
    ("since 1931, during 1999", ["1931", "1999"]),
    ("It employs 2000 people; call 400-817-2630; 2019 percent; room 1204.", []),
])
def test_dates_are_found_in_both_languages_and_counts_are_not_dates(text, dates):
    assert [name for name, _, _ in find_dates(text)] == dates
    for name, start, end in find_dates(text):
        assert text[start:end].replace(" ", "") == name.replace(" ", "")


def test_dates_are_date_entities(fast):
    english = types(fast.extract("Bluefin Robotics was founded in 2008. It moved in March 2021."))
    assert english["2008"] == "date" and english["March 2021"] == "date"
    chinese = types(fast.extract("星河科技成立于2015年，2023年5月搬到了临江市。"))
    assert chinese["2015年"] == "date" and chinese["2023年5月"] == "date"


# types from context


def test_chinese_organisations_by_suffix_subject_and_company(fast):
    found = types(fast.extract(
        "云岫智能家居有限公司成立于2013年。云岫的员工有560人。阿里巴巴旗下的淘宝很大。"
        "星河科技与阿里巴巴和腾讯合作。高新区在南屿市。"))
    assert found["云岫智能家居有限公司"] == "organization"  # name + 有限公司, as one
    assert found["云岫"] == "organization"  # a shorter form of it, and subject of 员工
    assert found["阿里巴巴"] == "organization"  # jieba says a transliterated person; 旗下 says not
    assert found["腾讯"] == "organization"  # joined by 和 to an organisation
    assert found["星河科技"] == "organization"
    assert found["高新区"] == "place"  # an administrative word, not a person tagged nr


def test_chinese_people_put_together_next_to_a_role(fast):
    found = types(fast.extract("公司总经理是韩明远。创始人方知远后来改任董事长。韩明远很忙。"))
    assert found["韩明远"] == "person" and found["方知远"] == "person"
    assert len(next(e for e in fast.extract("总经理是韩明远。韩明远很忙。").entities
                    if e.name == "韩明远").mentions) == 2  # found by role, then wherever it is written


def test_chinese_names_jieba_cut_apart_are_put_back_together(fast):
    found = types(fast.extract("出席：罗文澜、许嘉禾。枫澜市位于澄江下游。"))
    assert found["罗文澜"] == "person" and found["许嘉禾"] == "person"  # 罗 + 文澜, 许 + 嘉禾
    assert found["枫澜市"] == "place"  # 枫 + 澜市
    assert ("枫澜市", "located_in", "澄江") in triples(fast.extract("枫澜市位于澄江下游。"))
    glued = types(fast.extract("二叔特地从星河科技公司的售后维修中心请了两天假。"))
    assert not any(name.startswith("二叔特地") for name in glued)  # no organisation through an adverb


def test_english_types_from_context(fast):
    found = types(fast.extract(
        "Kestrel Loom Analytics builds forecasting software. The company was founded in a room in "
        "Marrowgate. Kestrel Loom employs 340 people. Its flagship product, Sounder, predicts bursts. "
        "The CTO is Ines Halloran."))
    assert found["Kestrel Loom Analytics"] == "organization"
    assert found["Kestrel Loom"] == "organization"
    assert found["Marrowgate"] == "place"
    assert found["Sounder"] == "product"
    assert found.get("CTO") != "organization" and found.get("company") != "organization"


def test_a_name_written_again_is_a_mention_of_it_not_of_a_part(fast):
    result = fast.extract("# Zephyr lamp\n\nThe Zephyr lamp was invented by Mira Okafor in 1931 in Lagos.")
    entities = {e.name: e for e in result.entities}
    assert "Zephyr" not in entities and len(entities["Zephyr lamp"].mentions) == 2
    assert entities["Zephyr lamp"].type == "product"  # invented: a thing, whatever the tagger said
    assert ("Zephyr lamp", "invented_by", "Mira Okafor") in triples(result)


def test_the_collector_lets_a_whole_name_claim_what_was_found_inside_it():
    from graph.extract import EntityCollector

    out = EntityCollector()
    out.add("Zephyr lamp", "person", 2, 13)
    out.add("Zephyr", "place", 19, 25)
    out.add("Mira", "person", 45, 49)
    out.claim("Zephyr lamp", 19, 30)
    out.claim("Nobody", 45, 49)  # not a found name: nothing changes
    assert {e.name: (e.type, e.mentions) for e in out.entities()} == {
        "Zephyr lamp": ("person", ((2, 13), (19, 30))), "Mira": ("person", ((45, 49),))}
    out.retype("Zephyr lamp", "product")
    assert out.types()["Zephyr lamp"] == "product"  # the words around it outvote the tagger


# relations the text states


@pytest.mark.parametrize(("text", "expected"), [
    ("Bluefin Robotics builds underwater drones. The company was founded in 2008 by Mara Quist. "
     "Its headquarters are in Saltmere. The chief technology officer is Oren Falk.",
     {("Bluefin Robotics", "founded_in", "2008"), ("Bluefin Robotics", "founded_by", "Mara Quist"),
      ("Bluefin Robotics", "headquartered_in", "Saltmere"), ("Oren Falk", "works_for", "Bluefin Robotics")}),
    ("Kestrel Loom Analytics was founded in 2011 by Dana Okafor-Lind and Piet Varga.",
     {("Kestrel Loom Analytics", "founded_in", "2011"),
      ("Kestrel Loom Analytics", "founded_by", "Dana Okafor-Lind"),
      ("Kestrel Loom Analytics", "founded_by", "Piet Varga")}),
    ("Tim Cook works for Apple Inc. in Cupertino.", {("Tim Cook", "works_for", "Apple Inc.")}),
    ("WhatsApp is owned by Meta Platforms.", {("WhatsApp", "part_of", "Meta Platforms")}),
    ("Ada Lovelace lived in London.", {("Ada Lovelace", "lives_in", "London")}),
    ("The Aerolux H3 heater was invented by Piet Varga.", {("Aerolux H3", "invented_by", "Piet Varga")}),
    ("The Sounder was designed by Ines Halloran.", {("Sounder", "invented_by", "Ines Halloran")}),
])
def test_english_relations(fast, text, expected):
    assert expected <= triples(fast.extract(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("星河科技成立于2015年，总部位于临江市滨湖大厦。公司现有员工450人，总经理是韩明远。",
     {("星河科技", "founded_in", "2015年"), ("星河科技", "headquartered_in", "临江市"),
      ("韩明远", "works_for", "星河科技"), ("滨湖大厦", "located_in", "临江市")}),
    ("云岫智能家居有限公司于2013年成立，创始人方知远。公司把总部迁到了南屿市。",
     {("云岫智能家居有限公司", "founded_in", "2013年"), ("云岫智能家居有限公司", "founded_by", "方知远"),
      ("云岫智能家居有限公司", "headquartered_in", "南屿市")}),
    ("张伟在星河科技工作。", {("张伟", "works_for", "星河科技")}),
    ("阿里巴巴旗下的淘宝网很大。", {("淘宝网", "part_of", "阿里巴巴")}),
    ("林小姐住在杭州。", {("林小姐", "lives_in", "杭州")}),
    ("星河科技与阿里巴巴和腾讯合作。",
     {("星河科技", "partners_with", "阿里巴巴"), ("星河科技", "partners_with", "腾讯")}),
])
def test_chinese_relations(fast, text, expected):
    assert expected <= triples(fast.extract(text))


def test_a_named_relation_replaces_co_occurrence_and_the_rest_still_co_occur(fast):
    result = fast.extract("Mara Quist founded Bluefin Robotics. Mara Quist met Oren Falk in Lowhaven.")
    assert triples(result) == {("Bluefin Robotics", "founded_by", "Mara Quist")}
    pairs = {frozenset((r.subject, r.object)): r.relation for r in result.relations}
    assert pairs[frozenset(("Bluefin Robotics", "Mara Quist"))] == "founded_by"  # no co-occurrence beside it
    assert pairs[frozenset(("Mara Quist", "Oren Falk"))] == CO_OCCURS


def test_rules_need_the_types_they_join():
    text = "The lamp was founded in Paris by accident."
    mentions = [Mention("lamp", "concept", 4, 8), Mention("Paris", "place", 24, 29)]
    assert stated_relations(split_sentences(text), mentions) == ()  # no organisation, no person


def test_an_omitted_subject_is_the_organisation_the_text_is_about():
    text = "Acme Corp makes anvils. Zeta Inc supplies it. The company was founded in 1990."
    mentions = [Mention("Acme Corp", "organization", 0, 9), Mention("Zeta Inc", "organization", 24, 32),
                Mention("1990", "date", 73, 77)]
    found = {(r.subject, r.relation, r.object) for r in stated_relations(split_sentences(text), mentions)}
    assert found == {("Zeta Inc", "founded_in", "1990")}  # the last organisation a sentence opened with
    related = stated_relations(split_sentences(text), mentions)
    plain = [(m.name, m.start, m.end) for m in mentions]
    rest = co_occurrences(split_sentences(text), plain, related=related)
    assert rest == ()  # nothing else shares a sentence
