"""One module per family of hash formats; ``registry`` puts them in order."""
