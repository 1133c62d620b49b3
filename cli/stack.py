"""Starting processes: the API, workers, Flower, and `run` (the whole embedded stack)."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click
import redis

from api.http_protocol import PROTOCOL as HTTP_PROTOCOL
from cli.job_store import existing_store_url
from cli.ops_commands import settings_or_exit, upgrade_database
from cli.option_types import PORT, QueueNames
from config import SUPERVISED_ENV
from config.log_format import configure_logging
from core.kinds import DECLARED, KindDeclaration, KindError
from core.states import QUEUES, SERVICE_QUEUES
from workers.malloc_arenas import limit_malloc_arenas

log = logging.getLogger("fragrance.run")
CELERY_APP = "workers.celery_app"
STATE_DIR = Path("var")  # the embedded stack's state (`make run`)
DEV_KEY_FILE = STATE_DIR / "dev-api-key"
DEV_WEBHOOK_SECRET_FILE = STATE_DIR / "dev-webhook-secret"  # what signs the dev key's webhooks
FLOWER_PASSWORD_FILE = STATE_DIR / "flower-password"
FLOWER_USER = "operator"
# the tasks page shows what each job is (its arguments: job id, summary, tenant, request id)
# and why a failed one failed
FLOWER_TASK_COLUMNS = "name,uuid,state,args,kwargs,exception,received,runtime,worker"
# How long Flower waits for the workers' answers to its inspect commands (Flower's default:
# 1000 ms). For one worker's page it sends eight at once (stats ... active, reserved,
# revoked, scheduled, conf); the worker answers them one after another on its consumer's
# event loop, so when it is busy the later answers can come after 1 s: Flower drops them
# ("Inspect method active failed") and the page lacks the worker's task lists.
# A command addressed to one worker stops waiting at its answer; a refresh of every worker
# waits the whole timeout.
FLOWER_INSPECT_TIMEOUT_MS = 5000

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

# The threads of each worker group of the embedded default: the kinds a group's process
# consumes are those that declare it (`core.kinds`: search and recipe in `models`,
# training in `training`); `ops` takes the service queues (webhooks, maintenance). Search
# and recipe share one process: it holds the warm models, and the embedded index (Qdrant
# Edge) allows one process per folder. Training runs one job at a time on a one-thread pool
# (not solo): the worker's main thread stays free to answer Flower and send heartbeats.
GROUP_THREADS: dict[str, int] = {
    # more threads than one tenant's dispatch window: another tenant always finds one free
    "models": 48,
    "training": 1,
    "ops": 4,
}
SERVICE_GROUP = "ops"


def worker_profiles(kinds: Iterable[KindDeclaration] = DECLARED
                    ) -> dict[str, tuple[str, str, int]]:
    """Group name -> (queues, pool, threads): one worker process per group. KindError for a
    kind whose group has no threads here, or a group no kind declares."""
    queues: dict[str, list[str]] = {group: [] for group in GROUP_THREADS}
    for kind in kinds:
        if kind.worker_group not in queues:
            raise KindError(f"job kind {kind.name!r} runs in worker group "
                            f"{kind.worker_group!r}, which cli/stack.py GROUP_THREADS "
                            "does not size")
        queues[kind.worker_group].append(kind.queue)
    queues[SERVICE_GROUP].extend(SERVICE_QUEUES)
    idle = sorted(group for group, names in queues.items() if not names)
    if idle:
        raise KindError(f"worker groups {idle} consume no queue: no job kind declares them")
    return {group: (",".join(names), "threads", GROUP_THREADS[group])
            for group, names in queues.items()}


# name -> (queues, pool, concurrency): the embedded default's worker processes
PROFILES: dict[str, tuple[str, str, int]] = worker_profiles()
RESTARTS_PER_MINUTE = 5  # a child that exits more often than this stops the stack
Command = tuple[list[str], dict[str, str]]  # argv, and environment variables to add


def worker_argv(queues: str, pool: str, concurrency: int, name: str, beat: bool,
                loglevel: str = "INFO", log_format: str = "text") -> list[str]:
    """The worker's command line; with JSON logs, without Celery's start-up banner (it is
    not a log line)."""
    quiet = ["--quiet"] if log_format == "json" else []
    argv = [sys.executable, "-m", "celery", "-A", CELERY_APP, *quiet, "worker", "-Q", queues,
            "-P", pool, "-c", str(concurrency), "-n", f"{name}@%h", "--loglevel",
            loglevel.upper(), "-E"]
    if not beat:
        return argv
    Path("var").mkdir(exist_ok=True)  # beat's schedule file, beside the stack's other state
    return [*argv, "-B", "--schedule", str(Path("var") / "celerybeat-schedule")]


def uvicorn_argv(target: str, port: int, keep_alive_s: int, factory: bool = False) -> list[str]:
    """A uvicorn process serving `target` on 127.0.0.1 (the benches and the fault suite),
    quiet, keeping idle connections as `fragrance api` does (`api_keep_alive_s`)."""
    argv = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-access-log",
            "--timeout-keep-alive", str(keep_alive_s), "--http", HTTP_PROTOCOL,
            "--no-proxy-headers"]
    return [*argv, "--factory"] if factory else argv


@click.command(help="Run the API with uvicorn (one process).")
@click.option("--host", default=None)
@click.option("--port", default=None, type=PORT)
def api(host: str | None, port: int | None) -> None:
    limit_malloc_arenas(children=True)
    import uvicorn

    from api import http_protocol

    settings: Any = settings_or_exit()
    existing_store_url(str(settings.database_url))  # not an API answering 503 for good
    http_protocol.MAX_CONNECTIONS = int(settings.api_max_connections)
    http_protocol.REQUEST_READ_S = float(settings.api_request_read_s)
    proxies = str(settings.api_trusted_proxies).strip()
    # the API writes its own access log, with each request's duration (`api.access_log`)
    uvicorn.run("api.main:app", host=host or settings.api_host, port=port or settings.api_port,
                workers=1, log_level=str(settings.log_level).lower(), access_log=False,
                timeout_keep_alive=int(settings.api_keep_alive_s), http=HTTP_PROTOCOL,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


@click.command(help="Run a Celery worker for some queues.")
@click.option("--queues", "-Q", default=",".join(QUEUES), show_default=True,
              type=QueueNames(QUEUES))
@click.option("--pool", "-P", default="threads", show_default=True,
              type=click.Choice(["threads", "prefork", "solo"]))
@click.option("--concurrency", "-c", default=8, show_default=True, type=click.IntRange(min=1))
@click.option("--name", default="worker", show_default=True)
@click.option("--gpu", default=None, type=click.IntRange(min=0),
              help="pin to this GPU (CUDA_VISIBLE_DEVICES)")
@click.option("--beat", is_flag=True, help="also run the maintenance schedule")
@click.option("--metrics-port", default=None, type=PORT,
              help="serve this worker's Prometheus metrics on this port")
def worker(queues: str, pool: str, concurrency: int, name: str, gpu: int | None,
           beat: bool, metrics_port: int | None) -> None:
    limit_malloc_arenas(children=True)  # the celery process it execs too
    if gpu is not None:  # before anything touches CUDA: this process execs celery
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)
        os.environ["FRAGRANCE_DEVICE"] = "cuda"
        name = f"{name}-gpu{gpu}"
        refuse_an_absent_gpu(gpu)
    settings: Any = settings_or_exit()
    existing_store_url(str(settings.database_url))  # not a worker failing every job
    if metrics_port:
        os.environ["FRAGRANCE_WORKER_METRICS_PORT"] = str(metrics_port)
    if pool == "prefork" and not os.environ.get(MULTIPROC_DIR):
        os.environ[MULTIPROC_DIR] = multiprocess_metrics_dir(name)
    argv = worker_argv(queues, pool, concurrency, name, beat, str(settings.log_level),
                       str(settings.log_format))
    os.execv(argv[0], argv)


def refuse_an_absent_gpu(gpu: int) -> None:
    """A worker pinned to a GPU torch cannot see (no CUDA build, no driver, no such device)
    reported itself ready and failed every job it took off the shared queue ("Torch not
    compiled with CUDA enabled"): it is a usage error instead. Asking torch touches CUDA
    in this process only: it execs the worker, which starts afresh."""
    import torch

    if torch.cuda.is_available():
        return
    why = (f"this torch ({torch.__version__}) is built without CUDA" if torch.version.cuda
           is None else f"no CUDA device {gpu} is visible (check the driver and the index)")
    raise click.BadParameter(f"cannot pin the worker to GPU {gpu}: {why}; without --gpu it "
                             "runs on the CPU", param_hint="'--gpu'")


def multiprocess_metrics_dir(name: str) -> str:
    """An empty folder for the metrics of a forking pool's processes (this process execs
    the worker, so its pid names the folder of this run)."""
    path = Path(tempfile.gettempdir()) / f"fragrance-metrics-{name}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return str(path)


@click.command(help="Run Flower, the Celery dashboard, behind a login (its /metrics too): "
               "FLOWER_BASIC_AUTH (user:password) if set, else the operator password saved "
               "in var/flower-password (made on first use).")
@click.option("--port", default=None, type=PORT)
@click.option("--address", default="127.0.0.1", show_default=True,
              help="where to listen (0.0.0.0 in a container: every page needs the login)")
def flower(port: int | None, address: str) -> None:
    settings: Any = settings_or_exit()
    if not os.environ.get("FLOWER_BASIC_AUTH"):  # never on the command line: `ps` shows it
        os.environ["FLOWER_BASIC_AUTH"] = f"{FLOWER_USER}:{flower_password()}"
    os.environ.setdefault("FLOWER_TASKS_COLUMNS", FLOWER_TASK_COLUMNS)
    if os.environ.pop(SUPERVISED_ENV, None):
        # under `fragrance run`, a Ctrl-C in the terminal reaches Flower too, and Flower
        # half-stops on it (waiting on its event thread) until the supervisor's SIGTERM:
        # it stops on that SIGTERM alone
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    import flower.command
    from celery.bin.celery import main as celery_main

    # Flower's SIGTERM handler raises SystemExit on every SIGTERM: a second one (a kill of
    # the whole process group, then the supervisor's) interrupts its shutdown with a
    # traceback. Stop on the first, ignore the rest.
    flower.command.sigterm_handler = _stop_once
    flower.command.setup_logging = _flower_logs_like_the_stack(
        flower.command.setup_logging, str(settings.log_format), str(settings.broker_url))
    metrics_behind_login()
    sys.argv = flower_argv(port or settings.flower_port, address)
    celery_main()


def _flower_logs_like_the_stack(setup: Callable[[], None], log_format: str,
                                broker_url: str) -> Callable[[], None]:
    """Flower's logging set up as its own, then written in the stack's format
    (`config.log_format`: `[time: LEVEL/flower] …`, or JSON), not tornado's `[I 261130 …]`."""
    def set_up() -> None:
        setup()
        configure_logging(log_format, label="flower")
        inspector = logging.getLogger("flower.inspector")
        if not any(isinstance(f, NoWorkerUpYet) for f in inspector.filters):
            inspector.addFilter(NoWorkerUpYet(lambda: any_worker_beats(broker_url)))

    return set_up


class NoWorkerUpYet(logging.Filter):
    """Flower inspects the workers as it starts; under `fragrance run` they are starting
    too (the inspection's broadcast goes out before they listen), and it warned "Inspect
    method registered failed" (and `stats`, `conf`, `active_queues`) at every start:
    nothing had failed. An inspection no worker answered during Flower's start-up
    (`startup_s`), or while no worker beats (`core.heartbeats`), is one INFO line; later,
    with workers up, it keeps its warning."""

    NO_ANSWER = "Inspect method %s failed"

    def __init__(self, any_worker_up: Callable[[], bool],
                 startup_s: float = FLOWER_INSPECT_TIMEOUT_MS / 1000 + 5) -> None:
        super().__init__()
        self._any_worker_up, self._said = any_worker_up, False
        self._startup_until = time.time() + startup_s

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != self.NO_ANSWER:
            return True
        if record.created > self._startup_until and self._any_worker_up():
            return True
        if self._said:
            return False
        self._said = True
        record.msg, record.args = ("no worker answered Flower yet (they are starting): it "
                                   "shows each one as it comes up"), ()
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def any_worker_beats(broker_url: str) -> bool:
    """Whether a worker beat recently (True when Redis cannot say: the warning stays)."""
    from core.heartbeats import alive, read_beats

    try:
        client = redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)
        with contextlib.closing(client):
            return bool(alive(read_beats(client), time.time()))
    except redis.RedisError:
        return True


def flower_argv(port: int, address: str = "127.0.0.1") -> list[str]:
    """Flower's command line (the login comes from the environment: `ps` shows this)."""
    return ["celery", "-A", CELERY_APP, "flower", f"--port={port}", f"--address={address}",
            f"--inspect_timeout={FLOWER_INSPECT_TIMEOUT_MS}"]


def metrics_behind_login() -> None:
    """Put Flower's /metrics behind the login every other page of it needs: its handler
    skips the check, and served task names, states and worker names to anyone."""
    from flower.views.monitor import Metrics
    from tornado.web import authenticated

    if not getattr(Metrics.get, "behind_login", False):
        guarded: Any = authenticated(Metrics.get)
        guarded.behind_login = True
        Metrics.get = guarded


def _stop_once(signum: int, _: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("flower.command").info("%s detected, shutting down", signum)
    sys.exit(0)


def flower_password() -> str:
    """The operator's Flower password: made once, kept in var/flower-password (0600)."""
    if FLOWER_PASSWORD_FILE.exists():
        return FLOWER_PASSWORD_FILE.read_text().strip()
    private_state_folder()
    password = secrets.token_urlsafe(18)
    FLOWER_PASSWORD_FILE.touch(mode=0o600)
    FLOWER_PASSWORD_FILE.write_text(password + "\n")
    return password


def ensure_redis(broker_url: str) -> subprocess.Popen[bytes] | None:
    """Start a local redis-server when none answers at `broker_url`."""
    client = redis.Redis.from_url(broker_url, socket_connect_timeout=1)
    try:
        client.ping()
        return None
    except redis.ConnectionError:
        pass
    binary = shutil.which("redis-server")
    if binary is None:
        raise click.ClickException(f"no Redis answers at {broker_url} and redis-server is not "
                                   "installed (apt-get install redis-server)")
    port = str(client.connection_pool.connection_kwargs.get("port", 6379))
    Path("var").mkdir(exist_ok=True)
    process = subprocess.Popen([binary, "--port", port, "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "yes", "--dir", "var"])
    _wait(lambda: client.ping(), "redis")
    return process


def _wait(probe: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise click.ClickException(f"{what} did not come up in {timeout:.0f} s") from None
            time.sleep(0.2)


def development_key(settings: Any) -> str:
    from sqlalchemy.exc import IntegrityError

    from core.database import make_engine, make_session_factory
    from core.keys import KeyRing

    ring = KeyRing(make_session_factory(make_engine(settings.database_url)))
    kept = DEV_KEY_FILE.read_text().strip() if DEV_KEY_FILE.exists() else None
    if kept and ring.authenticate(kept) is not None:
        return kept
    # none yet; or the job store was reset (var/fragrance.db removed) and the banner printed
    # a key every request answered 401 to: the same key again; or it was revoked: a new one
    scopes = ["search", "generate", "training", "admin"]
    try:
        issued = ring.issue("development", scopes, tenant_id="dev",
                            api_key=kept or settings.dev_api_key or None)
    except IntegrityError:  # revoked: the store still holds it
        issued = ring.issue("development", scopes, tenant_id="dev")
    private_state_folder()
    for path, secret in ((DEV_WEBHOOK_SECRET_FILE, issued.webhook_secret),
                         (DEV_KEY_FILE, issued.api_key)):
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.write(secret + "\n")
    return issued.api_key


def private_state_folder() -> Path:
    """`var/`, readable by its owner only: it holds the embedded job store (tenants' inputs
    and results, webhook secrets), the dev key and the Flower password."""
    STATE_DIR.mkdir(mode=0o700, exist_ok=True)
    STATE_DIR.chmod(0o700)
    return STATE_DIR


@click.command(help="Set up and run the whole stack on its embedded defaults.")
@click.option("--no-flower", is_flag=True)
def run(no_flower: bool) -> None:
    limit_malloc_arenas(children=True)  # every process of the stack too
    settings: Any = settings_or_exit()
    # what the stack writes (the job store, its index, models) is its owner's only
    os.umask(0o077)
    private_state_folder()  # before the job store and the secrets are written into it
    configure_logging(str(settings.log_format), label="run")
    children: list[subprocess.Popen[bytes]] = []
    redis_process = ensure_redis(settings.broker_url)
    if redis_process:
        children.append(redis_process)
    upgrade_database(settings.database_url)
    build_index_apart(children)
    api_key = development_key(settings)
    ports = metrics_ports(settings)
    commands: dict[str, Command] = {
        f"worker {name}": (worker_argv(queues, pool, concurrency, name, beat=name == "ops",
                                       loglevel=str(settings.log_level),
                                       log_format=str(settings.log_format)),
                           {"FRAGRANCE_WORKER_METRICS_PORT": str(ports[name]), SUPERVISED_ENV: "1"})
        for name, (queues, pool, concurrency) in PROFILES.items()}
    commands["api"] = ([sys.executable, "-m", "cli.main", "api"], {})
    if not no_flower:
        flower_password()  # made before the announcement prints it
        commands["flower"] = ([sys.executable, "-m", "cli.main", "flower"],
                              {SUPERVISED_ENV: "1"})
    _announce(settings, api_key, not no_flower, ports)
    _supervise(children, commands)


def build_index_apart(children: list[subprocess.Popen[bytes]]) -> None:
    """`fragrance index build` in a process of its own: built here, the embedding model,
    torch and the index stayed in the supervisor's memory for as long as the stack ran
    (~900 MB for a process that only watches the others). Exits as it failed."""
    built = subprocess.run([sys.executable, "-m", "cli.main", "index", "build"], check=False)
    if built.returncode:
        for child in children:
            child.terminate()
        raise SystemExit(built.returncode)


def metrics_ports(settings: Any) -> dict[str, int]:
    """The metrics port of each worker profile: consecutive from `run_metrics_base_port`."""
    base = int(settings.run_metrics_base_port)
    return {name: base + index for index, name in enumerate(PROFILES)}


def _announce(settings: Any, api_key: str, with_flower: bool, ports: dict[str, int]) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    host = settings.worker_metrics_host
    click.echo("\n" + "=" * 72)
    click.echo(f"API        {base}   (docs: {base}/docs)")
    if with_flower:
        click.echo(f"Flower     http://127.0.0.1:{settings.flower_port}   user {FLOWER_USER}, "
                   f"password {flower_password()}   (saved in {FLOWER_PASSWORD_FILE})")
    click.echo(f"Metrics    {base}/metrics    readiness: {base}/readyz")
    for name, port in ports.items():
        click.echo(f"           worker {name}: http://{host}:{port}/metrics")
    click.echo(f"API key    {api_key}   (saved in {DEV_KEY_FILE})")
    if DEV_WEBHOOK_SECRET_FILE.exists():
        click.echo(f"Webhooks   of this key are signed with the secret in "
                   f"{DEV_WEBHOOK_SECRET_FILE} (Standard Webhooks; client.verify_webhook)")
    click.echo(f"Try:       curl -s -X POST {base}/api/v1/search/semantic "
               f"-H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/json' "
               "-H 'Prefer: wait=10' -d '{\"query\": \"상큼하고 로맨틱한 봄 향수\"}'")
    click.echo("=" * 72 + "\n", nl=True)


def _start(command: Command) -> subprocess.Popen[bytes]:
    argv, env = command
    return subprocess.Popen(argv, env={**os.environ, **env})


def _supervise(services: list[subprocess.Popen[bytes]],
               commands: dict[str, Command]) -> None:
    """Run `commands` (argv, extra environment), restarting one that exits (a worker leaves
    after a job overran its hard time limit); stop everything on Ctrl-C, or when a command
    keeps exiting."""
    names = list(commands)
    running = [_start(commands[name]) for name in names]
    exits: list[float] = []

    def stop(*_: Any) -> None:
        for child in [*reversed(running), *reversed(services)]:
            child.terminate()
        for child in [*running, *services]:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(service.poll() is None for service in services):
        time.sleep(1)
        for index, child in enumerate(running):
            if child.poll() is None:
                continue
            exits[:] = [t for t in exits if time.monotonic() - t < 60] + [time.monotonic()]
            if len(exits) > RESTARTS_PER_MINUTE:
                log.error("processes of the stack keep exiting; stopping the rest")
                stop()
            log.warning("%s exited (%s); restarting it", names[index], child.returncode)
            running[index] = _start(commands[names[index]])
    log.error("a service of the stack (Redis) exited; stopping the rest")
    stop()


COMMANDS = (api, worker, flower, run)
