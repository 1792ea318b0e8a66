/**
 * What the interpreter is given to act on the world, in one record: RDS (the port), time, the hooks'
 * shell, randomness, and the edge's policy before each step. Each has an implementation for
 * production (src/aws, systemClock, processShell in shell.ts) and one for tests (src/sim, its virtual
 * clock, a fake shell), so the interpreter never knows which world it runs in.
 *
 * The RDS port: what the interpreter needs from RDS, as TaskEither-returning functions. Two
 * implementations: src/aws (the SDK) and src/sim (an in-memory environment). Plan mode uses only
 * the reading half; applying adds the mutating half without changing these.
 */
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { DBCluster, DBInstance, DBSnapshot, DBSubnetGroup, Tag } from '../plan/domain.js'
import type { RdsOperation } from '../plan/operations.js'
import type { Step } from '../plan/plan.js'

export type RdsError =
  | { readonly _tag: 'Credentials'; readonly message: string }
  | { readonly _tag: 'Configuration'; readonly message: string }
  | { readonly _tag: 'AccessDenied'; readonly action: string; readonly message: string }
  | { readonly _tag: 'Unreachable'; readonly message: string }
  | { readonly _tag: 'Api'; readonly action: string; readonly code: string; readonly message: string }
  | { readonly _tag: 'Decode'; readonly action: string; readonly message: string }
  | { readonly _tag: 'ReadOnly'; readonly action: string }

export const renderRdsError = (e: RdsError): string => {
  switch (e._tag) {
    case 'Credentials':
    case 'Configuration':
    case 'Unreachable':
      return e.message
    case 'AccessDenied':
      // RDS actions are named bare; other services' (ram:ListResources) with their prefix
      return `access denied for ${e.action.includes(':') ? e.action : `rds:${e.action}`}: ${e.message}`
    case 'Api':
      return `${e.action} failed (${e.code}): ${e.message}`
    case 'Decode':
      return `${e.action} answered something unexpected: ${e.message}`
    case 'ReadOnly':
      return `${e.action}: refused, this port only reads`
  }
}

/** One account quota as RDS's DescribeAccountAttributes tells it: how much is used of how much. */
export interface AccountQuota {
  readonly used: number
  readonly max: number
}

/** The account's quotas in the port's region that an Aurora clone can run into. */
export interface AccountQuotas {
  readonly DBInstances?: AccountQuota
  readonly DBClusters?: AccountQuota
}

export interface RdsPort {
  /** The region every call goes to. */
  readonly region: string
  /** DescribeDBInstances, every page; only the given identifiers when `ids` is given. */
  readonly describeDBInstances: (ids?: ReadonlyArray<string>) => TE.TaskEither<RdsError, ReadonlyArray<DBInstance>>
  /**
   * RemoveTagsFromResource: the run's lease (a tag it keeps on the target while it runs) is taken away
   * when the run ends. Not a plan step: the interpreter's own bookkeeping, as the lease's tag is.
   */
  readonly removeTagsFromResource: (arn: string, keys: ReadonlyArray<string>) => TE.TaskEither<RdsError, void>
  /** ListTagsForResource for one ARN (an instance's, a cluster's, a subnet group's). */
  readonly listTagsForResource: (arn: string) => TE.TaskEither<RdsError, ReadonlyArray<Tag>>
  /** DescribeDBSnapshots of one instance, every page. */
  readonly describeDBSnapshots: (instanceId: string) => TE.TaskEither<RdsError, ReadonlyArray<DBSnapshot>>
  /** DescribeDBClusters, every page: the region's Aurora clusters (with their members and tags). */
  readonly describeDBClusters: () => TE.TaskEither<RdsError, ReadonlyArray<DBCluster>>
  /** DescribeDBSubnetGroups of one group by name: the group, or none when RDS answers DBSubnetGroupNotFoundFault. */
  readonly describeDBSubnetGroups: (name: string) => TE.TaskEither<RdsError, ReadonlyArray<DBSubnetGroup>>
  /** DescribeAccountAttributes: the DBInstances and DBClusters quotas (those the answer carries). */
  readonly describeAccountQuotas: () => TE.TaskEither<RdsError, AccountQuotas>
  /**
   * AWS RAM ListResources (resourceOwner SELF, resourceType rds:Cluster), every page: the ARNs of
   * this account's clusters shared with others. Only the RAM API tells this; RDS does not.
   */
  readonly listRamSharedClusterArns: () => TE.TaskEither<RdsError, ReadonlyArray<string>>
  /**
   * Sends one plan step's RDS call with exactly its request. Resolves when RDS has accepted the
   * call, not when its effect is complete: the interpreter waits for that by describing.
   */
  readonly send: (operation: RdsOperation) => TE.TaskEither<RdsError, void>
}

/** Time as a capability: the simulator's is virtual, so hours of waiting take milliseconds. */
export interface Clock {
  /** Milliseconds since the epoch. */
  readonly now: () => number
  /** Resolves after `ms` milliseconds of this clock's time. */
  readonly sleep: (ms: number) => Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

export interface HookResult {
  readonly code: number | null
  readonly timedOut: boolean
}

/**
 * Runs a hook command through the shell, streaming its output line by line (processShell, in shell.ts);
 * `exec` runs a program with its arguments and no shell at all (Liquibase's java: an artifact image has no
 * shell). A Shell without `exec` (a test's) is given the program as a quoted command line instead (execVia).
 */
export interface Shell {
  readonly run: (
    command: string,
    env: Readonly<Record<string, string>>,
    onLine: (stream: 'stdout' | 'stderr', line: string) => void,
    timeoutMs: number,
    /** Aborted when the run is interrupted: the command and everything it started are ended. */
    signal?: AbortSignal,
  ) => Promise<HookResult>
  readonly exec?: Exec
}

/** A program run with its arguments, its output streamed by line, ended at its timeout or when `signal` aborts. */
export type Exec = (
  file: string,
  args: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  onLine: (stream: 'stdout' | 'stderr', line: string) => void,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<HookResult>

/** A word quoted for a POSIX shell. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** Runs a program with its arguments through `shell`: its exec, else its run with the argv quoted into one line. */
export const execVia = (shell: Shell): Exec =>
  shell.exec ?? ((file, args, env, onLine, timeoutMs, signal) => shell.run([file, ...args].map(shellQuote).join(' '), env, onLine, timeoutMs, signal))

/** A network address: a database endpoint as describe tells it, or where it is reached from here. */
export interface Endpoint {
  readonly host: string
  readonly port: number
}

/** Everything an apply acts on the world through. */
export interface Capabilities {
  readonly rds: RdsPort
  readonly clock: Clock
  readonly shell: Shell
  /** In [0, 1): for the poll jitter. */
  readonly random: () => number
  /** Asked before each step is sent: a reason to stop at this step boundary (e.g. credentials about to expire). */
  readonly beforeStep?: (step: Step) => Promise<string | undefined>
  /** Where a cluster endpoint is reached (tests: a local database in place of the simulator's address). */
  readonly resolveEndpoint?: (endpoint: Endpoint) => Endpoint
}
