"""Event state as JSON through orjson: the same bytes as eventsourcing's JSON transcoder.

Every exchange writes three events, so encoding sits on the posting path; orjson does it
several times faster. Datetimes are passed to the registered transcodings, so stored state
keeps eventsourcing's `{"_type_": ..., "_data_": ...}` form and either transcoder reads it.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=self._encode_obj, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def decode(self, data: bytes) -> Any:
        return self._revive(orjson.loads(data))

    def _revive(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decode_obj(value)
            return {key: self._revive(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._revive(item) for item in value]
        return value
