"""Flood limits and injected faults, on a clock the test moves by hand."""

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.faults import Faults
from bot.emulator.limits import RateLimiter, RateLimits


class FakeClock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _refused_after(limiter, chat_id, *, is_group=False, counts_overall=True):
    """retry_after of the refusal, or None when the message may pass."""
    try:
        limiter.check(chat_id, is_group=is_group, counts_overall=counts_overall)
    except ApiError as refused:
        assert refused.status == 429
        assert refused.description == f"Too Many Requests: retry after {refused.retry_after}"
        return refused.retry_after
    return None


def test_private_chat_allows_a_burst_of_three_then_one_a_second():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock)
    assert [_refused_after(limiter, 1) for _ in range(4)] == [None, None, None, 1]
    clock.advance(0.5)
    assert _refused_after(limiter, 1) == 1  # half a token: Telegram rounds the wait up
    clock.advance(0.5)
    assert _refused_after(limiter, 1) is None
    assert _refused_after(limiter, 1) == 1


def test_private_chats_are_limited_separately():
    limiter = RateLimiter(RateLimits(), FakeClock())
    for chat_id in range(1, 11):
        assert [_refused_after(limiter, chat_id) for _ in range(3)] == [None] * 3


def test_overall_limit_is_a_sliding_second():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(overall_per_second=30), clock)
    assert all(_refused_after(limiter, chat_id) is None for chat_id in range(30))
    assert _refused_after(limiter, 99) == 1
    clock.advance(0.999)
    assert _refused_after(limiter, 99) == 1
    clock.advance(0.001)
    assert _refused_after(limiter, 99) is None


def test_overall_limit_can_be_raised_for_benchmarks():
    limiter = RateLimiter(RateLimits(overall_per_second=300), FakeClock())
    assert all(_refused_after(limiter, chat_id) is None for chat_id in range(300))
    assert _refused_after(limiter, 300) == 1


def test_group_allows_twenty_a_minute():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock)
    for _ in range(20):
        assert _refused_after(limiter, -5, is_group=True) is None
        clock.advance(1)
    assert _refused_after(limiter, -5, is_group=True) == 40  # the first falls out of the window at 60 s
    clock.advance(40)
    assert _refused_after(limiter, -5, is_group=True) is None


def test_edits_count_per_chat_but_not_overall():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(overall_per_second=1), clock)
    assert _refused_after(limiter, 1, counts_overall=False) is None
    assert _refused_after(limiter, 2, counts_overall=False) is None
    assert _refused_after(limiter, 3) is None
    assert _refused_after(limiter, 4) == 1


def test_a_refused_message_uses_up_nothing():
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(), clock)
    for _ in range(10):
        _refused_after(limiter, 1)
    clock.advance(1)
    assert _refused_after(limiter, 1) is None


def test_fail_next_counts_down_and_spares_polling():
    faults = Faults(FakeClock())
    faults.fail_next(2, status=502)
    assert faults.failure("getUpdates") is None
    assert [faults.failure("sendMessage").status, faults.failure("getMe").status] == [502, 502]
    assert faults.failure("sendMessage") is None


def test_fail_for_lasts_its_window_on_the_clock():
    clock = FakeClock()
    faults = Faults(clock)
    faults.fail_for(10, status=500, methods=["sendMessage"])
    assert faults.failure("sendMessage").description == "Internal Server Error"
    assert faults.failure("editMessageText") is None
    clock.advance(10)
    assert faults.failure("sendMessage") is None


def test_storm_429_refuses_sending_methods_with_its_retry_after():
    clock = FakeClock()
    faults = Faults(clock)
    faults.storm_429(5, retry_after=7)
    refused = faults.failure("sendMessage")
    assert (refused.status, refused.retry_after) == (429, 7)
    assert faults.failure("answerCallbackQuery") is None
    clock.advance(5)
    assert faults.failure("editMessageText") is None


@pytest.mark.parametrize(("times", "delays"), [(None, [2.0, 2.0, 2.0]), (1, [2.0, 0.0, 0.0])])
def test_delay_holds_matching_replies(times, delays):
    faults = Faults(FakeClock())
    faults.delay(2.0, for_methods=["sendMessage"], times=times)
    assert faults.response_delay("getMe") == 0.0
    assert [faults.response_delay("sendMessage") for _ in range(3)] == delays


def test_clear_removes_every_fault():
    faults = Faults(FakeClock())
    faults.fail_next(5)
    faults.clear()
    assert faults.failure("sendMessage") is None
