"""``make drill``: fault drills against real, private services.

Starts its own PostgreSQL (Debian's ``initdb``/``pg_ctl`` in a temporary folder) and Redis
(``redis-server --port N``) on spare ports, migrates a fresh database there, runs the app's
real processes (gunicorn, a Celery worker, Celery beat) and a stand-in Discourse forum, then:

1. kills the worker during a bulk recalculation,
2. stops Redis for a minute while Discourse webhooks arrive,
3. restarts PostgreSQL under load,
4. and checks that cooldowns whose end passed during those faults have ended.

Afterwards nothing may be lost, every budget must equal the pure function, and the time to
converge is printed. Everything it started is stopped at the end (also on Ctrl-C); the
machine's shared PostgreSQL and Redis are never touched. Exit code 1 if any check failed.

    python -m drill [--quick] [--scenarios kill-worker,redis-outage,postgres-restart]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import FrameType

from drill import redis_outage, scenarios
from drill.app import App, Probe
from drill.forum import Forum
from drill.scenarios import COMMUNITY, Drill, Options, Result, Say
from drill.services import PrivatePostgres, PrivateRedis, make_root
from drill.traffic import Api

SCENARIOS = ("kill-worker", "redis-outage", "postgres-restart")
SECRET = "drill-webhook-secret-0123"  # noqa: S105 - a throwaway database that lives minutes

FULL = {
    "members": 6_000,
    "posts": 4,
    "charges": 1,
    "chunk_size": 100,
    "kill": "worker",
    "redis_outage": 60.0,
    "webhook_rate": 5.0,
    "pg_load_seconds": 20.0,
    "cooldown_seconds": 6.0,
    "converge_timeout": 300.0,
}
QUICK = FULL | {
    "members": 2_000,
    "posts": 3,
    "chunk_size": 50,
    "kill": "pool",
    "redis_outage": 15.0,
    "pg_load_seconds": 10.0,
    "converge_timeout": 240.0,
}


def parse(argv: list[str]) -> tuple[Options, list[str], bool]:
    parser = argparse.ArgumentParser(prog="python -m drill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short faults (~2 min)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--members", type=int, help="members loaded for the bulk recalculation")
    parser.add_argument("--posts", type=int, help="posts per member")
    parser.add_argument("--charges", type=int, help="moderator warnings per member")
    parser.add_argument("--chunk-size", type=int, help="the worker's BUDGETS_RECALC_CHUNK_SIZE")
    parser.add_argument(
        "--kill",
        choices=("worker", "pool"),
        help="worker: SIGKILL the whole worker, start a new one (default); pool: SIGKILL only "
        "its pool processes, the main process survives (--quick)",
    )
    parser.add_argument("--redis-outage", type=float, help="seconds Redis is down (default 60)")
    parser.add_argument("--webhook-rate", type=float, help="Discourse deliveries per second")
    parser.add_argument("--pg-load-seconds", type=float, help="seconds of load around the restart")
    parser.add_argument("--cooldown-seconds", type=float, help="length of the short cooldown")
    parser.add_argument("--converge-timeout", type=float, help="seconds to wait for convergence")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)
    values = dict(QUICK if args.quick else FULL)
    for name in values:
        given = getattr(args, name)
        if given is not None:
            values[name] = given
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )
    return Options(**values), chosen, args.keep  # type: ignore[arg-type]


def set_up(drill: Drill) -> None:
    app, say = drill.app, drill.say
    drill.postgres.start()
    pg = drill.postgres
    say("did", f"started a private PostgreSQL on port {pg.port} in {pg.root}")
    drill.redis.start()
    say("did", f"started a private Redis on port {drill.redis.port} (no persistence)")
    started = time.monotonic()
    app.manage("migrate", "--noinput")
    say("did", f"migrated a fresh database in {time.monotonic() - started:.1f} s")
    app.manage("create_community", "--slug", COMMUNITY, "--name", "Drill Commons")
    key = (
        app.manage(
            "create_api_key", "--community", COMMUNITY, "--scopes", "events:write,read,moderate"
        )
        .strip()
        .splitlines()[-1]
    )
    drill.forum.start()
    drill.webhook_path = app.manage(
        "connect_discourse", "--community", COMMUNITY, "--base-url", drill.forum.base_url,
        "--secret", SECRET, "--api-key", "drill-forum-key", "--api-username", "system",
    ).strip().splitlines()[-1]  # fmt: skip
    drill.secret = SECRET
    say(
        "did", f"community, API key and Discourse connection (forum stand-in on {drill.forum.port})"
    )
    drill.probe = Probe(app)
    app.start_web()
    app.start_worker()
    app.start_beat()
    drill.api = Api(app.web_url, key)
    say("did", f"web (gunicorn on {app.web_port}), worker and beat are up")


def summary(results: list[Result], elapsed: float) -> None:
    print(f"\n  {'scenario':<38} {'result':<8} converged")
    print("  " + "-" * 76)
    for r in results:
        when = (
            f"{r.converge_seconds:6.1f} s {r.converge_label}"
            if r.converge_seconds is not None
            else "-"
        )
        print(f"  {r.scenario:<38} {'PASS' if r.ok else 'FAIL':<8} {when}")
        for c in r.checks:
            if not c.ok:
                print(f"      FAIL {c.name}: {c.detail[:400]}")
        if r.error:
            print(f"      ERROR {r.error[:600]}")
    print(f"\n  drill finished in {elapsed:.0f} s\n", flush=True)


def main(argv: list[str]) -> int:
    options, chosen, keep = parse(argv)
    say = Say()
    root = make_root()
    postgres = PrivatePostgres(root=root)
    redis = PrivateRedis(root=root)
    app = App(root=root, postgres=postgres, redis=redis, chunk_size=options.chunk_size)
    drill = Drill(options=options, app=app, postgres=postgres, redis=redis, forum=Forum(), say=say)
    results: list[Result] = []
    cooldowns = Result("cooldowns that should end, end")

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        set_up(drill)
        drill.load(prefix="load-", members=options.members)
        plan: list[tuple[str, Callable[[Result], None]]] = []
        if "kill-worker" in chosen:
            plan.append(
                (
                    "kill the worker mid-recalculation",
                    lambda r: scenarios.kill_worker(drill, r, cooldowns),
                )
            )
        if "redis-outage" in chosen:
            plan.append(
                (
                    f"Redis down {options.redis_outage:.0f} s, webhooks in",
                    lambda r: redis_outage.redis_outage(drill, r, cooldowns),
                )
            )
        if "postgres-restart" in chosen:
            plan.append(
                ("restart PostgreSQL under load", lambda r: scenarios.postgres_restart(drill, r))
            )
        for title, run in plan:
            print(f"\n=== {title} ===", flush=True)
            result = Result(title)
            results.append(result)
            try:
                run(result)
            except Exception as exc:
                result.error = f"{type(exc).__name__}: {exc}"
                say("error", traceback.format_exc())
            if not result.ok:
                _show_logs(drill)
        if drill.later:
            print("\n=== cooldowns that should have ended ===", flush=True)
            results.append(cooldowns)
            for check in drill.later:
                try:
                    check()
                except Exception as exc:
                    cooldowns.error = f"{type(exc).__name__}: {exc}"
                    say("error", traceback.format_exc())
    except KeyboardInterrupt:
        say("stop", "interrupted: stopping everything the drill started")
        results.append(Result("interrupted", error="interrupted"))
    except Exception as exc:
        say("error", traceback.format_exc())
        results.append(Result("set-up", error=f"{type(exc).__name__}: {exc}"))
        _show_logs(drill)
    finally:
        tear_down(drill)
        if keep:
            say("kept", f"logs and data in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    summary(results, time.monotonic() - say.t0)
    return 0 if results and all(r.ok for r in results) else 1


def _show_logs(drill: Drill) -> None:
    for proc in [*drill.app.procs.values(), *drill.app.retired]:
        tail = proc.log_tail(8)
        if tail:
            print(f"--- last lines of {proc.log_path.name} ---\n{tail}", flush=True)


def tear_down(drill: Drill) -> None:
    """Stop everything the drill started, whatever happened (each step on its own)."""
    steps: list[Callable[[], None]] = [
        lambda: drill.api.close() if drill.api else None,
        drill.app.stop_all,
        lambda: drill.probe.close() if drill.probe else None,
        drill.forum.stop,
        drill.redis.stop,
        drill.postgres.stop,
    ]
    for step in steps:
        try:
            step()
        except Exception:
            traceback.print_exc()
    drill.say("did", "stopped web, worker, beat, the forum stand-in, Redis and PostgreSQL")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
