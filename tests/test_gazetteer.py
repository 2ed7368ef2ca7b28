"""The offline gazetteer: one build per session (about half a minute), then fast queries."""

from __future__ import annotations

import pickle
import shutil
import sqlite3
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventcoder.errors import ConfigError, GazetteerError
from eventcoder.gazetteer import (
    GAZETTEER_VERSION,
    Gazetteer,
    _add_overlays,
    build_gazetteer,
    default_path,
    normalize_place,
    read_overlay,
    variant_key,
    variant_keys,
)
from eventcoder.gazetteer_cli import gazetteer as gazetteer_cli

HEADER = "name,aliases,admin1,country,lat,lon,population,feature,parent,source\n"
USER_OVERLAY = HEADER + (
    "Zzyzx Test Checkpoint,ZTC,,SY,35.1,38.2,,checkpoint,,test fixture: a made-up point\n"
    "Qwertyville,,,IQ,,,,village,Mosul,test fixture: near Mosul; no point\n"
)

# Audit events seen while the session build ran: any socket use, and every file opened.
_AUDIT: dict[str, list] = {"socket": [], "open": []}
_AUDITING = False


def _audit(event: str, args: tuple) -> None:
    if not _AUDITING:
        return
    if event.startswith("socket."):
        _AUDIT["socket"].append((event, args))
    elif event == "open" and args and isinstance(args[0], (str, bytes, Path)):
        _AUDIT["open"].append(str(args[0] if not isinstance(args[0], bytes) else args[0].decode()))


sys.addaudithook(_audit)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Build once into a temp folder, with one user overlay, watching sockets and opened files."""
    global _AUDITING
    folder = tmp_path_factory.mktemp("gazetteer")
    overlay = folder / "user_overlay.csv"
    overlay.write_text(USER_OVERLAY, encoding="utf-8")
    path = folder / "gazetteer.sqlite"
    _AUDITING = True
    try:
        stats = build_gazetteer(path, overlays=[overlay])
    finally:
        _AUDITING = False
    return stats, path, overlay


@pytest.fixture(scope="session")
def gz(built):
    return Gazetteer(built[1])


def top(gz, name, countries=(), kind_hint=None):
    cands = gz.candidates(name, countries, kind_hint=kind_hint)
    assert cands, f"no candidates for {name!r}"
    return cands[0]


# --- build ------------------------------------------------------------------------------------


def test_counts_are_sane(built):
    stats, path, _ = built
    assert stats.cities > 200_000
    assert stats.admin1 > 3000
    assert 240 <= stats.countries <= 260
    assert stats.overlay >= 20 + 2  # packaged rows plus the user overlay's two
    assert stats.size_bytes == path.stat().st_size
    assert stats.seconds < 120, "the build must stay under 2 minutes on 2 cores"
    assert stats.equivalents_redundant == (), "equivalents.csv rows GeoNames already has"
    meta = dict(sqlite3.connect(path).execute("SELECT key, value FROM meta"))
    assert meta["version"] == GAZETTEER_VERSION
    assert "GeoNames" in meta["attribution"]


def test_build_reads_only_package_files_and_no_network(built):
    stats, path, overlay = built
    assert _AUDIT["socket"] == []
    import eventcoder

    allowed = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(eventcoder.__file__).parent.resolve(),
               path.parent.resolve()]
    for opened in _AUDIT["open"]:
        p = Path(opened).resolve()
        assert any(p == root or root in p.parents for root in allowed), f"build read {p}"
    assert any("cities500.json" in o for o in _AUDIT["open"])


# --- matching -----------------------------------------------------------------------------------


def test_tadmur_and_palmyra_find_the_syrian_town(gz):
    tadmur = top(gz, "Tadmur")
    assert tadmur.country == "SY" and tadmur.lat == pytest.approx(34.56, abs=0.01)
    assert top(gz, "Palmyra", ["SY"]).id == tadmur.id
    assert top(gz, "Tadmor", ["SY"]).id == tadmur.id


def test_palmyra_without_context_is_the_syrian_town(gz):
    # Documented: with no country context the largest exact namesake wins: Tadmur (51,015 people)
    # ahead of Santos Dumont, Brazil (42,406, alternate name Palmyra) and the US Palmyras.
    cands = gz.candidates("Palmyra")
    assert cands[0].country == "SY"
    assert {"BR", "US", "AU"} <= {p.country for p in cands}


def test_deir_ez_zor_spellings_meet(gz):
    forms = ["Deir ez-Zor", "Dayr az Zawr", "Deir al-Zor", "Dair al-Zour", "Deir el-Zor", "Dayr az-Zawr"]
    assert len({variant_key(f) for f in forms}) == 1
    ids = {top(gz, f, ["SY"]).id for f in forms}
    assert len(ids) == 1
    city = top(gz, "Deir ez-Zor")
    assert city.feature == "city" and city.country == "SY"
    assert top(gz, "Deir ez-Zor", kind_hint="admin1").feature == "admin1"


@pytest.mark.parametrize("name", ["al-Bab", "El Bab", "Bab", "Al Bab", "al Bab"])
def test_al_bab(gz, name):
    p = top(gz, name, ["SY"])
    assert (p.name, p.country) == ("Al Bāb", "SY")


def test_classical_and_modern_names(gz):
    assert top(gz, "Halab").name == "Aleppo"
    assert (top(gz, "Dimashq").name, top(gz, "Dimashq").country) == ("Damascus", "SY")
    milan = top(gz, "Milano")
    assert (milan.name, milan.country) == ("Milan", "IT")
    mosul = top(gz, "Mosul")
    assert mosul.country == "IQ" and mosul.lat == pytest.approx(36.34, abs=0.05)


def test_homs_and_al_khums(gz):
    assert (top(gz, "Hims", ["SY"]).name, top(gz, "Hims", ["SY"]).country) == ("Homs", "SY")
    # "Homs" is also an alternate name of Al Khums, Libya: the context country decides.
    sy = [p.country for p in gz.candidates("Homs", ["SY"]) if p.feature == "city"]
    assert sy.index("SY") < sy.index("LY")
    ly = gz.candidates("Homs", ["LY"])
    assert (ly[0].name, ly[0].country) == ("Al Khums", "LY")


def test_ninawa_is_the_governorate(gz):
    p = top(gz, "Ninawa")
    assert (p.feature, p.country, p.admin1) == ("admin1", "IQ", "Nīnawá")
    assert top(gz, "Nineveh", ["IQ"]).id == p.id
    assert top(gz, "Nineveh Governorate").id == p.id
    assert top(gz, "Wilayat Ninawa").id == p.id


def test_city_before_governorate_unless_hinted(gz):
    assert top(gz, "Idlib").feature == "city"
    assert top(gz, "Idlib", kind_hint="admin1").feature == "admin1"
    assert top(gz, "Idlib province").feature == "admin1"
    assert top(gz, "Idlib Governorate").feature == "admin1"


def test_san_salvador_in_el_salvador(gz):
    p = top(gz, "San Salvador", ["SV"])
    assert (p.country, p.feature) == ("SV", "city")
    assert p.lat == pytest.approx(13.69, abs=0.01)
    country = top(gz, "El Salvador")
    assert (country.feature, country.country) == ("country", "SV")


def test_countries(gz):
    for name, cc in [("Syria", "SY"), ("Russia", "RU"), ("Iran", "IR"), ("Bolivia", "BO"), ("Britain", "GB"),
                     ("UK", "GB"), ("US", "US"), ("Syrian Arab Republic", "SY"), ("United States", "US")]:
        p = top(gz, name)
        assert (p.feature, p.country) == ("country", cc), name


def test_exact_before_variant(gz):
    # Qabbasin (168061) has the exact alternate "Qabasin"; equivalents.csv adds it to Kabbasin near al-Bab,
    # the larger of the two, so it wins; a pure spelling variant ranks after every exact match.
    assert top(gz, "Qabasin", ["SY"]).name == "Kabbasin"
    cands = gz.lookup("Raqa")
    assert cands[0][0].name == "Ar Raqqah" and cands[0][1] < 0.6  # variant match: score under 0.6
    assert gz.lookup("Ar Raqqah")[0][1] >= 0.6


def test_misses(gz):
    assert gz.candidates("Xqzvwtk") == []
    assert gz.candidates("") == []
    assert gz.candidates("the") == [] or all(p.feature for p in gz.candidates("the"))


# --- overlay and equivalents ------------------------------------------------------------------


def test_packaged_overlay_rows_load_with_source_and_parent(gz):
    g = top(gz, "Gogjali", ["IQ"])
    assert (g.feature, g.country, g.subtype, g.parent, g.admin1) == ("overlay", "IQ", "neighbourhood", "Mosul", "Nīnawá")
    assert g.lat is None and g.source
    assert gz.parent_of(g).name == "Mosul"
    assert top(gz, "Kokjali").id == g.id
    t4 = top(gz, "Tiyas airbase")
    assert gz.parent_of(t4).feature == "admin1"
    assert top(gz, "al-Karama", ["IQ"]).feature == "overlay"


def test_packaged_overlay_rows_are_places_geonames_lacks(gz):
    con = sqlite3.connect(gz.path)
    rows = con.execute("SELECT name, country FROM places WHERE feature='overlay' AND source NOT LIKE 'test fixture%'").fetchall()
    assert 20 <= len(rows) <= 60
    for name, cc in rows:
        exact_cities = [p for p, score in gz.lookup(name, country=cc, limit=50)
                        if p.feature == "city" and p.country == cc and score >= 0.6]
        assert exact_cities == [], f"overlay row {name} ({cc}) is in GeoNames: use equivalents.csv"


def test_user_overlay_adds_places(built, gz):
    p = top(gz, "Zzyzx Test Checkpoint")
    assert (p.lat, p.lon, p.country, p.subtype) == (35.1, 38.2, "SY", "checkpoint")
    assert top(gz, "ZTC").id == p.id
    q = top(gz, "Qwertyville")
    assert q.parent == "Mosul" and q.lat is None and q.admin1 == "Nīnawá"


@pytest.mark.parametrize("row, message", [
    ("Nowhere,,,SY,35,38,,village,,\n", "empty source"),
    ("Nowhere,,,SY,,,,village,,somebody said so\n", "no lat/lon and no parent"),
    ("Nowhere,,,SY,35,,,village,,somebody said so\n", "both lat and lon"),
    ("Nowhere,,,XX,35,38,,village,,somebody said so\n", "not an ISO"),
    ("Nowhere,,,SY,35,38,,castle,,somebody said so\n", "feature"),
    ("Nowhere,,,SY,95,38,,village,,somebody said so\n", "out of range"),
])
def test_bad_overlay_rows_are_rejected_before_any_work(tmp_path, row, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + row, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(GazetteerError) as err:
        build_gazetteer(tmp_path / "g.sqlite", overlays=[bad])
    assert time.perf_counter() - started < 5
    assert message in str(err.value) and "bad.csv:2" in str(err.value)
    assert isinstance(err.value, ConfigError) and err.value.fix
    assert not (tmp_path / "g.sqlite").exists()


def test_overlay_header_must_have_source(tmp_path):
    bad = tmp_path / "nosource.csv"
    bad.write_text("name,country,lat,lon\nNowhere,SY,35,38\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="missing columns"):
        read_overlay(bad)


def test_overlay_parent_must_be_in_the_gazetteer(built, tmp_path):
    copy = tmp_path / "copy.sqlite"
    shutil.copy(built[1], copy)
    bad = tmp_path / "orphan.csv"
    bad.write_text(HEADER + "Nowhere,,,SY,,,,village,Atlantis,somebody said so\n", encoding="utf-8")
    rows = read_overlay(bad)
    with sqlite3.connect(copy) as con, pytest.raises(GazetteerError, match="parent 'Atlantis' is not in the gazetteer"):
        _add_overlays(con, rows)


# --- keys ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
@example("𝕊")  # NFKD makes a capital
@example("İstanbul")  # lower() makes a combining mark
@example("the al the Bab")
def test_keys_are_idempotent(s):
    n = normalize_place(s)
    assert normalize_place(n) == n
    v = variant_key(s)
    assert variant_key(v) == v
    assert normalize_place(v) == v
    keys = variant_keys(s)
    for k in keys:
        assert variant_keys(k) <= keys


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="adehikloqrsuwyz -'’", max_size=30))
def test_variant_key_idempotent_on_transliteration_letters(s):
    v = variant_key(s)
    assert variant_key(v) == v


def test_normalize_place_examples():
    assert normalize_place("Deir ez-Zor") == "deir zor"
    assert normalize_place("The Hague") == "hague"
    assert normalize_place("Ma‘arrat an Nu‘mān") == "maarrat numan"
    assert normalize_place("Dar'ā") == "dara"
    assert variant_key("Raqqa") == variant_key("Raqa") == variant_key("Ar-Raqqah")
    assert variant_key("Tall Afar") == variant_key("Tel Afar") == variant_key("Tal Afar")
    assert variant_key("Khirbat Ghazala") == variant_key("Khirbet Ghazaleh")
    assert variant_key("Jisr al-Shughur") == variant_key("Jisir ash-Shughur")
    assert variant_key("Abou Kamal") == variant_key("Abu Kamal")
    assert variant_key("Dayr Hafir") == variant_key("Deir Hafer") == variant_key("Dair Hafir")


# --- speed, pickling, threads, automaton, paths ---------------------------------------------------


def test_lookup_is_fast(gz):
    names = ["Tadmur", "Palmyra", "Deir ez-Zor", "al-Bab", "Mosul", "San Salvador", "Springfield", "Xqzvwtk",
             "Gogjali", "Dair al-Zour"] * 20
    times = []
    for name in names:
        t = time.perf_counter()
        gz.candidates(name, ["SY"])
        times.append(time.perf_counter() - t)
    assert statistics.median(times) < 0.005


def test_pickles_by_path_and_shares_across_threads(gz):
    clone = pickle.loads(pickle.dumps(gz))
    assert clone.path == gz.path and clone is not gz
    assert top(clone, "Tadmur").id == top(gz, "Tadmur").id
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: top(gz, n).name, ["Mosul", "Halab", "Milano", "Hims"] * 10))
    assert set(results) == {"Mosul", "Aleppo", "Milan", "Homs"}


def test_automaton_covers_big_places_and_overlays(gz):
    auto = gz.automaton()
    assert auto is gz.automaton()
    for key in ("mosul", "aleppo", "gogjali", "syria", "uk", "ninawa"):
        assert key in auto, key
    assert "xqzvwtk" not in auto
    text = "clashes near gogjali east of mosul"
    found = {v for end, v in auto.iter(text)
             if (end + 1 == len(text) or not text[end + 1].isalnum()) and
             (end - len(v) < 0 or not text[end - len(v)].isalnum())}
    assert {"gogjali", "mosul"} <= found


def test_open_reuses_a_current_file(built):
    stats, path, overlay = built
    before = path.stat().st_mtime_ns
    with Gazetteer.open(path, overlays=[overlay]) as g:
        assert top(g, "Qwertyville").parent == "Mosul"
    with Gazetteer.open(path) as g:  # the overlays it was built with
        assert top(g, "Qwertyville").parent == "Mosul"
    assert path.stat().st_mtime_ns == before


def test_gazetteer_refuses_a_missing_or_foreign_file(tmp_path):
    with pytest.raises(GazetteerError):
        Gazetteer(tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(GazetteerError):
        Gazetteer(other)


def test_default_path(monkeypatch, tmp_path):
    monkeypatch.setenv("EVENTCODER_CACHE_DIR", str(tmp_path / "cache"))
    p = default_path()
    assert p == (tmp_path / "cache").resolve() / f"gazetteer-v{GAZETTEER_VERSION}.sqlite"
    assert p.parent.is_dir()
    assert default_path([tmp_path / "a.csv"]) != p
    import eventcoder

    monkeypatch.setenv("EVENTCODER_CACHE_DIR", str(Path(eventcoder.__file__).parent / "data"))
    with pytest.raises(GazetteerError):
        default_path()


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_lookup(built):
    before = built[1].stat().st_mtime_ns
    result = CliRunner().invoke(gazetteer_cli, ["lookup", "Palmyra", "--country", "SY", "--path", str(built[1])])
    assert result.exit_code == 0, result.output
    assert built[1].stat().st_mtime_ns == before, "a file given by path keeps its own overlays: no rebuild"
    assert "Tadmur" in result.output and "34.56" in result.output
    miss = CliRunner().invoke(gazetteer_cli, ["lookup", "[bold]Xqzvwtk", "--path", str(built[1])])
    assert miss.exit_code == 1 and "[bold]Xqzvwtk" in miss.output


def test_cli_build_reports_bad_overlay(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Nowhere,,,SY,35,38,,village,,\n", encoding="utf-8")
    result = CliRunner().invoke(gazetteer_cli, ["build", "--path", str(tmp_path / "g.sqlite"), "--overlay", str(bad)])
    assert result.exit_code == 2
    assert "empty source" in result.output


def test_open_builds_when_missing_or_stale(built, tmp_path, monkeypatch):
    import eventcoder.gazetteer as gzmod

    calls = []

    def fake_build(path, overlays=()):
        calls.append((Path(path), tuple(overlays)))
        shutil.copy(built[1], path)

    monkeypatch.setattr(gzmod, "build_gazetteer", fake_build)
    target = tmp_path / "lazy.sqlite"
    Gazetteer.open(target, overlays=[built[2]]).close()  # missing: built
    Gazetteer.open(target, overlays=[built[2]]).close()  # current: opened as is
    assert calls == [(target, (built[2],))]
    Gazetteer.open(target, overlays=[]).close()  # explicit path, no overlays: keeps its own
    assert len(calls) == 1
    other = tmp_path / "other_overlay.csv"
    other.write_text(HEADER, encoding="utf-8")
    Gazetteer.open(target, overlays=[other]).close()  # other overlays: stale, rebuilt
    assert len(calls) == 2
