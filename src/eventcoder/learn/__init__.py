"""Learned components of the extractor: a CRF role tagger and document-level classifiers,
trained on MUC-4 (``eventcoder train muc4``) and shipped as data files in
``eventcoder/data/models/``. Inference needs only python-crfsuite and numpy."""
