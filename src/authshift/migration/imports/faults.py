"""What went wrong in an import job, told apart and summed up without repeating record data.

``refused_data`` tells a database refusing one of a batch's values (the batch is then written
one record at a time, and the refused record fails alone) from the database or the process
failing (the job's run stops, and is retried up to ``[imports] max_attempts`` times in a row).
``crash_summary`` is what a job's ``error`` says about an unexpected failure: exception messages
may quote the record (a password hash), so only their types are kept.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError

__all__ = ["crash_summary", "refused_data"]


def refused_data(exc: BaseException) -> bool:
    """Whether the database (or its driver) refused a value of the batch, rather than failing
    itself: encoding errors, SQLSTATE class 22 ("data exception") and SQLAlchemy's DataError."""
    if isinstance(exc, (DataError, UnicodeError, ValueError, OverflowError, TypeError, RecursionError)):
        return True
    for error in (exc, getattr(exc, "orig", None), exc.__cause__):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if isinstance(code, str) and code.startswith("22"):
            return True
    return False


def crash_summary(exc: BaseException) -> str:
    """What went wrong, for the job's ``error``: the exception's type (its message may hold record
    data), or our own message for the reader's errors."""
    message = str(exc)
    if isinstance(exc, RuntimeError) and message.startswith("the import reader"):
        return message
    orig = getattr(exc, "orig", None)  # a database error: the driver's exception type
    return f"{type(exc).__name__} ({type(orig).__name__})" if orig is not None else type(exc).__name__
