"""The README stays true: its first two commands, and a row for every setting."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.settings import VARIABLES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
MAKEFILE = (Path(__file__).resolve().parents[1] / "Makefile").read_text()


def test_readme_starts_with_the_run_and_test_commands() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split()[:2] for line in first_block] == [["make", "run"], ["make", "test"]]
    assert re.search(r"^run:", MAKEFILE, re.M) and re.search(r"^test:", MAKEFILE, re.M)


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| ([^|]+) \|", README, re.M))
    for variable in VARIABLES:
        assert variable.name in rows, f"{variable.name} missing from the README"
        shown = rows[variable.name].strip().strip("`")
        assert shown == (variable.default or "(empty)"), variable.name
