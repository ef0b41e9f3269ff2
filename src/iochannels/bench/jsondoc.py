"""A report as JSON, in the shape ``schemas/bench.schema.json`` documents."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from iochannels.bench.compare import latency_ratio, ratio_to_c, ratio_to_memcpy
from iochannels.bench.results import Environment, Latency, Report, Settings, Throughput

__all__ = ["SCHEMA_ID", "report_from_dict", "report_json", "report_to_dict"]

SCHEMA_ID = "iochannels-bench/1"


def _throughput(report: Report, t: Throughput) -> dict[str, Any]:
    low, high = t.spread
    return {
        "kind": t.kind, "impl": t.impl, "size": t.size,
        "bytes_per_second": {"median": t.rate, "min": low, "max": high},
        "repetitions": [{"seconds": s, "bytes": b}
                        for s, b in zip(t.seconds, t.received, strict=True)],
        "messages": {"sent": t.sent, "received": t.delivered, "lost": t.lost},
        "buffer": t.buffer,
        "ratio_to_c": ratio_to_c(report, t),
        "ratio_to_memcpy": ratio_to_memcpy(report, t),
    }


def _latency(report: Report, lat: Latency) -> dict[str, Any]:
    have = bool(lat.samples_ns)
    return {
        "kind": lat.kind, "impl": lat.impl, "size": lat.size,
        "rounds": len(lat.samples_ns), "lost": lat.lost,
        "microseconds": {name: (lat.pct(p) if have else None)
                         for name, p in (("p50", 50), ("p90", 90), ("p99", 99))}
        | {"max": lat.max_us if have else None},
        "ratio_to_c": latency_ratio(report, lat),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    s, env = report.settings, report.environment
    return {
        "schema": SCHEMA_ID,
        "settings": {**asdict(s), "pin": list(s.pin) if s.pin else None,
                     "sizes": list(s.sizes), "latency_sizes": list(s.latency_sizes),
                     "kinds": list(s.kinds)},
        "environment": {**asdict(env), "load": list(env.load)},
        "throughput": [_throughput(report, t) for t in report.throughput],
        "latency": [_latency(report, lat) for lat in report.latency],
        "notes": list(report.notes),
    }


def report_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2, sort_keys=True) + "\n"


def report_from_dict(doc: dict[str, Any]) -> Report:
    """The report back from ``report_to_dict``'s document (``iochannels bench --load``).

    The per-sample round trips are not in the document: each latency figure comes back
    as the four samples of its percentiles, enough to draw and tabulate it again.
    """
    if doc.get("schema") != SCHEMA_ID:
        raise ValueError(f"not an {SCHEMA_ID} document")
    s = dict(doc["settings"])
    settings = Settings(**{**s, "sizes": tuple(s["sizes"]),
                           "latency_sizes": tuple(s["latency_sizes"]),
                           "kinds": tuple(s["kinds"]),
                           "pin": tuple(s["pin"]) if s["pin"] else None})
    env = dict(doc["environment"])
    environment = Environment(**{**env, "load": tuple(env["load"])})
    throughput = tuple(
        Throughput(t["kind"], t["impl"], t["size"],
                   tuple(r["seconds"] for r in t["repetitions"]),
                   tuple(r["bytes"] for r in t["repetitions"]),
                   t["messages"]["sent"], t["messages"]["received"], t["buffer"])
        for t in doc["throughput"])
    latency = tuple(
        Latency(lat["kind"], lat["impl"], lat["size"],
                _stand_in_samples(lat["microseconds"]) if lat["rounds"] else (),
                lat["lost"])
        for lat in doc["latency"])
    return Report(settings, environment, throughput, latency, tuple(doc["notes"]))


def _stand_in_samples(us: dict[str, float]) -> tuple[int, ...]:
    """100 samples whose nearest-rank p50, p90, p99 and max are the document's."""
    ns = {k: round(v * 1000) for k, v in us.items()}
    return (ns["p50"],) * 50 + (ns["p90"],) * 40 + (ns["p99"],) * 9 + (ns["max"],)
