"""Adapters and entry points: translate platform input to commands and replies back out."""
