"""The `fragrance` command's entry point: a Ctrl-C while the command's modules load (a second
or two) ends it quietly, as one while it runs does (it was a traceback)."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # a shell's exit status for a command ended by SIGINT


def run() -> None:
    try:
        from cli.main import main
    except KeyboardInterrupt:
        print("Aborted!", file=sys.stderr)
        sys.exit(INTERRUPTED)
    main()
