"""The client commands, which reach the API through the `client` package: `submit`, `jobs`
(`cli.job_commands`) and `batch` (`cli.batch_commands`)."""

from __future__ import annotations

from cli.batch_commands import batch
from cli.job_commands import jobs, submit

COMMANDS = (submit, jobs, batch)
