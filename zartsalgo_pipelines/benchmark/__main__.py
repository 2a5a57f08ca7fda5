"""``python -m zartsalgo_pipelines.benchmark [--latency] ...``: one run, its figures, JSON last."""

import argparse
import json

from zartsalgo_pipelines import settings


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _rates(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",")]
    except ValueError:
        rates = []
    if not rates or any(not rate > 0 for rate in rates):
        raise argparse.ArgumentTypeError(f"expected rates above 0 like 1,5, got {text!r}")
    return rates


def _mapping_paths(text: str) -> list[str]:
    paths = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in paths if p not in settings.MAPPING_PATHS]
    if not paths or unknown or len(set(paths)) != len(paths):
        valid = ", ".join(settings.MAPPING_PATHS)
        raise argparse.ArgumentTypeError(f"expected distinct paths out of {valid}, got {text!r}")
    return paths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="zartsalgo_pipelines benchmark")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--database-url", default=None, help="a MySQL server URL (default SQLite)")
    parser.add_argument("--chunk-size", type=int, default=settings.DEFAULT_CHUNK_SIZE)
    parser.add_argument("--specs", type=int, default=100, help="provider specs for the load test")
    parser.add_argument(
        "--latency",
        action="store_true",
        help="small-sync overhead, definitions load and webhook-to-portal latency instead of "
        "throughput",
    )
    parser.add_argument(
        "--facts",
        action="store_true",
        help="the reporting path: daily ad-platform fact rows into metric facts (throughput)",
    )
    parser.add_argument(
        "--rates",
        type=_rates,
        default="1,5",
        help="webhook deliveries a second, one steady stream per rate in turn (--latency)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="how long each rate posts (--latency; shorten for a quick run)",
    )
    parser.add_argument(
        "--webhooks-only",
        action="store_true",
        help="the webhook streams alone, without the sync, load and command-line figures",
    )
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="a first load on each mapping path with the CPU and wall time of its steps, per "
        "thread (where the time goes, without a profiler's slowdown)",
    )
    parser.add_argument(
        "--paths",
        type=_mapping_paths,
        default=list(settings.MAPPING_PATHS),
        help="mapping paths to load the export with, side by side, comma-separated "
        "(default: columnar,rows; the first one's figures are the summary's own)",
    )
    parser.add_argument(
        "--repeat",
        type=_at_least_one,
        default=3,
        help="sync and definitions-load samples, at least 1 (--latency)",
    )
    return parser


def main() -> None:
    args = _parser().parse_args()
    if args.latency:
        from zartsalgo_pipelines.benchmark import latency
        from zartsalgo_pipelines.benchmark.webhook_latency import Rate

        rates = [Rate(per_second, args.seconds) for per_second in args.rates]
        summary = latency.run(
            args.database_url, args.specs, rates, args.repeat, webhooks_only=args.webhooks_only
        )
        print(json.dumps(summary))
    elif args.timeline:
        from zartsalgo_pipelines.benchmark import timeline

        timeline.run_timeline(args)
    elif args.facts:
        from zartsalgo_pipelines.benchmark import facts

        facts.run_facts(args)
    else:
        from zartsalgo_pipelines.benchmark import throughput

        throughput.run(args)


if __name__ == "__main__":
    main()
