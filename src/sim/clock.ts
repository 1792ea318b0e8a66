/**
 * A virtual clock: `sleep(ms)` resolves at once (on a microtask) and moves time forward, so a run
 * that waits hours on AWS takes milliseconds in a test. Nothing here uses timers.
 *
 * Concurrent sleeps overlap as they would on a wall clock: each sleep's wake-up time is fixed when
 * it is called (now + ms), and time moves to the latest wake-up reached. Two pollers that each
 * sleep 60 s side by side advance the clock by 60 s, not 120 s; one caller sleeping 60 s twice in a
 * row advances it by 120 s.
 */
import type { Clock } from '../interpret/capabilities.js'

export interface VirtualClock extends Clock {
  /** Virtual milliseconds since the clock started. */
  readonly elapsed: () => number
  /** Moves time forward by `ms` at once (for tests that need time to pass without a sleeper). */
  readonly advance: (ms: number) => void
}

export const virtualClock = (start: number): VirtualClock => {
  let now = start
  const moveTo = (t: number) => {
    if (t > now) now = t
  }
  return {
    now: () => now,
    elapsed: () => now - start,
    advance: (ms) => moveTo(now + Math.max(0, ms)),
    sleep: (ms) => {
      const wake = now + (Number.isFinite(ms) && ms > 0 ? ms : 0)
      return Promise.resolve().then(() => moveTo(wake))
    },
  }
}
