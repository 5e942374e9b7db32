"""The Python API: `from agent import Agent`, ingest and retrieve, scoped by user."""

from agent import Agent
from agent.llm.fake import FakeLLM


def make_agent(settings, tmp_path):
    settings.embedder.backend = "hash"
    settings.knowledge.extractor = "fast"
    return Agent(settings, llm=FakeLLM())


def test_agent_ingests_files_and_retrieves_with_provenance(settings, tmp_path):
    (tmp_path / "notes.md").write_text("# Lin\n\nMy sister Lin lives in Hangzhou and works at Alibaba.\n")
    (tmp_path / "other.txt").write_text("The Eiffel Tower is in Paris.\n")
    with make_agent(settings, tmp_path) as agent:
        report = agent.ingest(tmp_path, user_id="ann")
        assert report.count("added") == 2 and not report.failed
        result = agent.retrieve("Where does Lin live?", user_id="ann", k=2)
        assert result.items[0].document.title == "Lin"
        assert "Hangzhou" in result.items[0].chunk.text
        assert set(result.items[0].signals) <= {"dense", "bm25", "graph"}


def test_agent_scopes_everything_by_user(settings, tmp_path):
    with make_agent(settings, tmp_path) as agent:
        agent.ingest_text("Bob's password hint is blue whale.", source="bob-note", user_id="bob")
        assert agent.documents(user_id="bob")
        assert agent.documents(user_id="ann") == []
        assert agent.retrieve("password hint", user_id="ann").items == ()


def test_agent_forgets_a_document_completely(settings, tmp_path):
    with make_agent(settings, tmp_path) as agent:
        outcome = agent.ingest_text("Zanzibar spice farms grow cloves.", source="z", title="Zanzibar")
        assert agent.retrieve("cloves").items
        assert agent.forget_document(outcome.document_id)
        assert agent.retrieve("cloves").items == ()
        assert agent.documents() == []
        assert not agent.forget_document(outcome.document_id)


def test_agent_reopens_what_it_stored(settings, tmp_path):
    with make_agent(settings, tmp_path) as agent:
        agent.ingest_text("Quokkas live on Rottnest Island.", source="q", title="Quokka")
    with make_agent(settings, tmp_path) as agent:
        assert agent.retrieve("Where do quokkas live?").items[0].document.title == "Quokka"
