"""The README documents every setting and every operator command."""

from __future__ import annotations

import re
from pathlib import Path

from crawler import defaults
from scripts.settings_table import settings_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    settings = [name for name in vars(defaults) if name.startswith("GOVCRAWL_")]
    assert len(settings) > 30
    missing = [name for name in settings if f"`{name}`" not in README]
    assert not missing, missing


def test_every_command_is_documented() -> None:
    commands = sorted(path.stem for path in (ROOT / "crawler" / "commands").glob("*.py")
                      if not path.name.startswith("_"))
    assert {"seed", "status", "report", "sample"} <= set(commands)
    missing = [name for name in commands if not re.search(rf"`scrapy {name}\b", README)]
    assert not missing, missing


def test_the_two_commands_are_the_makefile_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
        assert f"make {target}" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_settings_table_is_current() -> None:
    assert settings_table() in README, "run: python -m scripts.settings_table --write"
