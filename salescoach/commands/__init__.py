"""The `salescoach` subcommands, one module per concept of the cycle."""
