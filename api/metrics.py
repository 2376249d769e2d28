"""Prometheus metrics: one registry per application, so apps made in tests never collide."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.probe import Positions as Read
from projections.faults import Fault

log = logging.getLogger("timebank.api")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Positions = Callable[[], Read]


class PositionCollector(Collector):
    """Read at scrape time: the log's head, the read models' position, and the lag between."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions

    def collect(self) -> Iterator[Metric]:
        try:
            head, read, stuck = self.positions()
        except Exception as error:  # a scrape must not fail because the database is away
            log.warning("metrics: positions unavailable: %s", error)
            return
        yield from _stuck(stuck)
        yield GaugeMetricFamily(
            "timebank_event_log_position", "Position of the last event recorded", value=head
        )
        if read is not None:
            yield GaugeMetricFamily(
                "timebank_read_model_position", "Position the read models have processed", read
            )
            yield GaugeMetricFamily(
                "timebank_projection_lag_events",
                "Events recorded but not yet processed by the read models",
                value=max(head - read, 0),
            )


def _stuck(stuck: tuple[Fault, ...]) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "timebank_projections_stuck",
        "Projections that cannot get past an event (the log names it; /readyz answers 503)",
        value=len(stuck),
    )
    where = GaugeMetricFamily(
        "timebank_projection_stuck_position",
        "Position a stuck projection cannot get past, by projection",
        labels=["projection"],
    )
    for fault in stuck:
        where.add_metric([fault.projection], fault.position)
    yield where


class Metrics:
    def __init__(self, positions: Positions) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "timebank_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "timebank_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.exchanges = Counter(
            "timebank_exchanges_recorded",
            "Exchanges recorded through this API (replays of an Idempotency-Key not counted)",
            ["status"],
            registry=self.registry,
        )
        self.conflicts = Counter(
            "timebank_write_conflicts",
            "Commits that met a version conflict with another process and were tried again",
            registry=self.registry,
        )
        self.retried = Counter(
            "timebank_write_retries",
            "Writes (an exchange each, or another command) prepared again after a conflict",
            registry=self.registry,
        )
        self.positions = PositionCollector(positions)
        self.registry.register(self.positions)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def exchange_recorded(self, status: str, count: int = 1) -> None:
        self.exchanges.labels(status).inc(count)

    def write_conflict(self, writes: int) -> None:
        """A `Ledger.conflict_listeners` callback."""
        self.conflicts.inc()
        self.retried.inc(writes)

    def render(self) -> bytes:
        """With several worker processes, counters are summed across them from shared files."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self.positions)
        return generate_latest(registry)
