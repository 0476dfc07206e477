"""Prefect flows for each stage of a round, the round driver, and the `spr` command line."""
