"""The chat UI in a real browser: log in, upload a document, ask about it, watch the answer stream
and get its citation and reasoning, use memory (remember, forget), look at the knowledge graph;
history survives a restart and each user sees only their own."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, USERS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCUMENT = "# Zephyr lamp\n\nThe Zephyr lamp was invented by Mira Okafor in 1931 in Lagos. It burns palm oil."
QUESTION = "Who invented the Zephyr lamp?"
ANSWER = '[data-step-type="assistant_message"]'
GRAPH_SVG = '[data-testid="knowledge-graph"] svg[role="img"]'
COMMAND_MENU = {"memories": "Show what I remember about you",
                "graph": "Show the knowledge graph around a topic"}
WAIT_MS = 120_000  # the first turn loads the entity extractor; 2 shared cores in CI

# Records every text an answer message shows while it changes, to see it stream.
RECORD_ANSWERS = """
window.__answerTexts = [];
new MutationObserver(() => {
  for (const node of document.querySelectorAll('[data-step-type="assistant_message"]')) {
    const text = node.innerText;
    if (window.__answerTexts[window.__answerTexts.length - 1] !== text) window.__answerTexts.push(text);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def login(page, server, user: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("#email", user)
    page.fill("#password", USERS[user])
    page.click("button[type=submit]")
    page.wait_for_selector("#command-button", timeout=WAIT_MS)  # the chat has started: commands are set


def attach(page, path) -> None:
    """Add a file to the next message, as the paperclip does; returns once it is uploaded."""
    with page.expect_response(lambda r: r.url.endswith("/project/file") or "/project/file?" in r.url):
        page.set_input_files("#upload-button-input", str(path))
    page.get_by_text(path.name).first.wait_for()


def send(page, text: str) -> None:
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def command(page, name: str, argument: str = "") -> None:
    """Pick a command as a user does: type / and its name, Enter picks it from the menu."""
    page.fill("#chat-input", "")
    page.type("#chat-input", f"/{name}")
    page.get_by_text(COMMAND_MENU[name]).first.wait_for()
    page.keyboard.press("Enter")
    if argument:
        page.type("#chat-input", argument)
    page.keyboard.press("Enter")


def answer_with(page, text: str):
    locator = page.locator(ANSWER, has_text=text).last
    try:
        locator.wait_for(timeout=WAIT_MS)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "timed-out.png"), full_page=True)
        raise
    return locator


def open_citation(page, answer, passage: str) -> None:
    """Click the answer's [1] and wait for its passage in the side panel. A click that lands while
    the chat is still re-rendering (a resumed thread, a slow machine) can be lost: click again.
    If it never shows, the failure says what the browser fetched for the element."""
    fetched: list[str] = []
    page.on("response", lambda r: fetched.append(f"{r.status} {r.url}") if "/element" in r.url else None)
    shown = page.get_by_text(passage).first
    for _ in range(3):
        answer.locator("a.element-link", has_text="[1]").first.click()
        try:
            shown.wait_for(timeout=10_000)
            return
        except Exception:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "citation-not-shown.png"), full_page=True)
    try:
        shown.wait_for(timeout=WAIT_MS)
    except Exception as exc:
        links = answer.locator("a.element-link").all_inner_texts()
        raise AssertionError(f"the citation's passage never showed; links {links}, element fetches "
                             f"{fetched}") from exc


def test_upload_ask_cite_reason_remember_and_forget(ui_server, chromium, shots, tmp_path):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_ANSWERS)
    page = context.new_page()

    page.goto(f"{ui_server.url}/login")
    page.fill("#email", "alice")
    page.fill("#password", "not-her-password")
    page.click("button[type=submit]")
    page.get_by_text("Sign in failed").or_(page.get_by_text("Unable to sign in")).first.wait_for()
    shots(page, "login-refused")
    login(page, ui_server, "alice")
    shots(page, "logged-in")

    document = tmp_path / "zephyr.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    attach(page, document)
    send(page, QUESTION)
    answer_with(page, "Read 1 of 1 file(s)")
    answer = answer_with(page, "Sources:")
    assert "The Zephyr lamp was invented by Mira Okafor in 1931" in answer.inner_text()
    seen = page.evaluate("window.__answerTexts")
    drafts = [text for text in seen if "Mira Okafor" in text and "Sources:" not in text]
    assert drafts, f"the answer never showed as a draft before its final form: {seen}"
    shots(page, "answer")

    open_citation(page, answer, "It burns palm oil.")
    shots(page, "citation")

    page.get_by_role("button", name="Used Reasoning").click()
    page.get_by_text("Evidence [1] says the Zephyr lamp was invented by Mira Okafor in 1931.").wait_for()
    page.get_by_role("button", name="Used Retrieval").click()
    page.get_by_text("(relevant)").first.wait_for()
    page.wait_for_timeout(500)  # the steps finish opening (an animation) before the screenshot
    shots(page, "reasoning-and-retrieval")

    send(page, "I live in Hangzhou.")  # a statement: its answer offers to remember it
    page.locator(ANSWER).last.get_by_role("button", name="Remember this").click()
    answer_with(page, "I will remember")
    command(page, "memories")
    memories = answer_with(page, "What I remember about you")
    assert "Hangzhou" in memories.inner_text()
    shots(page, "memories")

    memories.get_by_role("button", name="Forget everything").click()
    page.get_by_role("button", name="Yes, forget everything").click()
    answer_with(page, "I have forgotten everything I remembered about you")
    command(page, "memories")
    answer_with(page, "I do not remember anything about you yet.")
    shots(page, "forgotten")

    command(page, "graph", "Zephyr lamp")
    graph = answer_with(page, "Knowledge graph around")
    graph.locator(GRAPH_SVG).first.wait_for(timeout=WAIT_MS)
    shots(page, "graph")
    context.close()


def test_history_survives_a_restart_and_each_user_sees_only_their_own(ui_server, chromium, shots, tmp_path):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, ui_server, "alice")
    document = tmp_path / "zephyr.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    attach(page, document)
    send(page, "Who invented it, the Zephyr lamp?")
    answer_with(page, "Sources:")
    context.close()

    ui_server.stop()
    ui_server.start()

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, ui_server, "alice")
    page.get_by_text("Who invented it, the Zephyr").first.click()
    answer = answer_with(page, "Sources:")
    assert "The Zephyr lamp was invented by Mira Okafor in 1931" in answer.inner_text()
    open_citation(page, answer, "It burns palm oil.")  # the citation, kept on disk
    page.get_by_role("button", name="Used Retrieval").click()  # the steps were kept too
    page.get_by_text("(relevant)").first.wait_for()
    page.wait_for_timeout(500)  # the step finishes opening (an animation) before the screenshot
    shots(page, "alice-history-after-restart")
    context.close()

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    login(page, ui_server, "bob")
    assert page.get_by_text("Who invented it, the Zephyr").count() == 0  # alice's thread is not listed
    send(page, QUESTION)
    answer_with(page, "I don't know")
    assert "Mira Okafor" not in page.inner_text("body")  # alice's document is not bob's
    shots(page, "bob-sees-nothing-of-alice")
    context.close()


GRAPH_DOCUMENT = (
    "# 星河科技公司简介\n\n星河科技成立于2015年，总部位于临江市滨湖大厦。公司现有员工450人，总经理是韩明远。"
    "星河科技在杭州和深圳设有分部，与阿里巴巴和腾讯合作。旗舰产品星眼摄像头去年卖出了12万台。\n\n"
    "Bluefin Robotics builds underwater drones for harbour inspections with 星河科技. The company was "
    "founded in 2008 by Mara Quist in Lowhaven. Its headquarters are in Saltmere. The chief technology "
    "officer is Oren Falk. Kestrel Loom and Bluefin Robotics share an office in Port Ellery.\n")
# The boxes of the names and relation names the SVG shows, and whether any two overlap.
TEXT_BOXES = """
(svg) => {
  const boxes = [...svg.querySelectorAll('text.graph-name, text.graph-relation')]
    .filter(t => t.textContent.trim())
    .map(t => { const r = t.getBoundingClientRect();
                return {text: t.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom}; });
  const clashes = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], c = boxes[j];
    if (a.l < c.r - 1 && c.l < a.r - 1 && a.t < c.b - 1 && c.t < a.b - 1) clashes.push([a.text, c.text]);
  }
  return {count: boxes.length, clashes};
}
"""


def test_the_graph_view_is_readable_and_a_click_on_a_name_recentres_it(ui_server, chromium, shots, tmp_path):
    context = chromium.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    login(page, ui_server, "alice")
    document = tmp_path / "xinghe.md"
    document.write_text(GRAPH_DOCUMENT, encoding="utf-8")
    attach(page, document)
    send(page, "星河科技在哪里？")
    answer_with(page, "Read 1 of 1 file(s)")
    page.fill("#chat-input", "")
    page.type("#chat-input", "/graph")  # the command picked from its menu, the topic typed after it
    page.get_by_text(COMMAND_MENU["graph"]).first.wait_for()
    page.keyboard.press("Enter")
    page.type("#chat-input", "星河科技")
    page.click("#chat-submit")  # Enter right after Chinese input may be eaten by the input method
    graph = answer_with(page, "Knowledge graph around “星河科技”")
    svg = graph.locator(GRAPH_SVG).first
    svg.wait_for(timeout=WAIT_MS)
    drawn = svg.evaluate(TEXT_BOXES)
    assert drawn["count"] >= 6, drawn
    assert drawn["clashes"] == [], drawn
    names = svg.locator("text.graph-name").all_text_contents()
    relations = svg.locator("text.graph-relation").all_text_contents()
    assert "星河科技" in names and "临江市" in names and "韩明远" in names
    assert "headquartered in" in relations and "co occurs" not in relations
    assert page.locator(".modebar").count() == 0  # no plot toolbar over the graph
    shots(page, "graph-星河科技")

    svg.locator('g.graph-node[data-name="临江市"]').click()  # a click on a name recentres the view on it
    recentred = answer_with(page, "Knowledge graph around “临江市”").locator(GRAPH_SVG).first
    recentred.wait_for(timeout=WAIT_MS)
    recentred.scroll_into_view_if_needed()
    assert recentred.locator('g.graph-node[data-name="临江市"] circle').get_attribute("stroke-width") == "3"
    assert recentred.evaluate(TEXT_BOXES)["clashes"] == []
    assert "星河科技" in recentred.locator("text.graph-name").all_text_contents()
    shots(page, "graph-recentred")
    context.close()
