"""The local console: QI Hub with no credentials, on SQLite, in a terminal or a pipe."""
