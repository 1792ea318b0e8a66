/**
 * What every benchmark section shares: running a plan on a fresh simulator with AWS's typical
 * durations while watching names, the critical path, the one-step-at-a-time plan, and the figures'
 * formatting. Prints nothing itself; asserts nothing.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Environment } from '../src/plan/domain.js'
import type { Plan } from '../src/plan/plan.js'
import { renderApplyFailure } from '../src/interpret/apply.js'
import { applyPlan } from '../src/interpret/scheduler.js'
import { DEFAULT_LEASE_TTL_MS } from '../src/interpret/lease.js'
import { simulate, type SimCall, type Simulator } from '../src/sim/simulator.js'

export const MINUTE = 60_000
export const POLL_MS = 30_000
const SAMPLE_MS = 5_000

/** The same plan, but each step waits for the one before it (stack-mitosis's way). */
export const oneAtATime = (plan: Plan): Plan => ({ ...plan, steps: plan.steps.map((s) => ({ ...s, after: s.n === 1 ? [] : [s.n - 1] })) })

/** A fixed-seed generator, so the poll jitter is real but every run prints the same figures. */
export const seeded = (seed: number) => () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32
}

/** A name watched while a plan runs: an instance's, or a cluster's (the cluster under that name). */
export interface Watched {
  readonly kind: 'instance' | 'cluster'
  readonly id: string
}

export const instanceNames = (ids: ReadonlyArray<string>): ReadonlyArray<Watched> => ids.map((id) => ({ kind: 'instance', id }))

export interface Measured {
  readonly makespanMs: number
  readonly calls: ReadonlyArray<SimCall>
  readonly polls: number
  /** The longest any watched name was down. */
  readonly longestDownMs: number
  /** Per watched name, in the order given: the longest it was down (0 if never). */
  readonly downMs: ReadonlyArray<{ readonly name: Watched; readonly ms: number }>
}

export interface MeasureOptions {
  /** Secret values for the steps that name one (a new master password). */
  readonly secrets?: Readonly<Record<string, string>>
}

/**
 * Runs a plan on a fresh simulator; samples every watched name's availability every 5 s (an
 * instance name is down unless an instance by that name is `available`, a cluster name unless a
 * cluster by that name is; a name still down at the end counts until the end).
 */
export const measure = async (env: Environment, plan: Plan, names: ReadonlyArray<Watched>, options: MeasureOptions = {}): Promise<Measured> => {
  const sim: Simulator = simulate(env, { throttle: { burst: 300, perSecond: 12 } })
  const key = (w: Watched) => `${w.kind}:${w.id}`
  const downSince = new Map<string, number>()
  const longest = new Map<string, number>(names.map((w) => [key(w), 0]))
  const close = (k: string, now: number) => {
    longest.set(k, Math.max(longest.get(k)!, now - downSince.get(k)!))
    downSince.delete(k)
  }
  const sample = () => {
    const now = sim.clock.now()
    const world = sim.environment()
    const available = new Set([
      ...world.instances.filter((i) => i.DBInstanceStatus === 'available').map((i) => `instance:${i.DBInstanceIdentifier}`),
      ...(world.clusters ?? []).filter((c) => c.Status === 'available').map((c) => `cluster:${c.DBClusterIdentifier}`),
    ])
    for (const k of longest.keys()) {
      if (!available.has(k)) {
        if (!downSince.has(k)) downSince.set(k, now)
      } else if (downSince.has(k)) close(k, now)
    }
  }
  const clock = {
    ...sim.clock,
    sleep: async (ms: number) => {
      for (let left = ms; left > 0; left -= SAMPLE_MS) {
        await sim.clock.sleep(Math.min(SAMPLE_MS, left))
        sample()
      }
    },
  }
  const started = sim.clock.now()
  const result = await applyPlan(
    plan,
    { rds: sim, clock, shell: { run: async () => ({ code: 0, timedOut: false }) }, random: seeded(42) },
    {
      pollIntervalMs: POLL_MS,
      stepTimeoutMs: 6 * 60 * MINUTE,
      hookTimeoutMs: MINUTE,
      // the lease the CLI takes on the target, as it takes it (its writes and renewals are among the calls)
      lease: { holder: { host: 'bench', pid: 1, id: 'bench' }, ttlMs: DEFAULT_LEASE_TTL_MS },
      ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
    },
    () => undefined,
  )
  if (E.isLeft(result)) throw new Error(renderApplyFailure(result.left, plan))
  sample()
  for (const k of [...downSince.keys()]) close(k, sim.clock.now())
  const downMs = names.map((name) => ({ name, ms: longest.get(key(name))! }))
  return { makespanMs: sim.clock.now() - started, calls: sim.calls(), polls: result.right.polls, longestDownMs: Math.max(0, ...downMs.map((d) => d.ms)), downMs }
}

/** Calls by action, in the order each action was first made; then those RDS refused (a busy cluster, say), if any. */
export const callsByAction = (calls: ReadonlyArray<SimCall>): string => {
  const count = (cs: ReadonlyArray<SimCall>, key: (c: SimCall) => string) => {
    const by = new Map<string, number>()
    for (const c of cs) by.set(key(c), (by.get(key(c)) ?? 0) + 1)
    return [...by].map(([a, n]) => `${a} ${n}`).join(', ')
  }
  const refused = calls.filter((c) => c.outcome !== 'ok')
  return `${calls.length} (${count(calls, (c) => c.action)})${refused.length === 0 ? '' : `; refused ${refused.length} (${count(refused, (c) => `${c.action} ${c.outcome}`)})`}`
}

/**
 * The most calls of `action` made at one poll tick; the ticks are the virtual times at which any of
 * `describes` was called (the virtual clock stands still within a tick).
 */
export const maxPerTick = (calls: ReadonlyArray<SimCall>, action: string, describes: ReadonlyArray<string> = [action]): number => {
  const ticks = new Set(calls.filter((c) => describes.includes(c.action)).map((c) => c.at))
  const at = calls.filter((c) => c.action === action).map((c) => c.at)
  return Math.max(0, ...[...ticks].map((t) => at.filter((x) => x === t).length))
}

export const min = (ms: number) => `${(ms / MINUTE).toFixed(1)} min`
export const check = (ok: boolean) => (ok ? 'ok' : 'MISSED')
/** One figure: its label in a column, then its value. */
export const row = (label: string, value: string) => `${label.padEnd(30)} ${value}`
