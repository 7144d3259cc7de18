"""Actions: owned, dated, verified changes, with extensions and re-audits."""
