"""The hand-over pedal in the accompaniment: held, the daemon's turn; released, the performer's."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .policy import Policy, PolicyError

if TYPE_CHECKING:
    from .accompany import Accompaniment


def play_on(policy: Accompaniment, held: bool) -> None:
    """Held: the accompaniment plays on from where the band is and does not rest when the performer stops
    (its stop time is None while ``daemon_turn``); released: it rests phrase_gap_ms (plus carry_on_beats)
    after the performer's last note, as before. Raises PolicyError when it has heard nothing yet."""
    if held and not policy.daemon_turn:
        if policy.band.logits is None:
            raise PolicyError("nothing to play along with yet; play some notes first")
        policy.band.resting = False
        if policy.band.plan is None:
            policy._advance(policy.listening.clock())
    Policy.take_turn(policy, held)
