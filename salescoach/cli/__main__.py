"""`python -m salescoach.cli`: the `salescoach` command, for when its script is not on PATH."""

from salescoach.cli import main

main()
