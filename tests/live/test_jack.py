"""libjack's messages are rate-limited into our log."""
from djai_live.live.jack import RateLimited


def test_a_flood_is_cut_to_a_few_lines_and_the_rest_counted():
    now = [0.0]
    lines = []
    limited = RateLimited(lines.append, burst=3, window_s=10.0, clock=lambda: now[0])
    for i in range(100):  # 100 lines within one window: 3 get through
        limited(f"Server is not running {i}")
        now[0] += 0.01
    assert lines == ["Server is not running 0", "Server is not running 1", "Server is not running 2"]
    now[0] += 10.0
    limited("Cannot connect to server socket")
    assert lines[-1] == "Cannot connect to server socket (97 similar message(s) left out)"
    assert limited.suppressed_total == 97
