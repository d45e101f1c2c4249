"""The sandbox's blueprints: ``front`` (HTML pages), ``oauth``, ``api`` and ``control``."""
