"""Verify time per password format on this machine.

For each registry format, the time of one ``verify`` of its documented example (median of a few
runs, after one warm-up), then a few hashes at the producing systems' current default costs,
which is what a real login pays. The floor is one raw ``hashlib.sha256`` of a short password,
measured in the same run; the ratio column is verify time / floor.

    PYTHONPATH=src python bench/bench_passwords.py [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections.abc import Callable

from authshift.passwords import StoredPassword, formats, hash_password, parse, verify


def median_seconds(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up (imports, caches)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def floor_seconds() -> float:
    """One sha256 of a short password: the cheapest thing a verify could be."""
    loops = 200_000
    data = b"correct horse battery staple"
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(loops):
            hashlib.sha256(data).digest()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def production_defaults() -> list[tuple[str, str, StoredPassword]]:
    """(label, password, stored) hashed by the real producers at their current defaults."""
    import bcrypt
    from django.conf import settings
    from passlib.hash import sha512_crypt
    from werkzeug.security import generate_password_hash

    if not settings.configured:
        settings.configure()
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    password = "correct horse battery staple"
    rows = [
        ("argon2id (authshift native)", hash_password(password).value),
        ("bcrypt cost 12", bcrypt.hashpw(password.encode(), bcrypt.gensalt(12)).decode()),
        ("Django 5.2 pbkdf2_sha256 (1,000,000)", PBKDF2PasswordHasher().encode(password, "benchsalt1234567")),
        ("Werkzeug 3 scrypt (32768, 8, 1)", generate_password_hash(password)),
        ("Werkzeug pbkdf2:sha256 (1,000,000)", generate_password_hash(password, method="pbkdf2:sha256:1000000")),
        ("passlib sha512_crypt (656,000)", sha512_crypt.using(rounds=656_000).hash(password)),
        ("glibc sha512_crypt (5,000)", sha512_crypt.using(rounds=5000).hash(password)),
    ]
    return [(label, password, parse(value)) for label, value in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    floor = floor_seconds()
    print(f"floor: one hashlib.sha256 of a short password = {floor * 1e6:.2f} us\n")
    print(f"{'format / case':44} {'verify ms':>10} {'x floor':>12}")
    print("-" * 68)
    for info in formats():
        stored = parse(info.example)
        seconds = median_seconds(lambda info=info, stored=stored: verify(info.example_password, stored), args.runs)
        print(f"{info.name:44} {seconds * 1e3:10.3f} {seconds / floor:12,.0f}")
    print("\nat the producing systems' current default costs:")
    print("-" * 68)
    for label, password, stored in production_defaults():
        runs = max(3, args.runs // 2)
        seconds = median_seconds(lambda password=password, stored=stored: verify(password, stored), runs)
        print(f"{label:44} {seconds * 1e3:10.3f} {seconds / floor:12,.0f}")


if __name__ == "__main__":
    main()
