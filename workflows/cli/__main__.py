"""`python -m workflows.cli` runs the command line, as the `spr` script does."""

from workflows.cli import main

main()
