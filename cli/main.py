"""`fragrance`: run the stack, manage keys, the database and the index, submit and watch jobs."""

from __future__ import annotations

import click

from cli import client_commands, key_commands, ops_commands, stack


@click.group(help="Fragrance AI job backend.")
@click.version_option(package_name="fragrance-jobs", prog_name="fragrance")
def main() -> None:
    pass


for command in (*stack.COMMANDS, *ops_commands.COMMANDS, *key_commands.COMMANDS,
                *client_commands.COMMANDS):
    main.add_command(command)

if __name__ == "__main__":
    main()
