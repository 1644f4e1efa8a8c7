"""The one error backups raise."""


class BackupError(Exception):
    """A sentence for the operator: why the backup or restore did not happen."""
