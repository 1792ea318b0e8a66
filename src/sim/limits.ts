/**
 * What can make a call fail before it does anything: RDS's request rate (a token bucket on virtual
 * time, and storms a test asks for, both answered with Throttling), the failures a test injects, and
 * the faults RDS answers a bad request with (code and message as RDS sends them).
 */
import type { VirtualClock } from './clock.js'
import { normalizeIdentifier } from '../plan/identifiers.js'

/**
 * A failure to inject. `op` is the RDS action (`ModifyDBInstance` for a rename too, or a reading
 * action such as `DescribeDBInstances`); `id` the instance the call names (its
 * DBInstanceIdentifier, the old name for a rename, the instance of an ARN), or `*` for any. For a
 * cluster action (`RestoreDBClusterToPointInTime`, `CreateDBCluster`, `ModifyDBCluster`,
 * `DeleteDBCluster`, `AddRoleToDBCluster`, a tag on a cluster ARN) `id` is the cluster the call
 * names (its DBClusterIdentifier, the old name for a rename); `CreateDBInstance` names its instance.
 */
export type InjectedFailure =
  /** The call itself fails with this error, `times` times (default once). */
  | { readonly op: string; readonly id: string; readonly kind: 'error'; readonly code: string; readonly message?: string; readonly times?: number }
  /**
   * The call is accepted, but the instance ends in this status (e.g. `failed`) instead of
   * `available`, and stays in it. On RestoreDBClusterToPointInTime, CreateDBCluster and
   * ModifyDBCluster the cluster does (e.g. `inaccessible-encryption-credentials`), and a
   * ModifyDBCluster's settings are then not applied (a rename has already taken the new name).
   */
  | { readonly op: string; readonly id: string; readonly kind: 'status'; readonly status: string }

/** RDS's request rate: a bucket of 300 calls refilled at 12 a second. */
export const DEFAULT_THROTTLE = { burst: 300, perSecond: 12 }

/** What the limits keep between calls: the bucket's level and how many times each injected failure is left. */
export interface LimitState {
  readonly throttle: { readonly burst: number; readonly perSecond: number } | false
  readonly storms: ReadonlyArray<{ readonly from: number; readonly to: number }>
  tokens: number
  refilledAt: number
  readonly failures: Array<{ readonly f: InjectedFailure; left: number }>
}

export const limitState = (
  throttleOption: LimitState['throttle'] | undefined,
  storms: LimitState['storms'] | undefined,
  failures: ReadonlyArray<InjectedFailure> | undefined,
  now: number,
): LimitState => {
  const throttle = throttleOption === undefined ? DEFAULT_THROTTLE : throttleOption
  return {
    throttle,
    storms: storms ?? [],
    tokens: throttle === false ? 0 : throttle.burst,
    refilledAt: now,
    failures: (failures ?? []).map((f) => ({ f, left: f.kind === 'error' ? (f.times ?? 1) : 1 })),
  }
}

export const limits = (l: LimitState, clock: VirtualClock) => {
  const takeToken = (): boolean => {
    if (l.throttle === false) return true
    const now = clock.now()
    l.tokens = Math.min(l.throttle.burst, l.tokens + ((now - l.refilledAt) * l.throttle.perSecond) / 1000)
    l.refilledAt = now
    if (l.tokens < 1) return false
    l.tokens -= 1
    return true
  }
  const inStorm = () => l.storms.some((s) => clock.elapsed() >= s.from && clock.elapsed() < s.to)
  const matches = (f: InjectedFailure, action: string, subject: string | undefined) =>
    f.op === action && (f.id === '*' || (subject !== undefined && normalizeIdentifier(f.id) === normalizeIdentifier(subject)))
  /** The first injected failure of this kind left for the call, counted off. */
  const take = (kind: InjectedFailure['kind'], action: string, subject: string | undefined): InjectedFailure | undefined => {
    const hit = l.failures.find((x) => x.left > 0 && x.f.kind === kind && matches(x.f, action, subject))
    if (hit === undefined) return undefined
    hit.left -= 1
    return hit.f
  }
  /** The status an accepted call's work ends in instead of `available`, if a test injected one. */
  const failStatus = (action: string, subject: string): string | undefined => {
    const f = take('status', action, subject)
    return f?.kind === 'status' ? f.status : undefined
  }
  return { takeToken, inStorm, take, failStatus }
}

/** An RDS error answer: thrown by a call's body, caught by the call wrapper (simulator.ts). */
export class Fault {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}

export const fault = (code: string, message: string): never => {
  throw new Fault(code, message)
}

export const INVALID_IDENTIFIER = (param: string) =>
  `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`

export const NO_BACKUPS =
  'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.'
