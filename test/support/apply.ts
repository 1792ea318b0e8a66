/** Running plans on the simulator in tests through the library's verbs (plan, apply), with a hook and a kill switch. */
import * as E from 'fp-ts/lib/Either.js'
import type { ApplyEvent, ApplyFailure } from '../../src/interpret/apply.js'
import type { Shell } from '../../src/interpret/capabilities.js'
import { apply, plan, renderPlanFailure, type PlanRequest, type WorldCloneRequest } from '../../src/interpret/workflow.js'
import type { RdsPort } from '../../src/interpret/capabilities.js'
import type { CreateRequest } from '../../src/plan/create.js'
import type { NewClusterRequest } from '../../src/plan/clone/new-cluster.js'
import type { Plan } from '../../src/plan/plan.js'
import { clusterSettings } from '../../src/plan/settings.js'
import type { Simulator } from '../../src/sim/simulator.js'
import { DEFAULT_LEASE_TTL_MS, type LeaseOptions } from '../../src/interpret/lease.js'

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

/** The port, killed (the process dies) after `sends` accepted calls of the plan or at the `sleeps`-th wait. */
export const killable = (sim: Simulator, kill: { sends?: number; sleeps?: number }): { port: RdsPort; clock: Simulator['clock'] } => {
  let sends = 0
  let sleeps = 0
  return {
    port: {
      ...sim,
      send: (op) => async () => {
        // the run's lease is bookkeeping, not one of the plan's calls: it is neither counted nor where it dies
        if (leaseCall({ action: op.op, input: op.request })) return sim.send(op)()
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

/** Options for a run on the simulator: a killable port and clock, the hook, and the secrets the plan names. */
export interface RunOptions {
  readonly port?: RdsPort
  readonly clock?: Simulator['clock']
  readonly shell?: Shell
  readonly beforeStep?: () => Promise<string | undefined>
  readonly secrets?: Readonly<Record<string, string>>
  /** Aborted to interrupt the run (as Ctrl-C does). */
  readonly signal?: AbortSignal
  /** The run's lease (default: a test holder of its own, see testLease). */
  readonly lease?: LeaseOptions
}

export interface Ran {
  readonly plan: Plan
  readonly result: E.Either<ApplyFailure, unknown>
  readonly events: ApplyEvent[]
}

let runs = 0

/**
 * The lease a test run takes, as the CLI's does: a holder of its own each time; a run the test killed is
 * gone, so the next run takes its lease over at once (`alive` says otherwise).
 */
export const testLease = (alive = false): LeaseOptions => {
  runs++
  return { holder: { host: 'test-host', pid: 1000 + runs, id: `t${runs}` }, ttlMs: DEFAULT_LEASE_TTL_MS, isAlive: () => alive }
}

/** Applies a plan as the CLI does (the apply verb), collecting its events. */
const applyOn = async (sim: Simulator, plan: Plan, opts: RunOptions): Promise<Ran> => {
  const events: ApplyEvent[] = []
  const result = await apply(
    plan,
    { rds: opts.port ?? sim, clock: opts.clock ?? sim.clock, shell: opts.shell ?? fakeShell().shell, random: () => 0.5, ...(opts.beforeStep === undefined ? {} : { beforeStep: opts.beforeStep }) },
    { ...OPTIONS, ...(opts.secrets === undefined ? {} : { secrets: opts.secrets }), ...(opts.signal === undefined ? {} : { signal: opts.signal }), lease: opts.lease ?? testLease() },
    (e) => events.push(e),
  )
  return { plan, result, events }
}

/** The plan verb, then the apply verb: a refusal to plan is thrown. */
const planAndApply = async (sim: Simulator, request: PlanRequest, opts: RunOptions): Promise<Ran> => {
  const planned = await plan({ rds: opts.port ?? sim }, request)()
  if (E.isLeft(planned)) throw new Error(renderPlanFailure(planned.left))
  return applyOn(sim, planned.right.plan, opts)
}

/** A clone, planned (resuming if a run is under way) and applied. */
export const run = (sim: Simulator, req: WorldCloneRequest, opts: RunOptions = {}): Promise<Ran> => planAndApply(sim, { clone: req }, opts)

/** A clone into a cluster that may not exist yet (made when missing, swapped into when there), planned and applied. */
export const runCloneInto = (sim: Simulator, req: NewClusterRequest, opts: RunOptions = {}): Promise<Ran> => planAndApply(sim, { cloneInto: req }, opts)

/** A call that only reads (RDS describes and lists, AWS RAM's ListResources): the rest change the world. */
export const reads = (action: string): boolean => /^(Describe|List|ram:)/.test(action)

/** A create, planned (a re-run finds its own cluster) and applied with the secrets. */
export const runCreate = (sim: Simulator, req: CreateRequest, opts: RunOptions = {}): Promise<Ran> => planAndApply(sim, { create: req }, opts)

/**
 * What a user would check of the clusters and instances afterwards: states, members, roles, settings,
 * engine, tags (the run's own among them) and data, sorted by name.
 */
export const clusterWorld = (sim: Simulator) => {
  const env = sim.environment()
  return {
    clusters: (env.clusters ?? [])
      .map((c) => ({
        id: c.DBClusterIdentifier,
        status: c.Status,
        members: (c.DBClusterMembers ?? []).map((m) => `${m.DBInstanceIdentifier}${m.IsClusterWriter ? ' (writer)' : ''}`).sort(),
        roles: (c.AssociatedRoles ?? []).map((r) => `${r.RoleArn} ${r.Status ?? ''}`).sort(),
        settings: clusterSettings(c),
        engine: [c.Engine, c.EngineVersion, c.StorageEncrypted, c.KmsKeyId, c.MasterUsername, c.DatabaseName],
        tags: c.TagList ?? [],
        data: sim.dataOf(c.DBClusterIdentifier),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    instances: env.instances
      .map((i) => ({
        id: i.DBInstanceIdentifier,
        status: i.DBInstanceStatus,
        cluster: i.DBClusterIdentifier,
        class: i.DBInstanceClass,
        parameters: (i.DBParameterGroups ?? []).map((g) => g.DBParameterGroupName),
        tags: i.TagList ?? [],
        data: sim.dataOf(i.DBInstanceIdentifier),
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  }
}

/** The run's own lease bookkeeping (the mitosis:lease tag written, renewed and taken away): no plan step. */
export const leaseCall = (c: { readonly action: string; readonly input: unknown }): boolean =>
  (c.action === 'AddTagsToResource' || c.action === 'RemoveTagsFromResource') && JSON.stringify(c.input).includes('mitosis:lease')

/** A call that changes the world for the plan: neither a read nor the lease (test/lease.test.ts asserts those). */
export const planCall = (c: { readonly action: string; readonly input: unknown }): boolean => !reads(c.action) && !leaseCall(c)

/** What a user would check of the instances afterwards: names, states, links, settings that matter, and whose data. */
export const instanceWorld = (sim: Simulator) =>
  sim
    .environment()
    .instances.map((i) => ({
      id: i.DBInstanceIdentifier,
      status: i.DBInstanceStatus,
      parent: i.ReadReplicaSourceDBInstanceIdentifier,
      class: i.DBInstanceClass,
      parameters: (i.DBParameterGroups ?? []).map((g) => g.DBParameterGroupName),
      windows: [i.PreferredMaintenanceWindow, i.PreferredBackupWindow, i.BackupRetentionPeriod],
      tags: (i.TagList ?? []).filter((t) => !t.Key.startsWith('mitosis:')),
      data: sim.dataOf(i.DBInstanceIdentifier),
    }))
    .sort((a, b) => a.id.localeCompare(b.id))
