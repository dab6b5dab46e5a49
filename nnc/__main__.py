"""`python -m nnc` runs the CLI."""

from nnc.cli import main

main()
