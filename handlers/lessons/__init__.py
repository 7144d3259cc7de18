"""Lessons: the learning register, triage, the committee decision and tier-5 escalation."""
