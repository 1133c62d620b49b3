"""The API's pieces of each declared job kind (`core.kinds`): a route that takes its
request schema, and the typed job (`api.results`) that documents its results.

Checked when the app is created, so a kind declared without them stops the API at once
with a `KindError` naming the kind and the piece, instead of answering 500 for its jobs
(`GET /jobs` validates every job against `api.results.AnyJob`)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.results import AnyJob
from core.kinds import KindDeclaration, KindError, dotted


def check_api_pieces(app: FastAPI, kinds: Iterable[KindDeclaration]) -> None:
    bodies = {route.body_field.field_info.annotation for route in app.routes
              if isinstance(route, APIRoute) and route.body_field is not None}
    typed_jobs = get_args(get_args(AnyJob)[0])
    for kind in kinds:
        request = _model(kind, kind.request_type, "request schema")
        if request not in bodies:
            raise KindError(f"job kind {kind.name!r}: no route takes its request schema "
                            f"{kind.request_type}")
        result = _model(kind, kind.result_type, "result type")
        field = result.model_fields.get("kind")
        if field is None or get_args(field.annotation) != (kind.name,):
            raise KindError(f"job kind {kind.name!r}: its result type {kind.result_type} "
                            f"needs a field `kind: Literal[{kind.name!r}]`")
        if result not in typed_jobs:
            raise KindError(f"job kind {kind.name!r}: its result type {kind.result_type} is "
                            "missing from api.results.AnyJob")


def _model(kind: KindDeclaration, name: str, piece: str) -> type[BaseModel]:
    module_name, attribute = dotted(name)
    found: Any = getattr(importlib.import_module(module_name), attribute, None)
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise KindError(f"job kind {kind.name!r}: its {piece} {name} is not a pydantic "
                        "model")
    return found
