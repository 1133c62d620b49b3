"""The Prometheus files of deploy/: the alert rules pass `promtool check rules` and their own
unit tests (`promtool test rules`: each alert fires on the series it is about, and not
before its `for`), and the scrape config that loads them passes `promtool check config`.
promtool comes from Debian's `prometheus` package, installed when missing."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import ROOT, run
from tests.tools import ensure_tool

pytestmark = pytest.mark.integration
PROMETHEUS = ROOT / "deploy" / "prometheus"


@pytest.fixture(scope="module")
def promtool() -> str:
    return ensure_tool("promtool", "promtool")


def test_the_alert_rules_pass_promtool_check_rules(promtool: str) -> None:
    checked = run([promtool, "check", "rules", str(PROMETHEUS / "alerts.yml")])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_each_alert_fires_on_its_condition_in_the_rule_unit_tests(promtool: str) -> None:
    tested = run([promtool, "test", "rules", "alerts_test.yml"], cwd=PROMETHEUS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scrape_config_loads_the_rules(promtool: str) -> None:
    checked = run([promtool, "check", "config", str(PROMETHEUS / "prometheus.yml")])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 rule files found" in checked.stdout


def test_every_alert_the_operators_need_is_there() -> None:
    import yaml

    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert {"FragranceQueueBackingUp", "FragranceOldestJobTooOld", "FragranceNoWorkerForQueue",
            "FragranceJobFailureRate", "FragranceWebhookDeadLetters",
            "FragranceCircuitBreakerOpen", "FragranceNotReady"} <= names
    tested = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())
    covered = {case["alertname"] for test in tested["tests"]
               for case in test["alert_rule_test"]}
    assert {"FragranceQueueBackingUp", "FragranceOldestJobTooOld", "FragranceNoWorkerForQueue",
            "FragranceJobFailureRate", "FragranceWebhookDeadLetters",
            "FragranceCircuitBreakerOpen", "FragranceNotReady"} <= covered
