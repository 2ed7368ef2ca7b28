"""The README's examples must keep working: its Python example runs, and the commands it lists exist."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from eventcoder.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [["make", "run"], ["make", "test"]]


def test_readme_python_example_runs(capsys):
    code = re.search(r"## From Python\n\n```python\n(.*?)```", README, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.split()
    # suicide_bomb claimed 2016-12-18 2016-12-20 Count(...): a claim, a Hijri date without a year
    assert out[:4] == ["suicide_bomb", "claimed", "2016-12-18", "2016-12-20"]


def test_every_command_in_the_readme_table_exists():
    for cmd in re.findall(r"^\| `eventcoder ([a-z0-9]+(?: [a-z0-9]+)?)", README, re.M):
        args = cmd.split()
        if args[0] == "codebook" and len(args) == 1:
            continue
        result = CliRunner().invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, (cmd, result.output)
