/**
 * The interpreter: runs a plan's graph through the port. Every step starts as soon as the steps
 * it waits for are done and the instances (or Aurora clusters) it changes are available; one poller
 * serves every wait with a single DescribeDBInstances per tick (and, for a plan with cluster steps,
 * one DescribeDBClusters beside it); a step is done when describe shows its effect (the
 * predicates of src/plan/progress.ts, the same ones a re-run uses to skip what is done).
 */
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster, Environment } from '../plan/domain.js'
import { planProgress, refusal, stepProgress } from '../plan/progress.js'
import { passwordSet, setsPassword } from '../plan/operations.js'
import { type Plan, type Step } from '../plan/plan.js'
import { tagValue, TAG_RUN } from '../plan/runs.js'
import { renderRdsError, type Clock, type RdsError, type RdsPort } from './port.js'
import { expectedMs } from './estimates.js'
import { applyChangelog, type ApplyChangelogOptions } from './schema.js'
import { changes, isTransient, planIds, whyNotNow } from './readiness.js'
import { missingSecret, resolveSecrets, type MissingSecret } from './secrets.js'
import type { Shell } from './shell.js'
import { describeHolder, LEASE_SETTLE_MS, leaseHome, leaseSubjects, leaseValue, readLease, TAG_LEASE, type Lease, type LeaseOptions } from './lease.js'

export interface ApplyCapabilities {
  readonly rds: RdsPort
  readonly clock: Clock
  readonly shell: Shell
  /** In [0, 1): for the poll jitter. */
  readonly random: () => number
}

export interface ApplyOptions {
  readonly pollIntervalMs: number
  readonly stepTimeoutMs: number
  readonly hookTimeoutMs: number
  /** Asked before each step is sent: a reason to stop at this step boundary (e.g. credentials about to expire). */
  readonly beforeStep?: (step: Step) => Promise<string | undefined>
  /**
   * Secret values by name, for the steps that name a secret ({fromSecret}) instead of holding it: put into
   * the request only when it is sent, never into an event or an error.
   */
  readonly secrets?: Readonly<Record<string, string>>
  /** Where a cluster endpoint is reached (tests: a local database in place of the simulator's address). */
  readonly resolveEndpoint?: (endpoint: { readonly host: string; readonly port: number }) => { readonly host: string; readonly port: number }
  /** For the schema step (RunLiquibase): Liquibase's home, environment, timeout. */
  readonly liquibase?: ApplyChangelogOptions
  /**
   * Aborted to interrupt the run (Ctrl-C, SIGTERM): no call is sent after it, a running hook is ended,
   * and the run stops with what is under way on RDS left to finish there; a re-run goes on.
   */
  readonly signal?: AbortSignal
  /** The run's lease on its target (one run per target at a time); without it no lease is taken. */
  readonly lease?: LeaseOptions
}

export type ApplyEvent =
  | { readonly type: 'resumed'; readonly at: number; readonly done: ReadonlyArray<number>; readonly running: ReadonlyArray<number> }
  | { readonly type: 'step-start'; readonly at: number; readonly n: number; readonly op: string; readonly id: string }
  | { readonly type: 'step-done'; readonly at: number; readonly n: number; readonly op: string; readonly id: string; readonly elapsedMs: number }
  | { readonly type: 'waiting'; readonly at: number; readonly steps: ReadonlyArray<{ readonly n: number; readonly id: string; readonly status: string }> }
  | { readonly type: 'hook-output'; readonly at: number; readonly stream: 'stdout' | 'stderr'; readonly line: string }
  | { readonly type: 'throttled'; readonly at: number; readonly action: string }
  | { readonly type: 'error'; readonly at: number; readonly n?: number | undefined; readonly message: string }
  /** Something a user should hear while nothing else is said: a step RDS will not start yet, a lease taken over. */
  | { readonly type: 'notice'; readonly at: number; readonly n?: number | undefined; readonly message: string }

export type ApplyFailure =
  | { readonly _tag: 'StepFailed'; readonly n: number; readonly id: string; readonly status: string }
  | { readonly _tag: 'Rds'; readonly n: number | undefined; readonly error: RdsError }
  | { readonly _tag: 'StepTimeout'; readonly n: number; readonly id: string; readonly ms: number }
  | { readonly _tag: 'HookFailed'; readonly code: number | null; readonly timedOut: boolean; readonly kept: ReadonlyArray<string> }
  | { readonly _tag: 'Stopped'; readonly n: number; readonly reason: string }
  | MissingSecret
  | { readonly _tag: 'SchemaFailed'; readonly n: number; readonly id: string; readonly message: string }
  | { readonly _tag: 'Refused'; readonly n: number; readonly reason: string }
  | { readonly _tag: 'Interrupted'; readonly at: number; readonly running: number }
  | { readonly _tag: 'LeaseHeld'; readonly target: string; readonly holder: string; readonly lost: boolean }
  | { readonly _tag: 'StepBlocked'; readonly n: number; readonly reason: string; readonly ms: number }

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`

export const renderApplyFailure = (f: ApplyFailure, plan: Plan): string => {
  switch (f._tag) {
    case 'StepFailed':
      return `step ${f.n}: ${f.id} is ${f.status}; stopped (re-run the same command once it is fixed to go on)`
    case 'Rds':
      return `${f.n === undefined ? '' : `step ${f.n}: `}${renderRdsError(f.error)}`
    case 'StepTimeout':
      return `step ${f.n}: ${f.id} did not finish within ${minutes(f.ms)} (--step-timeout); re-run the same command to keep waiting`
    case 'HookFailed':
      return `the restart hook ${f.timedOut ? 'timed out' : `exited with ${f.code ?? 'a signal'}`}; kept ${f.kept.join(', ')}: re-run the same command to run the hook again and finish, or rename them back to undo`
    case 'Stopped':
      return `stopped before step ${f.n}: ${f.reason}; re-run the same command to go on (run ${plan.run})`
    case 'MissingSecret':
      return `step ${f.n}: needs the secret ${JSON.stringify(f.name)} (the master password: --db-password-stdin or --db-password-file), which was not given`
    case 'SchemaFailed':
      return `step ${f.n}: the schema step on ${f.id} failed: ${f.message}; the cluster is kept: fix the changelog and re-run the same command (liquibase update skips what is applied)`
    case 'Interrupted':
      return `interrupted at step ${f.at} (${f.running} under way); re-run the same command to go on`
    case 'LeaseHeld':
      return f.lost
        ? `another run took over ${f.target} (its ${TAG_LEASE} tag: ${f.holder}); stopped before the next step: let that run finish, or re-run once it is gone`
        : `${f.target} is being changed by another run (its ${TAG_LEASE} tag: ${f.holder}); nothing was changed: wait for it to finish, or re-run once it is gone (an expired lease is taken over)`
    case 'StepBlocked':
      return `step ${f.n}: could not start for ${minutes(f.ms)}: ${f.reason}; stopped (re-run the same command once that is over)`
    case 'Refused':
      return `step ${f.n}: ${f.reason}; stopped with nothing sent for it (run ${plan.run})`
  }
}

export interface ApplySummary {
  readonly steps: number
  readonly skipped: number
  readonly elapsedMs: number
  readonly polls: number
}

const SUBNET_GROUP_EXISTS: ReadonlySet<string> = new Set(['DBSubnetGroupAlreadyExists', 'DBSubnetGroupAlreadyExistsFault'])

/** Whether the subnet group `name` carries the run's tag (DescribeDBSubnetGroups, then ListTagsForResource on its ARN). */
const subnetGroupOfRun = async (rds: RdsPort, name: string, run: string): Promise<E.Either<RdsError, boolean>> => {
  const found = await rds.describeDBSubnetGroups(name)()
  if (E.isLeft(found)) return found
  const arn = found.right[0]?.DBSubnetGroupArn
  if (arn === undefined) return E.right(false)
  const tags = await rds.listTagsForResource(arn)()
  return E.isLeft(tags) ? tags : E.right(tagValue(tags.right, TAG_RUN) === run)
}

/** How long a step may wait for RDS to let it start before the run stops with the reason. */
const blockedLimitMs = (s: Step): number => Math.max(3 * expectedMs(s), 60 * 60_000)

export const applyPlan = async (
  plan: Plan,
  caps: ApplyCapabilities,
  options: ApplyOptions,
  emit: (e: ApplyEvent) => void,
): Promise<E.Either<ApplyFailure, ApplySummary>> => {
  const held: LeaseHeld = { lease: undefined, env: undefined }
  const result = await drive(plan, caps, options, emit, held)
  // the lease goes with the run, unless it was interrupted (nothing is sent after a signal; the
  // same command run again takes the lease over): from wherever the last describe showed it
  const lease = options.lease
  if (lease !== undefined && held.lease !== undefined && held.env !== undefined && !(E.isLeft(result) && result.left._tag === 'Interrupted')) {
    for (const on of leaseSubjects(held.env, plan)) {
      if (readLease([on], lease, caps.clock.now())._tag === 'ours') await caps.rds.removeTagsFromResource(on.arn, [TAG_LEASE])()
    }
  }
  return result
}

/** The lease a run holds, and the last describe it made (where the lease is to be taken away from). */
interface LeaseHeld {
  lease: Lease | undefined
  env: Environment | undefined
}

const drive = async (
  plan: Plan,
  caps: ApplyCapabilities,
  options: ApplyOptions,
  emit: (e: ApplyEvent) => void,
  held: LeaseHeld,
): Promise<E.Either<ApplyFailure, ApplySummary>> => {
  const { rds, clock, shell } = caps
  const started = clock.now()
  const ids = planIds(plan)
  const state = new Map<number, 'pending' | 'sent' | 'done'>(plan.steps.map((s) => [s.n, 'pending']))
  const sentAt = new Map<number, number>()
  let polls = 0

  const interrupted = () => options.signal?.aborted === true
  // a wait ends early when the run is interrupted
  const sleep = (ms: number): Promise<void> =>
    interrupted()
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const wake = () => resolve()
          options.signal?.addEventListener('abort', wake, { once: true })
          clock.sleep(ms).then(
            () => {
              options.signal?.removeEventListener('abort', wake)
              resolve()
            },
            (e: unknown) => {
              options.signal?.removeEventListener('abort', wake)
              reject(e)
            },
          )
        })
  const stopped = (): E.Either<ApplyFailure, never> =>
    E.left({
      _tag: 'Interrupted',
      at: plan.steps.find((s) => state.get(s.n) !== 'done')?.n ?? plan.steps.length,
      running: [...state.values()].filter((v) => v === 'sent').length,
    })

  const pollWait = () => sleep(options.pollIntervalMs * (0.9 + 0.2 * caps.random()))

  const withClusters = plan.kind !== 'replica-tree'
  // one DescribeDBInstances per tick; a cluster plan adds one DescribeDBClusters (members, roles, tags)
  const observe = async (): Promise<E.Either<RdsError, Environment>> => {
    polls++
    const r = await rds.describeDBInstances(ids)()
    if (E.isLeft(r)) return r
    const base: Environment = { region: rds.region, instances: r.right, tags: {}, snapshots: [] }
    if (!withClusters) return E.right(base)
    const c = await rds.describeDBClusters()()
    return E.map((clusters: ReadonlyArray<DBCluster>): Environment => ({ ...base, clusters }))(c)
  }
  // RDS may be asking everyone to slow down right now: wait it out (while `more` allows) rather than
  // fail; undefined when the run was interrupted meanwhile
  const observeThroughThrottling = async (more: (tries: number) => boolean): Promise<E.Either<RdsError, Environment> | undefined> => {
    let r = await observe()
    for (let tries = 1; E.isLeft(r) && isTransient(r.left) && more(tries); tries++) {
      emit({ type: 'throttled', at: clock.now(), action: 'DescribeDBInstances' })
      await pollWait()
      if (interrupted()) return undefined
      r = await observe()
    }
    return r
  }
  const first = await observeThroughThrottling((tries) => tries < 40)
  if (first === undefined) return stopped()
  if (E.isLeft(first)) return E.left({ _tag: 'Rds', n: undefined, error: first.left })
  let env = first.right
  held.env = env

  // a re-run: what describe shows done is done, what is under way is waited for, not sent again
  const initial = planProgress(env, plan)
  let own = stepProgress(env, plan)
  // a step whose effect shows before the steps it waits for are done is still to do after them; by
  // then describe may show it done (or under way) by itself, so it is looked at again before it is sent
  const recheck = new Set<number>()
  for (const s of plan.steps) {
    const p = initial[s.n - 1]!
    if (p._tag === 'failed') return E.left({ _tag: 'StepFailed', n: s.n, id: p.id, status: p.status })
    if (p._tag === 'done') state.set(s.n, 'done')
    if (p._tag === 'started') {
      state.set(s.n, 'sent')
      sentAt.set(s.n, clock.now())
    }
    if (p._tag === 'pending' && own[s.n - 1]!._tag !== 'pending') recheck.add(s.n)
  }
  // a secret the rest of the plan needs and was not given: say so before anything is sent
  const missing = missingSecret(plan, initial, options.secrets)
  if (missing !== undefined) return E.left(missing)

  // the lease: written where the target is now, kept there (and moved with the name), checked at every poll
  const lease = options.lease
  const leaseCheck = (now: number, after: 'start' | 'poll'): E.Either<ApplyFailure, boolean> => {
    if (lease === undefined) return E.right(false)
    const subjects = leaseSubjects(env, plan)
    const reading = readLease(subjects, lease, now)
    if (reading._tag === 'held') return E.left({ _tag: 'LeaseHeld', target: plan.target, holder: describeHolder(reading.lease), lost: after === 'poll' })
    if (reading._tag === 'stale' && held.lease === undefined) {
      emit({ type: 'notice', at: now, message: `taking over the lease on ${plan.target} of ${describeHolder(reading.lease)}: ${reading.why === 'expired' ? 'it expired' : 'that process is gone'}` })
    }
    const at = leaseHome(subjects, plan)
    if (at === undefined) return E.right(false)
    const there = readLease([at], lease, now)
    // (re)written when not held yet, when half of it is gone, or when the name moved to the new target
    return E.right(held.lease === undefined || there._tag !== 'ours' || held.lease.until - now < lease.ttlMs / 2)
  }
  const writeLease = async (): Promise<E.Either<ApplyFailure, void>> => {
    const at = leaseHome(leaseSubjects(env, plan), plan)
    if (lease === undefined || at === undefined) return E.right(undefined)
    const now = clock.now()
    const next: Lease = { run: plan.run, holder: lease.holder, since: held.lease?.since ?? now, until: now + lease.ttlMs }
    const r = await rds.send({ op: 'AddTagsToResource', id: at.id, request: { ResourceName: at.arn, Tags: [{ Key: TAG_LEASE, Value: leaseValue(next) }] } })()
    if (E.isLeft(r)) return isTransient(r.left) ? E.right(undefined) : E.left({ _tag: 'Rds', n: undefined, error: r.left })
    held.lease = next
    return E.right(undefined)
  }
  if (lease !== undefined) {
    const wanted = leaseCheck(clock.now(), 'start')
    if (E.isLeft(wanted)) return wanted
    if (wanted.right) {
      const wrote = await writeLease()
      if (E.isLeft(wrote)) return wrote
      // no compare-and-set on tags: read it back a moment later; of two runs that wrote at once, one stops here
      await sleep(LEASE_SETTLE_MS)
      if (interrupted()) return stopped()
      // as long as a step's wait would keep asking
      const since = clock.now()
      const back = await observeThroughThrottling(() => clock.now() - since < options.stepTimeoutMs)
      if (back === undefined) return stopped()
      if (E.isLeft(back)) return E.left({ _tag: 'Rds', n: undefined, error: back.left })
      env = back.right
      held.env = env
      const reading = readLease(leaseSubjects(env, plan), lease, clock.now())
      if (reading._tag === 'held') return E.left({ _tag: 'LeaseHeld', target: plan.target, holder: describeHolder(reading.lease), lost: false })
      own = stepProgress(env, plan)
    }
  }
  const skipped = [...state.values()].filter((v) => v === 'done').length
  if (skipped > 0 || sentAt.size > 0) {
    emit({ type: 'resumed', at: clock.now(), done: plan.steps.filter((s) => state.get(s.n) === 'done').map((s) => s.n), running: [...sentAt.keys()] })
  }

  // when several steps could take the same instance, the one with the longest chain behind it goes first
  const tail = new Map<number, number>()
  for (const s of [...plan.steps].reverse()) {
    const dependents = plan.steps.filter((d) => d.after.includes(s.n)).map((d) => tail.get(d.n) ?? 0)
    tail.set(s.n, expectedMs(s) + Math.max(0, ...dependents))
  }
  const byPriority = [...plan.steps].sort((a, b) => (tail.get(b.n) ?? 0) - (tail.get(a.n) ?? 0) || a.n - b.n)
  const ready = (s: Step) => state.get(s.n) === 'pending' && s.after.every((a) => state.get(a) === 'done')
  const finish = (s: Step) => {
    state.set(s.n, 'done')
    emit({ type: 'step-done', at: clock.now(), n: s.n, op: s.op, id: s.id, elapsedMs: clock.now() - (sentAt.get(s.n) ?? clock.now()) })
  }

  // what was sent since the last describe: busy, whatever that describe said
  const busy = new Set<string>()
  // steps that could go but that RDS will not take yet: since when, why, and when that was last said
  const blocked = new Map<number, { since: number; reason: string; toldAt: number | undefined }>()
  const waitingToStart = (s: Step, reason: string) => {
    const b = blocked.get(s.n)
    if (b === undefined) blocked.set(s.n, { since: clock.now(), reason, toldAt: undefined })
    else b.reason = reason
  }
  for (;;) {
    // start everything that can start; a step that finishes at once (a tag, the hook, a new
    // password) may unblock others, so go round again before sleeping whenever something finished
    let finishedNow = false
    for (const s of byPriority) {
      if (interrupted()) return stopped()
      if (!ready(s)) continue
      if (s.op === 'RunCommand') {
        sentAt.set(s.n, clock.now())
        emit({ type: 'step-start', at: clock.now(), n: s.n, op: s.op, id: s.id })
        const root = env.instances.find((i) => i.DBInstanceIdentifier === plan.target)
        const cluster = env.clusters?.find((c) => c.DBClusterIdentifier === plan.target)
        const endpoint =
          root?.Endpoint?.Address !== undefined
            ? `${root.Endpoint.Address}:${root.Endpoint.Port ?? ''}`
            : cluster?.Endpoint !== undefined
              ? `${cluster.Endpoint}:${cluster.Port ?? ''}`
              : ''
        const result = await shell.run(
          s.request.Command,
          { MITOSIS_SOURCE: plan.source, MITOSIS_TARGET: plan.target, MITOSIS_TARGET_ENDPOINT: endpoint, MITOSIS_RUN_ID: plan.run },
          (stream, line) => emit({ type: 'hook-output', at: clock.now(), stream, line }),
          options.hookTimeoutMs,
          options.signal,
        )
        // an interrupted hook did not finish: the re-run runs it again
        if (interrupted()) return stopped()
        if (result.code !== 0 || result.timedOut) {
          const kept = plan.steps.filter((x) => x.op === 'DeleteDBInstance' || x.op === 'DeleteDBCluster').map((x) => x.id)
          return E.left({ _tag: 'HookFailed', code: result.code, timedOut: result.timedOut, kept })
        }
        finish(s)
        finishedNow = true
        continue
      }
      if (s.op === 'RunLiquibase') {
        // the schema step: liquibase update against the new cluster's writer endpoint, as it is now
        const r = s.request
        const password = options.secrets?.[r.Password.fromSecret]
        if (password === undefined) return E.left({ _tag: 'MissingSecret', n: s.n, name: r.Password.fromSecret })
        const cluster = env.clusters?.find((c) => c.DBClusterIdentifier === r.DBClusterIdentifier)
        if (cluster?.Status !== 'available' || cluster.Endpoint === undefined || cluster.Port === undefined) continue
        const stop = await options.beforeStep?.(s)
        if (stop !== undefined) return E.left({ _tag: 'Stopped', n: s.n, reason: stop })
        sentAt.set(s.n, clock.now())
        emit({ type: 'step-start', at: clock.now(), n: s.n, op: s.op, id: s.id })
        const at = (options.resolveEndpoint ?? ((e) => e))({ host: cluster.Endpoint, port: cluster.Port })
        const result = await applyChangelog(
          { engine: r.Engine, host: at.host, port: at.port, database: r.Database, username: r.Username, password, changelog: r.Changelog },
          shell,
          (stream, line) => emit({ type: 'hook-output', at: clock.now(), stream, line }),
          { timeoutMs: options.hookTimeoutMs, ...options.liquibase, ...(options.signal === undefined ? {} : { signal: options.signal }) },
        )
        if (interrupted()) return stopped()
        if (E.isLeft(result)) return E.left({ _tag: 'SchemaFailed', n: s.n, id: r.DBClusterIdentifier, message: result.left })
        finish(s)
        finishedNow = true
        continue
      }
      if (recheck.has(s.n)) {
        recheck.delete(s.n)
        const p = own[s.n - 1]!
        if (p._tag === 'done') {
          finish(s)
          finishedNow = true
          continue
        }
        if (p._tag === 'started') {
          state.set(s.n, 'sent')
          sentAt.set(s.n, clock.now())
          continue
        }
      }
      const byId = new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i]))
      const clusterById = new Map((env.clusters ?? []).map((c) => [c.DBClusterIdentifier, c]))
      const notNow = whyNotNow(s, byId, busy, clusterById)
      if (notNow !== undefined) {
        waitingToStart(s, notNow)
        continue
      }
      // describe is the judge of what a call may touch: never the run's new copy, never an old- not its own
      const refused = refusal(env, plan, s)
      if (refused !== undefined) return E.left({ _tag: 'Refused', n: s.n, reason: refused })
      const stop = await options.beforeStep?.(s)
      if (stop !== undefined) return E.left({ _tag: 'Stopped', n: s.n, reason: stop })
      const wire = resolveSecrets(s, options.secrets ?? {})
      if (E.isLeft(wire)) return E.left({ _tag: 'MissingSecret', n: s.n, name: wire.left })
      const sent = await rds.send(wire.right)()
      if (E.isLeft(sent) && s.op === 'CreateDBSubnetGroup' && sent.left._tag === 'Api' && SUBNET_GROUP_EXISTS.has(sent.left.code)) {
        // a re-run: the group was made by the run that went before, if it carries this run's tag; a group
        // somebody made since the plan was checked is not used
        const ours = await subnetGroupOfRun(rds, s.id, plan.run)
        if (E.isLeft(ours) && isTransient(ours.left)) {
          emit({ type: 'throttled', at: clock.now(), action: ours.left._tag === 'Api' ? ours.left.action : s.op })
          continue
        }
        if (E.isLeft(ours)) return E.left({ _tag: 'Rds', n: s.n, error: ours.left })
        if (!ours.right) {
          const message = `${s.id} exists and is not this run's (it has no ${TAG_RUN} tag ${plan.run}); choose another --target`
          return E.left({ _tag: 'Rds', n: s.n, error: { ...sent.left, message } })
        }
        finish(s)
        finishedNow = true
        continue
      }
      if (E.isLeft(sent)) {
        if (isTransient(sent.left)) {
          emit({ type: 'throttled', at: clock.now(), action: s.op })
          if (sent.left._tag === 'Api' && !/^Throttling/.test(sent.left.code)) waitingToStart(s, `RDS refuses it: ${sent.left.code}: ${sent.left.message}`)
          for (const id of changes(s)) busy.add(id)
          continue
        }
        return E.left({ _tag: 'Rds', n: s.n, error: sent.left })
      }
      sentAt.set(s.n, clock.now())
      blocked.delete(s.n)
      emit({ type: 'step-start', at: clock.now(), n: s.n, op: s.op, id: s.id })
      // a tag and a subnet group are there once the call is taken, and leave what they touch as it was
      const takenAtOnce = s.op === 'AddTagsToResource' || s.op === 'CreateDBSubnetGroup'
      if (!takenAtOnce) for (const id of changes(s)) busy.add(id)
      // so is a new master password, which no describe shows; but it keeps the instance or cluster
      // busy (resetting-master-credentials), and what comes next on it waits for the next describe
      const immediate = takenAtOnce || (setsPassword(s) && passwordSet(s) === 'secret')
      state.set(s.n, immediate ? 'done' : 'sent')
      if (immediate) {
        finish(s)
        finishedNow = true
      }
    }
    if ([...state.values()].every((v) => v === 'done')) break
    if (finishedNow && plan.steps.some(ready)) continue

    // a step that could go but that RDS never lets start (a busy or missing instance) is stuck too:
    // said at least once a minute, and far past its expected time the run stops with the reason
    for (const s of plan.steps) if (ready(s) && !sentAt.has(s.n)) sentAt.set(s.n, clock.now())
    for (const [n, b] of blocked) {
      const s = plan.steps[n - 1]!
      if (!ready(s)) {
        blocked.delete(n)
        continue
      }
      const now = clock.now()
      if (now - b.since > blockedLimitMs(s) && blockedLimitMs(s) < options.stepTimeoutMs) return E.left({ _tag: 'StepBlocked', n, reason: b.reason, ms: now - b.since })
      if (now - b.since >= options.pollIntervalMs && (b.toldAt === undefined || now - b.toldAt >= 60_000)) {
        emit({ type: 'notice', at: now, n, message: `waiting to start step ${n}: ${b.reason}` })
        b.toldAt = now
      }
    }
    for (const [n, at] of sentAt) {
      if (state.get(n) !== 'done' && clock.now() - at > options.stepTimeoutMs) {
        const s = plan.steps[n - 1]!
        return E.left({ _tag: 'StepTimeout', n, id: s.id, ms: options.stepTimeoutMs })
      }
    }
    await pollWait()
    if (interrupted()) return stopped()
    const next = await observe()
    if (E.isLeft(next)) {
      if (isTransient(next.left)) {
        emit({ type: 'throttled', at: clock.now(), action: 'DescribeDBInstances' })
        continue
      }
      return E.left({ _tag: 'Rds', n: undefined, error: next.left })
    }
    env = next.right
    held.env = env
    busy.clear()
    const renew = leaseCheck(clock.now(), 'poll')
    if (E.isLeft(renew)) return renew
    if (renew.right) {
      const wrote = await writeLease()
      if (E.isLeft(wrote)) return wrote
    }
    // the steps sent were sent in order: each is read by its own effect
    own = stepProgress(env, plan)
    const waiting: Array<{ n: number; id: string; status: string }> = []
    for (const s of plan.steps) {
      if (state.get(s.n) !== 'sent') continue
      const p = own[s.n - 1]!
      if (p._tag === 'failed') return E.left({ _tag: 'StepFailed', n: s.n, id: p.id, status: p.status })
      if (p._tag === 'done') finish(s)
      else waiting.push({ n: s.n, id: s.id, status: p._tag === 'started' ? p.status : 'accepted' })
    }
    if (waiting.length > 0) emit({ type: 'waiting', at: clock.now(), steps: waiting })
  }
  return E.right({ steps: plan.steps.length, skipped, elapsedMs: clock.now() - started, polls })
}
