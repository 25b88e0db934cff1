"""Bench-only URLconf: the product's URLs plus three bare baselines.

* ``bench/bare/``: a JSON POST that inserts one row with raw SQL (the floor for any webhook).
* ``bench/bulk/``: ``bulk_create`` of ConductEvent rows from JSON, with no validation at all (the
  floor for batch ingest).
* ``bench/floor/``: a GET that makes one query and renders a trivial template (the floor for any
  page, bench/bench_pages.py).
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from community.models import Community, ConductEvent

FLOOR_PAGE = engines["django"].from_string(
    "<!doctype html><html lang=en><title>{{ name }}</title><h1>{{ name }}</h1></html>"
)


@csrf_exempt
def bare_insert(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_row (body) VALUES (%s)", [json.dumps(data)])
    return JsonResponse({"ok": True}, status=201)


@csrf_exempt
def bare_bulk(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    rows = [
        ConductEvent(
            community_id=data["community_id"],
            kind=item["kind"],
            member_id=data["member_id"],
            space_id=data["space_id"],
            subject=item["subject"],
            occurred_at=datetime.fromisoformat(item["occurred_at"]),
            source="bare",
            external_id=item["external_id"],
        )
        for item in data["events"]
    ]
    ConductEvent.objects.bulk_create(rows, batch_size=1000)
    return JsonResponse({"accepted": len(rows)})


def bare_page(request: HttpRequest) -> HttpResponse:
    name = Community.objects.order_by("pk").values_list("name", flat=True).first()
    return HttpResponse(FLOOR_PAGE.render({"name": name}, request))


urlpatterns = [
    path("bench/floor/", bare_page),
    path("bench/bare/", bare_insert),
    path("bench/bulk/", bare_bulk),
    path("", include("config.urls")),
]
