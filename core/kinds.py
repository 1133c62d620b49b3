"""Job kinds, each declared once.

A kind is something a client submits and a worker runs: a search, a recipe, a training
run. `KINDS` declares each one; what depends on the set of kinds derives from it: the task
names and queues every producer publishes to (`core.states`, `core.dispatch`), the Celery
routes, task modules and time limits (`workers.app`), the queues `/readyz` and `/metrics`
watch (`api.readiness`, through `core.states.QUEUES`), the dispatch policy's defaults, the
scopes an API key may carry (`core.keys`), the settings each kind must have (checked by
`check_settings` when an app is created), the dev stack's worker processes (`cli.stack`),
and the test that docker-compose.yml and the Kubernetes manifests run every queue.

The pieces of a kind above `core` (its request schema and result type in `api`, its task
module in `tasks`, its runtime in `workers`) are named here by dotted path and never
imported: `core` imports nothing of ours. The layer that owns a piece resolves its name
when its app is created (`api.app.create_app`, `workers.app.create_celery`), so a kind
that lacks one stops that app at once with a `KindError` naming the kind and the piece,
instead of failing at the first job or at a worker's start-up.

Adding a kind (docs/adding-a-kind.md): its declaration here, its settings in
config/settings.toml, its request schema and route in api/, its task module in tasks/, its
runtime in workers/.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol


class KindError(ValueError):
    """A declared job kind lacks a piece (a setting, a task, a runtime, a type), or a
    setting names a kind that is not declared; the message names both."""


class JobKind(StrEnum):
    """The kinds clients submit, as a type routes and the API's filters use. Each member
    has its declaration in `KINDS` (checked when this module is imported)."""

    SEARCH = "search"
    RECIPE = "recipe"
    TRAINING = "training"


@dataclass(frozen=True)
class KindDeclaration:
    """One kind of job: how it is published, who may submit it, where its pieces are, and
    how much of it one tenant may have in flight.

    `worker_group` is the worker process that consumes the kind's queue in the dev stack
    (`fragrance run`) and in docker-compose.yml: kinds of one group share a process (and
    its warm models). `dispatch_window` and `max_open_jobs` are the defaults of the
    `dispatch_windows` and `max_open_jobs` settings (see `core.dispatch`): the jobs one
    tenant may have in flight, and open, of this kind. Its time limits are the settings
    `<name>_soft_time_limit_s` and `<name>_time_limit_s`. `light_tenants_first`: a short
    kind, where a tenant's single job is worth pausing another tenant's flood of batches
    for (`core.batching.PriorityGate`); not for hours-long runs. `message_group`: the most
    jobs of one tenant one broker message may carry (`core.dispatch.messages_for`): a
    worker runs them together, so Celery's cost is paid once a group, not once a job.
    `lone_dispatch_window` (default: the dispatch window) is the default of the
    `lone_dispatch_windows` setting: the window of a tenant that alone has work of the kind
    (no other tenant's job queued or running), so its groups overlap instead of the
    worker idling between one group's finish and the next group's publish.
    """

    name: str
    task: str
    queue: str
    scope: str
    request_type: str
    result_type: str
    task_module: str
    runtime: str
    worker_group: str
    dispatch_window: int
    max_open_jobs: int
    light_tenants_first: bool = False
    message_group: int = 1
    lone_dispatch_window: int | None = None

    @property
    def time_limit_setting(self) -> str:
        return f"{self.name}_time_limit_s"

    @property
    def soft_time_limit_setting(self) -> str:
        return f"{self.name}_soft_time_limit_s"

    def time_limits(self, settings: SettingsLookup) -> tuple[int, int]:
        """(soft, hard) seconds a job of this kind may run, from its two settings
        (KindError when one is missing or not a positive whole number)."""
        return (_time_limit(settings, self, self.soft_time_limit_setting),
                _time_limit(settings, self, self.time_limit_setting))


# Dispatch windows (measured on 2 cores with `fragrance bench fairness`, `search`,
# `recipe`): search 8 instead of 32 halves another tenant's wait during a flood (p50 6.3x
# -> 3.5x its idle latency) at no measurable cost to one tenant's throughput; recipe 2
# instead of 8 costs a third of it (0.71x -> 0.53x). Keep each window below the threads of
# the worker group that consumes the kind (`cli.stack.GROUP_THREADS`): another tenant's
# job then always finds a free thread. A tenant alone with a kind may have 64 in flight
# (eight group messages): 2026-12-02, one sitting, 64 against 32: the no-op drain 376 against
# 251 jobs/s, search at saturation 0.66x against 0.50x of in process, recipes 0.56x against
# 0.45x, a batch of 1,000 briefs 1.29x against 1.47x of in process.
DECLARED: tuple[KindDeclaration, ...] = (
    KindDeclaration(
        name="search", task="search.run", queue="search", scope="search",
        request_type="api.schemas:SearchIn", result_type="api.results:SearchJob",
        task_module="tasks.search", runtime="workers.search_runtime:SearchRuntime",
        worker_group="models", dispatch_window=8, max_open_jobs=20000,
        light_tenants_first=True, message_group=8, lone_dispatch_window=64),
    KindDeclaration(
        name="recipe", task="recipe.generate", queue="recipe", scope="generate",
        request_type="api.schemas:RecipeIn", result_type="api.results:RecipeJob",
        task_module="tasks.recipe", runtime="workers.recipe_runtime:RecipeRuntime",
        worker_group="models", dispatch_window=8, max_open_jobs=5000,
        light_tenants_first=True, message_group=8, lone_dispatch_window=64),
    KindDeclaration(
        name="training", task="training.run", queue="training", scope="training",
        request_type="api.schemas:TrainingIn", result_type="api.results:TrainingJob",
        task_module="tasks.training", runtime="workers.training:TrainingRuns",
        worker_group="training", dispatch_window=1, max_open_jobs=2),
)


def declared_by_name(declarations: Iterable[KindDeclaration]) -> Mapping[str, KindDeclaration]:
    """The declarations by name; KindError for a name, task or queue declared twice."""
    by_name: dict[str, KindDeclaration] = {}
    for kind in declarations:
        for field in ("name", "task", "queue"):
            taken = [other.name for other in by_name.values()
                     if getattr(other, field) == getattr(kind, field)]
            if taken:
                raise KindError(f"job kind {kind.name!r} declares the {field} "
                                f"{getattr(kind, field)!r} of kind {taken[0]!r}")
        by_name[kind.name] = kind
    return MappingProxyType(by_name)


KINDS: Mapping[str, KindDeclaration] = declared_by_name(DECLARED)


def _check_enum_matches_declarations() -> None:
    members, declared = {str(kind) for kind in JobKind}, set(KINDS)
    if members - declared:
        raise KindError(f"JobKind {sorted(members - declared)} has no declaration in "
                        "core/kinds.py DECLARED")
    if declared - members:
        raise KindError(f"declared job kinds {sorted(declared - members)} are missing from "
                        "core.kinds.JobKind")


_check_enum_matches_declarations()


def dotted(name: str) -> tuple[str, str]:
    """A declaration's `module:attribute` name as (module, attribute)."""
    module, _, attribute = name.partition(":")
    return module, attribute


# ---- settings ----------------------------------------------------------------------------
class SettingsLookup(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...


def check_settings(settings: SettingsLookup,
                   kinds: Iterable[KindDeclaration] = DECLARED) -> None:
    """Check the settings every kind needs, before an app is built on them: both time
    limits (positive integers, the soft one below the hard one), a visibility timeout
    longer than the longest hard limit (a shorter one redelivers running jobs), and
    `dispatch_windows`, `lone_dispatch_windows` and `max_open_jobs` naming declared kinds
    only. KindError names the
    kind and the setting."""
    kinds = tuple(kinds)
    for kind in kinds:
        soft, hard = kind.time_limits(settings)
        if soft >= hard:
            raise KindError(f"{kind.soft_time_limit_setting} ({soft}) must be below "
                            f"{kind.time_limit_setting} ({hard})")
    longest = max((int(settings.get(k.time_limit_setting)) for k in kinds), default=0)
    visibility = settings.get("visibility_timeout_s")
    if not isinstance(visibility, int) or visibility <= longest:
        raise KindError(f"visibility_timeout_s ({visibility}) must exceed the longest hard "
                        f"time limit ({longest}); a shorter one redelivers running jobs")
    names = sorted(kind.name for kind in kinds)
    for setting in ("dispatch_windows", "lone_dispatch_windows", "max_open_jobs"):
        # an environment variable (FRAGRANCE_DISPATCH_WINDOWS__SEARCH) names it in capitals
        unknown = sorted({str(name).lower() for name in settings.get(setting) or {}}
                         - set(names))
        if unknown:
            raise KindError(f"{setting} names {unknown}, which are not job kinds; the kinds "
                            f"are {names}")


def _time_limit(settings: SettingsLookup, kind: KindDeclaration, name: str) -> int:
    value = settings.get(name)
    if value is None:
        raise KindError(f"job kind {kind.name!r} has no setting {name}: add it to "
                        "config/settings.toml (seconds)")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise KindError(f"{name} must be a positive whole number of seconds, got {value!r}")
    return value

