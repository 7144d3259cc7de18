"""Repositories: every query lives here, so handlers never write SQL."""
