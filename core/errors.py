"""Domain errors the edges translate (HTTP problems, task retries)."""

from __future__ import annotations


class StoreUnavailable(RuntimeError):
    """The job store could not be reached; the caller should retry later."""


class BrokerUnavailable(RuntimeError):
    """The broker (Redis) could not be reached; the caller should retry later."""


class StoreRejected(ValueError):
    """The job store refused a value (e.g. text it cannot hold); retrying will not help."""


class QuotaExceeded(RuntimeError):
    """The tenant already has as many open (queued or running) jobs of this kind as its cap
    allows; retry when some have finished."""

    def __init__(self, kind: str, cap: int) -> None:
        super().__init__(f"this tenant already has {cap} open {kind} jobs, its limit; "
                         "submit more when some have finished")
        self.kind, self.cap = kind, cap


class JobNotFound(LookupError):
    """No such job for this tenant (another tenant's job is 'not found' too)."""


class BatchNotFound(JobNotFound):
    """No such batch for this tenant."""


class DeliveryNotFound(JobNotFound):
    """No such webhook message of this tenant's job (or batch: `owner`)."""

    def __init__(self, delivery_id: str, owner: str = "job") -> None:
        super().__init__(delivery_id)
        self.owner = owner


class DeliveryInFlight(RuntimeError):
    """A webhook message is being sent now: sending it again as well would make two
    attempt chains of one message."""

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"webhook message {delivery_id} is being sent now; redeliver it "
                         "once this attempt has ended (its history says when)")


class TransitionRefused(RuntimeError):
    """The job is not in a state that allows the requested change."""

    def __init__(self, job_id: str, status: str, action: str) -> None:
        super().__init__(f"job {job_id} is {status}; cannot {action}")
        self.job_id, self.status, self.action = job_id, status, action


class IdempotencyConflict(RuntimeError):
    """The same Idempotency-Key was used with a different request body."""


class JobCanceled(Exception):
    """Raised at a pipeline checkpoint when cancel was requested for the running job."""


class KeyNotFound(LookupError):
    """No such API key (or not one of the caller's tenant)."""


class ModelVersionNotFound(LookupError):
    """No model version with this id."""


class VersionStateRefused(RuntimeError):
    """The model version is not in a state that allows the requested change."""

    def __init__(self, version_id: str, state: str, action: str) -> None:
        super().__init__(f"model version {version_id} is {state}; cannot {action}")
        self.version_id, self.state, self.action = version_id, state, action
