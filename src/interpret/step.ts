/**
 * One step's effect, as one fold over the plan's operations: the restart hook (RunCommand), the schema
 * step (RunLiquibase), and every RDS call (sent with its secrets put in, a subnet group this run made
 * already taken as done). The scheduler (scheduler.ts) decides when a step may go; this says what
 * going does and how it came out, for the scheduler to record.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Environment } from '../plan/domain.js'
import { passwordSet, setsPassword, type RdsOperation } from '../plan/operations.js'
import { type Plan, type Step } from '../plan/plan.js'
import { refusal, type StepProgress } from '../plan/progress.js'
import { tagValue, TAG_RUN } from '../plan/runs.js'
import type { ApplyEvent, ApplyFailure, ApplyOptions } from './apply.js'
import type { Capabilities, RdsError, RdsPort } from './capabilities.js'
import { changes, isTransient, whyNotNow } from './readiness.js'
import { applyChangelog } from './schema.js'
import { resolveSecrets } from './secrets.js'

/** How taking a step came out. `busy`: the names it leaves busy until the next describe, whatever that says. */
export type StepOutcome =
  /** Its effect is complete now: what waits for it may go. */
  | { readonly _tag: 'done'; readonly busy: ReadonlyArray<string> }
  /** RDS took the call: describe tells when its effect is complete. */
  | { readonly _tag: 'sent'; readonly busy: ReadonlyArray<string> }
  /** Describe shows it under way by itself (a re-run): waited for, not sent again. */
  | { readonly _tag: 'under-way' }
  /** Not taken now: tried again at the next round; `blocked` says why RDS will not start it yet. */
  | { readonly _tag: 'later'; readonly blocked?: string; readonly busy: ReadonlyArray<string> }
  | { readonly _tag: 'failed'; readonly failure: ApplyFailure }
  /** The run was interrupted while the step ran (a hook ended, a schema step cut short): a re-run takes it again. */
  | { readonly _tag: 'interrupted' }

/** What a step is taken with: the run's plan, capabilities and options, and the scheduler's hooks into it. */
export interface StepContext {
  readonly plan: Plan
  readonly caps: Capabilities
  readonly options: ApplyOptions
  readonly emit: (e: ApplyEvent) => void
  readonly interrupted: () => boolean
  /** Said when the step's effect begins (the hook starts, RDS takes the call): the step is timed from here. */
  readonly started: (s: Step) => void
}

/** The world as the scheduler last saw it, for one step. */
export interface StepView {
  /** The last describe. */
  readonly env: Environment
  /** What was sent since that describe. */
  readonly busy: ReadonlySet<string>
  /** Describe's reading of this step's own effect, when it showed that before the steps it waits for were done. */
  readonly again: StepProgress | undefined
}

const failed = (failure: ApplyFailure): StepOutcome => ({ _tag: 'failed', failure })
const done: StepOutcome = { _tag: 'done', busy: [] }

export const takeStep = async (ctx: StepContext, view: StepView, s: Step): Promise<StepOutcome> => {
  switch (s.op) {
    case 'RunCommand':
      return restartHook(ctx, view, s)
    case 'RunLiquibase':
      return schemaStep(ctx, view, s)
    case 'CreateDBInstanceReadReplica':
    case 'RestoreDBInstanceFromDBSnapshot':
    case 'ModifyDBInstance':
    case 'PromoteReadReplica':
    case 'DeleteDBInstance':
    case 'AddTagsToResource':
    case 'CreateDBInstance':
    case 'RestoreDBClusterToPointInTime':
    case 'ModifyDBCluster':
    case 'DeleteDBCluster':
    case 'AddRoleToDBCluster':
    case 'CreateDBCluster':
      return rdsCall(ctx, view, s)
    case 'CreateDBSubnetGroup':
      return rdsCall(ctx, view, s, (refused) => (refused._tag === 'Api' && SUBNET_GROUP_EXISTS.has(refused.code) ? subnetGroupOfThisRun(ctx, s, refused) : undefined))
  }
}

type StepOf<Op extends Step['op']> = Extract<Step, { readonly op: Op }>
type RdsStep = Extract<Step, { readonly op: RdsOperation['op'] }>

/** The restart hook: the command through the shell, with the run's names and the target's endpoint as it is now. */
const restartHook = async ({ plan, caps, options, emit, interrupted, started }: StepContext, { env }: StepView, s: StepOf<'RunCommand'>): Promise<StepOutcome> => {
  started(s)
  const root = env.instances.find((i) => i.DBInstanceIdentifier === plan.target)
  const cluster = env.clusters?.find((c) => c.DBClusterIdentifier === plan.target)
  const endpoint =
    root?.Endpoint?.Address !== undefined
      ? `${root.Endpoint.Address}:${root.Endpoint.Port ?? ''}`
      : cluster?.Endpoint !== undefined
        ? `${cluster.Endpoint}:${cluster.Port ?? ''}`
        : ''
  const result = await caps.shell.run(
    s.request.Command,
    { MITOSIS_SOURCE: plan.source, MITOSIS_TARGET: plan.target, MITOSIS_TARGET_ENDPOINT: endpoint, MITOSIS_RUN_ID: plan.run },
    (stream, line) => emit({ type: 'hook-output', at: caps.clock.now(), stream, line }),
    options.hookTimeoutMs,
    options.signal,
  )
  // an interrupted hook did not finish: the re-run runs it again
  if (interrupted()) return { _tag: 'interrupted' }
  if (result.code !== 0 || result.timedOut) {
    const kept = plan.steps.filter((x) => x.op === 'DeleteDBInstance' || x.op === 'DeleteDBCluster').map((x) => x.id)
    return failed({ _tag: 'HookFailed', code: result.code, timedOut: result.timedOut, kept })
  }
  return done
}

/** The schema step: liquibase update against the new cluster's writer endpoint, as it is now (once it is available). */
const schemaStep = async ({ caps, options, emit, interrupted, started }: StepContext, { env }: StepView, s: StepOf<'RunLiquibase'>): Promise<StepOutcome> => {
  const r = s.request
  const password = options.secrets?.[r.Password.fromSecret]
  if (password === undefined) return failed({ _tag: 'MissingSecret', n: s.n, name: r.Password.fromSecret })
  const cluster = env.clusters?.find((c) => c.DBClusterIdentifier === r.DBClusterIdentifier)
  if (cluster?.Status !== 'available' || cluster.Endpoint === undefined || cluster.Port === undefined) return { _tag: 'later', busy: [] }
  const stop = await caps.beforeStep?.(s)
  if (stop !== undefined) return failed({ _tag: 'Stopped', n: s.n, reason: stop })
  started(s)
  const at = (caps.resolveEndpoint ?? ((e) => e))({ host: cluster.Endpoint, port: cluster.Port })
  const result = await applyChangelog(
    { engine: r.Engine, host: at.host, port: at.port, database: r.Database, username: r.Username, password, changelog: r.Changelog },
    caps.shell,
    (stream, line) => emit({ type: 'hook-output', at: caps.clock.now(), stream, line }),
    { timeoutMs: options.hookTimeoutMs, ...options.liquibase, ...(options.signal === undefined ? {} : { signal: options.signal }) },
  )
  if (interrupted()) return { _tag: 'interrupted' }
  if (E.isLeft(result)) return failed({ _tag: 'SchemaFailed', n: s.n, id: r.DBClusterIdentifier, message: result.left })
  return done
}

/**
 * One RDS call, once RDS would take it and describe says it may touch what it touches; `recover` may
 * take a refusal for done (or say why not) before it counts as a failure.
 */
const rdsCall = async (
  { plan, caps, options, emit, started }: StepContext,
  { env, busy, again }: StepView,
  s: RdsStep,
  recover: (refused: RdsError) => Promise<StepOutcome> | undefined = () => undefined,
): Promise<StepOutcome> => {
  if (again?._tag === 'done') return done
  if (again?._tag === 'started') return { _tag: 'under-way' }
  const byId = new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i]))
  const clusterById = new Map((env.clusters ?? []).map((c) => [c.DBClusterIdentifier, c]))
  const notNow = whyNotNow(s, byId, busy, clusterById)
  if (notNow !== undefined) return { _tag: 'later', blocked: notNow, busy: [] }
  // describe is the judge of what a call may touch: never the run's new copy, never an old- not its own
  const refused = refusal(env, plan, s)
  if (refused !== undefined) return failed({ _tag: 'Refused', n: s.n, reason: refused })
  const stop = await caps.beforeStep?.(s)
  if (stop !== undefined) return failed({ _tag: 'Stopped', n: s.n, reason: stop })
  const wire = resolveSecrets(s, options.secrets ?? {})
  if (E.isLeft(wire)) return failed({ _tag: 'MissingSecret', n: s.n, name: wire.left })
  const sent = await caps.rds.send(wire.right)()
  if (E.isLeft(sent)) {
    const recovered = recover(sent.left)
    if (recovered !== undefined) return recovered
    if (isTransient(sent.left)) {
      emit({ type: 'throttled', at: caps.clock.now(), action: s.op })
      const blocked = sent.left._tag === 'Api' && !/^Throttling/.test(sent.left.code) ? `RDS refuses it: ${sent.left.code}: ${sent.left.message}` : undefined
      return { _tag: 'later', ...(blocked === undefined ? {} : { blocked }), busy: changes(s) }
    }
    return failed({ _tag: 'Rds', n: s.n, error: sent.left })
  }
  started(s)
  // a tag and a subnet group are there once the call is taken, and leave what they touch as it was
  if (s.op === 'AddTagsToResource' || s.op === 'CreateDBSubnetGroup') return done
  // so is a new master password, which no describe shows; but it keeps the instance or cluster
  // busy (resetting-master-credentials), and what comes next on it waits for the next describe
  if (setsPassword(s) && passwordSet(s) === 'secret') return { _tag: 'done', busy: changes(s) }
  return { _tag: 'sent', busy: changes(s) }
}

const SUBNET_GROUP_EXISTS: ReadonlySet<string> = new Set(['DBSubnetGroupAlreadyExists', 'DBSubnetGroupAlreadyExistsFault'])

/**
 * A re-run: the group was made by the run that went before, if it carries this run's tag; a group
 * somebody made since the plan was checked is not used.
 */
const subnetGroupOfThisRun = async ({ plan, caps, emit }: StepContext, s: StepOf<'CreateDBSubnetGroup'>, exists: RdsError & { readonly _tag: 'Api' }): Promise<StepOutcome> => {
  const ours = await subnetGroupOfRun(caps.rds, s.id, plan.run)
  if (E.isLeft(ours) && isTransient(ours.left)) {
    emit({ type: 'throttled', at: caps.clock.now(), action: ours.left._tag === 'Api' ? ours.left.action : s.op })
    return { _tag: 'later', busy: [] }
  }
  if (E.isLeft(ours)) return failed({ _tag: 'Rds', n: s.n, error: ours.left })
  if (!ours.right) {
    const message = `${s.id} exists and is not this run's (it has no ${TAG_RUN} tag ${plan.run}); choose another --target`
    return failed({ _tag: 'Rds', n: s.n, error: { ...exists, message } })
  }
  return done
}

/** Whether the subnet group `name` carries the run's tag (DescribeDBSubnetGroups, then ListTagsForResource on its ARN). */
const subnetGroupOfRun = async (rds: RdsPort, name: string, run: string): Promise<E.Either<RdsError, boolean>> => {
  const found = await rds.describeDBSubnetGroups(name)()
  if (E.isLeft(found)) return found
  const arn = found.right[0]?.DBSubnetGroupArn
  if (arn === undefined) return E.right(false)
  const tags = await rds.listTagsForResource(arn)()
  return E.isLeft(tags) ? tags : E.right(tagValue(tags.right, TAG_RUN) === run)
}
