"""The files of a run folder (``runs/NAME/``), named in one light module: the CLI checks a folder
before it imports the controller."""

#: Every setting of the run, so that it resumes as it began.
CONFIG_FILE = "config.json"
#: The run's SQLite archive.
ARCHIVE_FILE = "archive.sqlite"
