from tests.harness import ALEX, Harness, ref_in


def test_named_idea_reaches_the_panel_channel(hub: Harness) -> None:
    reply = hub.submit_idea()
    ref = ref_in(reply)
    hub.deliver()
    posts = hub.platform.to("#ideas_panel")
    assert [p.summary for p in posts] == [
        f"New bright idea {ref}: Label the flush syringes by colour"
    ]
    assert ALEX not in str(posts)
