"""Measure the date and count normalizers against the analysts' YAML case corpora.

The corpora are the files the tests read (``tests/normalize/date_cases.yaml`` and
``tests/normalize/count_cases.yaml``); their formats are described at the top of each file.
This module reads them, runs :func:`~eventcoder.normalize.dates.find_dates`,
:func:`~eventcoder.normalize.counts.find_counts` and
:func:`~eventcoder.normalize.counts.find_materiel`, and compares field by field with the same
rules the tests apply (the tests call :func:`date_case_problems`, :func:`count_case_problems`
and :func:`materiel_case_problems`, so both always agree).

A case may carry ``xfail: <reason>``: a known, unfixed failure. It still counts as a case (and,
while it fails, as a failure) in the figures; the tests expect it to fail.

Figures (plain dicts, JSON-ready):

* dates: ``cases``, ``correct``, ``accuracy``, and ``exact_day_cases`` / ``exact_day_correct`` /
  ``exact_day_accuracy`` over the cases that expect at least one single-day date (precision
  ``day`` with ``start == end``): such a case is right when each of those dates is found, by its
  text, with the expected start and end;
* counts: ``cases``, ``correct``, ``accuracy`` over casualty and materiel cases together;
  ``exact_count_*`` over the casualty cases, right when the found figures are exactly the
  expected ``(kind, low, high, qualifier)`` list; ``materiel_*`` over the materiel cases (the
  accuracy is None when the corpus has none).

Every figure dict has ``failures``: one entry per failing case with its ``id`` (the case id, or
the sentence for the count corpus), ``sentence``, ``expected``, ``got``, the ``problems`` found
and ``xfail`` (the reason, or None).

Run ``python -m eventcoder.normalize.corpus --dates DATES.yaml --counts COUNTS.yaml
[--format table|json]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from eventcoder.datafiles import safe_load
from eventcoder.errors import ConfigError, DataNotFound, EventcoderError
from eventcoder.normalize.counts import CountMention, find_counts, find_materiel
from eventcoder.normalize.dates import DateMention, find_dates
from eventcoder.records import Calendar, DatePrecision, MaterielEffect, Materiel, Qualifier

__all__ = [
    "DATE_OPTIONS",
    "count_case_problems",
    "count_figures",
    "date_case_problems",
    "evaluate_count_cases",
    "evaluate_date_cases",
    "find_case_dates",
    "load_count_cases",
    "load_date_cases",
    "main",
    "materiel_case_problems",
]

DATE_OPTIONS = ("hijri_calendar", "day_first")
_DATE_FIELDS = ("text", "start", "end", "precision", "calendar", "year_inferred", "kind")
_COUNT_FIELDS = ("kind", "low", "high", "qualifier")
_MATERIEL_FIELDS = ("kind", "low", "high", "qualifier", "effect")


# --------------------------------------------------------------------------
# Reading


def _read_yaml(path: str | Path) -> Any:
    p = Path(path)
    if not p.is_file():
        raise DataNotFound(f"case corpus {str(p)!r} not found", fix="pass the path of an existing YAML file")
    try:
        return safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"case corpus {str(p)!r} is not valid YAML: {exc}", fix="correct the YAML syntax") from exc


def _require(case: Any, keys: Sequence[str], where: str) -> None:
    if not isinstance(case, dict):
        raise ConfigError(f"{where}: a case must be a mapping, not {type(case).__name__}",
                          fix="write each case as a YAML mapping")
    missing = [k for k in keys if k not in case]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}", fix="add the missing keys to the case")


def load_date_cases(path: str | Path) -> list[dict[str, Any]]:
    """The date cases in ``path`` (a YAML list), checked for the required keys and unique ids."""
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise ConfigError(f"{path}: the date corpus must be a YAML list of cases", fix="see the header of date_cases.yaml")
    seen: set[str] = set()
    for i, case in enumerate(data):
        _require(case, ("id", "sentence", "published", "dates"), f"{path}: case {i}")
        if case["id"] in seen:
            raise ConfigError(f"{path}: duplicate case id {case['id']!r}", fix="give every case its own id")
        seen.add(case["id"])
        if not isinstance(case["dates"], list):
            raise ConfigError(f"{path}: case {case['id']!r}: `dates` must be a list", fix="write `dates: []` for none")
        for want in case["dates"]:
            _require(want, _DATE_FIELDS, f"{path}: case {case['id']!r}: date")
    return data


def load_count_cases(path: str | Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(casualty cases, materiel cases)`` from ``path`` (a mapping with ``cases`` and ``materiel_cases``)."""
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ConfigError(f"{path}: the count corpus must be a mapping with a `cases` list",
                          fix="see the header of count_cases.yaml")
    cases = data["cases"]
    materiel = data.get("materiel_cases") or []
    for section, items, fields in (("cases", cases, _COUNT_FIELDS), ("materiel_cases", materiel, _MATERIEL_FIELDS)):
        for i, case in enumerate(items):
            where = f"{path}: {section}[{i}]"
            _require(case, ("text", "expect"), where)
            if not isinstance(case["expect"], list):
                raise ConfigError(f"{where}: `expect` must be a list", fix="write `expect: []` for none")
            for want in case["expect"]:
                _require(want, fields, f"{where}: expected figure")
    return cases, materiel


# --------------------------------------------------------------------------
# Comparing one case


def find_case_dates(case: dict[str, Any]) -> list[DateMention]:
    """``find_dates`` on the case's sentence with its publication date and options."""
    options = {k: case[k] for k in DATE_OPTIONS if k in case}
    return find_dates(case["sentence"], published=case["published"], **options)


def _enum(cls: type, value: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        return None


def date_case_problems(case: dict[str, Any], found: list[DateMention] | None = None) -> list[str]:
    """What differs between the case's expected dates and what is found ([] = the case is right)."""
    text = case["sentence"]
    if found is None:
        found = find_case_dates(case)
    got = [text[m.span[0]:m.span[1]] for m in found]
    want_texts = [d["text"] for d in case["dates"]]
    if got != want_texts:
        return [f"matched expressions differ: expected {want_texts}, got {got}"]
    problems = []
    for mention, want in zip(found, case["dates"]):
        v, label = mention.value, want["text"]
        if v.text != want["text"]:
            problems.append(f"{label}: value.text {v.text!r}")
        if (v.start, v.end) != (want["start"], want["end"]):
            problems.append(f"{label}: start/end {v.start}..{v.end}, expected {want['start']}..{want['end']}")
        if v.precision is not _enum(DatePrecision, want["precision"]):
            problems.append(f"{label}: precision {v.precision.value}, expected {want['precision']}")
        if v.calendar is not _enum(Calendar, want["calendar"]):
            problems.append(f"{label}: calendar {v.calendar.value}, expected {want['calendar']}")
        if v.year_inferred is not want["year_inferred"]:
            problems.append(f"{label}: year_inferred {v.year_inferred}, expected {want['year_inferred']}")
        if mention.kind != want["kind"]:
            problems.append(f"{label}: kind {mention.kind}, expected {want['kind']}")
        if "anchor" in want:
            anchor = None if mention.anchor is None else text[mention.anchor[0]:mention.anchor[1]]
            if anchor != want["anchor"]:
                problems.append(f"{label}: anchor {anchor!r}, expected {want['anchor']!r}")
    return problems


def _single_day(want: dict[str, Any]) -> bool:
    return want["precision"] == "day" and want["start"] is not None and want["start"] == want["end"]


def _days_right(case: dict[str, Any], found: list[DateMention]) -> bool:
    """Each expected single-day date is found (by text, in order) with its start and end."""
    text = case["sentence"]
    pool = list(found)
    for want in case["dates"]:
        hit = next((m for m in pool if text[m.span[0]:m.span[1]] == want["text"]), None)
        if hit is not None:
            pool = pool[pool.index(hit) + 1:]
        if not _single_day(want):
            continue
        if hit is None or (hit.value.start, hit.value.end) != (want["start"], want["end"]):
            return False
    return True


def count_figures(mentions: Sequence[CountMention]) -> list[tuple[str, int | None, int | None, str]]:
    """``(kind, low, high, qualifier)`` of each figure: what exact-count accuracy compares."""
    return [(m.kind, m.count.low, m.count.high, m.count.qualifier.value) for m in mentions]


def count_case_problems(case: dict[str, Any], found: list[CountMention] | None = None) -> list[str]:
    """What differs between the case's expected casualty figures and what is found ([] = right)."""
    text = case["text"]
    if found is None:
        found = find_counts(text)
    want = case["expect"]
    summary = [(m.kind, m.count.low, m.count.high, m.count.qualifier.value, m.side, m.subject, m.negated)
               for m in found]
    if len(found) != len(want):
        return [f"expected {len(want)} figures, got {len(found)}: {summary}"]
    problems = []
    for i, (m, w) in enumerate(zip(found, want)):
        label = f"figure {i + 1}"
        if m.kind != w["kind"]:
            problems.append(f"{label}: kind {m.kind}, expected {w['kind']}")
        problems += _count_problems(label, m.count, w)
        if m.side != w.get("side", "targets"):
            problems.append(f"{label}: side {m.side}, expected {w.get('side', 'targets')}")
        if m.negated != w.get("negated", False):
            problems.append(f"{label}: negated {m.negated}, expected {w.get('negated', False)}")
        if m.aggregate != w.get("aggregate", False):
            problems.append(f"{label}: aggregate {m.aggregate}, expected {w.get('aggregate', False)}")
        if (m.motive is not None) != w.get("motive", False):
            problems.append(f"{label}: motive {m.motive is not None}, expected {w.get('motive', False)}")
        if "subject" in w and m.subject != w["subject"]:
            problems.append(f"{label}: subject {m.subject!r}, expected {w['subject']!r}")
        if len(m.count.spans) == 3 and "given_at" in w:
            # a group named again: its noun phrase, the trigger and where the figure was given
            gs, ge = m.count.spans[2]
            if text[gs:ge] != w["given_at"]:
                problems.append(f"{label}: figure given at {text[gs:ge]!r}, expected {w['given_at']!r}")
        elif len(m.count.spans) != 2 or "given_at" in w:
            problems.append(f"{label}: {len(m.count.spans)} spans, expected (number, trigger)"
                            + (", given_at" if "given_at" in w else ""))
            continue
        (qs, qe), (ts, te) = m.count.spans[:2]
        if "number" in w and text[qs:qe] != w["number"]:
            problems.append(f"{label}: number {text[qs:qe]!r}, expected {w['number']!r}")
        if "trigger" in w and text[ts:te] != w["trigger"]:
            problems.append(f"{label}: trigger {text[ts:te]!r}, expected {w['trigger']!r}")
    return problems


def _count_problems(label: str, count: Any, want: dict[str, Any]) -> list[str]:
    """Differences in (low, high, qualifier) between a found Count and an expected figure."""
    problems = []
    if (count.low, count.high) != (want["low"], want["high"]):
        problems.append(f"{label}: low/high {count.low}/{count.high}, expected {want['low']}/{want['high']}")
    if count.qualifier is not _enum(Qualifier, want["qualifier"]):
        problems.append(f"{label}: qualifier {count.qualifier.value}, expected {want['qualifier']}")
    return problems


def materiel_case_problems(case: dict[str, Any], found: list[Materiel] | None = None) -> list[str]:
    """What differs between the case's expected materiel and what is found ([] = right)."""
    text = case["text"]
    if found is None:
        found = find_materiel(text)
    want = case["expect"]
    summary = [(m.kind, m.count.low, m.count.high, m.effect.value, m.text) for m in found]
    if len(found) != len(want):
        return [f"expected {len(want)} items, got {len(found)}: {summary}"]
    problems = []
    for i, (m, w) in enumerate(zip(found, want)):
        label = f"item {i + 1}"
        if m.kind != w["kind"]:
            problems.append(f"{label}: kind {m.kind}, expected {w['kind']}")
        problems += _count_problems(label, m.count, w)
        if m.effect is not _enum(MaterielEffect, w["effect"]):
            problems.append(f"{label}: effect {m.effect.value}, expected {w['effect']}")
        if "text" in w and m.text != w["text"]:
            problems.append(f"{label}: text {m.text!r}, expected {w['text']!r}")
        if not m.spans or text[m.spans[0][0]:m.spans[0][1]] != m.text:
            problems.append(f"{label}: first span does not cover {m.text!r}")
    return problems


# --------------------------------------------------------------------------
# Whole corpora


def _plain(value: Any) -> Any:
    """JSON-ready copy: dates as ISO strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _date_got(text: str, found: list[DateMention]) -> list[dict[str, Any]]:
    return [
        {
            "text": m.value.text,
            "start": _plain(m.value.start),
            "end": _plain(m.value.end),
            "precision": m.value.precision.value,
            "calendar": m.value.calendar.value,
            "year_inferred": m.value.year_inferred,
            "kind": m.kind,
            "anchor": None if m.anchor is None else text[m.anchor[0]:m.anchor[1]],
        }
        for m in found
    ]


def _failure(case_id: str, sentence: str, expected: Any, got: Any, problems: list[str], case: dict) -> dict[str, Any]:
    return {"id": case_id, "sentence": sentence, "expected": _plain(expected), "got": got,
            "problems": problems, "xfail": case.get("xfail")}


def evaluate_date_cases(path: str | Path) -> dict[str, Any]:
    """Run ``find_dates`` on every case in the date corpus at ``path``; see the module docstring."""
    cases = load_date_cases(path)
    correct = day_cases = day_correct = 0
    failures = []
    for case in cases:
        found = find_case_dates(case)
        problems = date_case_problems(case, found)
        if not problems:
            correct += 1
        else:
            failures.append(_failure(case["id"], case["sentence"], case["dates"],
                                     _date_got(case["sentence"], found), problems, case))
        if any(_single_day(w) for w in case["dates"]):
            day_cases += 1
            day_correct += _days_right(case, found)
    return {
        "corpus": "dates",
        "path": str(path),
        "cases": len(cases),
        "correct": correct,
        "accuracy": _ratio(correct, len(cases)),
        "exact_day_cases": day_cases,
        "exact_day_correct": day_correct,
        "exact_day_accuracy": _ratio(day_correct, day_cases),
        "xfail": sum(1 for c in cases if c.get("xfail")),
        "failures": failures,
    }


def evaluate_count_cases(path: str | Path) -> dict[str, Any]:
    """Run ``find_counts`` / ``find_materiel`` on every case in the count corpus at ``path``."""
    cases, materiel = load_count_cases(path)
    correct = exact = mat_correct = 0
    failures = []
    for case in cases:
        found = find_counts(case["text"])
        problems = count_case_problems(case, found)
        want = [tuple(w[k] for k in _COUNT_FIELDS) for w in case["expect"]]
        exact += count_figures(found) == want
        if not problems:
            correct += 1
        else:
            got = [{"kind": m.kind, "low": m.count.low, "high": m.count.high, "qualifier": m.count.qualifier.value,
                    "side": m.side, "subject": m.subject, "negated": m.negated} for m in found]
            failures.append(_failure(case["text"], case["text"], case["expect"], got, problems, case))
    for case in materiel:
        found_m = find_materiel(case["text"])
        problems = materiel_case_problems(case, found_m)
        if not problems:
            mat_correct += 1
        else:
            got = [{"kind": m.kind, "low": m.count.low, "high": m.count.high, "qualifier": m.count.qualifier.value,
                    "effect": m.effect.value, "text": m.text} for m in found_m]
            failures.append(_failure(case["text"], case["text"], case["expect"], got, problems, case))
    total = len(cases) + len(materiel)
    return {
        "corpus": "counts",
        "path": str(path),
        "cases": total,
        "correct": correct + mat_correct,
        "accuracy": _ratio(correct + mat_correct, total),
        "exact_count_cases": len(cases),
        "exact_count_correct": exact,
        "exact_count_accuracy": _ratio(exact, len(cases)),
        "materiel_cases": len(materiel),
        "materiel_correct": mat_correct,
        "materiel_accuracy": _ratio(mat_correct, len(materiel)),
        "xfail": sum(1 for c in [*cases, *materiel] if c.get("xfail")),
        "failures": failures,
    }


# --------------------------------------------------------------------------
# Command line


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _table(results: list[dict[str, Any]]) -> str:
    rows = [("corpus", "measure", "correct", "cases", "accuracy")]
    for r in results:
        name = r["corpus"]
        rows.append((name, "all fields", str(r["correct"]), str(r["cases"]), _pct(r["accuracy"])))
        if name == "dates":
            rows.append((name, "exact day", str(r["exact_day_correct"]), str(r["exact_day_cases"]),
                         _pct(r["exact_day_accuracy"])))
        else:
            rows.append((name, "exact count", str(r["exact_count_correct"]), str(r["exact_count_cases"]),
                         _pct(r["exact_count_accuracy"])))
            if r["materiel_cases"]:
                rows.append((name, "materiel", str(r["materiel_correct"]), str(r["materiel_cases"]),
                             _pct(r["materiel_accuracy"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in results:
        for f in r["failures"]:
            mark = f" (xfail: {f['xfail']})" if f["xfail"] else ""
            lines.append(f"FAIL {r['corpus']} {f['id']}{mark}: {'; '.join(f['problems'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, evaluate the corpora given, print the figures; 0 on success, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="python -m eventcoder.normalize.corpus",
                                     description="Measure the date and count normalizers on YAML case corpora.")
    parser.add_argument("--dates", help="date case corpus (YAML)")
    parser.add_argument("--counts", help="count case corpus (YAML)")
    parser.add_argument("--format", dest="fmt", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    if not args.dates and not args.counts:
        parser.error("give --dates, --counts or both")
    try:
        results = []
        if args.dates:
            results.append(evaluate_date_cases(args.dates))
        if args.counts:
            results.append(evaluate_count_cases(args.counts))
    except EventcoderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.fmt == "json":
        print(json.dumps({r["corpus"]: r for r in results}, indent=2, ensure_ascii=False))
    else:
        print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
