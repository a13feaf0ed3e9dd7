"""Feature networks behind one contract (``base.py``) and one registry (``registry.py``):
``inception-v3-fid`` built in, any user network by ``register_extractor`` or
``--features module:function``. ``runner.py`` runs a network over an input; ``cache.py`` keeps
the features, keyed by content and feature space."""
