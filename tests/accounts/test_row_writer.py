"""New users' rows are written one way (``accounts.row_writer``): creating one user and a bulk
import's batch (built by the writer or prebuilt by the reader) all go through ``write_user_rows``,
which knows a table for every part of ``UserRows``."""

from __future__ import annotations

import inspect
from dataclasses import fields

from authshift.accounts import users
from authshift.accounts.row_writer import USER_ROW_TABLES, write_user_rows
from authshift.accounts.rows import UserRows
from authshift.migration.imports import bulk as bulk_import
from authshift.migration.imports import prebuild as import_prebuild


def test_every_part_of_user_rows_has_its_table() -> None:
    assert [part for _table, part in USER_ROW_TABLES] == [f.name for f in fields(UserRows)]
    assert USER_ROW_TABLES[0][0].name == "users", "the user's row first: the others point to it"


def test_one_user_and_a_bulk_batch_are_written_by_the_same_function() -> None:
    assert "write_user_rows" in inspect.getsource(users.insert_user_rows)
    assert "write_user_rows" in inspect.getsource(bulk_import._write_users)
    assert bulk_import.write_user_rows is write_user_rows is users.write_user_rows
    assert import_prebuild.PrebuiltRows is bulk_import.PrebuiltRows
