"""How a committee's digest reads: neutral blocks, with each section's prose from a template.

The layout is the committee's agenda: what needs a decision first, then what needs assurance,
trends, the state of actions, re-audits, ideas and data quality. Empty sections shrink to one
"none" line (or vanish, where absence is the good news) so the digest stays short, and the
whole message stays within MAX_BLOCKS, under Slack's limit of 50 blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from handlers.actions.lifecycle import AMBER_DAYS
from handlers.config import OrgConfig
from handlers.digest.data import (
    ActionLine,
    DigestData,
    ExtensionLine,
    ExtraSection,
    IdeaLine,
    LessonLine,
    Listing,
    StuckLine,
    TrendLine,
)
from messages.templates import count_of, day, render, sparkline
from messages.view import (
    Block,
    Button,
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

MAX_BLOCKS = 45


def open_lesson(ref: str) -> Button:
    return Button("Open", "lesson.show", {"ref": ref})


def open_action(ref: str) -> Button:
    return Button("Open", "action.show", {"ref": ref})


def _prose(name: str, **values: object) -> Text:
    return Text(render(f"digest/{name}.txt", **values))


def _none(what: str) -> list[Block]:
    return [Text(render("digest/none.txt", what=what), muted=True)]


def _section(title: str, prose: Text, *lists: Sequence[Item]) -> list[Block]:
    return [Heading(title), prose, *(Items(tuple(items)) for items in lists if items)]


def _on(line: ActionLine) -> str:
    return f"tier {line.tier} action on {line.lesson_ref}"


def _title(line: ActionLine) -> str:
    return f"Tier {line.tier} action on {line.lesson_ref}"


def _waiting(days: int, what: str = "waiting", for_: str = "") -> str:
    """ "waiting 3 days", or "waiting since today" rather than "waiting no days"."""
    return f"{what} since today" if days <= 0 else f"{what} {for_}{count_of(days, 'day')}"


def _pending(line: ActionLine) -> str:
    return "; extension pending" if line.extension_pending else ""


def _lesson_item(line: LessonLine, detail: str) -> Item:
    return Item(line.title, line.ref, detail, (open_lesson(line.ref),))


def _action_item(line: ActionLine, title: str, detail: str) -> Item:
    return Item(title, line.ref, detail, (open_action(line.ref),))


def _red(line: ActionLine) -> Item:
    detail = f"{count_of(line.days, 'day')} overdue, due {day(line.due)}{_pending(line)}"
    return _action_item(line, _title(line), detail)


def _amber(line: ActionLine) -> Item:
    when = "due today" if line.days == 0 else f"due in {count_of(line.days, 'day')}"
    return _action_item(line, _title(line), f"{when}, {day(line.due)}{_pending(line)}")


def _verified(line: ActionLine) -> Item:
    verified = f"verified {day(line.on)}" if line.on else "verified"
    return _action_item(line, _title(line), verified)


def _long_overdue(line: ActionLine) -> Item:
    """Listed for being long overdue, or for a second extension while not yet overdue."""
    if line.days > 0:
        detail = f"{count_of(line.days, 'day')} overdue, due {day(line.due)}"
    else:
        detail = f"due {day(line.due)}"
    if line.extensions:
        detail += f"; {count_of(line.extensions, 'extension')}"
    return _action_item(line, f"{line.owner}: {_on(line)}", detail)


def _completion(line: ActionLine) -> Item:
    return _action_item(
        line,
        f"Completion of {_on(line)} to verify",
        _waiting(line.days),
    )


def _extension(line: ExtensionLine) -> Item:
    detail = (
        f"due {day(line.due)}, asks for {day(line.requested_until)}; {_waiting(line.days_waiting)}"
    )
    title = f"Extension requested on an action for {line.lesson_ref}"
    return Item(title, line.action_ref, detail, (open_action(line.action_ref),))


def _reaudit_due(line: ActionLine) -> Item:
    on = day(line.on) if line.on else ""
    if line.days < 0:
        when = f"overdue by {count_of(-line.days, 'day')}, {on}"
    elif line.days == 0:
        when = f"due today, {on}"
    else:
        when = f"due in {count_of(line.days, 'day')}, {on}"
    return _action_item(line, f"Re-audit of {_on(line)}", when)


def _reaudit_result(line: ActionLine) -> Item:
    outcome = "passed" if line.passed else "failed, lesson reopened"
    recorded = f"recorded {day(line.on)}" if line.on else "recorded"
    return _action_item(line, f"Re-audit {outcome}: {_on(line)}", recorded)


TREND_DECISIONS = {
    "open": "awaiting a decision",
    "accepted": "accepted as a theme",
    "dismissed": "dismissed",
}


def _trend(line: TrendLine) -> Item:
    parts = [f"{count_of(line.lessons, 'lesson')}, {line.added} joined this week"]
    if line.is_new:
        parts[0] = f"new: {parts[0]}"
    parts.insert(0, TREND_DECISIONS.get(line.decision, line.decision))
    parts.append(sparkline(line.weekly))
    if line.weak_only:
        parts.append("only weak actions so far")
    opens = (Button("Open", "trend.show", {"ref": line.ref}),)
    return Item(f"{line.dimension}: {line.label}", line.ref, " · ".join(parts), opens)


def _idea(line: IdeaLine, config: OrgConfig) -> Item:
    labels = {b.lower(): b for b in config.ideas.benefits}
    benefits = ", ".join(labels.get(b.lower(), b) for b in line.benefits)
    detail = " · ".join(part for part in (benefits, line.sponsor) if part)
    return Item(line.title, line.ref, detail, (Button("Open", "idea.show", {"ref": line.ref}),))


def _stuck_item(line: StuckLine) -> Item:
    opener = {"action": open_action, "lesson": open_lesson}.get(line.kind)
    return Item(line.problem, line.ref, "", (opener(line.ref),) if opener else ())


def _stuck(data: DigestData) -> list[Block]:
    """Absent when nothing is stuck: absence is the good news."""
    listing = data.stuck
    if not listing.items:
        return []
    return [
        Heading("Stuck: nobody can move these"),
        Notice(render("digest/stuck.txt", listing=listing), "warning"),
        Items(tuple(_stuck_item(x) for x in listing.items)),
    ]


def _declined(line: ActionLine) -> Item:
    return _action_item(line, f"Declined: {_on(line)}", _waiting(line.days))


def _headline(data: DigestData) -> Facts:
    h = data.headline
    return Facts(
        (
            Fact("New lessons (7 days)", str(h.new_lessons)),
            Fact("Awaiting triage", str(h.awaiting_triage)),
            Fact("Awaiting decision", str(h.awaiting_decision)),
            Fact("Open actions", str(h.open_actions)),
            Fact("Red", str(h.red)),
            Fact("Amber", str(h.amber)),
            Fact("Verified (7 days)", str(h.verified)),
        )
    )


def _extra(section: ExtraSection) -> list[Block]:
    return _section(section.title, Text(section.text), section.items)


def _decisions(data: DigestData) -> list[Block]:
    listing = data.awaiting_decision
    if not listing.items:
        return _none("Lessons awaiting the committee's decision")
    items = [_lesson_item(x, _waiting(x.days_waiting)) for x in listing.items]
    return _section(
        "Awaiting the committee's decision", _prose("decisions", listing=listing), items
    )


def _assurance(data: DigestData) -> list[Block]:
    ext, done, lessons = data.extensions, data.completions, data.awaiting_assurance
    if not (ext.items or done.items or lessons.items):
        return _none("Extension requests and completions awaiting assurance")
    prose = _prose("assurance", extensions=ext, completions=done, lessons=lessons)
    items = [
        *(_extension(x) for x in ext.items),
        *(_completion(x) for x in done.items),
        *(
            _lesson_item(x, _waiting(x.days_waiting, "awaiting assurance", "for "))
            for x in lessons.items
        ),
    ]
    return _section("Extensions and assurance", prose, items)


def _trends(data: DigestData) -> list[Block]:
    listing = data.trends
    if not listing.items:
        return _none("Trends awaiting a decision, new or growing")
    new = sum(1 for t in listing.items if t.is_new)
    grown = sum(1 for t in listing.items if not t.is_new and t.added)
    weak = sum(1 for t in listing.items if t.weak_only)
    awaiting = sum(1 for t in listing.items if t.decision == "open")
    prose = _prose("trends", listing=listing, new=new, grown=grown, weak=weak, awaiting=awaiting)
    return _section("Trends", prose, [_trend(t) for t in listing.items])


def _action_section(
    title: str,
    template: str,
    listing: Listing[ActionLine],
    item: Callable[[ActionLine], Item],
    **values: object,
) -> list[Block]:
    if not listing.items:
        return _none(title)
    items = [item(x) for x in listing.items]
    return _section(title, _prose(template, listing=listing, **values), items)


def _reaudits(data: DigestData) -> list[Block]:
    due, results = data.reaudits_due, data.reaudit_results
    if not (due.items or results.items):
        return _none("Re-audits due and results")
    passed = sum(1 for r in results.items if r.passed)
    prose = _prose(
        "reaudits",
        due=due,
        results=results,
        soon_days=AMBER_DAYS,
        passed=passed,
        failed=len(results.items) - passed,
    )
    items = [*(_reaudit_due(x) for x in due.items), *(_reaudit_result(x) for x in results.items)]
    return _section("Re-audits", prose, items)


def _ideas(data: DigestData, config: OrgConfig) -> list[Block]:
    if not data.ideas.items:
        return []
    committee = config.committees[data.committee]
    prose = _prose("ideas", listing=data.ideas, benefits=committee.idea_benefits)
    return _section(
        "Ideas touching this domain", prose, [_idea(i, config) for i in data.ideas.items]
    )


def _charts(data: DigestData, room: int) -> tuple[list[Block], Reply | None]:
    """The SPC charts, then the same in a few words for anyone the pictures do not reach.
    They come after everything the committee must act on. When the message has no `room` left
    for the pictures (a busy committee's digest reaches Slack's 50 blocks), they go in a message
    of their own right after it, with their alt text and words, so they always arrive; the
    digest keeps the words and says where the pictures are."""
    charts = data.charts
    if not charts.images:
        return [], None
    words = "\n".join((*charts.fallback, f"Charts and tables: {charts.page}"))
    full: list[Block] = [Heading(charts.heading), *charts.images, SmallPrint(words)]
    if len(full) <= room:
        return full, None
    follow_up = Reply(
        summary=f"{data.committee_name} digest, week {data.period.week}: its SPC charts",
        blocks=(
            Heading(f"{data.committee_name} digest: SPC charts, {charts.span}"),
            *charts.images,
            SmallPrint(words),
        ),
    )
    here = SmallPrint(f"{words}\nThe pictures follow in the next message.")
    return ([here] if room > 0 else []), follow_up


def _data_quality(data: DigestData) -> list[Block]:
    lessons, actions = data.lessons_without_unit, data.actions_without_measure
    if not (lessons.total or actions.total):
        return []
    text = render("digest/data_quality.txt", lessons=lessons, actions=actions)
    return [Heading("Data quality"), Notice(text, "warning")]


def _cost(block: Block) -> int:
    """Blocks this takes in a chat message: Slack draws each list item as a block of its own
    (with its button), so a list costs one per item; anything else costs one."""
    if isinstance(block, Items):
        return max(1, sum(1 + (len(item.buttons) > 1) for item in block.items))
    return 1


def _fit(blocks: list[Block]) -> tuple[Block, ...]:
    """Keep the message within MAX_BLOCKS as chat platforms count them (the footer survives).
    The longest lists are shortened first, so every section keeps its heading; only many
    extra sections lose whole parts. A clipped digest says so rather than silently lose one."""
    if sum(map(_cost, blocks)) <= MAX_BLOCKS:
        return tuple(blocks)
    blocks = list(blocks)
    budget = MAX_BLOCKS - 1  # room for the "shortened" note
    while sum(map(_cost, blocks)) > budget:
        lists = [n for n, b in enumerate(blocks) if isinstance(b, Items) and len(b.items) > 1]
        if not lists:
            break
        longest = max(lists, key=lambda n: _cost(blocks[n]))
        items = blocks[longest]
        assert isinstance(items, Items)
        blocks[longest] = replace(items, items=items.items[:-1])
    shortened = SmallPrint(render("digest/shortened.txt"))
    kept: list[Block] = []
    spent = _cost(blocks[-1]) + 1
    for block in blocks[:-1]:
        if spent + _cost(block) > MAX_BLOCKS:
            break
        kept.append(block)
        spent += _cost(block)
    return (*kept, shortened, blocks[-1])


def digest_replies(data: DigestData, config: OrgConfig) -> tuple[Reply, ...]:
    """The digest as the committee channel and its chair receive it: one message, and its
    charts in a second one when the digest is too full to carry them."""
    blocks: list[Block] = [
        Heading(f"{data.committee_name}: weekly digest"),
        _headline(data),
        SmallPrint(render("digest/period.txt", d=data)),
    ]
    blocks.extend(_stuck(data))
    for section in data.extra_sections:
        blocks.extend(_extra(section))
    blocks.extend(_decisions(data))
    blocks.extend(_assurance(data))
    if data.declined.items:
        blocks.extend(
            _action_section("Declined, to reassign", "declined", data.declined, _declined)
        )
    blocks.extend(_trends(data))
    blocks.extend(_action_section("Red actions", "red", data.red, _red))
    blocks.extend(
        _action_section("Amber actions", "amber", data.amber, _amber, amber_days=AMBER_DAYS)
    )
    blocks.extend(_action_section("Newly verified", "verified", data.verified, _verified))
    blocks.extend(
        _action_section(
            "Long overdue",
            "long_overdue",
            data.long_overdue,
            _long_overdue,
            days=data.period.long_overdue_days,
        )
    )
    blocks.extend(_reaudits(data))
    blocks.extend(_ideas(data, config))
    blocks.extend(_data_quality(data))
    charts, follow_up = _charts(data, MAX_BLOCKS - 1 - sum(map(_cost, blocks)))
    blocks.extend(charts)
    blocks.append(SmallPrint(render("digest/footer.txt", d=data)))
    digest = Reply(summary=render("digest/summary.txt", d=data), blocks=_fit(blocks))
    return (digest,) if follow_up is None else (digest, follow_up)


def digest_reply(data: DigestData, config: OrgConfig) -> Reply:
    """The digest message itself (what `/qi digest` shows: the words stand in for pictures
    that went in a message of their own)."""
    return digest_replies(data, config)[0]
