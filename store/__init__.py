"""Persistence: SQLAlchemy models, repositories, the unit of work, migrations and the outbox."""
