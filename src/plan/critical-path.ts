/**
 * The longest chain of steps that must wait for one another, by the steps' typical durations on AWS
 * (stepDuration): how a
 * plan's time adds up. The interpreter starts first the step with the longest chain behind it; the
 * progress display's ETA is the longest chain of what is left; the benchmark compares a run's makespan
 * with the longest chain of the whole plan. Steps are in plan order (a step waits only for earlier ones).
 */
import { stepDuration } from './durations.js'
import type { Plan, Step } from './plan.js'

/** Per step: its time plus the longest of the chains, already known, of the steps `links` gives for it. */
const chains = (order: ReadonlyArray<Step>, links: (s: Step) => ReadonlyArray<number>, ms: (s: Step) => number): Map<number, number> => {
  const end = new Map<number, number>()
  for (const s of order) end.set(s.n, ms(s) + Math.max(0, ...links(s).map((n) => end.get(n) ?? 0)))
  return end
}

/** The longest chain of the steps, each taking `ms`. */
const longestChain = (steps: ReadonlyArray<Step>, ms: (s: Step) => number): number => Math.max(0, ...chains(steps, (s) => s.after, ms).values())

/** Per step: how long the longest chain starting with it takes (it, then what waits for it, to the end). */
export const chainsFrom = (steps: ReadonlyArray<Step>): ReadonlyMap<number, number> =>
  chains([...steps].reverse(), (s) => steps.filter((d) => d.after.includes(s.n)).map((d) => d.n), stepDuration)

/** The longest chain of steps that must wait for one another. */
export const criticalPathMs = (steps: ReadonlyArray<Step>): number => longestChain(steps, stepDuration)

/**
 * When the plan should end, from `now`: the longest chain of what is left, counting a running step's
 * elapsed time against its expected time. A step done waits for nothing and takes no time.
 */
export const estimateRemainingMs = (plan: Plan, done: ReadonlySet<number>, runningSince: ReadonlyMap<number, number>, now: number): number => {
  const left = plan.steps.map((s) => (done.has(s.n) ? { ...s, after: [] } : s))
  return longestChain(left, (s) => {
    if (done.has(s.n)) return 0
    const since = runningSince.get(s.n)
    return since === undefined ? stepDuration(s) : Math.max(0, stepDuration(s) - (now - since))
  })
}
