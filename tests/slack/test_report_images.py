"""The digest's SPC charts on Slack: image blocks whose addresses Slack's servers can fetch (the
fake fetches them from a live `qihub web`), each with alt text; and when Slack cannot download
a picture it refuses the whole message, so it goes again with the pictures' words instead."""

from __future__ import annotations

import urllib.request

from handlers.platform import ChannelTarget
from messages.view import Image
from tests.reports_kit import at, digest_with_charts, live_web, weekly_digests_sent
from tests.slack.kit import validate_message
from tests.slack.test_outbound import Outbound, outbound  # noqa: F401 (the fixture)

CEC = ChannelTarget("cec", "CEC", slack_id="C0CEC")


def _images(post: dict) -> list[dict]:
    return [b for b in post["blocks"] if b["type"] == "image"]


def test_digest_charts_reach_slack_as_images_with_alt_text(outbound: Outbound) -> None:  # noqa: F811
    with live_web(outbound.hub) as base:
        config = at(outbound.hub.config, base)
        reply = digest_with_charts(outbound.hub, config, "CEC", outbound.clock.now())
        for block in reply.blocks:  # warm the web's chart drawing (matplotlib's first import):
            if isinstance(block, Image):  # Slack's fetch waits inside the 10 s post
                with urllib.request.urlopen(block.url, timeout=60) as warmed:
                    assert warmed.status == 200
        outbound.fake.fetch_images = True
        outbound.platform.post_to_channel(CEC, reply)
    post = outbound.posts()[-1]
    validate_message({"text": post["text"], "blocks": post["blocks"]})
    images = _images(post)
    assert [i["title"]["text"] for i in images] == [
        "Lessons per week: committee CEC",
        "Overdue actions at each week's end (CEC)",
    ]
    for image in images:
        assert image["image_url"].startswith(f"{base}/reports/charts/")
        # CEC is quiet (mostly 0): run charts, which say so rather than show limits
        assert "mean" in image["alt_text"] and "latest" in image["alt_text"]
        assert "too few to judge variation" in image["alt_text"]
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


def test_the_full_psc_digest_sends_its_charts_in_a_message_of_their_own(
    outbound: Outbound,  # noqa: F811
) -> None:
    """The busiest committee's digest is at Slack's block limit: its pictures follow it, in the
    channel and to the chair, with their alt text, and Slack fetches every one."""
    from tests.test_digest import MONDAY

    with live_web(outbound.hub) as base:
        config = at(outbound.hub.config, base)
        outbound.fake.fetch_images = True
        weekly_digests_sent(outbound.hub, outbound.clock, config, outbound.platform, MONDAY)
    psc = [p for p in outbound.posts() if p["channel"] == "C0PSC"]
    digest, charts = psc
    for post in psc:
        validate_message({"text": post["text"], "blocks": post["blocks"]})
    assert len(digest["blocks"]) <= 50 and _images(digest) == []
    assert digest["text"].startswith("Patient Safety Committee digest, week 2026-W49")
    assert charts["blocks"][0]["text"]["text"].startswith("Patient Safety Committee digest")
    images = _images(charts)
    assert [i["title"]["text"] for i in images] == [
        "Lessons per week: committee PSC",
        "Overdue actions at each week's end (PSC)",
    ]
    assert all(i["alt_text"] and i["image_url"].startswith(base) for i in images)
    fetched = {url for url, _, size in outbound.fake.images if size > 5_000}
    assert {i["image_url"] for i in images} <= fetched  # real pictures, fetched by "Slack"
    chair = [p for p in outbound.posts() if p["channel"] not in ("C0PSC", "C0PEC", "C0CEC")]
    assert any(_images(p) for p in chair)  # the chair's copy has its pictures too
