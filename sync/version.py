"""plansync's version, in a module of its own at the bottom of the house: the package's
`__init__` re-exports it, and modules that print or record it import it from here, never from
the package itself (which would make the package and them import each other)."""

__version__ = "0.1.0"
