"""The `darkroom` command: server commands and client commands."""
