"""The search spaces shipped with raygan, installed as ``raygan.search_spaces``.

``python -m raygan.search --space dcgan`` reads ``dcgan.yaml`` from here;
``--list-spaces`` lists them.  The format is described in :mod:`raygan.space`.
"""
