"""graph.linking.GraphBuilder: topic entities, extractor entities and relations, dictionary linking."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedding import HashEmbedder
from graph.extract import CO_OCCURS, ExtractedEntity, ExtractedRelation, Extraction, ExtractionError
from graph.ingest import Ingestor
from graph.knowledge import KnowledgeBase
from graph.linking import GraphBuilder, entity_id, topic_names
from graph.types import Chunk, Document, stable_id

USER = "alice"


class ScriptedExtractor:
    """Returns the entities and relations scripted for a trigger word found in the text."""

    name = "scripted"

    def __init__(self, script: dict[str, Extraction] | None = None, fail_on: str = "") -> None:
        self.script = script or {}
        self.fail_on = fail_on
        self.calls: list[str] = []

    def extract(self, text: str) -> Extraction:
        self.calls.append(text)
        if self.fail_on and self.fail_on in text:
            raise ExtractionError("The model answered with something that is not JSON.", raw="{oops")
        entities, relations = [], []
        for trigger, extraction in self.script.items():
            if trigger in text:
                entities += extraction.entities
                relations += extraction.relations
        return Extraction(tuple(entities), tuple(relations))


def person(name: str) -> ExtractedEntity:
    return ExtractedEntity(name, "person")


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(tmp_path / "data", HashEmbedder(64)) as base:
        yield base


def ingest(kb: KnowledgeBase, text: str, title: str, *, extractor=None, user: str = USER,
           source: str | None = None):
    ingestor = Ingestor(kb, extractor, chunk_size=14, overlap=0)
    return ingestor.ingest_text(text, user_id=user, source=source or f"{title}.txt", title=title)


def chunk_ids(kb: KnowledgeBase, outcome, user: str = USER) -> list[str]:
    return [c.id for c in kb.documents.document_chunks(user, outcome.document_id)]


def mentioned_in(kb: KnowledgeBase, name: str, user: str = USER) -> set[str]:
    return {source for _, source in kb.graph.mentions(user, entity_ids=[entity_id(user, name)])}


# ---- topic entity ---------------------------------------------------------------------
@pytest.mark.parametrize(("title", "names"), [
    ("Casablanca (1942 film)", ("Casablanca", "Casablanca (1942 film)")),
    ("  Ada   Lovelace ", ("Ada Lovelace",)),
    ("三国演义（小说）", ("三国演义", "三国演义（小说）")),
    ("(1945 film)", ("(1945 film)",)),
    ("", ()),
    ("one two three four five six seven eight nine ten eleven twelve thirteen", ()),
])
def test_topic_names(title, names):
    assert topic_names(title) == names


def test_topic_entity_from_the_title_is_mentioned_by_every_chunk(kb):
    text = ("Casablanca is a romantic drama directed by Michael Curtiz.\n\n"
            "It stars Humphrey Bogart and Ingrid Bergman as former lovers.")
    outcome = ingest(kb, text, "Casablanca (1945 film)")
    chunks = chunk_ids(kb, outcome)
    assert len(chunks) == 2 and outcome.entities == 1
    (topic,) = kb.graph.get_entities(USER, [entity_id(USER, "casablanca")])
    assert (topic.name, topic.aliases, topic.properties) == (
        "Casablanca", ("Casablanca (1945 film)",), {"topic": True})
    assert set(topic.provenance) == set(chunks)
    assert mentioned_in(kb, "Casablanca") == set(chunks)
    assert kb.graph.search_entities(USER, "casablanca (1945 film)")[0].entity.id == topic.id


def test_title_defaults_to_the_file_name_and_long_titles_make_no_topic(kb):
    ingest(kb, "Notes about her.", "", source="/notes/Ada Lovelace.txt")
    assert kb.graph.get_entities(USER, [entity_id(USER, "Ada Lovelace")])[0].name == "Ada Lovelace"
    outcome = ingest(kb, "Some text.", "A sentence that is far too long to be the name of any single "
                     "thing at all", source="long.txt")
    assert outcome.entities == 0


# ---- extractor entities and relations ---------------------------------------------------
def lovelace_script() -> dict[str, Extraction]:
    return {
        "met": Extraction(
            (person("Ada Lovelace"), person("Charles Babbage"), ExtractedEntity("London", "place")),
            (ExtractedRelation("Charles Babbage", CO_OCCURS, "Ada Lovelace"),
             ExtractedRelation("Ada Lovelace", CO_OCCURS, "London"),
             ExtractedRelation("Ada Lovelace", "visited", "Mars"),  # Mars is no entity: dropped
             ExtractedRelation("Ada Lovelace", "knows", "ada lovelace"))),  # self-loop: dropped
        "designed": Extraction(
            (person("Charles Babbage"), ExtractedEntity("Analytical Engine", "concept"),
             ExtractedEntity("London", "place")),
            (ExtractedRelation("Charles Babbage", "designed", "Analytical Engine", weight=2.0),
             ExtractedRelation("Ada Lovelace", CO_OCCURS, "Charles Babbage"))),
    }


def test_extractor_entities_and_relations_keep_their_provenance(kb):
    text = ("Ada Lovelace met Charles Babbage in London in 1833.\n\n"
            "Charles Babbage designed the Analytical Engine in London.")
    outcome = ingest(kb, text, "Charles Babbage", extractor=ScriptedExtractor(lovelace_script()))
    c0, c1 = chunk_ids(kb, outcome)
    names = ["Charles Babbage", "Ada Lovelace", "London", "Analytical Engine"]
    found = {e.name: e for e in kb.graph.get_entities(USER, [entity_id(USER, n) for n in names])}
    assert set(found) == set(names) and outcome.entities == 4
    babbage = found["Charles Babbage"]
    assert babbage.type == "person"  # the topic ("other") takes the extractor's type
    assert babbage.properties == {"topic": True}
    assert set(babbage.provenance) == {c0, c1}
    assert set(found["Ada Lovelace"].provenance) == {c0}
    assert set(found["London"].provenance) == {c0, c1} and found["London"].type == "place"
    assert set(found["Analytical Engine"].provenance) == {c1}

    relations = kb.graph.subgraph(USER, [e.id for e in found.values()]).relations
    by_type = {(r.type, r.source_id, r.target_id): r for r in relations}
    ada, cb = entity_id(USER, "Ada Lovelace"), entity_id(USER, "Charles Babbage")
    pair = (CO_OCCURS, *sorted((ada, cb)))  # undirected: one relation whatever the order given
    assert set(by_type) == {pair, (CO_OCCURS, *sorted((ada, entity_id(USER, "London")))),
                            ("designed", cb, entity_id(USER, "Analytical Engine"))}
    assert by_type[pair].weight == pytest.approx(2.0) and set(by_type[pair].provenance) == {c0, c1}
    designed = by_type[("designed", cb, entity_id(USER, "Analytical Engine"))]
    assert designed.weight == pytest.approx(2.0) and designed.provenance == (c1,)
    assert designed.id == stable_id("rel", USER, cb, "designed", entity_id(USER, "Analytical Engine"))


def test_extraction_errors_skip_a_chunk_without_failing_the_document(kb, caplog):
    extractor = ScriptedExtractor(lovelace_script(), fail_on="BROKEN")
    text = ("Ada Lovelace met Charles Babbage in London.\n\n"
            "BROKEN chunk that the model cannot read.\n\n"
            "Charles Babbage designed the Analytical Engine.")
    with caplog.at_level(logging.WARNING, logger="graph.linking"):
        outcome = ingest(kb, text, "Notes", extractor=extractor)
    assert outcome.status == "added" and outcome.chunks == 3
    assert len(extractor.calls) == 3
    _, broken, c2 = chunk_ids(kb, outcome)
    assert mentioned_in(kb, "Analytical Engine") == {c2}
    assert {e for e, _ in kb.graph.mentions(USER, source_ids=[broken])} == {entity_id(USER, "Notes")}
    assert any(broken in record.getMessage() for record in caplog.records)
    assert kb.keywords.chunks_with_phrase(USER, "BROKEN chunk") == [broken]  # still searchable


def test_builder_without_extractor_gives_only_the_topic(kb):
    document = Document(id="d", user_id=USER, source="x.txt", content_hash="h", title="Ada Lovelace")
    chunks = [Chunk(id="d-0", document_id="d", user_id=USER, ordinal=0, text="Met Charles Babbage.")]
    items = GraphBuilder(kb, None).extract(document, chunks)
    assert [e.name for e in items.entities] == ["Ada Lovelace"] and items.relations == ()
    assert items.linkable == ((entity_id(USER, "Ada Lovelace"), "Ada Lovelace"),)


def test_a_topic_takes_the_type_of_the_name_its_title_opens_with(kb):
    script = {"Kestrel": Extraction((ExtractedEntity("Kestrel Loom Analytics", "organization"),
                                     ExtractedEntity("Kestrel", "person")), ())}
    document = Document(id="d", user_id=USER, source="k.md", content_hash="h",
                        title="Kestrel Loom Analytics: company profile")
    chunks = [Chunk(id="d-0", document_id="d", user_id=USER, ordinal=0,
                    text="Kestrel Loom Analytics builds tools.")]
    items = GraphBuilder(kb, ScriptedExtractor(script)).extract(document, chunks)
    topic = next(e for e in items.entities if e.properties.get("topic"))
    assert topic.type == "organization"
    untyped = Document(id="e", user_id=USER, source="n.md", content_hash="h2", title="Notes from Tuesday")
    items = GraphBuilder(kb, ScriptedExtractor(script)).extract(untyped, [
        Chunk(id="e-0", document_id="e", user_id=USER, ordinal=0, text="Kestrel Loom Analytics called.")])
    assert next(e for e in items.entities if e.properties.get("topic")).type == "other"


# ---- dictionary linking ----------------------------------------------------------------
BABBAGE = "Charles Babbage was an English mathematician who designed mechanical computers."
LOVELACE = ("Ada Lovelace wrote the first published algorithm.\n\n"
            "She worked with Charles Babbage on his Analytical Engine.")


def test_a_new_chunk_is_linked_to_known_entities(kb):
    ingest(kb, BABBAGE, "Charles Babbage")
    outcome = ingest(kb, LOVELACE, "Ada Lovelace")
    first, second = chunk_ids(kb, outcome)
    assert second in mentioned_in(kb, "Charles Babbage")
    assert first not in mentioned_in(kb, "Charles Babbage")


def test_an_older_chunk_is_linked_when_a_new_document_introduces_the_entity(kb):
    outcome = ingest(kb, LOVELACE, "Ada Lovelace")
    _, second = chunk_ids(kb, outcome)
    assert mentioned_in(kb, "Charles Babbage") == set()
    babbage = ingest(kb, BABBAGE, "Charles Babbage")
    assert mentioned_in(kb, "Charles Babbage") == {second, *chunk_ids(kb, babbage)}


def mention_graph(tmp_path: Path, docs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    with KnowledgeBase(tmp_path, HashEmbedder(64)) as base:
        for title, text in docs:
            ingest(base, text, title)
        ids = [entity_id(USER, title) for title, _ in docs]
        return set(base.graph.mentions(USER, entity_ids=ids))


DOCS = [
    ("Charles Babbage", BABBAGE),
    ("Ada Lovelace", LOVELACE + " Ada Lovelace's notes mention Bernoulli numbers."),
    ("Analytical Engine", "The Analytical Engine was proposed by Charles Babbage; Ada Lovelace "
                          "programmed it on paper."),
    ("Rome, Georgia", "Rome, Georgia is a city. It is not Rome, Italy."),
    ("Ra", "Ra was the sun god of ancient Egypt."),
    ("Travel notes", "We drove from Rome, Georgia to a museum about Ra and the Analytical Engine. "
                     "Rome Georgia? Ra!"),
    ("北京大学", "北京大学位于北京市海淀区。"),
    ("海淀区", "我在北京大学读书，学校在海淀区。"),
]


def test_linking_does_not_depend_on_the_order_documents_arrive(tmp_path):
    forward = mention_graph(tmp_path / "forward", DOCS)
    backward = mention_graph(tmp_path / "backward", DOCS[::-1])
    assert forward == backward
    lovelace = stable_id("doc", USER, "default", "Ada Lovelace.txt")
    assert (entity_id(USER, "Charles Babbage"), f"{lovelace}-1") in forward
    engine = stable_id("doc", USER, "default", "Analytical Engine.txt")
    assert (entity_id(USER, "Ada Lovelace"), f"{engine}-1") in forward
    assert (entity_id(USER, "Charles Babbage"), f"{engine}-0") in forward
    haidian = stable_id("doc", USER, "default", "海淀区.txt")
    assert (entity_id(USER, "北京大学"), f"{haidian}-0") in forward
    travel = stable_id("doc", USER, "default", "Travel notes.txt")
    linked_travel = {e for e, s in forward if s.startswith(travel) and e != entity_id(USER, "Travel notes")}
    assert linked_travel == {entity_id(USER, "Analytical Engine")}  # "Ra" is too short to link


def test_replacing_or_forgetting_a_document_drops_its_links(kb):
    ingest(kb, BABBAGE, "Charles Babbage")
    outcome = ingest(kb, LOVELACE, "Ada Lovelace")
    linked = mentioned_in(kb, "Charles Babbage")
    assert set(chunk_ids(kb, outcome)) & linked
    ingest(kb, "Ada Lovelace wrote the first published algorithm.", "Ada Lovelace")
    assert not set(chunk_ids(kb, outcome)) & mentioned_in(kb, "Charles Babbage")
    ingest(kb, LOVELACE, "Ada Lovelace")
    assert Ingestor(kb).forget_document(USER, outcome.document_id)
    assert mentioned_in(kb, "Ada Lovelace") == set()
    assert kb.graph.get_entities(USER, [entity_id(USER, "Ada Lovelace")]) == []


def test_linking_stays_within_one_user(kb):
    ingest(kb, BABBAGE, "Charles Babbage", user="bob")
    outcome = ingest(kb, LOVELACE, "Ada Lovelace")
    assert mentioned_in(kb, "Charles Babbage") == set()
    ingest(kb, BABBAGE, "Charles Babbage")
    assert chunk_ids(kb, outcome)[1] in mentioned_in(kb, "Charles Babbage")
    bob_doc = stable_id("doc", "bob", "default", "Charles Babbage.txt")
    assert {s.rsplit("-", 1)[0] for s in mentioned_in(kb, "Charles Babbage", user="bob")} == {bob_doc}


def organisation(name: str) -> ExtractedEntity:
    return ExtractedEntity(name, "organization")


def test_a_new_entity_that_duplicates_a_stored_one_is_merged_and_the_merge_recorded(kb):
    extractor = ScriptedExtractor({"Alibaba Group Inc.": Extraction((organisation("Alibaba Group Inc."),)),
                                   "Alibaba Group runs": Extraction((organisation("Alibaba Group"),))})
    ingest(kb, "Lin works at Alibaba Group Inc. in Hangzhou.", "Work", extractor=extractor)
    ingest(kb, "Alibaba Group runs Taobao.", "Shops", extractor=extractor)
    merges = kb.graph.list_merges(USER)
    # the resolver keeps the plainer name and the stored one becomes its alias
    assert [(m.merged_name, m.reason) for m in merges] == [("Alibaba Group Inc.", "same key")]
    survivor = kb.graph.get_entities(USER, [merges[0].kept_id])[0]
    assert survivor.name == "Alibaba Group" and "Alibaba Group Inc." in survivor.aliases
    assert len(survivor.provenance) == 2  # mentioned by both documents


def test_duplicates_within_one_document_are_merged(kb):
    extractor = ScriptedExtractor({"Inc.": Extraction((organisation("Alibaba Group Inc."),
                                                       organisation("Alibaba Group")))})
    ingest(kb, "Alibaba Group Inc. (Alibaba Group for short) is in Hangzhou.", "Work", extractor=extractor)
    assert [m.reason for m in kb.graph.list_merges(USER)] == ["same key"]


def test_distinct_entities_are_not_merged(kb):
    extractor = ScriptedExtractor({"Hangzhou": Extraction((ExtractedEntity("Hangzhou", "place"),)),
                                   "Shanghai": Extraction((ExtractedEntity("Shanghai", "place"),))})
    ingest(kb, "Lin lives in Hangzhou.", "Lin", extractor=extractor)
    ingest(kb, "Wei lives in Shanghai.", "Wei", extractor=extractor)
    assert kb.graph.list_merges(USER) == []


@pytest.mark.model
def test_look_alike_names_merge_by_embedding_similarity(tmp_path):
    from graph.embedding import SentenceTransformerEmbedder

    extractor = ScriptedExtractor({"Neo4j ": Extraction((organisation("Neo4j"),)),
                                   "Neo4J DB": Extraction((organisation("Neo4J DB"),))})
    with KnowledgeBase(tmp_path / "data", SentenceTransformerEmbedder()) as base:
        ingest(base, "We store the graph in Neo4j for now.", "Storage", extractor=extractor)
        ingest(base, "Neo4J DB runs in a container.", "Deploy", extractor=extractor)
        merges = base.graph.list_merges(USER)
    assert len(merges) == 1 and merges[0].reason.startswith("similarity")
    assert {merges[0].merged_name} <= {"Neo4j", "Neo4J DB"}


def test_an_entity_merged_away_earlier_is_redirected_not_resolved_again(kb):
    extractor = ScriptedExtractor({"Inc.": Extraction((organisation("Alibaba Group Inc."),
                                                       organisation("Alibaba Group"))),
                                   "again": Extraction((organisation("Alibaba Group Inc."),))})
    ingest(kb, "Alibaba Group Inc. (Alibaba Group for short) is in Hangzhou.", "Work", extractor=extractor)
    news = ingest(kb, "Alibaba Group Inc. again opened an office.", "News", extractor=extractor)
    merges = kb.graph.list_merges(USER)
    assert len(merges) == 1
    survivor = kb.graph.get_entities(USER, [merges[0].kept_id])[0]
    assert set(chunk_ids(kb, news)) <= set(survivor.provenance)
