"""Which field names hold a credential: the one rule audit rows, events and logs all apply.

A name containing password, secret, token or hash (a password hash, an API key's hash) is a
secret wherever it appears, even when its table forgets to declare it: a missed secret
must not reach the audit trail or the broker.
"""

import re

_CREDENTIAL_NAME = re.compile(r"password|secret|token|hash", re.IGNORECASE)


def is_secret_field(name: str) -> bool:
    return _CREDENTIAL_NAME.search(name) is not None
