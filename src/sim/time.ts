/**
 * The work queue on the virtual clock: a call that starts work sets the in-progress status and records
 * when the work ends and what it does then; the effect is applied lazily, by the first call (or
 * `environment()`) that happens at or after that time, in the order the work ends. No timers and no
 * promises in flight, so the simulator is deterministic and outlives any client.
 */
import type { SimState, Work } from './state.js'

/** What work runs on: an instance or a cluster. */
interface Busy<T> {
  status: string
  work: Work<T> | undefined
}

export const workQueue = (sim: SimState) => {
  const { clock, nodes, clusters } = sim
  /** Applies every piece of work that has ended by now, in the order it ended. */
  const settle = () => {
    const now = clock.now()
    const due = <T extends Busy<T>>(xs: Iterable<T>) =>
      [...xs].filter((x) => x.work !== undefined && x.work.until <= now).map((x) => ({
        until: x.work!.until,
        seq: x.work!.seq,
        run: () => {
          const w = x.work!
          x.work = undefined
          if (w.finish(x, w.failAs !== undefined)) x.status = w.failAs ?? 'available'
        },
      }))
    const ordered = [...due(nodes.values()), ...due(clusters.values())].sort((a, b) => a.until - b.until || a.seq - b.seq)
    for (const x of ordered) x.run()
  }
  /** Starts work on an instance or a cluster: it shows `status` for `duration`, then `finish` applies. */
  const busy = <T extends Busy<T>>(x: T, status: string, duration: number, failAs: string | undefined, finish: Work<T>['finish'] = () => true) => {
    x.status = status
    x.work = { until: clock.now() + duration, seq: sim.seq++, failAs, finish }
  }
  return { settle, busy }
}
