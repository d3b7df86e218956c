"""README cannot drift from the code: the contract table, every command and every option."""

import re
from pathlib import Path

import click
import pytest

from salescoach.cli import main
from salescoach.domain.contract import contract_markdown
from salescoach.settings import SECTIONS

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_contract_table_matches_the_code():
    block = re.search(r"<!-- contract:start -->\n(.*?)\n<!-- contract:end -->", README, re.S)
    assert block, "README lost its contract markers"
    assert block.group(1).strip() == contract_markdown().strip()


def test_feature_table_matches_the_code():
    """README's data contract says, for each figure and check, the columns it uses."""
    from salescoach.domain.capabilities import features_markdown

    block = re.search(r"<!-- features:start -->\n(.*?)\n<!-- features:end -->", README, re.S)
    assert block, "README lost its features markers"
    assert block.group(1).strip() == features_markdown().strip()


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)
        else:
            yield path, cmd


COMMANDS = list(_commands(main))


@pytest.mark.parametrize("path, cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_and_option_is_documented(path, cmd):
    assert f"salescoach {' '.join(path)}" in README, (
        f"README does not document `salescoach {' '.join(path)}`"
    )
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts), (
                f"README does not document {param.opts} of {path}"
            )


def test_global_options_documented():
    assert "--workbook DIR" in README and "SALESCOACH_WORKBOOK" in README


def test_every_setting_is_documented():
    part = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    # The settings model's sections and fields (which are the shipped file's, test_settings).
    for section, kind in SECTIONS.items():
        keys = kind.__dataclass_fields__
        row = next(
            (line for line in part.splitlines() if line.startswith(f"| `[{section}]`")), None
        )
        assert row, f"README's settings table has no row for [{section}]"
        for key in keys:
            assert f"`{key}`" in row, f"README does not document [{section}] {key}"
