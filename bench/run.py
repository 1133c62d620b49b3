"""`fragrance bench [SUITES...]`: run suites, print a table each, write var/bench/<suite>.json.

Default suites: submit, search, ceiling, recipe, webhooks, sse, fairness. `scale` and `gpu` run
only when named."""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback

from bench.processes import install_signal_handlers, stop_all
from bench.report import render, write

DEFAULT = ("submit", "search", "ceiling", "recipe", "webhooks", "sse", "fairness")
OPT_IN = ("scale", "gpu")


def main(names: list[str], as_json: bool = False) -> int:
    """Run the named suites (all defaults when none). 0 when every suite ran, 1 when one
    failed to run, 2 on an unknown name. Targets missed do not fail: they are reported.
    `as_json`: each suite's result as one JSON line on stdout, the tables on stderr."""
    chosen = names or list(DEFAULT)
    unknown = [name for name in chosen if name not in DEFAULT + OPT_IN]
    if unknown:
        print(f"unknown suite(s) {unknown}; choose from {list(DEFAULT + OPT_IN)}",
              file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    install_signal_handlers()
    tables = sys.stderr if as_json else sys.stdout
    failed = []
    try:
        for name in chosen:
            print(f"-- running bench {name} ...", flush=True, file=tables)
            try:
                suite = importlib.import_module(f"bench.suites.{name}")
                result = suite.run()
            except KeyboardInterrupt:
                raise
            except Exception:
                traceback.print_exc()
                failed.append(name)
                continue
            print(render(result), flush=True, file=tables)
            print(f"  (written to {write(result)})\n", flush=True, file=tables)
            if as_json:
                print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
    except KeyboardInterrupt:
        print("interrupted; stopping the bench processes", file=sys.stderr)
        return 130
    finally:
        stop_all()
    if failed:
        print(f"suites that did not run to the end: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
