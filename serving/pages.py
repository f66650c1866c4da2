"""The planner and review web pages: HTML shells rendered by the service, logic in small vanilla JS.

Everything (HTML, JS, CSS, charts) is served from this package (`serving/static` is mounted at
/static by the app), so the pages work offline and behind a firewall with no CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")

router = APIRouter(include_in_schema=False)


@router.get("/planner/", response_class=HTMLResponse)
def planner(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "planner.html", {"page": "planner"})


@router.get("/review/", response_class=HTMLResponse)
def review(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "review.html", {"page": "review"})
