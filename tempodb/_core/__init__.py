"""The sans-IO client core: requests built and answers parsed as values, calls as generators of effects."""
