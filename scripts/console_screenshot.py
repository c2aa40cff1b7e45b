"""The README's picture of the console's overview, taken from a real ``tripline local``.

Run from the repository root, after ``make test`` has installed Chromium::

    .venv/bin/python -m scripts.console_screenshot [--out docs/images/console-overview.png]

A fresh SQLite file gets a day of made-up traffic as the console bench makes it (events of the
sample sources over the last 20 hours, rejected rows, rule matches of the loaded rules, alerts,
uploads), then ``tripline local --demo`` posts its sample batch through the API, and the
overview is photographed once its figures are drawn. Nothing here is part of the product: it
keeps the README's picture honest to what the console draws today.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.console_pages import console, fill_through, open_page
from bench.csv_pipeline import local_runtime
from chalicelib.adapters.db import migrations
from chalicelib.adapters.db.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
EVENTS = 6_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "images" / "console-overview.png"
    )
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="console-shot-") as folder:
        url = f"sqlite:///{Path(folder) / 'shot.db'}"
        engine = make_engine(url)
        migrations.upgrade(engine)
        with local_runtime(url, Path(folder), demo=True) as runtime:
            fill_through(runtime, engine, EVENTS)
            engine.dispose()
            with console(runtime) as (page, _errors):
                open_page(page, runtime.api, "overview")
                page.locator("#latest-events table").wait_for(timeout=30_000)
                page.screenshot(path=str(args.out), full_page=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
