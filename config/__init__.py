"""Settings: dynaconf, one file (`settings.toml`), one env-var prefix (`FRAGRANCE_`).

Only composition roots (API and worker factories, CLI, migrations) call `load_settings`;
they pass plain values down.
"""

from __future__ import annotations

from config.loading import Settings, SettingsError, load_settings

# in the environment of each process `fragrance run` starts and stops: a Ctrl-C in the
# terminal reaches them all, and each leaves stopping to the supervisor's SIGTERM
SUPERVISED_ENV = "FRAGRANCE_RUN_SUPERVISED"

__all__ = ["SUPERVISED_ENV", "Settings", "SettingsError", "load_settings"]
