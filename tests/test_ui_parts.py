"""The chat UI's pure parts: texts shown for events, commands, chat settings, the agent pool,
uploads, the Chainlit app folder, and the knowledge-graph view (agent/graph_view.py) with its
drawing."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.events import Citation, RetrievalDone
from memory.parts import Passage, PinnedFact
from ui.commands import Command, command_menu, means_everything, parse_command
from ui.present import answer_markdown, citation_markdown, mark_unsupported, md_escape, retrieval_markdown
from ui.text import TEXTS, UIText, ui_language

EN, ZH = UIText("en"), UIText("zh")


def test_both_languages_have_every_text_and_the_same_placeholders():
    assert set(TEXTS["en"]) == set(TEXTS["zh"])
    for key, english in TEXTS["en"].items():
        placeholders = lambda s: sorted(part.split("}")[0].split(":")[0] for part in s.split("{")[1:])  # noqa: E731
        assert placeholders(english) == placeholders(TEXTS["zh"][key]), key


@pytest.mark.parametrize(("setting", "browser", "expected"), [
    ("auto", "zh-CN", "zh"), ("auto", "zh-TW", "zh"), ("auto", "en-US", "en"), ("auto", None, "en"),
    ("zh-CN", "en-US", "zh"), ("en-US", "zh-CN", "en"),
])
def test_the_ui_language_follows_the_setting_or_else_the_browser(setting, browser, expected):
    assert ui_language(setting, browser) == expected


def test_retrieval_lists_what_was_found_which_is_relevant_facts_and_notes():
    event = RetrievalDone(evidence=(Passage("Lin lives in *Hangzhou*.", "Lin", "c1"),
                                    Passage("Quokkas live on Rottnest.", "Quokkas", "c2")),
                          facts=(PinnedFact("The user likes tea."),), relevant=(0,), seconds=0.25,
                          notes=("graph skipped: Neo4j is down",))
    text = retrieval_markdown(event, EN)
    assert text.startswith("Found 2 passage(s) and 1 fact(s) about you in 0.25 s.")
    heading = RetrievalDone((Passage("# Lin\n\nLin lives in Hangzhou.", "Lin", "c1"),), (), (0,), 0.5)
    assert retrieval_markdown(heading, EN) == ("Found 1 passage(s) in 0.50 s.\n\n**Passages**\n\n"
                                               "1. **Lin** (relevant): Lin Lin lives in Hangzhou.")
    assert "1. **Lin** (relevant): Lin lives in \\*Hangzhou\\*." in text
    assert "2. **Quokkas** (not used)" in text
    assert "- The user likes tea." in text and "Note: graph skipped: Neo4j is down" in text
    assert retrieval_markdown(RetrievalDone((), (), (), 0.1), ZH) == "在你的文档和记忆中没有找到相关内容。"


def test_remembered_turns_and_facts_say_where_they_come_from():
    from ui.present import source_label

    turn = SimpleNamespace(text="We talked about tea.", source="", id="turn-1", kind="turn",
                           at=datetime(2026, 11, 20, 14, 3))
    assert source_label(turn, EN) == "our conversation on 2026-11-20 14:03"
    assert source_label(SimpleNamespace(text="x", source="", id="t", kind="turn"), ZH) == "我们的对话"
    assert source_label(Passage("The user likes tea.", "memory"), EN) == "what you told me"
    assert source_label(Passage("text", "notes.md", "c1"), EN) == "notes.md"


def test_a_citation_shows_its_source_and_the_passage_quoted():
    body = citation_markdown(Citation(2, Passage("Line one.\n\nLine two.", "notes.md", "c9")), EN)
    assert body == "**[2] notes.md**\n\n`c9`\n\n> Line one.\n>\n> Line two."


def test_unsupported_sentences_are_marked_once_and_a_legend_added():
    answer = "Lin lives in Hangzhou [1]. She breeds horses [unsupported]."
    marked, changed = mark_unsupported(answer, ["She breeds horses."], EN)
    assert changed and marked == "Lin lives in Hangzhou [1]. She breeds horses ⚠️ [unsupported]."
    assert mark_unsupported(marked, ["She breeds horses."], EN) == (marked, False)
    assert mark_unsupported(answer, ["Not in the answer."], EN) == (answer, False)
    verification = SimpleNamespace(sentences=(
        SimpleNamespace(text="Lin lives in Hangzhou [1].", supported=True, claim=True),
        SimpleNamespace(text="She breeds horses.", supported=False, claim=True),
        SimpleNamespace(text="Sure!", supported=False, claim=False)))
    shown = answer_markdown("Sure! " + answer, verification, [Citation(1, Passage("...", "Lin", "c1"))], EN)
    assert shown == ("Sure! Lin lives in Hangzhou [1]. She breeds horses ⚠️ [unsupported].\n\n"
                     "_⚠️ marks sentences the sources do not support._\n\n**Sources:** [1] Lin")
    assert answer_markdown("I don't know.", None, [], EN) == "I don't know."


def test_markdown_from_documents_is_shown_as_text():
    assert md_escape("a_b *c* [d](e) <b>") == "a\\_b \\*c\\* \\[d\\](e) \\<b\\>"


@pytest.mark.parametrize(("content", "command", "expected"), [
    ("/remember I live in Hangzhou", None, Command("remember", "I live in Hangzhou")),
    ("  /FORGET   everything ", None, Command("forget", "everything")),
    ("/memories", None, Command("memories", "")),
    ("I live in Hangzhou", "remember", Command("remember", "I live in Hangzhou")),
    ("Where does Lin live?", None, None),
    ("/ not a command", None, None),
    ("path /usr/bin", None, None),
])
def test_commands_are_picked_from_the_menu_or_typed(content, command, expected):
    assert parse_command(content, command) == expected


def test_forget_everything_in_both_languages_and_the_menu_is_translated():
    assert means_everything("everything") and means_everything("全部") and not means_everything("Hangzhou")
    assert [c["id"] for c in command_menu(ZH)] == ["remember", "forget", "memories", "graph"]
    assert command_menu(ZH)[0]["description"] == "记住一条关于你的事实"


def test_chat_settings_from_the_ui_are_checked(settings):
    from ui.agents import ChatPrefs

    prefs = ChatPrefs.of(settings)
    changed = prefs.updated({"backend": "fake", "chain_of_thought": False, "policy": "annotate",
                             "temperature": 0.7}, backends=("llamacpp", "fake"))
    assert changed == ChatPrefs("fake", False, "annotate", 0.7)
    assert prefs.updated({"backend": "gpt-9", "policy": "lie", "temperature": 5, "chain_of_thought": "yes"},
                         backends=("llamacpp",)) == prefs


def test_a_chats_settings_are_its_turns_options_and_leave_the_shared_agent_alone(settings, openai_stub):
    import asyncio

    from agent import Agent
    from agent.llm.fake import FakeLLM
    from ui.agents import AgentHost, ChatPrefs

    settings.embedder.backend, settings.llm.backend = "hash", "fake"
    settings.llm.base_url = openai_stub.base_url  # a chat may pick the openai backend
    model = FakeLLM(["Reasoning: none. Answer: from the configured model."])
    host = AgentHost(settings, Agent(settings.model_copy(deep=True), llm=model)).open()
    assert host.backends[0] == "fake" and "llamacpp" in host.backends
    calm = host.options(ChatPrefs("fake", False, "annotate", 0.0))
    other = host.options(ChatPrefs("openai", True, "extractive", 1.5))
    assert (calm.policy, calm.temperature, calm.chain_of_thought, calm.llm) == ("annotate", 0.0, False, None)
    assert (other.policy, other.temperature, other.chain_of_thought) == ("extractive", 1.5, True)
    assert other.llm.name == "openai"
    assert host.options(ChatPrefs("openai", True, "abstain", 0.2)).llm is other.llm  # loaded once

    before = len(openai_stub.chat_requests())

    async def both():
        return await asyncio.gather(host.agent.achat("Hello there.", session_id="calm", options=calm),
                                    host.agent.achat("Hello again.", session_id="other", options=other))

    try:
        mine, theirs = asyncio.run(both())
        assert mine.answer == "from the configured model."
        assert theirs.answer and theirs.answer != mine.answer  # the stub server answered that one
        [request] = openai_stub.chat_requests()[before:]
        assert request["temperature"] == 1.5
        assert (host.agent.settings.agent.policy, host.agent.settings.llm.temperature) == ("abstain", 0.2)
        assert host.agent.turn_runner().llm is model
    finally:
        host.close()


def test_uploads_keep_their_own_safe_name_in_the_users_folder(tmp_path):
    from ui.uploads import keep_upload, safe_name, upload_folder

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\笔记 (1).md") == "笔记 (1).md"
    assert safe_name("...") == "upload" and safe_name("a<b>|c.txt") == "a_b_c.txt"
    assert len(safe_name("x" * 300 + ".md")) == 120 and safe_name("x" * 300 + ".md").endswith(".md")
    assert upload_folder(tmp_path, "alice") != upload_folder(tmp_path, "bob")
    source = tmp_path / "tmp-upload-123"
    source.write_text("hello", encoding="utf-8")
    kept = keep_upload("notes.md", source, upload_folder(tmp_path, "alice"))
    assert kept.name == "notes.md" and kept.read_text(encoding="utf-8") == "hello"


def test_progress_is_reported_on_the_loop_while_the_work_runs_in_a_thread():
    import asyncio
    import threading

    from ui.uploads import run_with_progress

    seen: list[tuple[int, bool]] = []

    def work(report):
        for i in range(3):
            report(i)
        return "done"

    async def on_item(item):
        seen.append((item, threading.current_thread() is threading.main_thread()))

    assert asyncio.run(run_with_progress(work, on_item)) == "done"
    assert seen == [(0, True), (1, True), (2, True)]


def test_the_chainlit_app_folder_is_written_from_the_settings(settings, tmp_path):
    pytest.importorskip("chainlit")
    from ui.launch import UIPaths, auth_secret, check_exposure, prepare, ui_environment

    settings.ui.language, settings.ui.name = "zh-CN", "聪明"
    paths = prepare(settings)
    assert paths == UIPaths.of(settings.data_dir)
    config = tomllib.loads(paths.config.read_text(encoding="utf-8"))
    assert config["UI"]["language"] == "zh-CN" and config["UI"]["name"] == "聪明"
    assert config["features"]["spontaneous_file_upload"]["accept"]["text/markdown"] == [".md", ".markdown"]
    zh = json.loads((paths.translations / "zh-CN.json").read_text(encoding="utf-8"))
    assert zh["auth"]["login"]["form"]["email"]["label"] == "用户名"
    assert zh["auth"]["login"]["form"]["password"]["label"]  # Chainlit's own texts are kept
    assert (paths.root / "public" / "logo_dark.svg").is_file()
    assert (paths.root / "public" / "elements" / "KnowledgeGraph.jsx").is_file()  # the graph view
    package_data = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text(
        encoding="utf-8"))["tool"]["setuptools"]["package-data"]["ui"]
    assert "public/elements/*.jsx" in package_data  # and it ships in the wheel
    assert "from ui.app import" in paths.entry.read_text(encoding="utf-8")

    secret = auth_secret(paths.secret)
    assert len(secret) >= 32 and auth_secret(paths.secret) == secret
    assert paths.secret.stat().st_mode & 0o777 == 0o600
    env = ui_environment(paths, settings, None)
    assert env["CHAINLIT_APP_ROOT"] == str(paths.root) and env["CHAINLIT_AUTH_SECRET"] == secret

    from agent.errors import ConfigError

    settings.ui.host = "0.0.0.0"
    with pytest.raises(ConfigError, match="without a login"):
        check_exposure(settings)
    settings.ui.passwords = {"me": "long password"}
    check_exposure(settings)


def test_the_knowledge_graph_around_a_topic_is_drawn(settings):
    from agent import Agent
    from agent.graph_view import graph_around
    from agent.llm.fake import FakeLLM
    from ui.graph_figure import graph_props, spring_layout

    settings.embedder.backend = "hash"
    with Agent(settings, llm=FakeLLM()) as agent:
        agent.ingest_text("The Zephyr lamp was invented by Mira Okafor in Lagos. Mira Okafor studied in "
                          "Paris.", source="zephyr.md", title="Zephyr lamp", user_id="alice")
        view = graph_around(agent, "Zephyr lamp", user_id="alice")
        assert graph_around(agent, "Zephyr lamp", user_id="bob").empty
        assert graph_around(agent, "   ", user_id="alice").empty
    names = {node.name for node in view.nodes}
    assert "Zephyr lamp" in names and len(names) >= 2
    assert any(node.hops == 0 for node in view.nodes)
    ids = {node.id for node in view.nodes}
    assert view.edges and all(e.source in ids and e.target in ids for e in view.edges)

    drawn = {node["label"] for node in graph_props(view)["nodes"]}
    assert drawn == names
    positions = spring_layout(4, [(0, 1), (1, 2)])
    assert positions.shape == (4, 2) and abs(positions).max() <= 1.0
    assert (spring_layout(4, [(0, 1), (1, 2)]) == positions).all()


def test_congming_ui_refuses_to_listen_beyond_loopback_without_a_login(clean_env, tmp_path):
    from typer.testing import CliRunner

    from agent.cli import app

    clean_env.setenv("CONGMING_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["ui", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "without a login" in result.output and "ui.passwords" in result.output
    assert not (tmp_path / "data" / "ui").exists()  # nothing was written, nothing started


def test_the_fake_model_can_be_scripted_from_settings_for_whole_app_tests(tmp_path):
    from agent.errors import ConfigError
    from agent.llm import ChatMessage, GenerationOptions, create_llm
    from agent.settings import LLMSettings

    script = tmp_path / "replies.json"
    script.write_text(json.dumps(["Answer: first.", "Answer: again."]), encoding="utf-8")
    llm = create_llm(LLMSettings(backend="fake", model=str(script)))
    llm.open()
    ask = [ChatMessage("user", "hi")]
    replies = ["".join(llm.stream(ask, GenerationOptions(max_tokens=50))) for _ in range(3)]
    assert replies == ["Answer: first.", "Answer: again.", "Answer: again."]
    assert "".join(create_llm(LLMSettings(backend="fake")).stream(ask, GenerationOptions())) == "Echo: hi"
    script.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="JSON file with a list of reply strings"):
        create_llm(LLMSettings(backend="fake", model=str(script))).open()


def test_what_is_remembered_is_listed_and_forget_finds_facts_by_words_or_id():
    from ui.memory_view import matching_facts, memories_markdown

    def fact(fact_id, sentence, strength, ended=None):
        return SimpleNamespace(id=fact_id, text=sentence, strength=strength, valid_to=ended,
                               valid_from=datetime(2026, 1, 5), describe=lambda: sentence)

    facts = [fact("fact-1", "The user lives in Hangzhou.", 0.75),
             fact("fact-2", "The user likes *green* tea.", 0.5, datetime(2026, 3, 1))]
    shown = memories_markdown(facts, EN)
    assert shown.splitlines() == ["What I remember about you:", "",
                                  "- The user lives in Hangzhou. _(strength 75%)_",
                                  "- The user likes \\*green\\* tea. "
                                  "_(held 2026-01-05 – 2026-03-01, no longer true)_"]
    assert memories_markdown([], ZH) == "我还不记得关于你的任何事。"
    assert [f.id for f in matching_facts(facts, "hangzhou")] == ["fact-1"]
    assert [f.id for f in matching_facts(facts, "fact-2")] == ["fact-2"]
    assert matching_facts(facts, "Paris") == [] and matching_facts(facts, "  ") == []
