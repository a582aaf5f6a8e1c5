"""One screen per module: setup (home), live run, history, compare."""
