"""The library's errors, importable without loading scikit-learn."""


class ArtifactError(RuntimeError):
    """The model artifact is missing, corrupt or does not match this code / taxonomy."""
