"""How the CLI shows results (rich tables and one-line messages) shared by commands.

Views turn data into text; they must not read files, call services or exit.
"""
