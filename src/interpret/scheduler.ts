/**
 * The interpreter: runs a plan's graph through the port. Every step starts as soon as the steps
 * it waits for are done and the instances (or Aurora clusters) it changes are available; one poller
 * serves every wait with a single DescribeDBInstances per tick (and, for a plan with cluster steps,
 * one DescribeDBClusters beside it); a step is done when describe shows its effect (the
 * predicates of src/plan/progress.ts, the same ones a re-run uses to skip what is done). What a
 * step does when it goes is step.ts; this decides when it goes, and holds the run's lease around it.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster, Environment } from '../plan/domain.js'
import { chainsFrom } from '../plan/critical-path.js'
import { stepDuration } from '../plan/durations.js'
import { planProgress, stepProgress } from '../plan/progress.js'
import type { Plan, Step } from '../plan/plan.js'
import type { ApplyEvent, ApplyFailure, ApplyOptions, ApplySummary } from './apply.js'
import type { Capabilities, RdsError } from './capabilities.js'
import { isTransient, planIds } from './readiness.js'
import { missingSecret } from './secrets.js'
import { describeHolder, LEASE_SETTLE_MS, leaseHome, leaseSubjects, leaseValue, readLease, TAG_LEASE, type Lease } from './lease.js'
import { takeStep, type StepContext } from './step.js'

/** How long a step may wait for RDS to let it start before the run stops with the reason. */
const blockedLimitMs = (s: Step): number => Math.max(3 * stepDuration(s), 60 * 60_000)

export const applyPlan = async (
  plan: Plan,
  caps: Capabilities,
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
  caps: Capabilities,
  options: ApplyOptions,
  emit: (e: ApplyEvent) => void,
  held: LeaseHeld,
): Promise<E.Either<ApplyFailure, ApplySummary>> => {
  const { rds, clock } = caps
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
  const tail = chainsFrom(plan.steps)
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
  const step: StepContext = {
    plan,
    caps,
    options,
    emit,
    interrupted,
    started: (s) => {
      sentAt.set(s.n, clock.now())
      blocked.delete(s.n)
      emit({ type: 'step-start', at: clock.now(), n: s.n, op: s.op, id: s.id })
    },
  }
  for (;;) {
    // start everything that can start; a step that finishes at once (a tag, the hook, a new
    // password) may unblock others, so go round again before sleeping whenever something finished
    let finishedNow = false
    for (const s of byPriority) {
      if (interrupted()) return stopped()
      if (!ready(s)) continue
      const again = recheck.has(s.n) ? own[s.n - 1] : undefined
      recheck.delete(s.n)
      const outcome = await takeStep(step, { env, busy, again }, s)
      switch (outcome._tag) {
        case 'done':
          for (const id of outcome.busy) busy.add(id)
          finish(s)
          finishedNow = true
          break
        case 'sent':
          for (const id of outcome.busy) busy.add(id)
          state.set(s.n, 'sent')
          break
        case 'under-way':
          state.set(s.n, 'sent')
          sentAt.set(s.n, clock.now())
          break
        case 'later':
          if (outcome.blocked !== undefined) waitingToStart(s, outcome.blocked)
          for (const id of outcome.busy) busy.add(id)
          break
        case 'failed':
          return E.left(outcome.failure)
        case 'interrupted':
          return stopped()
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
