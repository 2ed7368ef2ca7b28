"""Screenshots of the review app's main pages for docs/screenshots/.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Codes the bundled samples into a temporary store, serves the app on loopback as the browser tests
do (tests/browser/review_site.py), and drives the system Chromium (EVENTCODER_CHROMIUM, else
`chromium` on PATH; no browser download) at 1400x1000: the table with its map and timeline, a
document with its evidence highlighted, an incident with the correction form filled in, and the
audit page after that correction and one approval.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from review_site import build_store, launch_args, serve  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}
DOCUMENT = "wire-baghdad-bombings"  # two incidents, dates, places, counts and weapons
CORRECTED = "wire-rotterdam-ramming"  # fatalities corrected from 3 to 5
APPROVED = "wire-mosul-karama"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNGs")
    args = parser.parse_args(argv)
    chromium = os.environ.get("EVENTCODER_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print("Chromium not found: install the Debian packages chromium and chromium-driver, "
              "or set EVENTCODER_CHROMIUM", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        store = build_store(str(Path(tmp) / "review.db"), hostile=False)
        first = lambda doc_id: store.by_doc(doc_id)[0].incident_id  # noqa: E731
        with serve(store.path, "screenshots", "analyst") as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=launch_args())
            page = browser.new_context(viewport=VIEWPORT, base_url=url).new_page()
            page.set_default_timeout(15_000)
            page.goto("/?token=screenshots")

            def shot(name: str) -> None:
                page.wait_for_load_state("networkidle")
                path = out / f"{name}.png"
                page.screenshot(path=str(path))
                print(path)

            # the table, the map (markers over the offline tiles) and the timeline
            page.goto("/")
            page.locator("#map path.marker, #map .leaflet-interactive.marker").first.wait_for(state="attached")
            page.locator("div#timeline svg rect.bar").first.wait_for(state="attached")
            shot("table-map-timeline")

            # a document: every field's evidence highlighted, one field selected
            page.goto(f"/documents/{DOCUMENT}")
            page.locator('ul#fields li.field[data-field="fatalities"]').first.click()
            shot("document-evidence")

            # an incident with the correction form filled in, then saved
            page.goto(f"/incidents/{first(CORRECTED)}")
            page.select_option("form#correct select[name=field]", "fatalities")
            page.fill("form#correct textarea[name=value]",
                      json.dumps({"low": 5, "high": 5, "qualifier": "exact", "spans": []}))
            page.fill("form#correct input[name=note]", "five in the follow-up report")
            shot("incident-correction")
            page.click("form#correct button#save")
            page.locator(".badge.corrected").first.wait_for()

            page.goto(f"/incidents/{first(APPROVED)}")
            page.click("button#approve")
            page.wait_for_load_state("networkidle")

            # the audit page lists both changes
            page.goto("/audit")
            page.locator("table#audit tr.change").first.wait_for()
            shot("audit")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
