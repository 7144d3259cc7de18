"""How the bulletin reads in chat: the review and approval cards, the preview, the post.

Chat shows the bulletin compactly (a few items per section, every reference listed so any can
be left out by name); the full, printable bulletin is the web page. Everything here is plain
text for the neutral view model: each platform's renderer escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.bulletin.data import Contents
from handlers.bulletin.lifecycle import BulletinStatus, status_label
from handlers.bulletin.quarters import Quarter, bulletin_quarter
from handlers.context import Context
from handlers.permissions import allowed
from messages.templates import counted, render
from messages.view import (
    Block,
    Button,
    Buttons,
    Fact,
    Facts,
    Heading,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
)
from store.models import Bulletin

SHOWN_PER_SECTION = 4
"""Items drawn in full per section; the rest are listed by reference (Slack's 50 blocks)."""
REFS_LISTED = 150
"""References listed after those: well inside one 3,000-character context block."""


def page_url(ctx: Context, bulletin: Bulletin) -> str:
    """The bulletin's web page, the link every published post and listing carries."""
    return f"{ctx.config.organisation.web_base_url.rstrip('/')}/bulletins/{bulletin.id}"


def _facts(c: Contents) -> Facts:
    """The figures of docs/domain.md ("Bulletin figures, defined"), over the kept items."""
    f = c.figures
    share = f"{f.stronger_share:.0%}" if f.stronger_share is not None else "none verified"
    facts = [
        Fact("Changes made (actions verified)", str(f.actions_verified)),
        Fact("Lessons with a verified change", str(f.lessons_changed)),
        Fact("Stronger actions", share),
        Fact("Re-audits", f"{f.reaudits} ({f.reaudits_passed} passed, {f.reaudits_failed} failed)"),
        Fact("Ideas implemented", str(f.ideas_implemented)),
        Fact("Trends answered", str(len(c.trends))),
        Fact("Lessons reported", str(f.lessons_reported)),
    ]
    if c.alerts:
        facts.append(Fact("Critical alerts", str(len(c.alerts))))
    return Facts(tuple(facts))


def _lesson(ref: str, title: str, learned: str) -> str:
    """ "LL-2026-0001 "Flush syringes mixed up": we learned that ..." (the reference alone
    for an untriaged lesson, whose text is not for all staff)."""
    said = f"{ref} \u201c{title}\u201d" if title else ref
    return f"{said}; we learned: {learned.rstrip('. ')}" if learned else said


def _list(title: str, items: Sequence[Item]) -> list[Block]:
    if not items:
        return [Text(render("bulletin/none.txt", what=title), muted=True)]
    shown = list(items[:SHOWN_PER_SECTION])
    blocks: list[Block] = [Heading(title), Items(tuple(shown))]
    rest = [i.ref for i in items[SHOWN_PER_SECTION:]]
    if rest:
        listed = rest[:REFS_LISTED]
        text = render("bulletin/more.txt", more=len(rest), refs=listed, others=rest != listed)
        blocks.append(SmallPrint(text))
    return blocks


def _sections(c: Contents) -> list[Block]:
    blocks: list[Block] = []
    blocks += _list(
        "You said, we did: changes made and verified",
        [
            Item(
                f"We did: {a.what}",
                a.ref,
                f"You said: {_lesson(a.lesson_ref, a.lesson_title, a.learned)}. "
                f"Tier {a.tier} ({a.strength}), verified {a.verified_on}"
                + (f"; evidence: {a.evidence}" if a.evidence else ""),
            )
            for a in c.verified
        ],
    )
    blocks += _list(
        "Re-audits",
        [
            Item(
                f"Re-audit {'passed' if r.passed else 'failed'}: {r.what or f'tier {r.tier}'}",
                r.ref,
                f"For {_lesson(r.lesson_ref, r.lesson_title, r.learned)}. "
                f"Recorded {r.recorded_on}" + (f"; {r.notes}" if r.notes else ""),
            )
            for r in c.reaudits
        ],
    )
    blocks += _list(
        "Staff ideas implemented",
        [
            Item(
                f"{i.kind}: {i.title}",
                i.ref,
                f"implemented {i.implemented_on}"
                + (f"; thanks to {', '.join(i.credit)}" if i.credit else ""),
            )
            for i in c.ideas
        ],
    )
    blocks += _list(
        "Trends and the response",
        [
            Item(
                f"{t.dimension}: {t.label} ({counted(t.lessons, 'lesson')})",
                t.ref,
                f"answered by {', '.join(t.actions)}" + ("; weaker actions only" * t.weak_only),
            )
            for t in c.trends
        ],
    )
    if c.alerts:
        blocks += _list(
            "Critical alerts",
            [
                Item(
                    a.title,
                    a.ref,
                    f"sent {a.sent_on}; {a.acknowledged} of {a.recipients} acknowledged",
                )
                for a in c.alerts
            ],
        )
    if c.left_out:
        blocks.append(SmallPrint(render("bulletin/left_out.txt", refs=c.left_out)))
    return blocks


def _heading(c: Contents) -> Heading:
    return Heading(f"Learning for improvement: {c.quarter}")


def _foreword(c: Contents) -> list[Block]:
    return [Text(c.foreword)] if c.foreword else []


def review_buttons(ctx: Context, bulletin: Bulletin) -> list[Button]:
    """The buttons this person may press on this bulletin now (each re-checked on press)."""
    ref = {"ref": bulletin.ref}
    found: list[Button] = []
    if bulletin.status in (BulletinStatus.DRAFT, BulletinStatus.REVIEWED) and allowed(
        ctx.config, ctx.actor.roles, "bulletin.review"
    ):
        found.append(Button("Edit foreword and leave items out…", "bulletin.edit", ref))
        if bulletin.status == BulletinStatus.DRAFT:
            found.append(Button("Mark reviewed", "bulletin.reviewed", ref, "primary"))
    if bulletin.status == BulletinStatus.REVIEWED and allowed(
        ctx.config, ctx.actor.roles, "bulletin.approve"
    ):
        found.append(Button("Approve and publish", "bulletin.approve", ref, "primary"))
    return found


def bulletin_card(
    ctx: Context, bulletin: Bulletin, c: Contents, intro: Block | None = None
) -> Reply:
    """A bulletin as it stands, with what this person may do next."""
    blocks: list[Block] = [_heading(c)]
    if intro is not None:
        blocks.append(intro)
    blocks.append(SmallPrint(f"{bulletin.ref} · {status_label(bulletin.status)}"))
    blocks += [*_foreword(c), _facts(c), *_sections(c)]
    if bulletin.status in ("published", "archived"):
        blocks.append(Text(render("bulletin/read_more.txt", url=page_url(ctx, bulletin))))
    buttons = review_buttons(ctx, bulletin)
    if buttons:
        blocks.append(Buttons(tuple(buttons)))
    return Reply(summary=f"{bulletin.ref}: {bulletin.status}", blocks=tuple(blocks))


def review_card(ctx: Context, bulletin: Bulletin, c: Contents) -> Reply:
    """What a governance lead is sent when the draft is made (their buttons drawn for the
    role, not the person: the clock acts as nobody, and every press is checked again)."""
    intro = Text(render("bulletin/review.txt", c=c, ended=ctx.now >= bulletin.quarter_end))
    ref = {"ref": bulletin.ref}
    blocks: list[Block] = [
        Heading(f"Please review the {c.quarter} bulletin"),
        intro,
        SmallPrint(f"{bulletin.ref} · {status_label(bulletin.status)}"),
        _facts(c),
        *_sections(c),
        Buttons(
            (
                Button("Edit foreword and leave items out…", "bulletin.edit", ref),
                Button("Mark reviewed", "bulletin.reviewed", ref, "primary"),
            )
        ),
    ]
    return Reply(summary=f"{bulletin.ref} is drafted: please review it", blocks=tuple(blocks))


def approval_card(ctx: Context, bulletin: Bulletin, c: Contents) -> Reply:
    """What an executive is sent once a governance lead has reviewed the bulletin."""
    reviewer = ctx.actor.name if ctx.actor.known else ""
    intro = Text(render("bulletin/approve.txt", ref=bulletin.ref, reviewer=reviewer))
    blocks: list[Block] = [
        Heading(f"Please approve the {c.quarter} bulletin"),
        intro,
        *_foreword(c),
        _facts(c),
        *_sections(c),
        Buttons(
            (Button("Approve and publish", "bulletin.approve", {"ref": bulletin.ref}, "primary"),)
        ),
    ]
    return Reply(summary=f"{bulletin.ref} is reviewed: please approve it", blocks=tuple(blocks))


def preview(ctx: Context, quarter: Quarter, c: Contents, bulletin: Bulletin | None) -> Reply:
    """The quarter's would-be bulletin, whether or not it has been drafted yet."""
    if bulletin is not None:
        return bulletin_card(ctx, bulletin, c)
    note = Notice(
        f"Not drafted yet: this is what the {quarter.label} bulletin would say today.", "info"
    )
    blocks: list[Block] = [_heading(c), note, _facts(c), *_sections(c)]
    return Reply(summary=f"{quarter.ref} preview", blocks=tuple(blocks))


def published_post(c: Contents, url: str) -> Reply:
    """The short summary every member of staff sees in the bulletin's channel: the headline,
    then a few lessons with what was learned and what changed, so the why travels with it."""
    groups = c.by_lesson()
    shown = groups[:SHOWN_PER_SECTION]
    blocks: list[Block] = [_heading(c), Text(render("bulletin/headline.txt", c=c))]
    if shown:
        items = tuple(
            Item(
                g.title or "A lesson reported by staff",
                g.ref,
                (f"We learned: {g.learned.rstrip('. ')}. " if g.learned else "")
                + "We changed: "
                + "; ".join(a.what.rstrip(". ") for a in g.changes)
                + ".",
            )
            for g in shown
        )
        blocks += [Heading("You said, we did"), Items(items)]
        if len(groups) > len(shown):
            blocks.append(SmallPrint(f"…and {counted(len(groups) - len(shown), 'more lesson')}."))
    blocks.append(Text(render("bulletin/read_more.txt", url=url)))
    return Reply(summary=render("bulletin/published.txt", c=c), blocks=tuple(blocks))


def bulletin_list(ctx: Context, bulletins: Sequence[Bulletin]) -> Reply:
    items = [
        Item(
            bulletin_quarter(b.ref).label,
            b.ref,
            status_label(b.status)
            + (f" · {page_url(ctx, b)}" if b.status in ("published", "archived") else ""),
            (Button("Open", "bulletin.show", {"ref": b.ref}),),
        )
        for b in bulletins
    ]
    archive = f"{ctx.config.organisation.web_base_url.rstrip('/')}/bulletins"
    blocks: list[Block] = [
        Heading("Learning for improvement bulletins"),
        Items(
            tuple(items),
            empty_text="No bulletins yet: the first is drafted before the "
            "quarter ends. /bulletin preview shows it now.",
        ),
        SmallPrint(f"Published bulletins, for everyone: {archive}"),
    ]
    return Reply(summary=f"{len(items)} bulletins", blocks=tuple(blocks))
