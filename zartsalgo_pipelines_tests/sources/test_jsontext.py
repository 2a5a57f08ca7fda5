"""Scenario: JSON read exactly and fast. A line is read again by the standard library only when
it holds a run of 19 digits (where orjson could turn an integer into a float), and the test
for that run finds exactly what the regular expression ``[0-9]{19}`` finds, in any bytes."""

import re

from hypothesis import given
from hypothesis import strategies as st

from zartsalgo_pipelines.sources import jsontext

LONG_DIGITS = re.compile(rb"[0-9]{19}")
# Digits, their neighbours in ASCII and UTF-8 bytes, so runs of every length come up.
pieces = st.lists(
    st.sampled_from([b"0", b"9", b"5" * 18, b"1" * 19, b"/", b":", b" ", b"\xd9\xa0", b"\x00"]),
    max_size=40,
).map(b"".join)


@given(data=pieces | st.binary(max_size=200))
def test_a_run_of_19_digits_is_found_as_the_regex_finds_it(data: bytes) -> None:
    assert jsontext.has_long_digits(data) == (LONG_DIGITS.search(data) is not None)


def test_integers_of_any_length_are_kept_and_others_read_by_orjson() -> None:
    assert jsontext.loads(b'{"n": 1180591620717411303424}') == {"n": 2**70}
    assert jsontext.loads(b'{"n": 123456789012345678, "t": "2026-12-07T10:00:00Z"}') == {
        "n": 123456789012345678,
        "t": "2026-12-07T10:00:00Z",
    }
    assert jsontext.loads('{"n": 1180591620717411303424}') == {"n": 2**70}
