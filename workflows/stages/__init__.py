"""What each stage does, as plain functions over the store: the Prefect flows call these, tests call them too."""
