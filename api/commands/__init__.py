"""Command groups of the `timebank` console script, one module each."""
