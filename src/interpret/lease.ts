/**
 * One run per target at a time. Before its first mutating call a run puts a lease on the target (a
 * tag, `mitosis:lease`: who holds it and until when) and keeps it while it lives; it renews it well
 * before it expires, moves it to the new target once the old one is deleted, and takes it away at the
 * end. Another run that finds a live lease that is not its own refuses before it changes anything; a
 * lease that expired, or whose holder on this host is gone, is taken over (and that is said).
 *
 * Tags have no compare-and-set: a run writes its lease, waits a moment, and reads it back; of two runs
 * that wrote at once, the one that reads back the other's stops before its first step. A create's
 * target does not exist yet: its name holds it until the cluster is there (RDS lets one caller create
 * it), then the lease does.
 */
import type { DBCluster, DBInstance, Environment, Tag } from '../plan/domain.js'
import type { Plan } from '../plan/plan.js'
import { clusterFootprint, footprint, tagValue, TAG_PREFIX } from '../plan/runs.js'

export const TAG_LEASE = `${TAG_PREFIX}lease`

/** Who runs: a host, a process, and an id of its own (a process may run twice). */
export interface LeaseHolder {
  readonly host: string
  readonly pid: number
  readonly id: string
}

export interface LeaseOptions {
  readonly holder: LeaseHolder
  /** How long a lease lasts unless renewed (renewed when half of it is left). */
  readonly ttlMs: number
  /** Whether a holder still runs, when that can be told (a process on this host); undefined: cannot tell. */
  readonly isAlive?: (holder: Pick<LeaseHolder, 'host' | 'pid'>) => boolean | undefined
}

export const DEFAULT_LEASE_TTL_MS = 15 * 60_000
/** How long a run waits after writing its lease before it reads it back. */
export const LEASE_SETTLE_MS = 2_000

export interface Lease {
  readonly run: string
  readonly holder: LeaseHolder
  readonly since: number
  readonly until: number
}

const tagSafe = (text: string): string => text.replace(/[^A-Za-z0-9_.:/=+@-]/g, '-').slice(0, 64)

/** The tag's value: RDS takes letters, digits, spaces and _ . : / = + - @ (256 at most). */
export const leaseValue = (l: Lease): string =>
  `run=${tagSafe(l.run)} id=${tagSafe(l.holder.id)} host=${tagSafe(l.holder.host)} pid=${l.holder.pid} since=${new Date(l.since).toISOString()} until=${new Date(l.until).toISOString()}`

export const parseLease = (value: string | undefined): Lease | undefined => {
  if (value === undefined) return undefined
  const fields = Object.fromEntries(value.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  const [since, until, pid] = [Date.parse(fields['since'] ?? ''), Date.parse(fields['until'] ?? ''), Number(fields['pid'])]
  if (fields['run'] === undefined || fields['id'] === undefined || !Number.isFinite(until) || !Number.isFinite(since)) return undefined
  return { run: fields['run'], holder: { id: fields['id'], host: fields['host'] ?? '?', pid: Number.isFinite(pid) ? pid : 0 }, since, until }
}

/** Where the lease lives now: the target under its name or renamed away by this run, else the new target. */
export interface LeaseSubject {
  readonly id: string
  readonly arn: string
  readonly tags: ReadonlyArray<Tag>
}

const ofInstance = (i: DBInstance | undefined): LeaseSubject | undefined =>
  i?.DBInstanceArn === undefined ? undefined : { id: i.DBInstanceIdentifier, arn: i.DBInstanceArn, tags: i.TagList ?? [] }
const ofCluster = (c: DBCluster | undefined): LeaseSubject | undefined =>
  c?.DBClusterArn === undefined ? undefined : { id: c.DBClusterIdentifier, arn: c.DBClusterArn, tags: c.TagList ?? [] }

/**
 * Every resource that may carry a lease on the plan's target (the original, wherever this run renamed
 * it; what holds the name now), the one a lease is written to first.
 */
export const leaseSubjects = (env: Environment, plan: Plan): ReadonlyArray<LeaseSubject> => {
  const away = clusterFootprint(env, plan.run).originals.get(plan.target)
  const cluster = away !== undefined || (env.clusters ?? []).some((c) => c.DBClusterIdentifier === plan.target)
  const subjects = cluster
    ? [ofCluster(away), ofCluster(env.clusters?.find((c) => c.DBClusterIdentifier === plan.target))]
    : [ofInstance(footprint(env, plan.run).originals.get(plan.target)), ofInstance(env.instances.find((i) => i.DBInstanceIdentifier === plan.target))]
  // the original while it lasts (renamed away, it is still the run's to keep), then the new target
  return subjects.filter((s): s is LeaseSubject => s !== undefined).filter((s, k, all) => all.findIndex((x) => x.arn === s.arn) === k)
}

/** Where the lease is written: what holds the target's name, else the original this run renamed away. */
export const leaseHome = (subjects: ReadonlyArray<LeaseSubject>, plan: Plan): LeaseSubject | undefined =>
  subjects.find((s) => s.id === plan.target) ?? subjects[0]

export type LeaseReading =
  | { readonly _tag: 'free' }
  | { readonly _tag: 'ours'; readonly lease: Lease; readonly on: LeaseSubject }
  | { readonly _tag: 'held'; readonly lease: Lease; readonly on: LeaseSubject }
  | { readonly _tag: 'stale'; readonly lease: Lease; readonly on: LeaseSubject; readonly why: 'expired' | 'holder gone' }

/** The lease that lasts longest on the target: ours, somebody else's that is live, or one that may be taken over. */
export const readLease = (subjects: ReadonlyArray<LeaseSubject>, options: LeaseOptions, now: number): LeaseReading => {
  const found = subjects
    .flatMap((on) => {
      const lease = parseLease(tagValue(on.tags, TAG_LEASE))
      return lease === undefined ? [] : [{ lease, on }]
    })
    .sort((a, b) => b.lease.until - a.lease.until)
  const newest = found[0]
  if (newest === undefined) return { _tag: 'free' }
  const { lease, on } = newest
  if (lease.holder.id === options.holder.id) return { _tag: 'ours', lease, on }
  if (lease.until <= now) return { _tag: 'stale', lease, on, why: 'expired' }
  if (lease.holder.host === options.holder.host && options.isAlive?.(lease.holder) === false) return { _tag: 'stale', lease, on, why: 'holder gone' }
  return { _tag: 'held', lease, on }
}

const clock = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

export const describeHolder = (l: Lease): string => `pid ${l.holder.pid} on ${l.holder.host} (run ${l.run}), since ${clock(l.since)}, until ${clock(l.until)}`
