/** Running plans on the simulator in tests: what the mitosis command does, with a hook and a kill switch. */
import * as E from 'fp-ts/lib/Either.js'
import { applyPlan, type ApplyEvent, type ApplyFailure, type Shell } from '../../src/interpret/apply.js'
import { planFromWorld, renderPlanFailure, type WorldCloneRequest } from '../../src/interpret/plan.js'
import type { RdsPort } from '../../src/interpret/port.js'
import { planCreate, renderCreateProblems, type CreateRequest } from '../../src/plan/create.js'
import type { Environment } from '../../src/plan/domain.js'
import type { Plan } from '../../src/plan/operations.js'
import type { Simulator } from '../../src/sim/simulator.js'

const HOUR = 3_600_000
export const OPTIONS = { pollIntervalMs: 30_000, stepTimeoutMs: 3 * HOUR, hookTimeoutMs: 60_000 }

/** Thrown where the process would have died (kill -9). */
export class Killed extends Error {}

/** A hook that records its calls and answers with `code` (a list: one per call, the last repeats). */
export const fakeShell = (codes: number[] = [0]) => {
  const calls: Array<{ command: string; env: Readonly<Record<string, string>> }> = []
  const shell: Shell = {
    run: async (command, env, onLine) => {
      calls.push({ command, env })
      onLine('stdout', `restarting ${env['MITOSIS_TARGET']}`)
      return { code: codes[Math.min(calls.length - 1, codes.length - 1)]!, timedOut: false }
    },
  }
  return { shell, calls }
}

/** The port, killed (the process dies) after `sends` accepted calls or at the `sleeps`-th wait. */
export const killable = (sim: Simulator, kill: { sends?: number; sleeps?: number }): { port: RdsPort; clock: Simulator['clock'] } => {
  let sends = 0
  let sleeps = 0
  return {
    port: {
      ...sim,
      send: (op) => async () => {
        if (kill.sends !== undefined && sends >= kill.sends) throw new Killed()
        const r = await sim.send(op)()
        if (E.isRight(r)) sends++
        return r
      },
    },
    clock: {
      ...sim.clock,
      sleep: async (ms) => {
        if (kill.sleeps !== undefined && ++sleeps >= kill.sleeps) throw new Killed()
        return sim.clock.sleep(ms)
      },
    },
  }
}

/** What the mitosis command does: read the world, plan (resuming if a run is under way), apply. */
export const run = async (
  sim: Simulator,
  req: WorldCloneRequest,
  opts: { port?: RdsPort; clock?: Simulator['clock']; shell?: Shell; beforeStep?: () => Promise<string | undefined> } = {},
): Promise<{ plan: Plan; result: E.Either<ApplyFailure, unknown>; events: ApplyEvent[] }> => {
  const port = opts.port ?? sim
  const planned = await planFromWorld(port, req)()
  if (E.isLeft(planned)) throw new Error(renderPlanFailure(planned.left))
  const events: ApplyEvent[] = []
  const result = await applyPlan(
    planned.right.plan,
    { rds: port, clock: opts.clock ?? sim.clock, shell: opts.shell ?? fakeShell().shell, random: () => 0.5 },
    { ...OPTIONS, ...(opts.beforeStep === undefined ? {} : { beforeStep: opts.beforeStep }) },
    (e) => events.push(e),
  )
  return { plan: planned.right.plan, result, events }
}


/** A call that only reads (RDS describes and lists, AWS RAM's ListResources): the rest change the world. */
export const reads = (action: string): boolean => /^(Describe|List|ram:)/.test(action)

/** What `mitosis create` reads before planning: every instance and every cluster, through the port. */
export const observeForCreate = async (port: RdsPort): Promise<Environment> => {
  const instances = await port.describeDBInstances()()
  if (E.isLeft(instances)) throw new Error(`DescribeDBInstances: ${JSON.stringify(instances.left)}`)
  const clusters = await port.describeDBClusters()()
  if (E.isLeft(clusters)) throw new Error(`DescribeDBClusters: ${JSON.stringify(clusters.left)}`)
  return { region: port.region, instances: instances.right, tags: {}, snapshots: [], clusters: clusters.right }
}

/** What `mitosis create` does: read the world, plan the create (a re-run finds its own cluster), apply with the secrets. */
export const runCreate = async (
  sim: Simulator,
  req: CreateRequest,
  opts: { port?: RdsPort; clock?: Simulator['clock']; shell?: Shell; secrets?: Readonly<Record<string, string>> } = {},
): Promise<{ plan: Plan; result: E.Either<ApplyFailure, unknown>; events: ApplyEvent[] }> => {
  const port = opts.port ?? sim
  const planned = planCreate(await observeForCreate(port), req)
  if (E.isLeft(planned)) throw new Error(renderCreateProblems(planned.left))
  const events: ApplyEvent[] = []
  const result = await applyPlan(
    planned.right,
    { rds: port, clock: opts.clock ?? sim.clock, shell: opts.shell ?? fakeShell().shell, random: () => 0.5 },
    { ...OPTIONS, ...(opts.secrets === undefined ? {} : { secrets: opts.secrets }) },
    (e) => events.push(e),
  )
  return { plan: planned.right, result, events }
}
