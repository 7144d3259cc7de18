"""The weekly committee digest: what it reports (data), how it reads (views), when it goes."""

from __future__ import annotations
