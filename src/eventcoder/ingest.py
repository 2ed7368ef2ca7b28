"""Ingest: read input files into :class:`Document` records, never losing one.

Every input either becomes a :class:`~eventcoder.records.Document` or a
:class:`~eventcoder.records.Rejected` record (stage ``"ingest"``) that says what
to fix. Nothing is dropped silently and nothing raises for bad *input*; bad
*options* raise :class:`~eventcoder.errors.ConfigError` before any work starts.

Supported inputs (optionally gzip-compressed, ``name.ext.gz``):

- ``.txt`` or no extension (and ``-`` for stdin): the whole file is one document;
- ``.html`` / ``.htm``: visible text (paragraphs become blank-line separated);
- ``.jsonl`` / ``.ndjson``: one JSON object per line with a ``text`` field;
- ``.csv``: a header row with a ``text`` column.

A directory is read recursively (sorted; hidden files and folders skipped).

Text is decoded (UTF-8, else detected with charset-normalizer), normalised to
NFC and ``"\\r\\n"`` becomes ``"\\n"``; nothing else changes, so offsets are into
exactly the text that is stored.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import sys
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from .errors import ConfigError
from .records import Document, Rejected, SourceKind

STAGE = "ingest"
STDIN_ORIGIN = "<stdin>"
HIJRI_CALENDARS = ("tabular", "umm_al_qura")
PREVIEW_CHARS = 80

# extension (lower case, without .gz) -> reader kind
_KINDS = {
    "": "txt",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}
SUPPORTED_EXTENSIONS = tuple(
    sorted({e for e in _KINDS if e} | {e + ".gz" for e in _KINDS if e})
) + ("(none)", "-")

_DOC_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# a date, optionally followed by an ISO time ("2024-03-05T10:00:00+03:00")
_ISO_DAY_OR_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}.*)?")
_SAMPLE_BYTES = 64 * 1024
_BINARY_RATIO = 0.05  # share of control characters above which content is "binary"
# C0 controls and DEL, minus \t \n \v \f \r and ESC (seen in real text)
_CONTROL_BYTES = bytes(b for b in [*range(32), 127] if b not in (9, 10, 11, 12, 13, 27))
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_HTML_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)


@dataclass(frozen=True)
class IngestOptions:
    """Defaults for documents that do not say otherwise, and limits."""

    published: dt.date | None = None  # default publication date for docs that have none
    source: str | None = None  # default source name (default: file stem)
    source_kind: SourceKind = SourceKind.UNKNOWN
    max_bytes: int = 20_000_000  # per document; larger -> Rejected E104
    hijri_calendar: str = "tabular"
    day_first: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.published, dt.datetime) or (
            self.published is not None and not isinstance(self.published, dt.date)
        ):
            raise ConfigError(
                f"published must be a date, not {self.published!r}",
                fix="pass a datetime.date, or parse the option with parse_published('YYYY-MM-DD')",
            )
        if not isinstance(self.source_kind, SourceKind):
            object.__setattr__(self, "source_kind", _config_source_kind(self.source_kind))
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int) or self.max_bytes <= 0:
            raise ConfigError(
                f"max_bytes must be a positive number of bytes, not {self.max_bytes!r}",
                fix="use e.g. 20000000 for 20 MB",
            )
        if self.hijri_calendar not in HIJRI_CALENDARS:
            raise ConfigError(
                f"unknown Hijri calendar {self.hijri_calendar!r}",
                fix="use one of: " + ", ".join(HIJRI_CALENDARS),
            )
        if self.source is not None and (not isinstance(self.source, str) or not self.source.strip()):
            raise ConfigError(f"source must be a non-empty name, not {self.source!r}", fix="pass e.g. source='reuters'")


def _config_source_kind(value: Any) -> SourceKind:
    try:
        return SourceKind(str(value).strip().lower())
    except ValueError:
        raise ConfigError(
            f"unknown source kind {value!r}",
            fix="use one of: " + ", ".join(k.value for k in SourceKind),
        ) from None


def parse_published(value: str) -> dt.date:
    """Parse a ``YYYY-MM-DD`` publication date given as an option.

    Raises :class:`ConfigError` (with a fix) for anything else, so a bad option
    fails before any document is read.
    """
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not _ISO_DAY.fullmatch(text):
        raise ConfigError(
            f"publication date {value!r} is not in YYYY-MM-DD form",
            fix="write the date as YYYY-MM-DD, e.g. 2024-03-05",
        )
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"publication date {value!r} is not a real date ({exc})",
            fix="check the day and month, e.g. 2024-02-29 exists but 2023-02-29 does not",
        ) from None


def read_paths(
    paths: Iterable[str | Path],
    options: IngestOptions,
    stdin: TextIO | BinaryIO | None = None,
) -> Iterator[Document | Rejected]:
    """Yield one Document or Rejected per input document, in input order.

    ``"-"`` reads stdin (``stdin`` if given, else ``sys.stdin``) as one text
    document. Options are checked now; files are read lazily as the iterator
    is consumed.
    """
    if not isinstance(options, IngestOptions):
        raise ConfigError(f"options must be IngestOptions, not {type(options).__name__}", fix="pass IngestOptions(...)")
    if isinstance(paths, (str, Path)):  # a single path is a common mistake; accept it
        paths = [paths]
    return _read_all(paths, options, stdin)


def _read_all(paths: Iterable[str | Path], options: IngestOptions, stdin: Any) -> Iterator[Document | Rejected]:
    for raw in paths:
        if str(raw) == "-":
            yield from _read_stdin(stdin if stdin is not None else sys.stdin, options)
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _read_dir(path, options)
        else:
            yield from _read_file(path, options)


def _read_dir(root: Path, options: IngestOptions) -> Iterator[Document | Rejected]:
    try:
        children = sorted(root.rglob("*"))
    except OSError as exc:
        yield _reject("E110", f"cannot list directory: {exc.strerror or exc}; check its permissions", str(root))
        return
    for child in children:
        rel = child.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or child.is_dir():
            continue
        yield from _read_file(child, options)


# --------------------------------------------------------------------------
# Files


def _split_name(path: Path) -> tuple[str | None, bool, str, str]:
    """(reader kind or None, gzipped, stem, extension as written) for a file name."""
    name = path.name
    gz = name.lower().endswith(".gz")
    if gz:
        name = name[:-3]
    ext = Path(name).suffix.lower()
    kind = _KINDS.get(ext)
    stem = name[: -len(ext)] if ext and kind else name
    return kind, gz, stem or path.name, Path(name).suffix + (".gz" if gz else "")


def _read_file(path: Path, options: IngestOptions) -> Iterator[Document | Rejected]:
    origin = str(path)
    kind, gz, stem, ext = _split_name(path)
    if kind is None:
        yield _reject(
            "E109",
            f"unsupported input type {ext!r}; supported: {', '.join(SUPPORTED_EXTENSIONS)}. "
            "Rename the file or convert it (e.g. to .txt or .jsonl)",
            origin,
        )
        return
    source = options.source or stem
    try:
        fh: BinaryIO = gzip.open(path, "rb") if gz else open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        yield _reject("E110", f"no such file: {origin}; check the path", origin)
        return
    except PermissionError:
        yield _reject("E110", f"permission denied reading {origin}; check the file's permissions", origin)
        return
    except OSError as exc:
        yield _reject("E110", f"cannot open {origin}: {exc.strerror or exc}; check the path", origin)
        return
    with fh:
        try:
            if kind in ("txt", "html"):
                yield _read_whole(fh, kind, gz, source, origin, options)
            elif kind == "jsonl":
                yield from _read_jsonl(fh, source, origin, options)
            else:
                yield from _read_csv(fh, source, origin, options)
        except (OSError, EOFError, zlib.error) as exc:
            # gzip corruption or an I/O error part-way through the file
            hint = "the gzip file is corrupt or truncated; recompress it" if gz else "check the file and disk"
            yield _reject("E110", f"error while reading {origin}: {exc}; {hint}", origin)


def _read_whole(
    fh: BinaryIO, kind: str, gz: bool, source: str, origin: str, options: IngestOptions
) -> Document | Rejected:
    limit = options.max_bytes
    if not gz:
        st = os.fstat(fh.fileno())
        if st.st_size > limit:  # regular files: decide without reading anything
            return _too_big(origin, st.st_size, limit)
    data = fh.read(limit + 1)  # never more than the limit (+1 to notice overflow)
    if len(data) > limit:
        return _too_big(origin, None, limit)
    if kind == "html":
        return _html_document(data, source, origin, options)
    text = _decode(data, origin)
    if isinstance(text, Rejected):
        return text
    return _make_document(text, origin, options, source=source)


def _read_stdin(stream: Any, options: IngestOptions) -> Iterator[Document | Rejected]:
    limit = options.max_bytes
    source = options.source or "stdin"
    buffer = getattr(stream, "buffer", None)
    try:
        data = (buffer if buffer is not None else stream).read(limit + 1)
    except (OSError, ValueError) as exc:
        yield _reject("E110", f"cannot read stdin: {exc}; pipe a file in or pass a path", STDIN_ORIGIN)
        return
    if isinstance(data, str):
        if len(data) > limit or len(data.encode("utf-8", "surrogatepass")) > limit:
            yield _too_big(STDIN_ORIGIN, None, limit)
            return
        yield _make_document(data, STDIN_ORIGIN, options, source=source)
        return
    if len(data) > limit:
        yield _too_big(STDIN_ORIGIN, None, limit)
        return
    text = _decode(data, STDIN_ORIGIN)
    yield text if isinstance(text, Rejected) else _make_document(text, STDIN_ORIGIN, options, source=source)


def _too_big(origin: str, size: int | None, limit: int) -> Rejected:
    what = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
    return _reject(
        "E104",
        f"document is {what}, over the {limit:,}-byte limit; split it or raise the size limit (IngestOptions.max_bytes)",
        origin,
    )


# --------------------------------------------------------------------------
# Decoding


def _control_ratio(data: bytes) -> float:
    if not data:
        return 0.0
    return (len(data) - len(data.translate(None, _CONTROL_BYTES))) / len(data)


def _text_control_ratio(text: str) -> float:
    """Share of control characters (Cc, minus whitespace and ESC) in the first 64 K characters."""
    sample = text[:_SAMPLE_BYTES]
    if not sample:
        return 0.0
    return len(_CONTROL_CHARS.findall(sample)) / len(sample)


def _decode(data: bytes, origin: str, declared: str | None = None) -> str | Rejected:
    """Bytes to str, or a Rejected (E102 binary / E103 undecodable)."""
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                break
            return _binary(origin) if "\x00" in text else text
    if b"\x00" in data or _control_ratio(data) > _BINARY_RATIO:
        return _binary(origin)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    candidates = []
    if declared:
        candidates.append(declared)
    detected = _detect(data)
    if detected:
        candidates.append(detected)
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if _text_control_ratio(text) > _BINARY_RATIO:
            return _binary(origin)
        return text
    return _reject(
        "E103",
        f"not valid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) and the encoding could not be "
        "detected; re-encode the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
        origin,
        text=data[:PREVIEW_CHARS].decode("utf-8", "backslashreplace"),
    )


_PREFERRED = "cp1252"


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported on first use: importing ingest does no work

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    # Short texts often fit several single-byte code pages equally well (cp1250 reads "à" as "ŕ");
    # on a tie prefer windows-1252, by far the most common legacy encoding of news text.
    for match in matches:
        if (match.chaos, match.coherence) == (best.chaos, best.coherence) and _PREFERRED in match.could_be_from_charset:
            return _PREFERRED
    return best.encoding


def _binary(origin: str) -> Rejected:
    return _reject(
        "E102",
        "binary content (NUL bytes or mostly control characters), not text; pass the text itself, "
        "or convert the file (e.g. pdftotext for PDF)",
        origin,
    )


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))


# --------------------------------------------------------------------------
# HTML

_DROP_TAGS = frozenset({"script", "style", "nav", "noscript", "template", "head", "iframe", "svg", "canvas", "object"})
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hgroup", "hr", "html", "li", "main", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def _html_document(data: bytes, source: str, origin: str, options: IngestOptions) -> Document | Rejected:
    match = _HTML_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii", "replace") if match else None
    markup = _decode(data, origin, declared=declared)
    if isinstance(markup, Rejected):
        return markup
    try:
        from bs4 import BeautifulSoup  # imported on first use

        soup = BeautifulSoup(markup, "html.parser")
        title = _collapse(soup.title.get_text()).strip() if soup.title else ""
        published_raw = _html_published(soup)
        text = _html_text(soup)
    except (RecursionError, ValueError, AssertionError) as exc:  # pathological markup
        return _reject("E110", f"the HTML parser failed ({type(exc).__name__}: {exc}); save the page as text", origin)
    fields: dict[str, Any] = {"title": title or None}
    if published_raw is not None:
        fields["published"] = published_raw
    return _make_document(text, origin, options, source=source, fields=fields)


def _html_published(soup: Any) -> str | None:
    for attr in ("property", "name"):
        meta = soup.find("meta", attrs={attr: "article:published_time"})
        if meta is not None and meta.get("content"):
            return str(meta["content"]).strip()  # authoritative: a bad value is rejected (E107)
    for tag in soup.find_all("time", attrs={"datetime": True}, limit=20):
        value = str(tag["datetime"]).strip()
        if _doc_date(value) is not None:  # a weaker hint: only used when it parses
            return value
    return None


def _collapse(text: str) -> str:
    return _HTML_SPACE.sub(" ", text)


def _html_text(soup: Any) -> str:
    """Visible text; block elements become paragraphs separated by a blank line, <br> a newline."""
    from bs4 import Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

    skip_strings = (Comment, Declaration, Doctype, ProcessingInstruction)
    blocks: list[str] = []
    lines: list[list[str]] = [[]]

    def flush() -> None:
        kept = [s for s in (_collapse("".join(parts)).strip() for parts in lines) if s]
        if kept:
            blocks.append("\n".join(kept))
        lines.clear()
        lines.append([])

    # iterative walk: deeply nested pages must not hit the recursion limit
    stack: list[tuple[bool, Any]] = [(False, soup)]
    while stack:
        closing, node = stack.pop()
        if closing:
            if node.name in _BLOCK_TAGS:
                flush()
            elif node.name in _CELL_TAGS:
                lines[-1].append(" ")
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, skip_strings):
                lines[-1].append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if name in _DROP_TAGS:
            continue
        if name == "br":
            lines.append([])
            continue
        if name == "pre":  # preformatted: keep its whitespace as written
            flush()
            pre = node.get_text().strip("\n")
            if pre.strip():
                blocks.append(pre)
            continue
        if name in _BLOCK_TAGS:
            flush()
        stack.append((True, node))
        stack.extend((False, child) for child in reversed(node.contents))
    flush()
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------
# JSON lines


def _lines(fh: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(line number, line or None when over the limit, size); long lines are skipped, not stored."""
    lineno = 0
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while True:
                chunk = fh.readline(1 << 20)
                size += len(chunk)
                if not chunk or chunk.endswith(b"\n"):
                    break
            yield lineno, None, size
        else:
            yield lineno, line, len(line)


def _read_jsonl(fh: BinaryIO, source: str, origin: str, options: IngestOptions) -> Iterator[Document | Rejected]:
    for lineno, line, size in _lines(fh, options.max_bytes):
        where = f"{origin}:{lineno}"
        if line is None:
            yield _too_big(where, size, options.max_bytes)
            continue
        if lineno == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        try:
            raw = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield _reject(
                "E103",
                f"line {lineno} is not valid UTF-8 ({exc.reason} at byte {exc.start}); JSON lines must be "
                "UTF-8: re-encode the file (e.g. iconv -t UTF-8)",
                where,
                text=line[:PREVIEW_CHARS].decode("utf-8", "backslashreplace"),
            )
            continue
        if not raw.strip():
            continue  # blank lines separate nothing; they are not documents
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield _reject(
                "E105",
                f"line {lineno} is not valid JSON ({exc.msg} at column {exc.colno}); fix or remove the line "
                'so that each line is one object like {"text": "..."}',
                where,
                text=raw,
            )
            continue
        except RecursionError:
            yield _reject("E105", f"line {lineno} is nested too deeply to be a document; fix or remove it", where, text=raw)
            continue
        if not isinstance(obj, dict):
            yield _reject(
                "E105",
                f'line {lineno} is a JSON {type(obj).__name__}, not an object; write {{"text": "..."}}',
                where,
                text=raw,
            )
            continue
        yield _fields_document(obj, where, source, options, line_kind="JSON line", missing_text_code="E106")


# --------------------------------------------------------------------------
# CSV


def _read_csv(fh: BinaryIO, source: str, origin: str, options: IngestOptions) -> Iterator[Document | Rejected]:
    sample = fh.read(_SAMPLE_BYTES)
    fh.seek(0)
    if not sample.strip():
        yield _reject("E101", "empty CSV file; add a header row with a text column and one row per document", origin)
        return
    if b"\x00" in sample:
        yield _binary(origin)
        return
    encoding = _csv_encoding(sample, complete=len(sample) < _SAMPLE_BYTES)
    if encoding is None:
        yield _reject(
            "E103",
            "CSV is not valid UTF-8 and its encoding could not be detected; save it as UTF-8 CSV",
            origin,
        )
        return
    # Raise (never lower) the process-wide csv field limit so one document may fill a field.
    if csv.field_size_limit() < options.max_bytes + 1:
        csv.field_size_limit(options.max_bytes + 1)
    text = io.TextIOWrapper(fh, encoding=encoding, errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error as exc:
        yield _reject("E112", f"cannot read the CSV header ({exc}); check the first line", f"{origin}:1")
        return
    names = [h.replace("\ufeff", "").strip().lower() for h in header]
    if "text" not in names:
        found = ", ".join(repr(h) for h in header) or "none"
        yield _reject(
            "E106",
            f"CSV has no 'text' column (columns found: {found}); add a column named text holding each "
            "document's text (optional: doc_id, published, source, source_kind, title)",
            origin,
        )
        return
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            where = f"{origin}:{start}"
            if "field larger than field limit" in str(exc):
                yield _too_big(where, None, options.max_bytes)
            else:
                yield _reject("E112", f"malformed CSV row at line {start} ({exc}); fix the quoting", where)
            continue
        if not any(cell.strip() for cell in row):
            continue  # blank line
        where = f"{origin}:{start}"
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
            yield _reject(
                "E112",
                f"row at line {start} has {len(row)} cells but the header has {len(header)}; put the text "
                'in double quotes when it contains commas ("like, this")',
                where,
                text=",".join(row),
            )
            continue
        fields = {name: row[i] for name, i in index.items() if i < len(row)}
        bad = [name for name, value in fields.items() if _has_surrogates(value)]
        if bad:
            yield _reject(
                "E103",
                f"row at line {start} has bytes that are not valid {encoding} in column(s) {', '.join(bad)}; "
                "save the CSV as UTF-8",
                where,
                text=fields.get("text", ""),
            )
            continue
        # empty optional cells mean "use the default"
        fields = {k: v for k, v in fields.items() if k == "text" or v.strip()}
        yield _fields_document(fields, where, source, options, line_kind="CSV row", missing_text_code="E106")


def _csv_encoding(sample: bytes, complete: bool) -> str | None:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    detected = _detect(sample)
    return detected


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


# --------------------------------------------------------------------------
# Building documents


def _fields_document(
    fields: Mapping[str, Any],
    origin: str,
    source: str,
    options: IngestOptions,
    *,
    line_kind: str,
    missing_text_code: str,
) -> Document | Rejected:
    """A Document from a JSON object or CSV row (text, doc_id, published, source, source_kind, title)."""
    text = fields.get("text")
    raw_id = fields.get("doc_id")
    doc_id: str | None = None
    if raw_id is not None and raw_id != "":
        doc_id = str(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else raw_id
        if not isinstance(doc_id, str) or not _DOC_ID.fullmatch(doc_id):
            return _reject(
                "E111",
                f"bad doc_id {_preview(str(raw_id))!r}: use 1-128 characters from A-Z a-z 0-9 . _ : - "
                "(or leave doc_id out and one is computed from the text)",
                origin,
                text=text if isinstance(text, str) else "",
            )
    if text is None:
        return _reject(
            missing_text_code,
            f"{line_kind} has no 'text' field (fields: {', '.join(map(str, fields)) or 'none'}); add the "
            "document text as \"text\"",
            origin,
            doc_id=doc_id,
        )
    if not isinstance(text, str):
        return _reject(
            "E105",
            f"{line_kind} field 'text' is a {type(text).__name__}, not a string; put the document text in quotes",
            origin,
            doc_id=doc_id,
        )
    for name in ("source", "title", "published", "source_kind"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            return _reject(
                "E107" if name == "published" else "E108" if name == "source_kind" else "E105",
                f"{line_kind} field {name!r} is a {type(value).__name__} ({_preview(repr(value))}), not a string; "
                + ("write the date as \"YYYY-MM-DD\"" if name == "published" else "write it as a string"),
                origin,
                doc_id=doc_id,
                text=text,
            )
    if len(text) > options.max_bytes or (
        len(text) * 4 > options.max_bytes and len(text.encode("utf-8", "surrogatepass")) > options.max_bytes
    ):
        return _too_big(origin, None, options.max_bytes)
    source_value = fields.get("source")
    return _make_document(
        text,
        origin,
        options,
        source=source_value.strip() if source_value and source_value.strip() else source,
        doc_id=doc_id,
        fields=fields,
    )


def _make_document(
    text: str,
    origin: str,
    options: IngestOptions,
    *,
    source: str,
    doc_id: str | None = None,
    fields: Mapping[str, Any] | None = None,
) -> Document | Rejected:
    """Check and normalise decoded text and per-document metadata."""
    fields = fields or {}
    if "\x00" in text or _text_control_ratio(text) > _BINARY_RATIO:
        return _reject(
            "E102",
            "text contains NUL or mostly control characters; pass plain text",
            origin,
            doc_id=doc_id,
            text=text,
        )
    text = _normalize(text)
    if not text.strip():
        return _reject(
            "E101",
            "empty document (no text after decoding); remove it or fill in its text",
            origin,
            doc_id=doc_id,
            text=text,
        )
    published = options.published
    raw_published = fields.get("published")
    if raw_published is not None and raw_published.strip():
        published = _doc_date(raw_published)
        if published is None:
            return _reject(
                "E107",
                f"bad publication date {_preview(raw_published)!r}; write it as YYYY-MM-DD (a time may follow, "
                "e.g. 2024-03-05T10:00:00Z) or leave it out to use the default",
                origin,
                doc_id=doc_id,
                text=text,
            )
    source_kind = options.source_kind
    raw_kind = fields.get("source_kind")
    if raw_kind is not None and raw_kind.strip():
        try:
            source_kind = SourceKind(raw_kind.strip().lower())
        except ValueError:
            return _reject(
                "E108",
                f"unknown source_kind {_preview(raw_kind)!r}; use one of: "
                + ", ".join(k.value for k in SourceKind),
                origin,
                doc_id=doc_id,
                text=text,
            )
    title = fields.get("title")
    return Document(
        text=text,
        doc_id=doc_id or "",
        published=published,
        source=source,
        source_kind=source_kind,
        title=title.strip() if isinstance(title, str) and title.strip() else None,
        origin=origin,
        hijri_calendar=options.hijri_calendar,
        day_first=options.day_first,
    )


def _doc_date(value: str) -> dt.date | None:
    """A document's own date: YYYY-MM-DD, or an ISO date-time whose date part is taken as written."""
    match = _ISO_DAY_OR_DATETIME.fullmatch(value.strip())
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The first ``limit`` characters with control and invisible characters ``repr``-escaped."""
    head = text[:limit]
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in head)


def _reject(
    code: str,
    detail: str,
    origin: str | None,
    *,
    doc_id: str | None = None,
    text: str | None = None,
) -> Rejected:
    return Rejected(
        stage=STAGE,
        code=code,
        detail=detail,
        origin=origin,
        doc_id=doc_id,
        text_preview=_preview(text) if text else "",
    )
