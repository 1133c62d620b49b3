"""Settings: dynaconf, one file (`settings.toml`), one env-var prefix (`FRAGRANCE_`).

Only composition roots (API and worker factories, CLI, migrations) call `load_settings`;
they pass plain values down.
"""

from __future__ import annotations

from config.loading import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
