"""Print the settings table of docs/operations.md from crawler/defaults.py; `--write` rewrites it in place."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DOC = ROOT / "docs" / "operations.md"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"
_SETTING = re.compile(r"^(GOVCRAWL_\w+)(?::[^=]+)?\s*=\s*(.*?)(?:\s+#\s*(.*))?$")


def settings_table() -> str:
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for line in (ROOT / "crawler" / "defaults.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("# ---"):
            rows.append(f"| **{line.strip('# -').strip()}** | | |")
        elif match := _SETTING.match(line):
            name, value, meaning = match.groups()
            rows.append(f"| `{name}` | `{value}` | {(meaning or '').replace('|', '/')} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    table = settings_table()
    if "--write" not in argv:
        sys.stdout.write(table + "\n")
        return 0
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    SETTINGS_DOC.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
