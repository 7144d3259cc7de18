"""Lessons: the learning register, triage and the committee decision."""
