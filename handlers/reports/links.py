"""Chart images for chat: an unguessable, expiring address on `qihub web` that draws one chart.

Slack and Teams show a picture only from an address they can fetch (docs/reports.md says why
this rather than uploading files). The address carries the chart's own figures (weekly
counts: aggregate, never a name or a text) and an expiry, sealed with an HMAC under a server
secret kept in the database, so:

- nobody can make the server draw a chart it did not issue, or change a figure in one;
- the picture never changes after the digest went out (it is drawn from the address, not
  from the live register), and it stops being served after EXPIRES;
- nothing is stored per image, so there is nothing to clean up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from datetime import date, datetime, timedelta

from handlers.spc import Improvement
from handlers.spc.series import Series
from store.uow import UnitOfWork

KEY_ROW = "report_charts"
EXPIRES = timedelta(days=35)
"""Five weekly digests: long enough to scroll back through a month; Slack keeps its own copy
of a picture it has fetched, Teams shows the alt text once it has gone."""
SEAL_BYTES = 16
LARGEST = 2000
"""Longest payload accepted back (a chart of 26 weeks takes about 300 characters)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(key: str, payload: str) -> str:
    mac = hmac.new(key.encode(), payload.encode("ascii"), hashlib.sha256).digest()
    return _b64(mac[:SEAL_BYTES])


def chart_key(uow: UnitOfWork, now: datetime) -> str:
    """The sealing key (made by whoever asks first, kept in the database)."""
    return uow.secrets.get_or_make(KEY_ROW, now)


def chart_path(key: str, series: Series, now: datetime) -> str:
    """`/reports/charts/{payload}/{seal}.png` for `series`, served until now + EXPIRES."""
    body = {
        "k": series.key,
        "t": series.title,
        "u": series.unit,
        "b": series.improvement.value,
        "p": [[d.isoformat(), v] for d, v in series.points],
        "x": int((now + EXPIRES).timestamp()),
    }
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode()
    payload = _b64(zlib.compress(raw, 9))
    return f"/reports/charts/{payload}/{_seal(key, payload)}.png"


def chart_from_path(uow: UnitOfWork, payload: str, seal: str, now: datetime) -> Series | None:
    """The series a chart address was issued for, or None: forged, altered, malformed or
    expired addresses all look alike."""
    if len(payload) > LARGEST or not payload.isascii() or not seal.isascii():
        return None
    key = chart_key(uow, now)
    if not hmac.compare_digest(_seal(key, payload), seal):
        return None
    try:
        body = json.loads(zlib.decompress(_unb64(payload), bufsize=LARGEST * 4))
        if now.timestamp() >= int(body["x"]):
            return None
        points = tuple((date.fromisoformat(d), float(v)) for d, v in body["p"])
        return Series(
            str(body["k"]), str(body["t"]), str(body["u"]), Improvement(str(body["b"])), points
        )
    except (ValueError, KeyError, TypeError, zlib.error):
        return None
