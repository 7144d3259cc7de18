"""The digest's SPC charts on Teams: Adaptive Card Image elements with alt text, at addresses a
Teams client can load (fetched here from a live `qihub web`), in a card the schema accepts."""

from __future__ import annotations

import urllib.request

from handlers.platform import ChannelTarget
from tests.reports_kit import at, digest_with_charts, live_web, weekly_digests_sent
from tests.teams.test_outbound import (  # noqa: F401 (the fixture)
    CHANNEL_IDS,
    Outbound,
    _activity_ok,
    outbound,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_digest_charts_reach_teams_as_images_with_alt_text(outbound: Outbound) -> None:  # noqa: F811
    cec = ChannelTarget("cec", "CEC", teams_id=CHANNEL_IDS["cec"])
    with live_web(outbound.hub) as base:
        config = at(outbound.hub.config, base)
        reply = digest_with_charts(outbound.hub, config, "CEC", outbound.clock.now())
        outbound.platform.post_to_channel(cec, reply)
        (post,) = outbound.fake.activities()
        _activity_ok(post)
        images = post.images()
        assert len(images) == 2
        for image in images:
            assert image["url"].startswith(f"{base}/reports/charts/")
            assert "mean" in image["altText"] and "latest" in image["altText"]
            with urllib.request.urlopen(image["url"], timeout=5) as response:
                assert response.headers["Content-Type"] == "image/png"
                assert response.read().startswith(PNG)


def test_the_full_psc_digest_sends_its_charts_in_a_message_of_their_own(
    outbound: Outbound,  # noqa: F811
) -> None:
    """On Teams too the busiest committee's pictures arrive, in a card after the digest."""
    from tests.test_digest import MONDAY

    with live_web(outbound.hub) as base:
        config = at(outbound.hub.config, base)
        weekly_digests_sent(outbound.hub, outbound.clock, config, outbound.platform, MONDAY)
        psc = [a for a in outbound.fake.activities() if CHANNEL_IDS["psc"] in a.path]
        digest, charts = psc
        for activity in psc:
            _activity_ok(activity)
        assert digest.images() == []
        images = charts.images()
        assert [i["altText"][:40] for i in images] == [
            "Run chart of lessons per week: committee",
            "Run chart of overdue actions at each wee",
        ]
        for image in images:
            with urllib.request.urlopen(image["url"], timeout=5) as response:
                assert response.read().startswith(PNG)
