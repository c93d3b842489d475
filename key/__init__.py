"""The answer key of vaebook's exercises and its nbgrader tools (key/grade.py); not part of the installed package."""
