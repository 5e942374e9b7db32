"""graph.loaders: every supported file type, made in the test, and the ways files go wrong."""

from __future__ import annotations

import hashlib

import pytest

from graph.errors import CongmingError
from graph.loaders import LoadError, load_text, normalise_text
from tests.doc_builders import make_docx, make_pdf, write

pytest.importorskip("pypdf")
pytest.importorskip("docx")


def expect_error(path, reason: str, *words: str, **kwargs) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_text(path, **kwargs)
    error = info.value
    assert isinstance(error, CongmingError)
    assert error.reason == reason
    assert str(path) in str(error)
    for word in words:
        assert word in str(error)
    return error


# Good files


def test_utf8_text_is_normalised(tmp_path):
    raw = "林小姐住在杭州。\r\nShe works\x00 at Alibaba.\x07\r\n\r\n\r\n\r\nCafe\u0301 end.  \n"
    path = write(tmp_path, "notes.txt", raw)
    loaded = load_text(path)
    assert loaded.text == "林小姐住在杭州。\nShe works at Alibaba.\n\nCafé end."
    assert loaded.title == "notes"
    assert loaded.media_type == "text/plain"
    assert loaded.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert loaded.source == str(path.resolve())
    assert loaded.metadata["encoding"] == "utf-8"


def test_gbk_chinese_text(tmp_path):
    text = "林小姐住在杭州，在阿里巴巴工作。\n这是一个测试文件。"
    loaded = load_text(write(tmp_path, "gbk.txt", text, encoding="gbk"))
    assert loaded.text == text
    assert loaded.metadata["encoding"] == "gb18030"


def test_legacy_western_encoding_is_detected(tmp_path):
    text = "Café crème brûlée, naïve façade. Ça va très bien, merci beaucoup à tous."
    loaded = load_text(write(tmp_path, "latin.txt", text, encoding="cp1252"))
    assert loaded.text == text


def test_slightly_broken_utf8_keeps_the_rest(tmp_path):
    good = ("这是一个很长的中文句子，用于测试损坏的编码。" * 20).encode()
    loaded = load_text(write(tmp_path, "broken.txt", good[:99] + b"\xff" + good[99:]))
    assert loaded.text.count("\ufffd") == loaded.metadata["replaced_bytes"] == 1
    assert loaded.text.replace("\ufffd", "") == good.decode()


def test_markdown_with_bom_takes_its_heading_as_title(tmp_path):
    loaded = load_text(write(tmp_path, "readme.md", "\ufeff# 标题 Title\n\nBody text.\n"))
    assert loaded.title == "标题 Title"
    assert loaded.text == "# 标题 Title\n\nBody text."
    assert loaded.media_type == "text/markdown"


def test_html_keeps_headings_and_paragraphs_only(tmp_path):
    page = """<html><head><title>My Page</title><style>p {color: red}</style>
    <script>var secret = 1;</script></head><body><nav><a href="/">Home</a></nav>
    <h1>Welcome</h1><p>First <b>bold</b> paragraph.<br>New line.</p><!-- hidden -->
    <ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table></body></html>"""
    loaded = load_text(write(tmp_path, "page.html", page))
    assert loaded.title == "My Page"
    assert loaded.text == "Welcome\n\nFirst bold paragraph.\nNew line.\n\none\n\ntwo\n\na | b"
    for gone in ("secret", "color", "Home", "hidden"):
        assert gone not in loaded.text


def test_html_declared_gbk(tmp_path):
    page = ('<html><head><meta charset="gbk"><title>中文</title></head>'
            "<body><p>林小姐住在杭州。</p></body></html>")
    loaded = load_text(write(tmp_path, "zh.htm", page, encoding="gbk"))
    assert (loaded.title, loaded.text) == ("中文", "林小姐住在杭州。")


def test_docx_paragraphs_and_tables_in_order(tmp_path):
    loaded = load_text(write(tmp_path, "report.docx", make_docx()))
    assert loaded.text == ("Quarterly Report\n\nAlice met Bob in Paris.\n\n"
                           "Name | City\n林小姐 | 杭州\n\nAfter the table.")
    assert loaded.title == "Quarterly Report"


def test_pdf_pages_joined_with_offsets(tmp_path):
    data = make_pdf([["Hello PDF world.", "Second line."], [], ["Page three."]], title="My Doc")
    loaded = load_text(write(tmp_path, "doc.pdf", data))
    assert loaded.text == "Hello PDF world.\nSecond line.\n\nPage three."
    assert loaded.title == "My Doc"
    assert loaded.metadata["pages"] == 3
    third = loaded.metadata["page_starts"][2]
    assert loaded.text[third:] == "Page three."


def test_pdf_with_only_an_owner_password_opens(tmp_path):
    data = make_pdf([["Readable text."]], user_password="", owner_password="owner")
    assert load_text(write(tmp_path, "owner.pdf", data)).text == "Readable text."


# Bad files


def test_missing_file_and_directory(tmp_path):
    expect_error(tmp_path / "nope.txt", "missing", "not found")
    (tmp_path / "folder.txt").mkdir()
    expect_error(tmp_path / "folder.txt", "unreadable", "directory")


@pytest.mark.parametrize(("name", "hint"), [("data.xyz", "supported"), ("old.doc", ".docx")])
def test_unsupported_extension(tmp_path, name, hint):
    expect_error(write(tmp_path, name, "hello"), "unsupported", hint)


def test_empty_and_blank_files(tmp_path):
    expect_error(write(tmp_path, "empty.txt", b""), "empty", "empty")
    expect_error(write(tmp_path, "blank.md", "  \n\n\t\n"), "no_text")


def test_binary_content_named_as_text(tmp_path):
    expect_error(write(tmp_path, "noise.txt", bytes(range(256)) * 8), "binary", "binary")
    expect_error(write(tmp_path, "paper.txt", make_pdf([["x"]])), "binary", "PDF", ".pdf")


def test_too_large(tmp_path):
    path = write(tmp_path, "big.txt", "word " * 100)
    expect_error(path, "too_large", "limit", max_bytes=100)
    assert load_text(path, max_bytes=1000).text.startswith("word")


def test_truncated_and_corrupt_pdf(tmp_path):
    data = make_pdf([["Hello PDF world."]])
    expect_error(write(tmp_path, "cut.pdf", data[: len(data) // 2]), "corrupt", "damaged")
    expect_error(write(tmp_path, "junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 4), "corrupt")
    expect_error(write(tmp_path, "fake.pdf", b"just some words"), "corrupt", "not a PDF")


def test_pdf_without_text_layer(tmp_path):
    expect_error(write(tmp_path, "scan.pdf", make_pdf([[]])), "no_text", "OCR")


def test_password_protected_pdf(tmp_path):
    data = make_pdf([["secret"]], user_password="pw")
    expect_error(write(tmp_path, "locked.pdf", data), "encrypted", "password")


def test_truncated_and_encrypted_docx(tmp_path):
    data = make_docx()
    expect_error(write(tmp_path, "cut.docx", data[: len(data) // 2]), "corrupt", "re-save")
    expect_error(write(tmp_path, "text.docx", "plain words"), "corrupt")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024  # how Word stores encrypted files
    expect_error(write(tmp_path, "locked.docx", ole), "encrypted", "password")


def test_normalise_text_is_idempotent():
    text = normalise_text("a\r\nb\u2028c\x0cd \n\n\n\ne\ufeff")
    assert text == "a\nb\nc\nd\n\ne"
    assert normalise_text(text) == text
