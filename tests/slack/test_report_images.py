"""The digest's SPC charts on Slack: image blocks whose addresses Slack's servers can fetch (the
fake fetches them from a live `qihub web`), each with alt text; and when Slack cannot download
a picture it refuses the whole message, so it goes again with the pictures' words instead."""

from __future__ import annotations

from handlers.platform import ChannelTarget
from messages.view import Image
from tests.reports_kit import at, digest_with_charts, live_web
from tests.slack.kit import validate_message
from tests.slack.test_outbound import Outbound, outbound  # noqa: F401 (the fixture)

CEC = ChannelTarget("cec", "CEC", slack_id="C0CEC")


def _images(post: dict) -> list[dict]:
    return [b for b in post["blocks"] if b["type"] == "image"]


def test_digest_charts_reach_slack_as_images_with_alt_text(outbound: Outbound) -> None:  # noqa: F811
    with live_web(outbound.hub) as base:
        config = at(outbound.hub.config, base)
        reply = digest_with_charts(outbound.hub, config, "CEC", outbound.clock.now())
        outbound.fake.fetch_images = True
        outbound.platform.post_to_channel(CEC, reply)
    post = outbound.posts()[-1]
    validate_message({"text": post["text"], "blocks": post["blocks"]})
    images = _images(post)
    assert [i["title"]["text"] for i in images] == [
        "Lessons reported each week",
        "Overdue actions at the end of each week",
    ]
    for image in images:
        assert image["image_url"].startswith(f"{base}/reports/charts/")
        assert "mean" in image["alt_text"] and "process limits" in image["alt_text"]
        assert "latest" in image["alt_text"] and "variation" in image["alt_text"]
    assert [(url, alt) for url, alt, _ in outbound.fake.images] == [
        (i["image_url"], i["alt_text"]) for i in images
    ]
    assert all(size > 5_000 for _, _, size in outbound.fake.images)  # real charts, not blanks
    words = " ".join(str(b) for b in post["blocks"] if b["type"] == "context")
    assert f"{base}/reports/CEC" in words  # the text fallback, with the page's address


def test_a_picture_slack_cannot_fetch_sends_the_digest_with_its_words(
    outbound: Outbound,  # noqa: F811
) -> None:
    config = at(outbound.hub.config, "http://127.0.0.1:9")  # nothing listens there
    reply = digest_with_charts(outbound.hub, config, "CEC", outbound.clock.now())
    alts = [b.alt for b in reply.blocks if isinstance(b, Image)]
    outbound.fake.fetch_images = True
    handle = outbound.platform.post_to_channel(CEC, reply)
    refused, sent = outbound.fake.answered("chat.postMessage")
    assert refused[1]["error"] == "invalid_blocks"
    assert sent[1]["ok"] and handle["ts"] == sent[1]["ts"]
    assert _images(sent[0]) == []
    shown = " ".join(str(b) for b in sent[0]["blocks"])
    assert all(alt in shown for alt in alts)
