"""Bright and Big Ideas: submission, screening, decisions, support and withdrawal."""
