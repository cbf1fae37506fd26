"""python -m gridbudget: the command line."""

from .cli import main

main()
