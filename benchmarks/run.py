"""closedloop benchmarks: each figure is a ratio against a baseline measured in the same run.

python benchmarks/run.py            # everything
python benchmarks/run.py sqlite     # one suite: lifecycle calendar sqlite sweep postgres
                                    # insights report events health aio django queues
python benchmarks/run.py --quick    # fewer repeats, smaller tables, for a smoke test
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_aio
import bench_calendar
import bench_django
import bench_events
import bench_health
import bench_insights
import bench_lifecycle
import bench_postgres
import bench_queues
import bench_report
import bench_sqlite
import bench_sweep


def main() -> None:
    suites = {
        "lifecycle": bench_lifecycle.run,
        "calendar": bench_calendar.run,
        "sqlite": bench_sqlite.run,
        "sweep": bench_sweep.run,
        "postgres": bench_postgres.run,
        "insights": bench_insights.run,
        "report": bench_report.run,
        "events": bench_events.run,
        "health": bench_health.run,
        "aio": bench_aio.run,
        "django": bench_django.run,
        "queues": bench_queues.run,
    }
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller tables")
    parser.add_argument("only", nargs="*", choices=[[], *suites], help="suites to run (all)")
    args = parser.parse_args()
    for name in args.only or suites:
        suites[name](quick=args.quick)
        print()


if __name__ == "__main__":
    main()
