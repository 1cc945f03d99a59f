"""The one exception type users see.

Every problem a user can fix (bad config, missing data, corrupt file) is raised as
:class:`RayganError` with a one-line message naming the problem and the fix.  CLIs catch
it, print the message and exit with status 2; anything else is a bug and keeps its
traceback.
"""


class RayganError(ValueError):
    """A user-fixable problem; ``str(err)`` is a single line saying what to do."""

    def __init__(self, message: str, fields: tuple[str, ...] | str = ()):
        super().__init__(message)
        self.fields = (fields,) if isinstance(fields, str) else tuple(fields)


def first_line(err: BaseException, limit: int = 160) -> str:
    """The first line of a third-party error's message (or its type's name), to quote inside a RayganError."""
    text = str(err).strip()
    return text.splitlines()[0][:limit] if text else type(err).__name__
