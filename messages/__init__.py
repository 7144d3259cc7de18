"""The neutral view model and its renderers (text today; Block Kit and Adaptive Cards later)."""
