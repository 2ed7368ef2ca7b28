"""MUC-4 benchmark support: load the processed splits and score predictions with the three
published metrics (GTT template F1, CEAF-REE, CEAF-RME phi-subset)."""

from eventcoder.muc4.data import (
    ROLES,
    SPLITS,
    MucDocument,
    MucTemplate,
    default_data_dir,
    load_split,
)
from eventcoder.muc4.metrics import (
    BUCKETS,
    Cleanup,
    GttResult,
    Prf,
    ReeResult,
    RmeResult,
    normalize_mention,
    score_ceaf_ree,
    score_ceaf_rme,
    score_gtt,
    template_to_prediction,
    unique_templates,
)

__all__ = [
    "BUCKETS",
    "ROLES",
    "SPLITS",
    "Cleanup",
    "GttResult",
    "MucDocument",
    "MucTemplate",
    "Prf",
    "ReeResult",
    "RmeResult",
    "default_data_dir",
    "load_split",
    "normalize_mention",
    "score_ceaf_ree",
    "score_ceaf_rme",
    "score_gtt",
    "template_to_prediction",
    "unique_templates",
]
