"""IR-to-IR passes, one per module. Each `run(fn) -> fn` rewrites in place and returns fn."""
