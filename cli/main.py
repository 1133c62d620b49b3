"""`fragrance`: run the stack, manage keys, the database and the index, submit and watch jobs."""

from __future__ import annotations

import click

from cli import client_commands, key_commands, ops_commands, stack
from cli.job_store import unavailable_message


class _Fragrance(click.Group):
    """The command group; a database that cannot be reached or is not migrated is an error
    message naming its URL (exit 1), not a traceback, whichever command met it."""

    def invoke(self, ctx: click.Context) -> object:
        from core.errors import StoreUnavailable

        try:
            return super().invoke(ctx)
        except StoreUnavailable as exc:
            raise click.ClickException(unavailable_message(str(exc))) from None


@click.group(cls=_Fragrance, help="Fragrance AI job backend.")
@click.version_option(package_name="fragrance-jobs", prog_name="fragrance")
def main() -> None:
    pass


for command in (*stack.COMMANDS, *ops_commands.COMMANDS, *key_commands.COMMANDS,
                *client_commands.COMMANDS):
    main.add_command(command)

if __name__ == "__main__":
    main()
