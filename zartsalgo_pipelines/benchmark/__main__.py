"""``python -m zartsalgo_pipelines.benchmark [--latency] ...``: one run, its figures, JSON last."""

import argparse
import json

from zartsalgo_pipelines import settings


def main() -> None:
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
    parser.add_argument("--deliveries", type=int, default=40, help="webhooks posted (--latency)")
    parser.add_argument("--rate", type=float, default=1.0, help="deliveries a second (--latency)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="sync and definitions-load samples (--latency)"
    )
    args = parser.parse_args()
    if args.latency:
        from zartsalgo_pipelines.benchmark import latency

        print(
            json.dumps(
                latency.run(args.database_url, args.specs, args.deliveries, args.rate, args.repeat)
            )
        )
    else:
        from zartsalgo_pipelines.benchmark import throughput

        throughput.run(args)


if __name__ == "__main__":
    main()
