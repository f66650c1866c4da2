"""Address intelligence, public surface: parse one / many addresses, and the model's features.

The parser lives in :mod:`features.address_parser` (text clean-up in ``address_text``, the
gazetteer index in ``address_lexicon``); the defect model's features in ``address_features``.
"""

from features.address_features import FEATURES, address_feature_frame
from features.address_parser import Analysis, analyse, parse_address, parse_addresses, prime
from features.address_text import phone_kind, valid_phone

__all__ = [
    "FEATURES",
    "Analysis",
    "address_feature_frame",
    "analyse",
    "parse_address",
    "parse_addresses",
    "phone_kind",
    "prime",
    "valid_phone",
]
