"""How much CPU the reader side of an import spends per record, and at what memory.

    PYTHONPATH=src:. /work/venv/bin/python bench/read_records.py [N] [--profile FILE]

Generates N users exactly like the import benchmark (``bench_import.generate``: email, names,
a bcrypt hash, 3 custom attributes, external_id, email_verified, created_at) as NDJSON, then
reads the file, in this one process, with:

1. the floors: a bare loop decoding each line with ``json.loads`` and with ``orjson.loads``;
2. ``iter_native`` + ``SourceItem.parse`` (decoding and schema validation);
3. ``read_batches(path, ImportOptions(), batch_size=5000, ...)`` without ``prebuild``: everything
   the reader process of an import does to turn a line into a ``Candidate`` (``prepare``: the
   record JSON, the password hash parsed, the login IDs normalised, the keys).

It prints the CPU time per record (process time, not wall clock: other work on the machine
does not count), the part of it the cyclic garbage collector took, the ratio to each floor, and
the peak RSS. The collector is set as the import's reader process sets it
(``import_pipeline._produce``: ``gc.freeze()`` and thresholds of 100,000/50/100); ``--default-gc``
keeps Python's defaults instead (the collector then takes a large and noisy share).
``--profile FILE`` writes a cProfile of step 3 to FILE.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import generate  # noqa: E402

from authshift import passwords  # noqa: E402
from authshift.migration.formats import iter_native  # noqa: E402
from authshift.migration.imports.source import ImportOptions, read_batches  # noqa: E402


class GcTimer:
    """Wall time spent in the cyclic garbage collector while enabled."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def cpu_seconds(run: Callable[[], int], count: int, gc_timer: GcTimer | None = None) -> float:
    """The process time of ``run()``, which must return the number of records it handled."""
    if gc_timer is not None:
        gc.callbacks.append(gc_timer)
    start = time.process_time()
    handled = run()
    elapsed = time.process_time() - start
    if gc_timer is not None:
        gc.callbacks.remove(gc_timer)
    assert handled == count, (handled, count)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=200_000)
    parser.add_argument("--profile", help="write a cProfile of read_batches to this file")
    parser.add_argument("--default-gc", action="store_true", help="keep the collector's default thresholds")
    args = parser.parse_args()
    count: int = args.count
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "users.ndjson"
        generate(path, count)

        def stdlib_floor() -> int:
            with open(path, "rb") as stream:
                return sum(1 for line in stream if json.loads(line))

        def orjson_floor() -> int:
            with open(path, "rb") as stream:
                return sum(1 for line in stream if orjson.loads(line))

        def parse_only() -> int:
            parsed = 0
            with open(path, "rb") as stream:
                for item in iter_native(stream):
                    item.parse()
                    parsed += 1
            return parsed

        def batches() -> int:
            read = 0
            for batch in read_batches(path, ImportOptions(), batch_size=5000, limits=passwords.Limits(),
                                      hash_configs={}):
                assert not any(cand.errors for cand in batch)
                read += len(batch)
            return read

        if not args.default_gc:  # as the import's reader process (import_pipeline._produce)
            gc.collect()
            gc.freeze()
            gc.set_threshold(100_000, 50, 100)
        stdlib = cpu_seconds(stdlib_floor, count)
        fast = cpu_seconds(orjson_floor, count)
        parse = cpu_seconds(parse_only, count)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
        collector = GcTimer()
        full = cpu_seconds(batches, count, collector)
        if args.profile:
            profiler.disable()
            profiler.dump_stats(args.profile)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def per_record(seconds: float) -> str:
        return f"{seconds / count * 1e6:6.2f} us/record ({count / seconds:,.0f} records/s)"

    print(f"records:                          {count}")
    print(f"floor json.loads:                 {per_record(stdlib)}")
    print(f"floor orjson.loads:               {per_record(fast)}")
    print(f"iter_native + parse:              {per_record(parse)}")
    print(f"read_batches (prepare):           {per_record(full)}")
    print(f"  of which garbage collection:    {collector.seconds / count * 1e6:6.2f} us/record"
          f"{' (default thresholds)' if args.default_gc else ''}")
    print(f"read_batches / json.loads floor:  {full / stdlib:.1f}x")
    print(f"read_batches / orjson floor:      {full / fast:.1f}x")
    print(f"peak RSS:                         {peak_mb:.0f} MB (pid {os.getpid()})")


if __name__ == "__main__":
    main()
