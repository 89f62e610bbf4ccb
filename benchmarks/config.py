"""What a benchmark run does, from ``BENCH_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SECTIONS = (
    "ceiling",
    "latency",
    "e2e",
    "webhooks",
    "growth",
    "memory",
    "import",
    "campaign",
)
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/msgboxx_bench"


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True, slots=True)
class Config:
    quick: bool
    repetitions: int
    ceiling_seconds: float
    connections: int
    latency_seconds: float
    e2e_seconds: float
    soak_seconds: float
    growth_sizes: tuple[int, ...]
    growth_samples: int
    import_rows: int
    webhook_rate: float
    webhook_seconds: float
    postgres_url: str
    sections: tuple[str, ...]
    out: Path

    @classmethod
    def from_env(cls) -> Config:
        quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        sizes = os.environ.get("BENCH_GROWTH") or (
            "10000,100000" if quick else "10000,1000000,10000000"
        )
        only = os.environ.get("BENCH_ONLY")
        sections = tuple(s.strip() for s in only.split(",")) if only else SECTIONS
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise SystemExit(f"BENCH_ONLY: unknown sections {sorted(unknown)}; known: {SECTIONS}")
        return cls(
            quick=quick,
            repetitions=_int("BENCH_REPS", 2 if quick else 3),
            ceiling_seconds=_float("BENCH_CEILING_SECONDS", 4 if quick else 10),
            connections=_int("BENCH_CONNECTIONS", 32),
            latency_seconds=_float("BENCH_LATENCY_SECONDS", 10 if quick else 30),
            e2e_seconds=_float("BENCH_E2E_SECONDS", 15 if quick else 60),
            soak_seconds=_float("BENCH_SOAK_SECONDS", 20 if quick else 600),
            growth_sizes=tuple(int(s) for s in sizes.split(",") if s.strip()),
            growth_samples=_int("BENCH_GROWTH_SAMPLES", 15 if quick else 40),
            import_rows=_int("BENCH_IMPORT_ROWS", 100_000),
            webhook_rate=_float("BENCH_WEBHOOK_RATE", 300),
            webhook_seconds=_float("BENCH_WEBHOOK_SECONDS", 10 if quick else 30),
            postgres_url=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
            sections=sections,
            out=Path(os.environ.get("BENCH_OUT", str(ROOT / "results" / "latest.json"))),
        )
