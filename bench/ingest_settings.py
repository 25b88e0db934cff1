"""Bench-only settings for bench_ingest: the product's settings with a URLconf that adds two bare
baselines (bench/ingest_urls.py). Never used by the product."""

from __future__ import annotations

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.ingest_urls"
