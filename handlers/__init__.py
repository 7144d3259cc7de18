"""The core: one module per capability, plain functions over the domain, no platform imports."""
