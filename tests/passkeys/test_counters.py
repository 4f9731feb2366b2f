"""The signature counter rule (WebAuthn L3 §7.2, §6.1.1): zero means "no counter" (synced and
exported passkeys), a repeat is accepted, only a non-zero value below the stored one is refused."""

from __future__ import annotations

import pytest

from authshift.accounts.passkeys import CounterVerdict, judge_sign_count


@pytest.mark.parametrize(("stored", "presented", "verdict"), [
    (0, 0, CounterVerdict.NO_COUNTER),  # an authenticator without a counter, as registered
    (57, 0, CounterVerdict.NO_COUNTER),  # a passkey imported with a count, now synced: reports zero
    (0, 1, CounterVerdict.ADVANCED),
    (7, 8, CounterVerdict.ADVANCED),
    (7, 7, CounterVerdict.REPEATED),  # non-increasing but not lower: not a clone alarm
    (100, 6, CounterVerdict.WENT_BACK),  # the one suspicious case
    (2**32 - 1, 1, CounterVerdict.WENT_BACK),
])
def test_counter_verdicts(stored: int, presented: int, verdict: CounterVerdict) -> None:
    assert judge_sign_count(stored, presented) is verdict
