"""The quarterly "learning for improvement" bulletin: a record of what was changed, not said.

The strategy asks for a trust-wide bulletin issued quarterly "as a record of the actions ...
which have already been undertaken that quarter", so it reminds staff to stay vigilant rather
than being the first or only response to a lesson. Its contents are therefore built only from
what was *completed* inside the quarter: actions verified, re-audits recorded, ideas
implemented, trends answered, alerts issued. quarters (when), data (what), charts and views
(how it reads), service (draft → reviewed → approved → published → archived), schedule (the
reminder rule that drafts it), commands and wiring (the chat surface).
"""

from __future__ import annotations
