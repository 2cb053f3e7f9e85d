"""closedloop benchmarks: each figure is a ratio against a baseline measured in the same run.

python benchmarks/run.py            # everything
python benchmarks/run.py --quick    # fewer repeats, for a smoke test
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_lifecycle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    bench_lifecycle.run(quick=args.quick)


if __name__ == "__main__":
    main()
