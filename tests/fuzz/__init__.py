"""A random-program fuzzer for ad_compiler: `python -m tests.fuzz --help` (docs/fuzzing.md)."""
