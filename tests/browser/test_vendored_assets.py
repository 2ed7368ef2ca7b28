"""The front-end assets vendored from npm (scripts/vendor_web_assets.sh) are the ones VERSIONS.txt
records: no file edited by hand, none missing, none unlisted, and the script's pins agree."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

VENDOR = Path(str(resources.files("eventcoder").joinpath("web", "static", "vendor")))
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "vendor_web_assets.sh"


def recorded() -> tuple[dict[str, str], dict[str, str]]:
    """(package -> version, path -> sha256) from VERSIONS.txt."""
    packages, files = {}, {}
    for line in (VENDOR / "VERSIONS.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if m := re.fullmatch(r"(\S+)@(\d+\.\d+\.\d+)\s+sha512-\S+", line):
            packages[m[1]] = m[2]
        elif m := re.fullmatch(r"([0-9a-f]{64})\s+(\S+)", line):
            files[m[2]] = m[1]
        else:
            raise AssertionError(f"unexpected line in VERSIONS.txt: {line!r}")
    return packages, files


def test_every_vendored_file_matches_its_recorded_hash():
    _, files = recorded()
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"VERSIONS.txt"}
    assert present == set(files), f"unlisted: {sorted(present - set(files))}, missing: {sorted(set(files) - present)}"
    for path, digest in files.items():
        assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == digest, f"{path} differs from VERSIONS.txt"


def test_what_the_app_loads_is_there_with_its_license():
    _, files = recorded()
    for path in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images/layers.png", "leaflet/LICENSE",
                 "topojson-client/topojson-client.min.js", "topojson-client/LICENSE",
                 "world-atlas/countries-110m.json", "world-atlas/LICENSE"):
        assert path in files, path


def test_the_script_pins_what_was_vendored():
    packages, _ = recorded()
    assert packages == {"leaflet": "1.9.4", "topojson-client": "3.1.0", "world-atlas": "2.0.2"}
    if SCRIPT.is_file():  # a source checkout: the script's pins are the recorded versions
        pins = dict(re.findall(r'^\s*"([a-z-]+) (\d+\.\d+\.\d+) sha512-', SCRIPT.read_text(encoding="utf-8"), re.M))
        assert pins == packages
