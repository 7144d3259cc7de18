"""Critical alerts: compose, approve (four-eyes), broadcast, acknowledge, re-notify, escalate."""
