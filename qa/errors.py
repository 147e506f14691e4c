"""The exceptions a user can meet, all in one place; each message is one sentence that says what to do.

Every one derives from QAError, which the CLI and the page catch: whatever raises one, the user sees
``str(error)`` and nothing else. Modules that raised their own before this file held them all keep the
names importable where they were (``from qa.retrieve import FilterError`` still works).
"""


class QAError(Exception):
    """Base class: the CLI and the page show ``str(error)`` and nothing else."""


class SettingsError(QAError):
    """An environment variable has a value qa cannot use (one sentence per bad value)."""


class CorpusError(QAError):
    """The corpus cannot be read or holds no usable article."""


class CorpusMismatchError(QAError):
    """--corpus names another directory than the one the index was built from."""


class IndexMissingError(QAError):
    """No index has been built where one was expected."""


class IndexStaleError(QAError):
    """The index was built from other articles, another model or other settings."""


class ModelError(QAError):
    """The embedding model cannot be loaded."""


class RayError(QAError):
    """Ray is missing, cannot be reached, or failed while embedding."""


class QuestionError(QAError):
    """The question is empty, too long or not a question we can search for."""


class FilterError(QAError):
    """A filter value cannot be read, or the filters leave no article to search."""


class ParameterError(QAError):
    """An API argument has the wrong type, size or value."""
