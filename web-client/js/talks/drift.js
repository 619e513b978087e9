/**
 * Following a screen's shared playback: where it is now, and what to do to a video that is
 * off. The same rule and numbers as server/domain/playback.py (correct_drift, expected_position);
 * docs/watch-together.md explains them. Keeps a video within 0.25 s of the room's moment.
 */

export const DRIFT_TARGET_S = 0.25;
export const DRIFT_DEADBAND_S = 0.04;
export const DRIFT_SEEK_S = 1.0;
export const DRIFT_MAX_RATE_CHANGE = 0.05;
export const DRIFT_GAIN_PER_S = 0.25;
export const PAUSED_TOLERANCE_S = 0.1;

/** Where the shared playback is at serverNow (seconds), from a playback_state message. */
export function expectedPosition(state, serverNow) {
  if (!state.playing) return state.position;
  const elapsed = Math.max(0, serverNow - state.server_time);
  return Math.min(state.duration, state.position + state.rate * elapsed);
}

/**
 * What to do to the video: {action: "keep" | "nudge" | "seek", playbackRate, seekTo}.
 * error > 0 means this video is ahead of the room.
 */
export function correctDrift(expected, actual, { rate, playing }) {
  const error = actual - expected;
  if (!playing) {
    if (Math.abs(error) > PAUSED_TOLERANCE_S) return { action: "seek", playbackRate: rate, seekTo: expected };
    return { action: "keep", playbackRate: rate, seekTo: null };
  }
  if (Math.abs(error) > DRIFT_SEEK_S) return { action: "seek", playbackRate: rate, seekTo: expected };
  if (Math.abs(error) <= DRIFT_DEADBAND_S) return { action: "keep", playbackRate: rate, seekTo: null };
  const change = Math.max(-DRIFT_MAX_RATE_CHANGE, Math.min(DRIFT_MAX_RATE_CHANGE, error * DRIFT_GAIN_PER_S));
  return { action: "nudge", playbackRate: rate * (1 - change), seekTo: null };
}
