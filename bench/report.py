"""bench/results.md: what was measured, on what, against which target, and whether each target was met."""

from dataclasses import dataclass, field

from reads import P95_LIMIT, Measured, Subjects
from server import Database

RSS_LIMIT_MIB = 200


@dataclass
class DatabaseRun:
    database: Database
    synth_seconds: float
    subjects: Subjects
    measured: list[Measured]
    memory_after_reads: dict[int, dict]
    memory_after_writes: dict[int, dict] = field(default_factory=dict)
    read_log: dict[str, int] = field(default_factory=dict)
    read_log_samples: list[str] = field(default_factory=list)
    writes: dict | None = None
    profiles: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> Measured:
        return self.measured[0]


def ratios(m: Measured, baseline: Measured) -> tuple[float, float]:
    return m.rps / baseline.rps, m.p95_ms / baseline.p95_ms


def has_target(m: Measured, baseline: Measured) -> bool:
    return m is not baseline and not (m.page.reference and m.page.min_throughput is None)


def misses(m: Measured, baseline: Measured, database: str) -> list[str]:
    """What `m` missed: its throughput share, its p95, or nothing."""
    if not has_target(m, baseline):
        return []
    throughput, p95 = ratios(m, baseline)
    found = []
    target = m.page.target(database)
    if target is not None and throughput < target:
        found.append("throughput")
    if p95 >= P95_LIMIT:
        found.append("p95")
    if m.bad_status or m.socket_errors:
        found.append("errors")
    if m.requests == 0:
        found.append("no answer within the run")
    return found


def target_text(m: Measured, database: str) -> str:
    if m.page.reference and m.page.min_throughput is None:
        return "none (a floor)"
    if m.page.who is None:
        return "baseline"
    target = m.page.target(database)
    share = f"≥ {target:g}× req/s, " if target is not None else ""
    return f"{share}p95 < {P95_LIMIT:g}×"


def read_table(run: DatabaseRun) -> list[str]:
    out = [
        "| page | path | req/s | p50 ms | p95 ms | p99 ms | req/s ÷ baseline | p95 ÷ baseline | target | met | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for m in run.measured:
        throughput, p95 = ratios(m, run.baseline)
        missed = misses(m, run.baseline, run.database.kind)
        met = (
            "—" if not has_target(m, run.baseline) else ("yes" if not missed else "**no** (" + ", ".join(missed) + ")")
        )
        out.append(
            f"| {m.page.name} | `{m.path}` | {m.rps:,.1f} | {m.p50_ms:.1f} | {m.p95_ms:.1f} | {m.p99_ms:.1f} "
            f"| {throughput:.3f} | {p95:.2f} | {target_text(m, run.database.kind)} | {met} | {m.load_1m:.1f} |"
        )
    return out


def floors(run: DatabaseRun) -> list[str]:
    """What the two reference pages say about every target: no page can be cheaper than its floor."""
    found = {m.page.path: m for m in run.measured if m.page.reference}
    query, signed_in = found.get("/readyz"), found.get("/search")
    if not (query and signed_in):
        return []
    q, _ = ratios(query, run.baseline)
    f, _ = ratios(signed_in, run.baseline)
    return [
        f"Floors: the readiness check (`/readyz`: the database asked twice, no session, no template) reached {q:.2f} "
        f"of the baseline's requests/s; the "
        f"smallest signed-in page (`/search` without a query: the session checked in the database, the navigation "
        f"counts and the layout drawn, no work of its own) reached {f:.2f}. Every page drawn pays that floor before "
        f"its own work; a kept page served again (academy/page_cache.py) pays the session check and its key, "
        f"and draws nothing, so it may pass the floor.",
        "",
    ]


def memory_table(run: DatabaseRun) -> list[str]:
    out = ["| worker pid | RSS after reads (MiB) | RSS after writes (MiB) | peak RSS (MiB) | target | met |"]
    out.append("|---:|---:|---:|---:|---|---|")
    for pid, mem in run.memory_after_reads.items():
        after = run.memory_after_writes.get(pid)
        peak = max(mem["peak_mib"], after["peak_mib"] if after else 0)
        met = "yes" if mem["rss_mib"] < RSS_LIMIT_MIB else "**no**"
        out.append(
            f"| {pid} | {mem['rss_mib']:.1f} | {after['rss_mib']:.1f} | {peak:.1f} | < {RSS_LIMIT_MIB} MiB | {met} |"
            if after
            else f"| {pid} | {mem['rss_mib']:.1f} | — | {peak:.1f} | < {RSS_LIMIT_MIB} MiB | {met} |"
        )
    return out


def writes_ok(w: dict) -> bool:
    failed = sum(o["requests"] for o in w["record"]["outcomes"] if o["outcome"] != "as expected")
    return (
        failed == 0
        and w["record"]["total"]["failures"] == 0
        and all(c.ok for c in w["checks"])
        and not any(w["invariants"].values())
        and not any(w["server_log"].values())
    )


def writes_section(w: dict) -> list[str]:
    record = w["record"]
    out = [
        f"{w['trainees']} trainees and {w['mentors']} mentors (cohorts {', '.join(map(str, w['cohorts']))}) for "
        f"{w['seconds']} s, each waiting {w['wait'][0]:g}–{w['wait'][1]:g} s between actions. Verdict: "
        + ("**nothing lost, no request failed.**" if writes_ok(w) else "**FAILED** (see below)."),
        "",
        "| action | outcome | requests |",
        "|---|---|---:|",
    ]
    out += [f"| {o['action']} | {o['outcome']} | {o['requests']:,} |" for o in record["outcomes"]]
    out += [
        "",
        "Every acknowledged write, looked up in the database afterwards:",
        "",
        "| write | acknowledged | stored exactly once | missing | duplicated | not as acknowledged "
        "| stored without an acknowledgement |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    out += [
        f"| {c.what} | {c.acknowledged:,} | {c.found_once:,} | {c.missing} | {c.duplicated} | {c.mismatched} "
        f"| {c.unacknowledged} |"
        for c in w["checks"]
    ]
    out += ["", "Database rules after the run: " + "; ".join(f"{k}: {v}" for k, v in w["invariants"].items()) + "."]
    out += ["Server log during the run: " + "; ".join(f"{k}: {v}" for k, v in w["server_log"].items()) + "."]
    out += log_samples(w["server_log_samples"])
    out += [
        "",
        "| request | count | failed | req/s | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in [*record["requests"], {**record["total"], "name": "**all**"}]:
        out.append(
            f"| {e['name']} | {e['requests']:,} | {e['failures']} | {e['rps']:.1f} | {e['p50_ms']:.0f} "
            f"| {e['p95_ms']:.0f} | {e['max_ms']:.0f} |"
        )
    if record["errors"]:
        out += ["", "Failures as locust recorded them:", ""]
        out += [f"- {e['count']} × {e['name']}: {e['error']}" for e in record["errors"]]
    return out


def log_samples(lines: list[str]) -> list[str]:
    if not lines:
        return []
    return ["", "Warnings and errors in the server log (distinct lines, first few):", "", "```", *lines, "```"]


def database_section(run: DatabaseRun) -> list[str]:
    s = run.subjects
    out = [
        f"## {run.database.version}",
        "",
        f"Synthetic academy built in {run.synth_seconds:.0f} s. Measured as: trainee `{s.trainee}` (module "
        f"`{s.module_id}`, the next one open to them), their mentor `{s.mentor}` ({s.waiting_in_queue} submissions "
        f"waiting in the cohort), manager `{s.manager}`; cohort {s.cohort_id} “{s.cohort_name}”, started "
        f"{s.cohort_start.isoformat()}.",
        "",
        "### Reads",
        "",
        *read_table(run),
        "",
        *floors(run),
        "Response sizes: " + ", ".join(f"{m.page.name} {m.response_bytes / 1000:,.1f} kB" for m in run.measured) + ".",
        "Non-2xx/3xx answers and socket errors during the runs: "
        + ", ".join(f"{m.page.name} {m.bad_status}/{m.socket_errors}" for m in run.measured)
        + ". Server log during the reads: "
        + "; ".join(f"{k}: {v}" for k, v in run.read_log.items())
        + ".",
        *log_samples(run.read_log_samples),
        "",
        "### Memory of the gunicorn workers",
        "",
        *memory_table(run),
        "",
    ]
    if run.writes:
        out += ["### Writes under load", "", *writes_section(run.writes), ""]
    if run.profiles:
        out += ["### Profiles of the pages that missed a target", "", *run.profiles]
    return out


def summary(runs: list[DatabaseRun]) -> list[str]:
    out = ["| database | pages that met every target | pages that missed | workers under 200 MiB | writes |"]
    out.append("|---|---|---|---|---|")
    for run in runs:
        pages = [m for m in run.measured if has_target(m, run.baseline)]
        kind = run.database.kind
        missed = [f"{m.page.name} ({', '.join(found)})" for m in pages if (found := misses(m, run.baseline, kind))]
        rss = sum(mem["rss_mib"] < RSS_LIMIT_MIB for mem in run.memory_after_reads.values())
        writes = "not run" if run.writes is None else ("ok" if writes_ok(run.writes) else "**failed**")
        out.append(
            f"| {run.database.version} | {len(pages) - len(missed)} of {len(pages)} | {'; '.join(missed) or 'none'} "
            f"| {rss} of {len(run.memory_after_reads)} | {writes} |"
        )
    return out


def render(runs: list[DatabaseRun], context: dict, settings: dict) -> str:
    lines = [
        "# Load benchmark results",
        "",
        "Written by `python bench/run.py` (see bench/README.md); a rerun replaces all of it, hand-written notes too.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in context.items()],
        "",
        "Settings: " + "; ".join(f"{k} {v}" for k, v in settings.items()) + ".",
        "",
        "Targets (issue 21, ratios to `/healthz` in the same run): the signed-in floor ≥ 0.45 of the baseline's "
        "requests/s on SQLite and ≥ 0.35 on PostgreSQL, module page ≥ 0.25, learning path and review queue ≥ 0.2, "
        "cohort page ≥ 0.1, CSV export ≥ 0.05 (the API's cohort progress has no throughput target); "
        f"every page's p95 < {P95_LIMIT:g} × the baseline's p95; every gunicorn worker "
        f"under {RSS_LIMIT_MIB} MiB resident after the read benchmark; under writes, every acknowledged write "
        "stored exactly once and no request failed.",
        "",
        "## Summary",
        "",
        *summary(runs),
        "",
    ]
    for run in runs:
        lines += database_section(run)
    return "\n".join(lines).rstrip() + "\n"
