"""A round's reviewer calibration in the console: per reviewer and scale, their leniency (how far they rate
above or below their co-reviewers on the same items), agreement with them and how many ratings that rests
on, the flagged first with a warning. Staff see the reviewers' names here; the report never names them in a
closed round (review_model.calibration, reports)."""

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

from portal.console.access import current_staff, round_seen
from portal.console.pages import console_page
from portal.console.paging import paged
from portal.scale_names import scale_name
from reports.rendering_numbers import number, signed
from review_model.reviewer_calibration import calibration_overview
from review_model.store import reading_session

if TYPE_CHECKING:
    from portal.app import Portal


def add_calibration_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/reviews/calibration: the reviewers' calibration, read from the submitted reviews."""

    @app.get("/console/rounds/{slug}/reviews/calibration")
    def calibration_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            overview = calibration_overview(session, round_.id)
        language = staff.language
        return console_page(portal, request, "calibration.html", language, staff=staff, round=round_,
                            overview=overview, rows=paged(overview.rows, request, "reviewers"),
                            scale_name=lambda name: scale_name(name, language),
                            signed=lambda value: signed(value, language, 2, minus="−"),
                            percent=lambda share: number((share or 0) * 100, language, 0),
                            limit=number(overview.leniency_limit, language))  # fmt: skip
