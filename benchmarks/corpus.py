"""A synthetic corpus for the batch benchmark: reports assembled from the bundled sample reports.

Deterministic for a given seed and size. Each document is the lead paragraph of one sample report
(its dateline) followed by one to four paragraphs, from the same report or from others of its kind
(wire, NGO bulletin, claim), with the names and figures varied: places swapped for others of the
same country, armed groups for others of the same region, casualty figures and days of the month
drawn at random, years and the dateline set to the document's own publication date. The texts
are invented (as the samples are); they exercise the pipeline as real reports do, not its scores.

    .venv/bin/python benchmarks/corpus.py /tmp/corpus --docs 20000   # writes corpus-NN.jsonl.gz
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import re
from pathlib import Path

from eventcoder.sample_reports import load_samples

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
# places named in the samples, with others of the same country to swap them for
PLACES = {
    "Iraq": ["Baghdad", "Mosul", "Tarmiyah", "Tal Afar", "Kirkuk", "Ramadi", "Fallujah", "Baqubah", "Samarra", "Tikrit"],
    "Nigeria": ["Maiduguri", "Damboa", "Magumeri", "Gwoza", "Konduga", "Bama", "Monguno", "Dikwa", "Biu"],
    "Somalia": ["Mogadishu", "Kismayo", "Baidoa", "Afgoye", "Marka", "Beledweyne"],
    "Yemen": ["Taiz", "Hodeidah", "Marib", "Aden", "Mukalla", "Sanaa", "Dhamar"],
    "Afghanistan": ["Kandahar", "Kunduz", "Herat", "Jalalabad", "Ghazni", "Lashkar Gah"],
    "Syria": ["Idlib", "Kafr Nabl", "Khan Shaykhun", "Raqqa", "Homs", "Hama", "Manbij", "Jisr al-Shughur"],
    "Egypt": ["El-Arish", "Rafah", "Sheikh Zuweid", "Bir al-Abd"],
    "Peru": ["Huancayo", "Ayacucho", "Tingo Maria", "Huanta"],
    "Mali": ["Ndaki", "Gossi", "Mopti", "Gao", "Timbuktu"],
}
GROUPS = [  # armed groups of one region, each swappable for the others of its list
    ["Boko Haram", "Ansaru"],
    ["Al-Shabaab", "Hizbul Islam"],
    ["Taliban", "Haqqani network"],
    ["Shining Path", "Tupac Amaru Revolutionary Movement"],
]
_DAY_MONTH = re.compile(r"\b[0-3]?\d(?:-[0-3]?\d)?(?= (?:" + "|".join(MONTHS) + r")\b)")  # "2 May", "5-11 August"
_DATELINE = re.compile(r"\b[0-3]?\d (?:" + "|".join(MONTHS) + r") (?:19|20)\d\d\b")
_YEAR = re.compile(r"\b(?:19[5-9]\d|20[0-3]\d)\b")
_FIGURE = re.compile(r"(?<![\d.,:/-])\b([1-9]\d{0,2})\b(?![\d.,:/-]|th|st|nd|rd| (?:" + "|".join(MONTHS) + "))")


def _name_pattern(names: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")


_PLACE_RE = _name_pattern([p for places in PLACES.values() for p in places])
_PLACE_ALTERNATIVES = {p: places for places in PLACES.values() for p in places}
_GROUP_RE = _name_pattern([g for groups in GROUPS for g in groups])
_GROUP_ALTERNATIVES = {g: groups for groups in GROUPS for g in groups}


def _kind(doc_id: str) -> str:
    return doc_id.split("-", 1)[0]  # wire | news | ngo | claim


def _day(day: str, rng: random.Random) -> str:
    first = rng.randint(1, 21)
    return f"{first}-{first + 6}" if "-" in day else str(first)


def _vary(text: str, rng: random.Random, published: dt.date, names: dict[str, str]) -> str:
    """The paragraph with swapped names (the same swap for a name throughout a document),
    random figures and days, and the document's year."""
    text = _PLACE_RE.sub(lambda m: names.setdefault(m.group(1), rng.choice(_PLACE_ALTERNATIVES[m.group(1)])), text)
    text = _GROUP_RE.sub(lambda m: names.setdefault(m.group(1), rng.choice(_GROUP_ALTERNATIVES[m.group(1)])), text)
    text = _DAY_MONTH.sub(lambda m: _day(m.group(0), rng), text)
    text = _DATELINE.sub(f"{published.day} {MONTHS[published.month - 1]} {published.year}", text)
    text = _YEAR.sub(str(published.year), text)
    return _FIGURE.sub(lambda m: str(rng.choice((rng.randint(2, 12), rng.randint(13, 60), rng.randint(61, 300)))), text)


def documents(count: int, seed: int = 8) -> list[dict[str, str]]:
    """``count`` synthetic JSONL records (doc_id, text, source, source_kind, published)."""
    rng = random.Random(seed)
    samples = [s for s in load_samples() if s.published is not None]
    paragraphs: dict[str, list[str]] = {}
    for s in samples:
        paragraphs.setdefault(_kind(s.doc_id), []).extend(p.strip() for p in s.text.split("\n\n")[1:] if p.strip())
    start, span = dt.date(2000, 1, 1).toordinal(), (dt.date(2024, 12, 31) - dt.date(2000, 1, 1)).days
    out = []
    for i in range(count):
        base = rng.choice(samples)
        published = dt.date.fromordinal(start + rng.randint(0, span))
        own = [p.strip() for p in base.text.split("\n\n")[1:] if p.strip()]
        n = rng.randint(1, 4)
        body = own[:n] if own and rng.random() < 0.5 else rng.sample(paragraphs[_kind(base.doc_id)], n)
        names: dict[str, str] = {}
        text = "\n\n".join(_vary(p, rng, published, names) for p in [base.text.split("\n\n")[0], *body])
        out.append({"doc_id": f"synth-{i:06d}", "text": text, "source": base.source,
                    "source_kind": base.source_kind.value, "published": published.isoformat()})
    return out


def write_corpus(folder: str | Path, count: int, seed: int = 8, per_file: int = 5000) -> list[Path]:
    """Write ``count`` documents as gzipped JSONL files of ``per_file`` lines into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    docs = documents(count, seed)
    paths = []
    for n, first in enumerate(range(0, len(docs), per_file)):
        path = folder / f"corpus-{n:02d}.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as fh:
            for record in docs[first:first + per_file]:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()
    paths = write_corpus(args.folder, args.docs, args.seed)
    print(f"{args.docs} documents in {len(paths)} files under {args.folder}")


if __name__ == "__main__":
    main()
