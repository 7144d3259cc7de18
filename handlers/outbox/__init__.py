"""The outbox: messages handlers decide to send, committed as rows with the change that caused
them (`enqueue`), and sent later by a separate worker, paced, retried and leased (`sender`).

Named apart from command dispatch (`handlers.dispatch`) on purpose: "dispatch" here would mean
two things, and "notify" is kept free for a delivery channel (GOV.UK Notify)."""
