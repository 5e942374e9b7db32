"""Chat history on SQLite through Chainlit's own SQLAlchemy data layer: the tables ui/history.py
creates take every column Chainlit writes, threads and their citation elements come back after a
restart (a new data layer on the same files), and each user sees only their own."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("chainlit")
pytest.importorskip("aiosqlite")


@pytest.fixture
def in_chainlit():
    from chainlit.context import ChainlitContext, context_var
    from chainlit.session import HTTPSession

    def run(make_coroutine):
        async def inside():
            session = HTTPSession(id="s1", thread_id="t1", token=None, user=None, client_type="webapp")
            context_var.set(ChainlitContext(session))
            return await make_coroutine()

        return asyncio.run(inside())

    return run


def test_a_thread_with_steps_and_a_citation_survives_a_restart(tmp_path, in_chainlit):
    import chainlit as cl
    from chainlit.types import Pagination, ThreadFilter
    from chainlit.utils import utc_now

    from ui.history import LocalStorageClient, history_data_layer

    db, files = tmp_path / "history.db", tmp_path / "elements"

    async def write():
        layer = history_data_layer(db, LocalStorageClient(files))
        alice = await layer.create_user(cl.User(identifier="alice"))
        await layer.create_user(cl.User(identifier="bob"))
        await layer.update_thread("t1", name="Where does Lin live?", user_id=alice.id,
                                  metadata={"chat_settings": {"policy": "annotate"}})
        question = cl.Message(content="Where does Lin live?", type="user_message", author="alice")
        answer = cl.Message(content="Lin lives in Hangzhou [1].\n\n**Sources:** [1] Lin")
        reasoning = cl.Step(name="Reasoning", type="llm", show_input=False)
        reasoning.output = "Evidence [1] says so."
        for step in (question, reasoning, answer):
            step.created_at = utc_now()  # as send() does
            await layer.create_step(step.to_dict())
        citation = cl.Text(name="[1]", content="**[1] Lin**\n\nMy sister Lin lives in Hangzhou.",
                           display="side")
        citation.for_id, citation.thread_id, citation.mime = answer.id, "t1", "text/plain"  # as send() does
        await layer.create_element(citation)
        await layer.engine.dispose()
        return alice, answer.id

    alice, answer_id = in_chainlit(write)

    async def read():
        layer = history_data_layer(db, LocalStorageClient(files))  # a restart: a new layer on the same files
        thread = await layer.get_thread("t1")
        bob = await layer.get_user("bob")
        theirs = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=bob.id))
        mine = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=alice.id))
        await layer.engine.dispose()
        return thread, theirs, mine

    thread, theirs, mine = in_chainlit(read)
    assert thread["userIdentifier"] == "alice" and thread["name"] == "Where does Lin live?"
    outputs = [step["output"] for step in thread["steps"]]
    assert outputs == ["Where does Lin live?", "Evidence [1] says so.", "Lin lives in Hangzhou [1].\n\n"
                       "**Sources:** [1] Lin"]
    assert [step["type"] for step in thread["steps"]] == ["user_message", "llm", "assistant_message"]
    [element] = thread["elements"]
    assert (element["name"], element["display"], element["forId"]) == ("[1]", "side", answer_id)
    assert element["url"].startswith("/congming/elements/")
    path, mime = LocalStorageClient(files).read(element["objectKey"])
    assert "Lin lives in Hangzhou" in path.read_text(encoding="utf-8") and mime == "text/plain"
    assert theirs.data == [] and [t["id"] for t in mine.data] == ["t1"]


def test_flush_waits_for_the_writes_chainlit_leaves_running(tmp_path, in_chainlit):
    """Chainlit stores a reply's citation in a task nobody awaits; the UI's shutdown flushes them
    so a restart right after a reply keeps the citation."""
    import chainlit as cl

    from ui.history import LocalStorageClient, history_data_layer

    class SlowStorage(LocalStorageClient):
        async def upload_file(self, *args, **kwargs):
            await asyncio.sleep(0.3)
            return await super().upload_file(*args, **kwargs)

    db, files = tmp_path / "history.db", tmp_path / "elements"

    async def reply_then_shut_down():
        layer = history_data_layer(db, SlowStorage(files))
        alice = await layer.create_user(cl.User(identifier="alice"))
        await layer.update_thread("t1", name="Where does Lin live?", user_id=alice.id)
        citation = cl.Text(name="[1]", content="My sister Lin lives in Hangzhou.", display="side")
        citation.for_id, citation.thread_id, citation.mime = "step-1", "t1", "text/plain"
        write = asyncio.create_task(layer.create_element(citation))  # as Element.send() does, unawaited
        await asyncio.sleep(0)
        assert await layer.flush(timeout=0.01) == 1  # still uploading
        assert await layer.flush() == 0 and write.done()
        await layer.engine.dispose()

    in_chainlit(reply_then_shut_down)

    async def read():
        layer = history_data_layer(db, LocalStorageClient(files))
        thread = await layer.get_thread("t1")
        await layer.engine.dispose()
        return thread

    [element] = in_chainlit(read)["elements"]
    path, _ = LocalStorageClient(files).read(element["objectKey"])
    assert path.read_text(encoding="utf-8") == "My sister Lin lives in Hangzhou."


def test_element_files_are_served_only_to_their_owner(tmp_path):
    from chainlit.auth import get_current_user
    from chainlit.user import PersistedUser
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from ui.history import LocalStorageClient, add_elements_route

    storage = LocalStorageClient(tmp_path)
    key = "u-alice/e1/[1]"
    url = asyncio.run(storage.upload_file(key, "the passage", mime="text/plain"))["url"]
    app = FastAPI()
    add_elements_route(app, storage)
    client = TestClient(app)

    for user_id, status in (("u-alice", 200), ("u-bob", 404)):
        app.dependency_overrides[get_current_user] = lambda uid=user_id: PersistedUser(
            id=uid, identifier=uid, createdAt="2026-01-01", metadata={})
        response = client.get(url)
        assert response.status_code == status
    app.dependency_overrides[get_current_user] = lambda: PersistedUser(
        id="u-alice", identifier="alice", createdAt="2026-01-01", metadata={})
    assert client.get(url).text == "the passage"
    assert client.get("/congming/elements/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_object_keys_never_become_paths_outside_the_folder(tmp_path):
    from ui.history import LocalStorageClient

    storage = LocalStorageClient(tmp_path / "elements")
    path = storage.path("u1/e1/../../../../etc/passwd")
    assert path.parent == tmp_path / "elements" / "u1"
    with pytest.raises(ValueError):
        storage.path("../e1/name")
