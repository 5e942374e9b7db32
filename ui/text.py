"""The UI's own words in English and Chinese (Chainlit's own buttons and menus are translated by
the JSON files in ui/translations/)."""

from __future__ import annotations

from typing import Literal

Language = Literal["en", "zh"]

_EN: dict[str, str] = {
    "retrieval_step": "Retrieval",
    "reasoning_step": "Reasoning",
    "searching": "Searching your documents and memory…",
    "ingest_step": "Reading documents",
    "found": "Found {passages} passage(s) in {seconds:.2f} s.",
    "found_with_facts": "Found {passages} passage(s) and {facts} fact(s) about you in {seconds:.2f} s.",
    "found_nothing": "Found nothing in your documents or memory.",
    "relevant": "relevant",
    "not_relevant": "not used",
    "facts_header": "What I know about you",
    "passages_header": "Passages",
    "note": "Note: {note}",
    "remembered_turn": "our conversation",
    "remembered_at": "our conversation on {at}",
    "fact_source": "what you told me",
    "sources": "Sources",
    "unsupported_mark": "⚠️",
    "unsupported_legend": "⚠️ marks sentences the sources do not support.",
    "failed": "Sorry, that did not work: {error}",
    "action_graph": "Knowledge graph",
    "action_memories": "What do you remember?",
    "action_forget": "Forget",
    "action_forget_all": "Forget everything",
    "action_remember": "Remember this",
    "action_yes": "Yes, forget everything",
    "action_no": "Cancel",
    "ingest_start": "Reading {files} file(s)…",
    "ingest_progress": "{done}/{files} files",
    "ingest_file": "{name}: {status}, {chunks} chunks",
    "ingest_file_failed": "{name}: failed: {error}",
    "ingest_done": "Read {ok} of {files} file(s); {chunks} passages are now searchable. Ask me about them.",
    "ingest_some_failed": "{failed} file(s) could not be read (see above); the others were kept.",
    "status_added": "added",
    "status_replaced": "replaced",
    "status_unchanged": "unchanged",
    "status_failed": "failed",
    "remembered": "I will remember: {fact}",
    "remember_empty": "Tell me what to remember, e.g. `/remember I live in Hangzhou`.",
    "memories_header": "What I remember about you:",
    "memories_none": "I do not remember anything about you yet.",
    "memory_strength": "strength {strength:.0%}",
    "memory_span": "held {start} – {end}, no longer true",
    "forgot": "Forgotten: {fact}",
    "forgot_none": "I found nothing like “{query}” in what I remember.",
    "forgot_all": "I have forgotten everything I remembered about you ({count} facts).",
    "confirm_forget_all": "Forget everything I remember about you? This cannot be undone.",
    "cancelled": "Nothing was forgotten.",
    "memory_unavailable": "Memory is not available in this installation: {error}",
    "graph_title": "Knowledge graph around “{topic}”",
    "graph_hint": "Click a name to recentre the graph on it.",
    "graph_empty": "I know no entities around “{topic}” yet. Upload documents or tell me about it.",
    "graph_no_topic": "Name a topic, e.g. `/graph Hangzhou`.",
    "settings_backend": "Model backend",
    "settings_cot": "Show reasoning (chain of thought)",
    "settings_policy": "When the answer is not supported",
    "settings_temperature": "Temperature",
    "policy_abstain": "say I don't know",
    "policy_extractive": "quote the sources",
    "policy_annotate": "answer and mark it",
    "backend_changed": "From now on {backend} answers in this chat.",
    "command_remember": "Remember a fact about you",
    "command_forget": "Forget a fact (or 'everything')",
    "command_memories": "Show what I remember about you",
    "command_graph": "Show the knowledge graph around a topic",
    "unknown_command": "Unknown command /{name}. Try /remember, /forget, /memories or /graph.",
}

_ZH: dict[str, str] = {
    "retrieval_step": "检索",
    "reasoning_step": "推理过程",
    "searching": "正在检索你的文档和记忆…",
    "ingest_step": "读取文档",
    "found": "用时 {seconds:.2f} 秒，找到 {passages} 段资料。",
    "found_with_facts": "用时 {seconds:.2f} 秒，找到 {passages} 段资料和 {facts} 条关于你的事实。",
    "found_nothing": "在你的文档和记忆中没有找到相关内容。",
    "relevant": "相关",
    "not_relevant": "未采用",
    "facts_header": "我记得的关于你的事",
    "passages_header": "资料",
    "note": "注意：{note}",
    "remembered_turn": "我们的对话",
    "remembered_at": "{at} 的对话",
    "fact_source": "你告诉我的",
    "sources": "来源",
    "unsupported_mark": "⚠️",
    "unsupported_legend": "⚠️ 表示该句没有资料支持。",
    "failed": "抱歉，出错了：{error}",
    "action_graph": "知识图谱",
    "action_memories": "你记得什么？",
    "action_forget": "忘记",
    "action_forget_all": "全部忘记",
    "action_remember": "记住这个",
    "action_yes": "是的，全部忘记",
    "action_no": "取消",
    "ingest_start": "正在读取 {files} 个文件…",
    "ingest_progress": "{done}/{files} 个文件",
    "ingest_file": "{name}：{status}，{chunks} 段",
    "ingest_file_failed": "{name}：失败：{error}",
    "ingest_done": "已读取 {ok}/{files} 个文件，现在可以检索 {chunks} 段内容。请提问吧。",
    "ingest_some_failed": "{failed} 个文件无法读取（见上文），其余文件已保留。",
    "status_added": "已添加",
    "status_replaced": "已替换",
    "status_unchanged": "未改变",
    "status_failed": "失败",
    "remembered": "我会记住：{fact}",
    "remember_empty": "请告诉我要记住什么，例如 `/remember 我住在杭州`。",
    "memories_header": "我记得的关于你的事：",
    "memories_none": "我还不记得关于你的任何事。",
    "memory_strength": "强度 {strength:.0%}",
    "memory_span": "{start} 至 {end}，已不再成立",
    "forgot": "已忘记：{fact}",
    "forgot_none": "在我的记忆中没有找到与“{query}”相关的内容。",
    "forgot_all": "我已忘记关于你的全部记忆（{count} 条事实）。",
    "confirm_forget_all": "要忘记我记得的关于你的一切吗？此操作无法撤销。",
    "cancelled": "没有忘记任何内容。",
    "memory_unavailable": "此安装中记忆功能不可用：{error}",
    "graph_title": "“{topic}”周围的知识图谱",
    "graph_hint": "点击名称，以它为中心重新显示图谱。",
    "graph_empty": "我还不知道与“{topic}”相关的实体。请上传文档或告诉我相关信息。",
    "graph_no_topic": "请给出一个主题，例如 `/graph 杭州`。",
    "settings_backend": "模型后端",
    "settings_cot": "显示推理过程（思维链）",
    "settings_policy": "答案没有资料支持时",
    "settings_temperature": "温度",
    "policy_abstain": "回答不知道",
    "policy_extractive": "引用资料原文",
    "policy_annotate": "回答并标注",
    "backend_changed": "此后本对话由 {backend} 回答。",
    "command_remember": "记住一条关于你的事实",
    "command_forget": "忘记一条事实（或 everything 全部）",
    "command_memories": "显示我记得的关于你的事",
    "command_graph": "显示某个主题周围的知识图谱",
    "unknown_command": "未知命令 /{name}。可用：/remember、/forget、/memories、/graph。",
}

TEXTS: dict[Language, dict[str, str]] = {"en": _EN, "zh": _ZH}


class UIText:
    """The UI's words in one language: ``text("found", passages=3, ...)``."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._words = TEXTS[language]

    def __call__(self, key: str, **values: object) -> str:
        return self._words[key].format(**values) if values else self._words[key]


def ui_language(setting: str, browser: str | None) -> Language:
    """The UI language: the setting, or the browser's ("zh-CN", "zh-TW", "en-US" ...) when auto."""
    chosen = (browser or "en") if setting == "auto" else setting
    return "zh" if chosen.lower().startswith("zh") else "en"
