"""Reports on the web: /reports/{committee}, the board pack /reports/board/{quarter} (and .csv),
their charts, and the sealed chart addresses the digest's pictures point at.

No sign-in yet, so these pages carry aggregate figures only (counts, rates, SPC limits): no
name, no lesson text, and rates about fewer than five people are withheld (handlers/reports/
board.py). The bulletin's strict Content-Security-Policy applies: no script runs here.
"""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

from bot.app import QIHub
from bot.bulletin_web import HEADERS
from handlers.bulletin.page import long_day
from handlers.bulletin.quarters import parse_quarter, quarter_at
from handlers.reports.board import BoardPack, build_board_pack
from handlers.reports.charts import render_png
from handlers.reports.links import chart_from_path
from handlers.reports.page import board_csv, render_board, render_committee
from handlers.spc.series import At, Series, committee_series

CACHE = "private, max-age=300"
"""Live figures: a few minutes' cache at most."""
CACHE_SEALED = "public, max-age=86400"
"""A sealed chart never changes (its figures are in its address)."""


def mount_reports(web: FastAPI, app: QIHub) -> None:
    """Add the report routes to the web app."""

    def committee_code(raw: str) -> str:
        code = raw.upper()
        if code not in app.config.committees:
            raise HTTPException(status_code=404, detail="No such committee")
        return code

    def series_of(code: str) -> tuple[Series, ...]:
        with app.uow_factory() as uow:
            return committee_series(At(uow, app.config, app.clock.now()), code)

    @web.get("/reports/charts/{payload}/{seal}.png")
    def sealed_chart(payload: str, seal: str) -> Response:
        with app.uow_factory() as uow:
            series = chart_from_path(uow, payload, seal, app.clock.now())
        if series is None:
            raise HTTPException(status_code=404, detail="No such chart")
        return _png(series, CACHE_SEALED)

    _mount_board(web, app)

    @web.get("/reports/{committee}", response_class=HTMLResponse)
    def committee(committee: str) -> HTMLResponse:
        code = committee_code(committee)
        name = app.config.committees[code].name
        html = render_committee(
            app.config.organisation.name, code, name, series_of(code), long_day(_today(app))
        )
        return HTMLResponse(html, headers={**HEADERS, "Cache-Control": CACHE})

    @web.get("/reports/{committee}/charts/{key}.png")
    def committee_chart(committee: str, key: str) -> Response:
        found = next((s for s in series_of(committee_code(committee)) if s.key == key), None)
        if found is None:
            raise HTTPException(status_code=404, detail="No such chart")
        return _png(found, CACHE)


def _today(app: QIHub) -> date:
    return app.clock.now().astimezone(app.config.zone).date()


def _png(series: Series, cache: str) -> Response:
    return Response(
        render_png(series), media_type="image/png", headers={**HEADERS, "Cache-Control": cache}
    )


def _mount_board(web: FastAPI, app: QIHub) -> None:
    """The board pack: /reports/board (this quarter), /reports/board/{quarter}, its CSV and
    charts. A quarter not yet begun is a 404."""

    def pack(raw: str) -> BoardPack:
        quarter = parse_quarter(raw)
        now = app.clock.now()
        if quarter is None or quarter.start(app.config.zone) > now:
            raise HTTPException(status_code=404, detail="No such quarter")
        with app.uow_factory() as uow:
            return build_board_pack(uow, app.config, quarter, now)

    @web.get("/reports/board", response_class=HTMLResponse)
    def board_now() -> Response:
        quarter = quarter_at(app.clock.now(), app.config.zone)
        return Response(status_code=307, headers={"Location": f"/reports/board/{quarter.code}"})

    @web.get("/reports/board/{quarter}.csv")
    def board_figures(quarter: str) -> Response:
        found = pack(quarter)
        name = f"board-pack-{found.quarter.code}.csv"
        return Response(
            board_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={
                **HEADERS,
                "Cache-Control": CACHE,
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    @web.get("/reports/board/{quarter}", response_class=HTMLResponse)
    def board(quarter: str) -> HTMLResponse:
        html = render_board(app.config.organisation.name, pack(quarter), long_day(_today(app)))
        return HTMLResponse(html, headers={**HEADERS, "Cache-Control": CACHE})

    @web.get("/reports/board/{quarter}/charts/{key}.png")
    def board_chart(quarter: str, key: str) -> Response:
        found = next((s for s in pack(quarter).series if s.key == key), None)
        if found is None:
            raise HTTPException(status_code=404, detail="No such chart")
        return _png(found, CACHE)
