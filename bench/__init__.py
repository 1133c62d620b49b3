"""`make bench`: throughput and latency suites, each against a baseline measured in the same
run (DESIGN.md section 7). Run with `fragrance bench [SUITES...]`; see `bench.run`."""
