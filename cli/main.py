"""`fragrance`: run the stack, manage keys, the database and the index, submit and watch jobs."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any

import click

from cli import client_commands, key_commands, ops_commands, stack
from cli.entry import INTERRUPTED
from cli.job_store import unavailable_message

EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE


class _Fragrance(click.Group):
    """The command group; a database that cannot be reached or is not migrated is an error
    message naming its URL (exit 1), not a traceback, whichever command met it. So is an
    output that cannot be written (a full disk, a closed pipe), and an argument that is no
    text (bytes that are not UTF-8: a usage error, exit 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        for arg in args:
            if _undecodable(arg):
                raw = arg.encode("utf-8", "surrogateescape")
                raise click.UsageError(f"the argument {raw!r} is not UTF-8 text", ctx)
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EDQUOT):
                raise
            _quiet_stdout()
            click.echo(f"Error: the output could not be written: {exc.strerror or exc}",
                       err=True)
            sys.exit(1)

    def invoke(self, ctx: click.Context) -> object:
        from core.errors import StoreUnavailable

        try:
            answer = super().invoke(ctx)
            if sys.stdout is not None:  # None: started with its stdout closed (`>&-`)
                sys.stdout.flush()  # a full disk is met here, not at the interpreter's exit
            return answer
        except StoreUnavailable as exc:
            raise click.ClickException(unavailable_message(str(exc))) from None
        except BrokenPipeError:
            # the reader went away (`| head -1`): what a shell reports for a command its
            # pipe's SIGPIPE ended, not 1 (a failed job) with nothing said
            _quiet_stdout()
            sys.exit(EXIT_PIPE_CLOSED)
        except KeyboardInterrupt:
            # Ctrl-C: 130, as while the command loads (`cli.entry`), not click's 1 (which
            # reads as a failed job)
            click.echo("Aborted!", err=True)
            sys.exit(INTERRUPTED)


def _undecodable(arg: str) -> bool:
    """Whether a command-line argument held bytes that are not UTF-8 (Python keeps them as
    lone surrogates, which no request can carry)."""
    return any("\udc80" <= char <= "\udcff" for char in arg)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush of what could not be written
    raises nothing more."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.group(cls=_Fragrance, help="Fragrance AI job backend.")
@click.version_option(package_name="fragrance-jobs", prog_name="fragrance")
def main() -> None:
    pass


for command in (*stack.COMMANDS, *ops_commands.COMMANDS, *key_commands.COMMANDS,
                *client_commands.COMMANDS):
    main.add_command(command)

if __name__ == "__main__":
    main()
