"""The exceptions a user can meet; each message is one sentence that says what to do."""


class QAError(Exception):
    """Base class: the CLI and the page show ``str(error)`` and nothing else."""


class CorpusError(QAError):
    """The corpus cannot be read or holds no usable article."""


class IndexMissingError(QAError):
    """No index has been built where one was expected."""


class IndexStaleError(QAError):
    """The index was built from other articles, another model or other settings."""


class ModelError(QAError):
    """The embedding model cannot be loaded."""


class QuestionError(QAError):
    """The question is empty, too long or not a question we can search for."""
