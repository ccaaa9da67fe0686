"""The docs: every setting, command and option documented, generated tables current, links inside the repo."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler import defaults
from scripts.metrics_table import END as METRICS_END
from scripts.metrics_table import START as METRICS_START
from scripts.metrics_table import metrics_table
from scripts.settings_table import settings_table

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _commands() -> list[str]:
    return sorted(path.stem for path in (ROOT / "crawler" / "commands").glob("*.py")
                  if not path.name.startswith("_"))


def _section(text: str, heading: str) -> str:
    """The text under a `## heading` up to the next heading of that level."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def _prose(text: str) -> str:
    """Markdown without fenced blocks and code spans, where links and headings live."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug, number = _slug(heading), 1
        candidate = slug
        while candidate in anchors:
            candidate, number = f"{slug}-{number}", number + 1
        anchors.add(candidate)
    return anchors


def _links(path: Path) -> list[str]:
    return _LINK.findall(_prose(path.read_text(encoding="utf-8")))


def _outside_links(path: Path, root: Path) -> list[str]:
    """Links of a markdown file that leave the repository: any URL with a scheme, or a path above `root`."""
    outside = []
    for target in _links(path):
        file_part = target.split("#")[0]
        if _SCHEME.match(target) or (file_part and root not in (path.parent / file_part).resolve().parents):
            outside.append(target)
    return outside


def _broken_links(path: Path) -> list[str]:
    """Relative links of a markdown file to a file that does not exist, or to a heading its target lacks."""
    broken = []
    for target in _links(path):
        if _SCHEME.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in _anchors(linked)):
            broken.append(target)
    return broken


def _options_of(command: str) -> list[tuple[str, ...]]:
    """The option strings each of our commands adds to its Scrapy parent (per argparse action)."""
    module = importlib.import_module(f"crawler.commands.{command}")
    instance = module.Command()
    instance.settings = Settings()
    ours, inherited = argparse.ArgumentParser(), argparse.ArgumentParser()
    instance.add_options(ours)
    type(instance).__mro__[1].add_options(instance, inherited)
    known = {option for action in inherited._actions for option in action.option_strings}
    return [tuple(action.option_strings) for action in ours._actions
            if action.option_strings and not set(action.option_strings) <= known]


def test_every_setting_is_documented_in_operations() -> None:
    settings = [name for name in vars(defaults) if name.startswith("GOVCRAWL_")]
    assert len(settings) > 30
    missing = [name for name in settings if f"`{name}`" not in OPERATIONS]
    assert not missing, missing


def test_every_command_and_its_options_are_documented_in_operations() -> None:
    commands = _commands()
    assert {"seed", "status", "report", "sample", "templates", "exporter"} <= set(commands)
    section = _section(OPERATIONS, "Commands")
    missing = [name for name in commands if not re.search(rf"`scrapy {name}\b", section)]
    assert not missing, missing
    undocumented = [f"scrapy {name} {'/'.join(options)}" for name in commands for options in _options_of(name)
                    if not any(re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", section)
                               for option in options)]
    assert not undocumented, undocumented


def test_the_options_check_sees_the_options_a_command_adds() -> None:
    options = {option for group in _options_of("report") for option in group}
    assert {"--as-of", "--region", "--no-store", "-o"} <= options
    assert "--set" not in options and "-s" not in options  # Scrapy's own, documented once for all


def test_the_two_commands_are_the_makefile_targets_and_in_the_readme() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
        assert f"make {target}" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_settings_table_is_current() -> None:
    assert settings_table() in OPERATIONS, "run: python -m scripts.settings_table --write"


def test_the_metrics_tables_are_current() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    block = f"{METRICS_START}\n{metrics_table()}\n{METRICS_END}"
    assert block in text, "run: python -m scripts.metrics_table --write"


def test_the_metrics_tables_name_every_family_of_the_catalog() -> None:
    from crawler.metrics_catalog import ALL_METRICS  # noqa: PLC0415

    table = metrics_table()
    assert all(f"| `{spec.name}` |" in table for spec in ALL_METRICS)
    assert "\\|" not in table


def test_the_readme_is_short_and_maps_every_doc() -> None:
    readme = README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 130
    linked = {target.split("#")[0] for target in _links(README)}
    names = [path.relative_to(ROOT).as_posix() for path in DOCS]
    missing = [name for name in names if name not in linked]
    assert not missing, missing


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_link_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text
    assert "shared/" not in text
    outside = _outside_links(path, ROOT)
    assert not outside, outside


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(path: Path) -> None:
    broken = _broken_links(path)
    assert not broken, broken


def test_the_link_checks_catch_broken_links_anchors_and_links_outside(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    (tmp_path / "README.md").write_text("# Top\n", encoding="utf-8")
    page.write_text(
        "# Title\n\n## The demo: what `make demo` does\n\n[a](#the-demo-what-make-demo-does) [b](#nowhere) "
        "[c](missing.md) [d](../README.md#top) [e](../README.md#gone) [x](gone.md#part) `[f](in-code.md)`\n"
        "[g](https://example.org/) [h](../../outside.md)\n```\n[i](in-fence.md)\n# not a heading\n```\n",
        encoding="utf-8")
    assert _anchors(page) == {"title", "the-demo-what-make-demo-does"}
    broken = ["#nowhere", "missing.md", "../README.md#gone", "gone.md#part", "../../outside.md"]
    assert _broken_links(page) == broken
    assert _outside_links(page, tmp_path) == ["https://example.org/", "../../outside.md"]
