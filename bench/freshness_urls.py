"""Bench-only URLconf for bench_freshness: the ingest benchmark's (the product's URLs and its
bare baselines) plus the floor's view, which stores one row and sends one task after commit."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from bench.ingest_urls import urlpatterns as ingest_patterns
from community.jobs import enqueue_after_commit


@csrf_exempt
def floor_task(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_fresh_floor (n, sent_at, received_at) "
            "VALUES (%s, to_timestamp(%s), clock_timestamp()) RETURNING id",
            [data["n"], data["sent"]],
        )
        row_id = cursor.fetchone()[0]
    enqueue_after_commit("bench.floor_ingest", row_id)
    return JsonResponse({"ok": True}, status=202)


urlpatterns = [path("bench/floor-task/", floor_task), *ingest_patterns]
