/**
 * Benchmark (prints figures; asserts nothing): a clone on the simulator with AWS's typical
 * durations, for a target tree of a root with three replicas, one of which has its own replica.
 *
 *   npm run bench
 */
import * as E from 'fp-ts/lib/Either.js'
import type { DBInstance, Environment } from '../src/plan/domain.js'
import type { Plan } from '../src/plan/operations.js'
import { planClone } from '../src/plan/planner.js'
import { stepDuration } from '../src/plan/durations.js'
import { renderProblems } from '../src/plan/errors.js'
import { applyPlan, renderApplyFailure } from '../src/interpret/apply.js'
import { AWS_DURATIONS, simulate, type Simulator } from '../src/sim/simulator.js'
import { loadFixture } from '../src/sim/world.js'

const MINUTE = 60_000
const POLL_MS = 30_000
const SAMPLE_MS = 5_000

/** The demo's environment with the target tree grown to root + 3 replicas, one with a replica. */
const benchEnvironment = (): Environment => {
  const demo = loadFixture(new URL('../../fixtures/demo.json', import.meta.url).pathname)
  if (E.isLeft(demo)) throw new Error(demo.left)
  const env = demo.right
  const template = env.instances.find((i) => i.DBInstanceIdentifier === 'mitosis-demo-replica')!
  const replica = (id: string, parent: string, children: string[]): DBInstance => ({
    ...template,
    DBInstanceIdentifier: id,
    DBInstanceArn: template.DBInstanceArn!.replace('mitosis-demo-replica', id),
    DbiResourceId: `db-BENCH${id.toUpperCase().replace(/-/g, '')}`,
    ReadReplicaSourceDBInstanceIdentifier: parent,
    ReadReplicaDBInstanceIdentifiers: children,
    BackupRetentionPeriod: children.length > 0 ? 1 : 0,
  })
  const instances = env.instances
    .filter((i) => i.DBInstanceIdentifier !== 'mitosis-demo-replica')
    .map((i) => (i.DBInstanceIdentifier === 'mitosis-demo' ? { ...i, ReadReplicaDBInstanceIdentifiers: ['mitosis-demo-r1', 'mitosis-demo-r2', 'mitosis-demo-r3'] } : i))
  instances.push(
    replica('mitosis-demo-r1', 'mitosis-demo', ['mitosis-demo-r1-r1']),
    replica('mitosis-demo-r2', 'mitosis-demo', []),
    replica('mitosis-demo-r3', 'mitosis-demo', []),
    replica('mitosis-demo-r1-r1', 'mitosis-demo-r1', []),
  )
  const tags = { ...env.tags }
  for (const id of ['mitosis-demo-r1', 'mitosis-demo-r2', 'mitosis-demo-r3', 'mitosis-demo-r1-r1']) tags[id] = env.tags['mitosis-demo-replica'] ?? []
  return { ...env, instances, tags }
}

/** The longest chain of steps that must wait for one another. */
const criticalPathMs = (plan: Plan): number => {
  const finish = new Map<number, number>()
  for (const s of plan.steps) finish.set(s.n, Math.max(0, ...s.after.map((a) => finish.get(a)!)) + stepDuration(s))
  return Math.max(...finish.values())
}

/** The same plan, but each step waits for the one before it (stack-mitosis's way). */
const oneAtATime = (plan: Plan): Plan => ({ ...plan, steps: plan.steps.map((s) => ({ ...s, after: s.n === 1 ? [] : [s.n - 1] })) })

interface Measured {
  readonly makespanMs: number
  readonly calls: ReadonlyArray<{ readonly action: string; readonly at: number }>
  readonly polls: number
  readonly longestDownMs: number
}

/** Runs a plan on a fresh simulator; samples every target name's availability every 5 s. */
const measure = async (env: Environment, plan: Plan, names: ReadonlyArray<string>): Promise<Measured> => {
  const sim: Simulator = simulate(env, { throttle: { burst: 300, perSecond: 12 } })
  const downSince = new Map<string, number>()
  let longestDownMs = 0
  const sample = () => {
    const now = sim.clock.now()
    const available = new Set(sim.environment().instances.filter((i) => i.DBInstanceStatus === 'available').map((i) => i.DBInstanceIdentifier))
    for (const name of names) {
      if (!available.has(name)) {
        if (!downSince.has(name)) downSince.set(name, now)
      } else if (downSince.has(name)) {
        longestDownMs = Math.max(longestDownMs, now - downSince.get(name)!)
        downSince.delete(name)
      }
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
  const result = await applyPlan(plan, { rds: sim, clock, shell: { run: async () => ({ code: 0, timedOut: false }) }, random: seeded(42) }, { pollIntervalMs: POLL_MS, stepTimeoutMs: 6 * 60 * MINUTE, hookTimeoutMs: MINUTE }, () => undefined)
  if (E.isLeft(result)) throw new Error(renderApplyFailure(result.left, plan))
  sample()
  return { makespanMs: sim.clock.now() - started, calls: sim.calls(), polls: result.right.polls, longestDownMs }
}

/** A fixed-seed generator, so the poll jitter is real but every run prints the same figures. */
const seeded = (seed: number) => () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
  return seed / 2 ** 32
}

const min = (ms: number) => `${(ms / MINUTE).toFixed(1)} min`

const main = async () => {
  const env = benchEnvironment()
  const planned = planClone(env, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  if (E.isLeft(planned)) throw new Error(renderProblems(planned.left))
  const plan = planned.right
  const names = ['mitosis-demo', 'mitosis-demo-r1', 'mitosis-demo-r2', 'mitosis-demo-r3', 'mitosis-demo-r1-r1']
  const critical = criticalPathMs(plan)
  const concurrent = await measure(env, plan, names)
  const sequential = await measure(env, oneAtATime(plan), names)
  const byAction = new Map<string, number>()
  for (const c of concurrent.calls) byAction.set(c.action, (byAction.get(c.action) ?? 0) + 1)
  const describeTimes = concurrent.calls.filter((c) => c.action === 'DescribeDBInstances').map((c) => c.at)
  const maxPerTick = Math.max(...[...new Set(describeTimes)].map((t) => describeTimes.filter((x) => x === t).length))
  const renameBound = 2 * AWS_DURATIONS.rename + POLL_MS * 1.1
  const check = (ok: boolean) => (ok ? 'ok' : 'MISSED')

  console.log(`mitosis benchmark: clone into a root with 3 replicas (one with its own replica); ${plan.steps.length} steps`)
  console.log(`simulated AWS durations: create replica ${min(AWS_DURATIONS.createReplica)}, promote ${min(AWS_DURATIONS.promote)}, modify ${min(AWS_DURATIONS.modify)}, rename ${min(AWS_DURATIONS.rename)}, delete ${min(AWS_DURATIONS.delete)}; poll every ${POLL_MS / 1000} s`)
  console.log('')
  console.log(`makespan (concurrent)          ${min(concurrent.makespanMs)}`)
  console.log(`critical path                  ${min(critical)}`)
  console.log(`makespan / critical path       ${(concurrent.makespanMs / critical).toFixed(3)}   target <= 1.05: ${check(concurrent.makespanMs <= 1.05 * critical)}`)
  console.log(`one step at a time             ${min(sequential.makespanMs)}`)
  console.log(`speed-up over one at a time    ${(sequential.makespanMs / concurrent.makespanMs).toFixed(2)}x   target >= 2x: ${check(sequential.makespanMs >= 2 * concurrent.makespanMs)}`)
  console.log(`longest a target name was down ${min(concurrent.longestDownMs)}   bound (rename away + rename back + a poll) ${min(renameBound)}: ${check(concurrent.longestDownMs <= renameBound)}`)
  console.log(`API calls                      ${concurrent.calls.length} (${[...byAction].map(([a, n]) => `${a} ${n}`).join(', ')})`)
  console.log(`describe calls per poll tick   at most ${maxPerTick}, ${concurrent.polls} polls   target 1: ${check(maxPerTick === 1)}`)
}

await main()
