"""Reports on the web: /reports/{committee}, the board pack and its CSV, and the sealed chart
addresses the digest's pictures use. Figures only: no lesson text or name reaches these pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.web import create_web_app
from handlers.bulletin.quarters import Quarter
from handlers.reports.board import SMALL, AlertRow, build_board_pack
from handlers.reports.charts import alt_text, chart_of, render_png, summary
from handlers.reports.links import EXPIRES
from handlers.reports.page import RUN_CHART, board_csv, chart_view
from handlers.spc import Improvement, xmr
from handlers.spc.series import Series
from messages.view import Image
from store.models import Lesson, Staff
from tests.harness import Harness
from tests.reports_kit import digest_with_charts
from tests.test_digest import MONDAY, seed_register

PNG = b"\x89PNG\r\n\x1a\n"
Q3 = Quarter(2026, 3)


def _seeded(hub: Harness) -> tuple[list[str], list[str]]:
    """The realistic PSC register on its Monday; the lesson titles and staff names in it."""
    hub.clock.set(MONDAY)
    with hub.app.uow_factory() as uow:
        seed_register(uow)
        uow.commit()
        titles = list(uow.session.scalars(select(Lesson.title)))
        names = [n for n in uow.session.scalars(select(Staff.display_name)) if n]
    return titles, names


def test_alt_text_says_latest_mean_limits_and_variation() -> None:
    from datetime import date

    values = [3, 4, 2, 5, 3, 4, 3, 2, 4, 5, 3, 4, 3, 2, 4, 13]
    points = tuple((date(2026, 6, 1) + timedelta(weeks=n), float(v)) for n, v in enumerate(values))
    series = Series("overdue", "Overdue actions", "actions", Improvement.DECREASE, points)
    text = alt_text(series, chart_of(series).chart)
    assert "latest 13 (week of 14 September 2026)" in text
    assert "mean 4; process limits 0 to 8" in text
    assert "Special cause variation: concerning" in text
    few = Series("x", "Few", "actions", Improvement.DECREASE, points[:3])
    assert "too few points for an SPC chart" in alt_text(few, chart_of(few).chart)


def test_a_committee_page_shows_charts_and_tables_and_no_names_or_texts(hub: Harness) -> None:
    titles, names = _seeded(hub)
    with TestClient(create_web_app(hub.app)) as client:
        page = client.get("/reports/psc")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        html = page.text
        for key in ("lessons.committee.PSC", "actions.overdue.PSC"):
            chart = client.get(f"/reports/PSC/charts/{key}.png")
            assert chart.status_code == 200 and chart.content.startswith(PNG)
            assert f'src="/reports/PSC/charts/{key}.png"' in html
        assert client.get("/reports/XYZ").status_code == 404
        assert client.get("/reports/PSC/charts/nope.png").status_code == 404
    # Mostly 0 in the realistic register: a run chart, without limits (docs/spc.md).
    assert 'alt="Run chart of overdue actions' in html
    assert html.count("<table>") == 2
    for text in titles + names:
        assert text not in html


def test_the_board_pack_counts_every_committee_and_its_csv_is_every_figure(
    hub: Harness,
) -> None:
    titles, names = _seeded(hub)
    with hub.app.uow_factory() as uow:
        pack = build_board_pack(uow, hub.app.config, Q3, MONDAY)
    assert [t.committee for t in pack.tiers] == sorted(hub.app.config.committees)
    with TestClient(create_web_app(hub.app)) as client:
        page = client.get("/reports/board/2026-Q3")
        assert page.status_code == 200
        figures = client.get("/reports/board/2026-Q3.csv")
        assert figures.headers["content-type"].startswith("text/csv")
        for series in pack.series:
            if chart_of(series).chart is not None:
                assert (
                    client.get(f"/reports/board/2026-Q3/charts/{series.key}.png").content[:8] == PNG
                )
        assert client.get("/reports/board/2027-Q4").status_code == 404  # not begun
        assert client.get("/reports/board/nonsense").status_code == 404
    assert "@media print" in page.text
    for text in titles + names:
        assert text not in page.text and text not in figures.text
    rows = list(csv.reader(io.StringIO(figures.text)))
    assert rows[0] == ["section", "committee", "measure", "period", "value"]
    psc = {r[2]: r[4] for r in rows if r[0] == "tier_mix" and r[1] == "PSC"}
    psc_row = next(t for t in pack.tiers if t.committee == "PSC")
    assert psc["actions_agreed"] == str(psc_row.total)
    assert any(r[0] == "spc" and r[2] == "actions.overdue mean" for r in rows)


def test_alert_rates_about_fewer_than_five_people_are_withheld(hub: Harness) -> None:
    from datetime import date

    with hub.app.uow_factory() as uow:
        pack = build_board_pack(uow, hub.app.config, Q3, MONDAY)
    few = AlertRow("ALERT-2026-0001", date(2026, 11, 2), SMALL - 1, 1)
    many = AlertRow("ALERT-2026-0002", date(2026, 11, 3), 40, 30)
    assert few.rate is None and many.rate == 0.75
    from dataclasses import replace

    text = board_csv(replace(pack, alerts=(few, many)))
    assert "ALERT-2026-0001 acknowledged_percent,2026-11-02,fewer than 5 recipients" in text
    assert "ALERT-2026-0002 acknowledged_percent,2026-11-03,75.0" in text


def test_csv_cells_are_never_formulas(hub: Harness) -> None:
    from dataclasses import replace

    with hub.app.uow_factory() as uow:
        pack = build_board_pack(uow, hub.app.config, Q3, MONDAY)
    evil = AlertRow('=HYPERLINK("http://x")', MONDAY.date(), 10, 5)
    text = board_csv(replace(pack, alerts=(evil,)))
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_a_sealed_chart_is_served_until_it_expires_and_never_if_altered(hub: Harness) -> None:
    _seeded(hub)
    reply = digest_with_charts(hub.app, hub.app.config, "PSC", MONDAY)
    images = [b for b in reply.blocks if isinstance(b, Image)]
    assert not images  # the realistic PSC digest is full: its charts go as words and a link
    reply = digest_with_charts(hub.app, hub.app.config, "CEC", MONDAY)
    url = next(b.url for b in reply.blocks if isinstance(b, Image))
    path = url.removeprefix(hub.app.config.organisation.web_base_url)
    payload, seal = path.removeprefix("/reports/charts/").removesuffix(".png").split("/")
    with TestClient(create_web_app(hub.app)) as client:
        served = client.get(path)
        assert served.status_code == 200 and served.content.startswith(PNG)
        flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
        assert client.get(f"/reports/charts/{flipped}/{seal}.png").status_code == 404
        assert client.get(f"/reports/charts/{payload}/{seal[::-1]}.png").status_code == 404
        hub.clock.set(MONDAY + EXPIRES - timedelta(minutes=1))
        assert client.get(path).status_code == 200
        hub.clock.set(MONDAY + EXPIRES)
        assert client.get(path).status_code == 404


def _weekly(key: str, values: list[int]) -> Series:
    from datetime import date

    points = tuple((date(2026, 6, 1) + timedelta(weeks=n), float(v)) for n, v in enumerate(values))
    return Series(key, "Lessons per week: committee PSC", "lessons", Improvement.DECREASE, points)


def _csv_rows(hub: Harness, series: Series) -> dict[str, str]:
    from dataclasses import replace

    with hub.app.uow_factory() as uow:
        pack = build_board_pack(uow, hub.app.config, Q3, MONDAY)
    rows = csv.reader(io.StringIO(board_csv(replace(pack, series=(series,)))))
    return {r[2]: r[4] for r in rows if r[0] == "spc" and r[3] == Q3.code}


def test_a_mostly_empty_series_is_a_run_chart_in_every_report(hub: Harness) -> None:
    """One lesson in 26 weeks: the reference's screening leaves limits equal to the mean and
    flags all 26 weeks. Every report shows a run chart instead, and judges nothing."""
    series = _weekly("lessons.committee.PSC", [0] * 20 + [1] + [0] * 5)
    trap = xmr(series.points, series.improvement)
    assert trap.lower == trap.upper and all(p.special for p in trap.points)
    chart = chart_of(series).chart
    assert chart is not None and chart.sparse
    assert not any(p.special for p in chart.points)
    said = [alt_text(series, chart), summary(series, chart), chart_view(series).summary]
    for text in said:
        assert "Run chart without limits: most values are 0, too few to judge variation" in text
        assert "limits 0" not in text and "special" not in text.lower()
    assert said[0].startswith("Run chart of lessons per week: committee PSC: 26 points")
    assert not any(row.note for row in chart_view(series).rows)
    figures = _csv_rows(hub, series)
    assert figures["lessons.committee.PSC variation"] == RUN_CHART
    assert "lessons.committee.PSC lower_limit" not in figures
    assert render_png(series).startswith(PNG)


def test_a_lower_limit_below_zero_is_kept_and_said_the_same_everywhere(hub: Harness) -> None:
    """NHSRplotthedots does not truncate limits; nor do we. Our measures cannot go below 0,
    so every place that gives the limits says what a negative lower limit means."""
    series = _weekly("lessons.committee.PSC", [1, 0, 2, 1, 0, 3, 1, 1, 2, 0, 1, 4, 1, 2])
    chart = chart_of(series).chart
    assert chart is not None and not chart.sparse and chart.lower < 0
    limits = f"process limits {chart.lower:.1f} to {chart.upper:.1f}"
    note = "(the lower limit is below 0, so only a high value can fall outside them)"
    for text in (alt_text(series, chart), summary(series, chart), chart_view(series).summary):
        assert f"{limits} {note}" in text
    figures = _csv_rows(hub, series)
    assert float(figures["lessons.committee.PSC lower_limit"]) == round(chart.lower, 2) < 0
    assert render_png(series).startswith(PNG)
