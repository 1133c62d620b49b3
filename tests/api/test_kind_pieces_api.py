"""A declared job kind is complete or the API is not created: `create_app` refuses a kind
whose settings, route (one taking its request schema) or typed result (in
`api.results.AnyJob`, which `GET /jobs` answers with) are missing, naming the kind and the
piece."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from api.app import create_app
from api.kinds import check_api_pieces
from config import load_settings
from core.kinds import DECLARED, KindError
from tests.workers.test_kind_pieces import DEMO

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def api_app() -> Any:
    return create_app(load_settings("testing"))


@pytest.mark.parametrize(("change", "message"), [
    ({"request_type": "api.schemas:JobOut"}, "no route takes its request schema "
                                             "api.schemas:JobOut"),
    ({"request_type": "api.schemas:Missing"}, "its request schema api.schemas:Missing is not "
                                              "a pydantic model"),
    ({"result_type": "api.results:SearchJob"}, "its result type api.results:SearchJob needs "
                                               "a field `kind: Literal\\['demo'\\]`"),
    ({"result_type": "api.results:JobFields"}, "its result type api.results:JobFields needs "
                                               "a field `kind"),
    ({"result_type": "tests.workers.demo_kind:DemoJob"},
     "its result type tests.workers.demo_kind:DemoJob is missing from api.results.AnyJob"),
])
def test_the_api_refuses_a_kind_without_its_route_or_result_type(
        api_app: Any, change: dict[str, str], message: str) -> None:
    check_api_pieces(api_app, DECLARED)
    with pytest.raises(KindError, match=f"job kind 'demo': {message}"):
        check_api_pieces(api_app, [replace(DEMO, **change)])


def test_the_api_refuses_a_kind_whose_settings_are_missing() -> None:
    with pytest.raises(KindError, match="search_time_limit_s must be a positive"):
        create_app(load_settings("testing", search_time_limit_s=0))
