"""`make bench`: throughput and latency suites, each against a baseline measured in the same
run (the README's "Measured" section). Run with `fragrance bench [SUITES...]`; see `bench.run`."""
