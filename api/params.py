"""Path, header and query parameters shared by routes, checked before anything reads them.

Ids in paths are UUIDs (deliveries: `msg_` + hex), in either case (hex digits are stored
in lower case, as `uuid` writes them); anything else cannot name a stored row and answers
404 like an unknown id, without reaching the store (after authentication: a caller without
a key learns nothing about ids). Header values that end up
stored or compared (`Idempotency-Key`) are visible ASCII; `Last-Event-ID` is a plain decimal
event number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Path

from api.deps import PrincipalDep
from core.errors import (
    BatchNotFound,
    DeliveryNotFound,
    JobNotFound,
    KeyNotFound,
    ModelVersionNotFound,
)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MESSAGE_ID = re.compile(r"msg_[0-9a-f]{32}")
_KEY_ID = re.compile(r"[0-9a-f]{32}")
MAX_EVENT_SEQ = 2**31 - 1


def _known_shape(value: str, shape: re.Pattern[str],
                 missing: Callable[[str], LookupError] = JobNotFound) -> str:
    """The id as stored (hex digits in lower case), or `missing` for what cannot be one."""
    stored = value.lower()
    if not shape.fullmatch(stored):
        raise missing(value)  # shown escaped and cut by the answer (api.problems)
    return stored


def _job_id(job_id: Annotated[str, Path(description="a job id (UUID)")],
            _: PrincipalDep) -> str:
    return _known_shape(job_id, _UUID)


def _batch_id(batch_id: Annotated[str, Path(description="a batch id (UUID)")],
              _: PrincipalDep) -> str:
    return _known_shape(batch_id, _UUID, BatchNotFound)


def _version_id(version_id: Annotated[str, Path(description="a model version id")],
                _: PrincipalDep) -> str:
    return _known_shape(version_id, _UUID, ModelVersionNotFound)


def _delivery_id(delivery_id: Annotated[str, Path(description="a webhook message id")],
                 _: PrincipalDep) -> str:
    return _known_shape(delivery_id, _MESSAGE_ID, DeliveryNotFound)


def _batch_delivery_id(delivery_id: Annotated[str, Path(description="a webhook message id")],
                       _: PrincipalDep) -> str:
    """As `_delivery_id`, on a batch's routes ("of this batch", not "of this job")."""
    return _known_shape(delivery_id, _MESSAGE_ID,
                        lambda value: DeliveryNotFound(value, owner="batch"))


def _key_id(key_id: Annotated[str, Path(description="an API key id")],
            _: PrincipalDep) -> str:
    return _known_shape(key_id, _KEY_ID, KeyNotFound)


JobId = Annotated[str, Depends(_job_id)]
KeyId = Annotated[str, Depends(_key_id)]
BatchId = Annotated[str, Depends(_batch_id)]
VersionId = Annotated[str, Depends(_version_id)]
DeliveryId = Annotated[str, Depends(_delivery_id)]
BatchDeliveryId = Annotated[str, Depends(_batch_delivery_id)]

IdempotencyKey = Annotated[str | None, Header(
    min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="makes a submit safe to retry: visible ASCII, at most 200 characters")]
LastEventId = Annotated[str | None, Header(
    pattern=r"^[0-9]{0,10}$",
    description="resume an event stream after this event number")]
PreferWait = Annotated[str | None, Header(
    description="`wait=N` (N <= 60 s): answer 200 with the finished job if it finishes "
                "within N seconds, else 202 as usual (RFC 7240)",
    examples=["wait=10"])]
