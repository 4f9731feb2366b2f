"""The sign-in form asks for what is missing instead of calling an empty form a wrong password."""

from __future__ import annotations

import html

import httpx
import pytest

from authshift.accounts.login import GENERIC_FAILURE
from tests.pages.helpers import submit


@pytest.mark.parametrize(
    ("login_id", "password", "asked"),
    [
        ("", "", "Enter your email, phone number or username and your password."),
        ("   ", "secret-password", "Enter your email, phone number or username."),
        ("grace@example.com", "", "Enter your password."),
    ],
)
async def test_an_incomplete_form_asks_for_the_missing_field(
    client: httpx.AsyncClient, login_id: str, password: str, asked: str
) -> None:
    resp = await submit(client, "/login", {"login_id": login_id, "password": password})
    assert resp.status_code == 400
    text = html.unescape(resp.text)
    assert asked in text and GENERIC_FAILURE not in text
    assert f'value="{login_id}"' in resp.text  # what was typed is kept


async def test_a_complete_form_with_a_wrong_password_still_says_only_the_generic_failure(client: httpx.AsyncClient) -> None:
    resp = await submit(client, "/login", {"login_id": "nobody@example.com", "password": "wrong-password"})
    assert resp.status_code == 400 and GENERIC_FAILURE in html.unescape(resp.text) and "Enter your" not in resp.text
