"""Whatever a patient types, triage answers with a bucket (or none: small talk) and never raises."""

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.triage.engine import BUCKETS, NO_BUCKET, Context, Reply, triage

WORDISH = st.lists(
    st.sampled_from(
        [
            "no",
            "not",
            "pain",
            "chest",
            "breathe",
            "in",
            "6/10",
            "ten",
            "out",
            "of",
            "~",
            "@",
            "*",
            "",
            "'",
            "’",
            "😬",
            "👍",
            "was",
            "now",
            "38.9",
            "but",
            ",",
            ".",
            "and",
            "3rd",
            "/",
        ]
    ),
    max_size=30,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(max_size=400), WORDISH),
    hours=st.floats(min_value=0, max_value=500),
    area=st.text(max_size=20),
)
def test_arbitrary_text_never_raises(guidance, text, hours, area):
    result = triage(Reply(text), Context(hours=hours, areas=(area,)), guidance)
    assert result.bucket in (*BUCKETS, NO_BUCKET)
    assert result.checkin_hour in guidance.checkin_hours
