"""How fast the native reader and parse_record turn a file into records, and at what memory.

    PYTHONPATH=src /work/venv/bin/python bench/read_records.py [N]

Generates N users like the import benchmark's (email, names, a bcrypt hash, 3 custom
attributes, external_id) as NDJSON, then reads them (1) with a bare loop of json.loads over the
lines — the floor — and (2) with iter_native + SourceItem.parse, and prints users/s, the ratio
to the floor and the peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time

from authshift.migration.sources import iter_native

BCRYPT = "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


def write_file(path: str, count: int) -> None:
    with open(path, "w") as out:
        for n in range(count):
            out.write(json.dumps({
                "external_id": f"legacy-{n}", "email": f"user{n}@example.com", "given_name": "Given",
                "family_name": f"Family{n}", "password": {"hash": BCRYPT},
                "custom_attributes": {"plan": "pro", "seats": n % 50, "beta": n % 2 == 0},
            }) + "\n")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "users.ndjson")
        write_file(path, count)
        start = time.perf_counter()
        with open(path, "rb") as stream:
            floor_count = sum(1 for line in stream if json.loads(line))
        floor = time.perf_counter() - start
        start = time.perf_counter()
        parsed = 0
        with open(path, "rb") as stream:
            for item in iter_native(stream):
                item.parse()
                parsed += 1
        elapsed = time.perf_counter() - start
    assert parsed == floor_count == count
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"users:                 {count}")
    print(f"json.loads floor:      {count / floor:,.0f} users/s")
    print(f"iter_native + parse:   {count / elapsed:,.0f} users/s")
    print(f"ratio to floor:        {elapsed / floor:.1f}x slower")
    print(f"peak RSS:              {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
