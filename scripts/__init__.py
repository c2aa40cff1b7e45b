"""Build tooling run from the repository root (``python -m scripts.package``); not shipped to Lambda."""
