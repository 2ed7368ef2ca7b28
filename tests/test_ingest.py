"""Ingest: every input becomes a Document or a Rejected that says what to fix."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventcoder.errors import REJECT_CODES, ConfigError
from eventcoder.ingest import IngestOptions, parse_published, read_paths
from eventcoder.records import Document, Rejected, SourceKind

GOOD = "Gunmen attacked a checkpoint near Baqubah on Tuesday, killing three soldiers."


def read(*paths, options=None, stdin=None):
    return list(read_paths(paths, options or IngestOptions(), stdin=stdin))


def docs(results):
    return [r for r in results if isinstance(r, Document)]


def rejects(results):
    return [r for r in results if isinstance(r, Rejected)]


def only_rejected(results) -> Rejected:
    (rej,) = rejects(results)
    assert rej.stage == "ingest"
    assert rej.code in REJECT_CODES
    assert rej.detail
    return rej


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


@pytest.fixture
def good(tmp_path):
    """Two good files to put around each bad one."""
    return write(tmp_path, "before.txt", GOOD), write(tmp_path, "after.txt", "Second report. " + GOOD)


def assert_good_survive(results, n=2):
    texts = [d.text for d in docs(results)]
    assert texts[0] == GOOD and texts[-1].startswith("Second report.") and len(texts) == n


# --------------------------------------------------------------------------
# Plain text


def test_txt_is_one_document_with_defaults(tmp_path):
    path = write(tmp_path, "report-7.txt", "Line one.\r\nLine two.\r\n")
    opts = IngestOptions(published=dt.date(2024, 3, 5), source_kind=SourceKind.NEWS, day_first=False)
    (doc,) = read(path, options=opts)
    assert doc.text == "Line one.\nLine two.\n"  # CRLF -> LF, nothing else changes
    assert doc.source == "report-7"  # file stem
    assert doc.published == dt.date(2024, 3, 5)
    assert doc.source_kind is SourceKind.NEWS
    assert doc.origin == str(path)
    assert doc.day_first is False
    assert doc.doc_id.startswith("doc-")


def test_text_is_nfc_and_bom_removed(tmp_path):
    path = write(tmp_path, "a.txt", b"\xef\xbb\xbf" + "Cafe\u0301 in Mosul".encode())
    (doc,) = read(path)
    assert doc.text == "Caf\u00e9 in Mosul"


def test_no_extension_and_source_option(tmp_path):
    path = write(tmp_path, "REPORT", GOOD)
    (doc,) = read(path, options=IngestOptions(source="reuters"))
    assert doc.text == GOOD and doc.source == "reuters"


def test_same_input_same_doc_id(tmp_path):
    a = read(write(tmp_path, "x.txt", GOOD))[0]
    b = read(tmp_path / "x.txt")[0]
    assert a.doc_id == b.doc_id


def test_empty_file(tmp_path, good):
    empty = write(tmp_path, "empty.txt", b"")
    blank = write(tmp_path, "blank.txt", " \n\t\r\n ")
    results = read(good[0], empty, blank, good[1])
    assert [r.code for r in rejects(results)] == ["E101", "E101"]
    assert rejects(results)[0].origin == str(empty)
    assert_good_survive(results)


def test_binary_file_with_nul_bytes(tmp_path, good):
    binary = write(tmp_path, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    results = read(good[0], binary, good[1])
    assert only_rejected(results).code == "E102"
    assert_good_survive(results)


def test_random_blob_is_binary(tmp_path, good):
    blob = bytes((i * 7919 + 13) % 251 for i in range(4096)).replace(b"\x00", b"\x01")  # no NUL at all
    results = read(good[0], write(tmp_path, "blob.txt", blob), good[1])
    assert only_rejected(results).code == "E102"
    assert_good_survive(results)


def test_os_random_blob_is_binary(tmp_path):
    results = read(write(tmp_path, "random.txt", os.urandom(10_000)))
    assert only_rejected(results).code == "E102"


def test_latin1_is_detected_or_rejected_never_crashes(tmp_path, good):
    french = "Un attentat à Bamako a tué 12 soldats maliens, selon l'armée."
    results = read(good[0], write(tmp_path, "latin.txt", french.encode("latin-1")), good[1])
    assert len(results) == 3
    middle = results[1]
    if isinstance(middle, Document):
        assert middle.text == french  # decoded right, not mojibake
    else:
        assert middle.code == "E103" and "UTF-8" in middle.detail
    assert docs(results)[0].text == GOOD


def test_utf16_with_bom_is_text(tmp_path):
    (doc,) = read(write(tmp_path, "u16.txt", "\ufeffقتل ثلاثة جنود".encode("utf-16-le")))
    assert doc.text == "قتل ثلاثة جنود"


def test_huge_file_rejected_fast_without_reading(tmp_path, good):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50_000_000)
    start = time.perf_counter()
    results = read(good[0], huge, good[1])
    assert time.perf_counter() - start < 2.0
    rej = only_rejected(results)
    assert rej.code == "E104" and "50,000,000" in rej.detail and "max" in rej.detail
    assert_good_survive(results)


def test_size_limit_applies_when_size_is_unknown(tmp_path):
    gz = tmp_path / "big.txt.gz"
    with gzip.open(gz, "wb") as fh:
        fh.write(b"word " * 10_000)
    assert only_rejected(read(gz, options=IngestOptions(max_bytes=1000))).code == "E104"
    assert only_rejected(read("-", options=IngestOptions(max_bytes=10), stdin=io.BytesIO(b"x" * 100))).code == "E104"


def test_missing_path_and_unsupported_type(tmp_path, good):
    pdf = write(tmp_path, "scan.pdf", b"%PDF-1.4")
    results = read(good[0], tmp_path / "nope.txt", pdf, good[1])
    missing, unsupported = rejects(results)
    assert missing.code == "E110" and "nope.txt" in missing.detail
    assert unsupported.code == "E109" and ".jsonl" in unsupported.detail and ".pdf" in unsupported.detail
    assert_good_survive(results)


def test_directory_is_read_recursively(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    write(tmp_path, "sub/b.txt", "B report.")
    write(tmp_path, "a.txt", "A report.")
    write(tmp_path, ".hidden/c.txt", "C report.")
    assert [d.text for d in read(tmp_path)] == ["A report.", "B report."]


def test_gzip_text_and_corrupt_gzip(tmp_path):
    gz = tmp_path / "r.txt.gz"
    gz.write_bytes(gzip.compress(GOOD.encode()))
    (doc,) = read(gz)
    assert doc.text == GOOD and doc.source == "r"
    bad = write(tmp_path, "bad.txt.gz", b"not gzip at all")
    assert only_rejected(read(bad)).code == "E110"


# --------------------------------------------------------------------------
# HTML


PAGE = """<!doctype html>
<html><head><title>Attack  in
 Kabul</title>
<meta property="article:published_time" content="2024-03-05T23:30:00-05:00">
<style>p { color: red }</style><script>var tracker = "do not keep";</script></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Blast kills 5</h1>
<p>A suicide bomber   struck a
 market in <b>Kabul</b> on Tuesday.</p>
<!-- a comment -->
<p>Police said 12 people were wounded.<br>More to follow.</p>
<script>alert("x")</script>
</article></body></html>"""


def test_html_keeps_paragraphs_drops_scripts(tmp_path):
    (doc,) = read(write(tmp_path, "page.html", PAGE))
    assert doc.text == (
        "Blast kills 5\n\n"
        "A suicide bomber struck a market in Kabul on Tuesday.\n\n"
        "Police said 12 people were wounded.\nMore to follow."
    )
    assert doc.title == "Attack in Kabul"
    assert doc.published == dt.date(2024, 3, 5)  # the date as written, no timezone conversion
    for dropped in ("tracker", "alert", "Home", "color", "comment"):
        assert dropped not in doc.text


def test_html_time_element_and_bad_meta_date(tmp_path):
    timed = write(tmp_path, "t.htm", '<p>Shelling in Idlib.</p><time datetime="2023-11-02">2 Nov</time>')
    (doc,) = read(timed)
    assert doc.published == dt.date(2023, 11, 2)
    bad = write(tmp_path, "b.html", '<meta property="article:published_time" content="last Tuesday"><p>Text.</p>')
    rej = only_rejected(read(bad))
    assert rej.code == "E107" and "last Tuesday" in rej.detail and "YYYY-MM-DD" in rej.detail


def test_html_without_text_is_empty(tmp_path):
    page = write(tmp_path, "e.html", "<html><head><title>x</title><script>1</script></head><body> </body></html>")
    assert only_rejected(read(page)).code == "E101"


def test_html_declared_charset(tmp_path):
    page = '<meta charset="windows-1252"><p>Attaque à Gao – 4 morts</p>'.encode("cp1252")
    (doc,) = read(write(tmp_path, "fr.html", page))
    assert doc.text == "Attaque à Gao – 4 morts"


# --------------------------------------------------------------------------
# JSON lines


def jsonl(*objs_or_lines) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs_or_lines)


def test_jsonl_fields_and_malformed_line_between_good_ones(tmp_path):
    path = write(
        tmp_path,
        "feed.jsonl",
        jsonl(
            {"text": "First.", "doc_id": "afp:2024-03-05:001", "published": "2024-03-05", "source": "afp",
             "source_kind": "NEWS", "title": "T1"},
            '{"text": "broken", ',
            "",
            {"text": "Third."},
        ),
    )
    results = read(path, options=IngestOptions(published=dt.date(2024, 1, 1)))
    first, bad, third = results
    assert first.doc_id == "afp:2024-03-05:001" and first.source == "afp" and first.title == "T1"
    assert first.source_kind is SourceKind.NEWS and first.published == dt.date(2024, 3, 5)
    assert first.origin == f"{path}:1"
    assert bad.code == "E105" and bad.origin == f"{path}:2" and "line 2" in bad.detail
    assert bad.text_preview.startswith('{"text": "broken"')
    assert third.text == "Third." and third.origin == f"{path}:4" and third.source == "feed"
    assert third.published == dt.date(2024, 1, 1)  # the default


@pytest.mark.parametrize(
    ("obj", "code", "needle"),
    [
        ({"text": "x", "source_kind": "blog"}, "E108", "news, ngo, official, claim, unknown"),
        ({"text": "x", "published": "05/03/2024"}, "E107", "YYYY-MM-DD"),
        ({"text": "x", "published": "2024-02-30"}, "E107", "2024-02-30"),
        ({"text": "x", "published": 20240305}, "E107", "YYYY-MM-DD"),
        ({"body": "x"}, "E106", "'text'"),
        ({"text": ["x"]}, "E105", "string"),
        ({"text": "   "}, "E101", "empty"),
        ({"text": "x", "doc_id": "../../etc/passwd"}, "E111", "A-Z"),
        ({"text": "x", "doc_id": "x" * 129}, "E111", "1-128"),
        ({"text": "x", "doc_id": "id\nnewline"}, "E111", "\\n"),
        ({"text": "bad\u0000nul"}, "E102", "NUL"),
        ([1, 2], "E105", "object"),
    ],
)
def test_jsonl_bad_documents(tmp_path, obj, code, needle):
    path = write(tmp_path, "f.jsonl", jsonl({"text": "Before."}, obj, {"text": "After."}))
    results = read(path)
    rej = only_rejected(results)
    assert (rej.code, rej.origin) == (code, f"{path}:2")
    assert needle in rej.detail
    assert [d.text for d in docs(results)] == ["Before.", "After."]


def test_jsonl_numeric_doc_id_and_datetime_published(tmp_path):
    path = write(tmp_path, "n.jsonl", jsonl({"text": "x", "doc_id": 42, "published": "2024-03-05T10:00:00Z"}))
    (doc,) = read(path)
    assert doc.doc_id == "42" and doc.published == dt.date(2024, 3, 5)


def test_jsonl_invalid_utf8_line_and_oversized_line(tmp_path):
    data = (
        b'{"text": "ok one"}\n'
        + b'{"text": "caf\xe9"}\n'
        + b'{"text": "' + b"a" * 5000 + b'"}\n'
        + b'{"text": "ok two"}\n'
    )
    results = read(write(tmp_path, "m.jsonl", data), options=IngestOptions(max_bytes=1000))
    assert [r.code for r in rejects(results)] == ["E103", "E104"]
    assert [d.text for d in docs(results)] == ["ok one", "ok two"]
    assert docs(results)[1].origin.endswith(":4")


def test_jsonl_gz_streams(tmp_path):
    gz = tmp_path / "feed.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        for i in range(1000):
            fh.write(json.dumps({"text": f"Report {i}."}) + "\n")
    it = read_paths([gz], IngestOptions())
    assert next(it).text == "Report 0."  # lazily: a generator
    assert sum(1 for _ in it) == 999


def test_preview_escapes_control_characters(tmp_path):
    path = write(tmp_path, "p.jsonl", jsonl({"text": "line\tone\nline two\x1b[31m" + "z" * 200, "source_kind": "x"}))
    rej = only_rejected(read(path))
    assert rej.text_preview.startswith("line\\tone\\nline two\\x1b[31m")
    assert "\n" not in rej.text_preview and "\x1b" not in rej.text_preview
    assert len(rej.text_preview) <= 80 + 3 * 3


# --------------------------------------------------------------------------
# CSV


def test_csv_documents_multiline_and_defaults(tmp_path):
    path = write(
        tmp_path,
        "sheet.csv",
        'Doc_ID,text,published,source_kind,extra\r\n'
        'a1,"Multi\r\nline, with comma",2024-03-05,ngo,x\r\n'
        ',Plain row,,,\r\n'
        '\r\n'
        'a3,Third,,,\r\n',
    )
    first, second, third = read(path)
    assert first.doc_id == "a1" and first.text == "Multi\nline, with comma" and first.source_kind is SourceKind.NGO
    assert first.origin == f"{path}:2"
    assert second.text == "Plain row" and second.doc_id.startswith("doc-") and second.published is None
    assert second.origin == f"{path}:4"
    assert third.doc_id == "a3"


def test_csv_without_text_column(tmp_path, good):
    sheet = write(tmp_path, "sheet.csv", "id,body,date\n1,Something happened,2024-01-01\n")
    results = read(good[0], sheet, good[1])
    rej = only_rejected(results)
    assert rej.code == "E106" and rej.origin == str(sheet)
    assert "'body'" in rej.detail and "add a column named text" in rej.detail
    assert_good_survive(results)


def test_csv_bad_rows_do_not_stop_the_file(tmp_path):
    path = write(
        tmp_path,
        "rows.csv",
        "text,source_kind,published\nGood one,,\nBad kind,blog,\nBad date,,March\n,,\nGood two,official,2024-01-01\n",
    )
    results = read(path)
    assert [r.code for r in rejects(results)] == ["E108", "E107"]
    assert [d.text for d in docs(results)] == ["Good one", "Good two"]


def test_csv_huge_field_and_cp1252(tmp_path):
    big = write(tmp_path, "big.csv", "text\n" + "x" * 5000 + "\nsmall\n")
    results = read(big, options=IngestOptions(max_bytes=1000))
    assert [r.code for r in rejects(results)] == ["E104"]
    assert [d.text for d in docs(results)] == ["small"]
    said = "\u201cTwelve killed in Gao\u201d, the army said \u2013 officials."
    cp = write(tmp_path, "cp.csv", f'text\n"{said}"\n'.encode("cp1252"))
    (only,) = read(cp)
    assert only.text == said if isinstance(only, Document) else only.code == "E103"


def test_csv_unquoted_comma_is_not_silently_cut(tmp_path):
    path = write(tmp_path, "c.csv", "text,source\nFive killed, police said,afp,extra\nFine,afp\n")
    results = read(path)
    rej = only_rejected(results)
    assert rej.code == "E112" and "double quotes" in rej.detail
    assert [d.text for d in docs(results)] == ["Fine"]


def test_csv_gz(tmp_path):
    gz = tmp_path / "s.csv.gz"
    gz.write_bytes(gzip.compress(b"text\nOne\nTwo\n"))
    assert [d.text for d in read(gz)] == ["One", "Two"]


# --------------------------------------------------------------------------
# stdin


def test_stdin_bytes_and_text():
    (doc,) = read("-", stdin=io.BytesIO(GOOD.encode() + b"\r\n"))
    assert doc.text == GOOD + "\n" and doc.origin == "<stdin>" and doc.source == "stdin"
    (doc,) = read("-", stdin=io.StringIO(GOOD), options=IngestOptions(source="wire"))
    assert doc.text == GOOD and doc.source == "wire"
    assert only_rejected(read("-", stdin=io.BytesIO(b""))).code == "E101"


def test_stdin_with_buffer_uses_bytes():
    stream = io.TextIOWrapper(io.BytesIO(b"\x00\x01binary"), encoding="utf-8")
    assert only_rejected(read("-", stdin=stream)).code == "E102"


# --------------------------------------------------------------------------
# Options


def test_parse_published():
    assert parse_published("2024-03-05") == dt.date(2024, 3, 5)
    for bad in ("05/03/2024", "2024-3-5", "2023-02-29", "", "2024-03-05T10:00"):
        with pytest.raises(ConfigError) as info:
            parse_published(bad)
        assert "YYYY-MM-DD" in str(info.value) or "real date" in str(info.value)


def test_bad_options_fail_before_work():
    with pytest.raises(ConfigError):
        IngestOptions(max_bytes=0)
    with pytest.raises(ConfigError):
        IngestOptions(hijri_calendar="lunar")
    with pytest.raises(ConfigError):
        IngestOptions(source_kind="blog")
    assert IngestOptions(source_kind="ngo").source_kind is SourceKind.NGO


def test_new_reject_codes_registered():
    assert "E111" in REJECT_CODES and "E112" in REJECT_CODES


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_any_text_becomes_document_or_rejected(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("h") / "t.txt"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    (result,) = read(path)
    if isinstance(result, Document):
        # normalisation is idempotent and only changes CRLF and composition
        assert result.text == result.text.replace("\r\n", "\n")
        assert result.text.strip()
    else:
        assert result.code in {"E101", "E102", "E103"}
