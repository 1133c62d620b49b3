"""Private servers the fault tests and `make chaos` kill and restart: Redis and PostgreSQL on
free ports, owned by the run, never the machine's own."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import redis

from bench.processes import Process, free_port, wait_until


class RedisServer:
    """A redis-server on a free port; with `appendonly` (production's setting) messages in
    its lists survive a restart."""

    def __init__(self, log_dir: Path, appendonly: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is required (apt-get install redis-server)")
        self.port, self.dir = free_port(), log_dir / "redis-data"
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes" if appendonly else "no", "--dir", str(self.dir)]
        self.process = Process(f"redis-{self.port}", argv, dict(os.environ), log_dir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        self.process.start()
        wait_until(lambda: redis.Redis.from_url(self.url).ping(), 20, "redis-server")
        return self

    def kill(self) -> None:
        self.process.kill()

    def stop(self) -> None:
        self.process.stop()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, run as the `postgres` user (the server
    refuses to run as root)."""

    def __init__(self, root: Path) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not binaries or not shutil.which("runuser"):
            raise RuntimeError("PostgreSQL server binaries and runuser are needed")
        self.bin, self.root, self.port = Path(binaries[-1]), root, free_port()
        self.data = root / "pgdata"
        root.mkdir(parents=True, exist_ok=True)
        shutil.chown(root, "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _as_postgres(self, tool: str, *args: str, check: bool = True) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
                       check=check, capture_output=True, cwd="/tmp")

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                          "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1",
                          "start")

    def crash(self) -> None:
        """Stop at once, as in a crash (no checkpoint, clients cut off)."""
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def remove(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop",
                          check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
