"""``python -m zartsalgo_pipelines.samples``: write the demo export for a day, or the
benchmark's synthetic mix (``quote_request.py`` says what each holds)."""

import argparse
import datetime as dt
from pathlib import Path

from zartsalgo_pipelines.clock import proof_now
from zartsalgo_pipelines.samples.demo import write_demo
from zartsalgo_pipelines.samples.quote_request import SAMPLE_PATH, generate_records, write_jsonl
from zartsalgo_pipelines.samples.scenario import local_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].strip("`"))
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="the day the demo is made for (default: today in Berlin, or ZARTSALGO_AS_OF's day)",
    )
    which.add_argument("--rows", type=int, help="write the benchmark's mix of this many rows")
    parser.add_argument("--seed", type=int, default=7, help="with --rows")
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH)
    args = parser.parse_args()
    if args.rows is not None:
        count = write_jsonl(generate_records(args.rows, args.seed), args.out)
        print(f"wrote {count} records to {args.out}")
        return
    today = args.today or local_day(proof_now())
    count = write_demo(today, args.out)
    print(f"wrote the demo export for {today} ({count} lines) to {args.out}")


if __name__ == "__main__":
    main()
