"""The table ``make bench`` prints, from the results it writes."""

from __future__ import annotations

from typing import Any

from benchmarks.e2e import SUSTAINED

TARGETS = {
    # End to end to Read, per store (issue 22: PostgreSQL's on this 2-core machine).
    "e2e": 1000.0,
    "e2ePostgres": 600.0,
    "p99": 25.0,
    "growth": 2.0,
    "rss": 0.10,
    "importSeconds": 60.0,
    "webhooks": 0.8,
}
# Over the floor (benchmarks/floor.py): the targets of the second speed round.
FLOOR_TARGETS = {"whoami": 0.3, "post_message": 0.4}


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _floor_rows(floor: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not floor:
        return []
    rps = floor["rps"]
    out = [
        ("floor: bare GET, req/s", f"{rps['get']:.0f}", ""),
        ("floor: bare committed POST on SQLite, req/s", f"{rps['post']:.0f}", ""),
    ]
    if "postPostgres" in rps:
        out.append(
            ("floor: bare committed POST on PostgreSQL, req/s", f"{rps['postPostgres']:.0f}", "")
        )
    for name, ratio in floor["ratios"].items():
        target = FLOOR_TARGETS.get(name)
        verdict = f"≥ {target}: {_verdict(ratio['median'] >= target)}" if target else ""
        out.append((f"{name} over its floor", f"{ratio['median']:.3f}", verdict))
    return out


def rows(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for tier, run in (results.get("campaign") or {}).items():
        out.append(
            (
                f"Campaign to Sent at the number's {tier}/s, msg/s ({run['messages']} messages)",
                f"{run['messagesPerSecond']:.0f}",
                f"{run['ofTier']:.2f} of the tier",
            )
        )
    ceiling = results.get("ceiling")
    if ceiling:
        # Over /whoami: what an endpoint costs beyond authentication. The first
        # speed round's target (>= 0.5) was set while /whoami read the database
        # on every request; it no longer does, so the floor's ratios judge now.
        out.append(("GET /whoami (baseline), req/s", f"{ceiling['rps']['whoami']:.0f}", ""))
        for name, label in (
            ("post_message", "POST /message"),
            ("get_message", "GET /message/{id}"),
            ("webhook_status", "POST webhook (status)"),
        ):
            ratio = ceiling["ratios"][name]["median"]
            out.append(
                (f"{label} over /whoami ({ceiling['rps'][name]:.0f} req/s)", f"{ratio:.2f}", "")
            )
        out += _floor_rows(ceiling.get("floor"))
    latency = results.get("latency")
    if latency:
        for key, item in latency.items():
            p99 = item["p99Ms"]
            target = f"p99 ≤ 25 ms: {_verdict(p99 <= TARGETS['p99'])}" if key == "at200" else ""
            out.append(
                (
                    f"POST /message at {item['rate']:.0f}/s p50/p99/p99.9 ms",
                    f"{item['p50Ms']:.1f} / {p99:.1f} / {item['p999Ms']:.1f}",
                    target,
                )
            )
    e2e = results.get("e2e")
    if e2e:
        for store, item in e2e.items():
            if "error" in item:
                out.append((f"End to end ({store})", "failed", item["error"][:60]))
                continue
            lag = item["held"]["lagToSentMs"]
            target = TARGETS["e2ePostgres" if store == "postgres" else "e2e"]
            out.append(
                (
                    f"End to end to Read ({store}), msg/s held {item['heldSeconds']:.0f} s",
                    f"{item['readPerSecond']:.0f}",
                    f"≥ {target:.0f}: {_verdict(item['readPerSecond'] >= target)}",
                )
            )
            out.append(
                (
                    f"  accept→Sent lag at {item['heldRps']:.0f}/s p50/p99 ms",
                    f"{lag['p50']} / {lag['p99']}",
                    "",
                )
            )
            cpu = item["held"].get("cpuMsPerMessage")
            if cpu:  # what one message costs the machine, and who spends it
                out.append(
                    (
                        "  CPU ms per message, " + " / ".join(cpu),
                        " / ".join(f"{ms:.2f}" for ms in cpu.values()),
                        f"{target:.0f}/s on 2 cores: ≤ {2000 / target:.2f} in all"
                        f" ({cpu.get('machine', 0):.2f})",
                    )
                )
            flood = item.get("overload")
            if flood:  # above the limit: accepts slowed to sending's pace, or a queue growing
                out.append(
                    (
                        f"  {flood['offeredRps']:.0f}/s offered: accepted / read msg/s,"
                        " queued 5 s after",
                        f"{flood['acceptedPerSecond']:.0f} / {flood['readPerSecond']:.0f},"
                        f" {flood['pendingAfter']}",
                        "read keeps up with accepted: "
                        + _verdict(
                            flood["readFraction"] >= SUSTAINED and not flood["pendingAfter"]
                        ),
                    )
                )
    growth = results.get("growth")
    if growth:
        smallest = growth["sizes"][0]["messages"]
        for name, ratio in growth["ratioLargestToSmallest"].items():
            out.append(
                (
                    f"Growth {name} ({growth['largest']:,}/{smallest:,})",
                    f"{ratio:.2f}",
                    f"≤ 2: {_verdict(ratio <= TARGETS['growth'])}",
                )
            )
    memory = results.get("memory")
    if memory:
        rss = memory["rssKiB"]
        out.append(
            (
                f"RSS MiB start/warm/after {memory['soakSeconds']:.0f}s soak",
                " / ".join(f"{rss[k] / 1024:.0f}" for k in ("start", "warm", "afterSoak")),
                f"growth {memory['growthFromWarm']:+.1%} < 10%: "
                + _verdict(memory["growthFromWarm"] < TARGETS["rss"]),
            )
        )
        if memory.get("growthInSecondHalf") is not None:
            out.append(
                (
                    "  RSS rise within the soak's second half",
                    f"{memory['growthInSecondHalf']:+.1%}",
                    "",
                )
            )
    out += _import_rows(results.get("import"))
    out += _webhook_rows(results.get("webhooks"))
    return out


def _webhook_rows(found: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    if not found:
        return []
    read, cpu, lag = found["readPerSecond"], found["cpuMsPerMessageThroughDrain"], found["lagMs"]
    subscriptions = found["subscriptions"]
    return [
        (
            f"Webhooks: read/s at {found['offeredRps']:.0f}/s, 0 / {subscriptions} subscriptions",
            f"{read['without']:.0f} / {read['with']:.0f}",
            "",
        ),
        (
            "  ratio with / without (median of pairs)",
            f"{found['ratio']:.2f}",
            f"≥ 0.8: {_verdict(found['ratio'] >= TARGETS['webhooks'])}",
        ),
        (
            "  deliveries/s while offered; every delivery arrived",
            f"{found['deliveriesPerSecond']:.0f}; {'yes' if found['allArrived'] else 'NO'}",
            "",
        ),
        ("  status change → delivery lag p50/p99 ms", f"{lag['p50']} / {lag['p99']}", ""),
        (
            "  CPU ms per message through the drain, with, " + " / ".join(cpu),
            " / ".join(f"{item['with']:.2f}" for item in cpu.values()),
            "without: " + " / ".join(f"{item['without']:.2f}" for item in cpu.values()),
        ),
    ]


def _import_rows(imported: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for store, item in (imported or {}).items():
        if "error" in item:
            out.append((f"CSV import ({store})", "failed", item["error"][:60]))
            continue
        seconds = item["medianSeconds"]
        limit = TARGETS["importSeconds"]
        out.append(
            (
                f"CSV import of {item['rows']:,} rows ({store}), rows/s ({seconds:.1f} s)",
                f"{item['rowsPerSecond']:,}",
                f"< {limit:.0f} s: {_verdict(seconds < limit)}",
            )
        )
    return out


def table(results: dict[str, Any]) -> str:
    lines = ["| Figure | Value | Target |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows(results)]
    machine = results.get("machine", {})
    lines.append("")
    lines.append(
        f"commit {machine.get('commit')}, {machine.get('date')}, {machine.get('cpus')} CPUs, "
        f"load average at start {machine.get('loadAverageAtStart', [0])[0]:.2f}, "
        f"at end {machine.get('loadAverageAtEnd', [0])[0]:.2f}"
        f", ten million additions in Python {machine.get('pythonLoop10MSeconds', 0):.2f} s"
        f" at start, {machine.get('pythonLoop10MSecondsAtEnd', 0):.2f} s at end"
    )
    return "\n".join(lines)
