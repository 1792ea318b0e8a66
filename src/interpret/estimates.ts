/**
 * How long steps take on AWS, typically (aws-facts.md): for the progress display's expected times
 * and ETA. Only an estimate; nothing waits on these.
 */
import { stepDuration } from '../plan/durations.js'
import type { Plan, Step } from '../plan/plan.js'

export const expectedMs = (s: Step): number => stepDuration(s)

/**
 * When the plan should end, from `now`: the longest chain of what is left, counting a running
 * step's elapsed time against its expected time.
 */
export const estimateRemainingMs = (plan: Plan, done: ReadonlySet<number>, runningSince: ReadonlyMap<number, number>, now: number): number => {
  const finish = new Map<number, number>()
  for (const s of plan.steps) {
    if (done.has(s.n)) {
      finish.set(s.n, 0)
      continue
    }
    const start = Math.max(0, ...s.after.map((a) => finish.get(a) ?? 0))
    const since = runningSince.get(s.n)
    const left = since === undefined ? expectedMs(s) : Math.max(0, expectedMs(s) - (now - since))
    finish.set(s.n, start + left)
  }
  return Math.max(0, ...finish.values())
}
