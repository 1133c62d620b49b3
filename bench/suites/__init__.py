"""One module per suite; each exposes `run(env) -> SuiteResult`."""
