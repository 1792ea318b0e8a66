/**
 * What RDS does, stated once (docs/aws-facts: the RDS API reference and user guide): the statuses it
 * does not come back from, how deep a replica tree an engine allows, the default quotas, how long its
 * calls typically take, and its rules for a master password. The planner, the progress predicates and
 * the simulator all read these; nothing here is a choice of mitosis's. Pure.
 */

/**
 * Statuses an instance or an Aurora cluster does not come back from by itself (aws-facts.md; the RDS User
 * Guide's DB instance and DB cluster status tables). Every `incompatible-*` status is one, also those not
 * listed here: see isFailedStatus.
 */
export const FAILED_STATUSES: ReadonlySet<string> = new Set([
  'failed', 'incompatible-credentials', 'incompatible-network', 'incompatible-option-group', 'incompatible-parameters',
  'incompatible-restore', 'inaccessible-encryption-credentials', 'inaccessible-encryption-credentials-recoverable',
  'restore-error', 'storage-full',
])

/** Whether RDS shows a status that needs someone to fix it: the run stops at once, naming it. */
export const isFailedStatus = (status: string): boolean => FAILED_STATUSES.has(status) || status.startsWith('incompatible-')

/** How many levels of replicas below its primary an engine lets a tree have (aws-facts.md, "Cascading replicas"). */
export const maxReplicaDepth = (engine: string, version: string | undefined): number => {
  if (engine === 'mysql' || engine === 'mariadb') return Number.POSITIVE_INFINITY
  if (engine === 'postgres') {
    const [major = 0, minor = 0] = (version ?? '').split('.').map(Number)
    return major > 14 || (major === 14 && minor >= 1) ? 3 : 1
  }
  return 1
}

/** RDS's default quotas per region (aws-facts.md). */
export const DEFAULT_QUOTAS = { DBInstances: 40, DBClusters: 40 } as const

const MINUTE = 60_000

/** How long each kind of RDS call's work takes until the instance or cluster is available again. */
export interface RdsDurations {
  readonly createReplica: number
  readonly restore: number
  readonly promote: number
  readonly modify: number
  readonly rename: number
  readonly delete: number
  /** Aurora copy-on-write: ~5 min whatever the size. */
  readonly clusterRestore: number
  readonly createInstance: number
  readonly addRole: number
  /** A new, empty Aurora cluster (CreateDBCluster). */
  readonly createCluster: number
  /**
   * A new master password (ModifyDBInstance / ModifyDBCluster MasterUserPassword or
   * ManageMasterUserPassword): `resetting-master-credentials`.
   */
  readonly resetMasterCredentials: number
}

/**
 * Typical times on AWS (aws-facts.md): the simulator's defaults, and (with the schema step, which is not
 * RDS's) the expected times of plan/durations.ts.
 */
export const AWS_DURATIONS: RdsDurations = {
  createReplica: 10 * MINUTE,
  restore: 30 * MINUTE,
  promote: 5 * MINUTE,
  modify: 4 * MINUTE,
  rename: 5 * MINUTE,
  delete: 6 * MINUTE,
  clusterRestore: 5 * MINUTE,
  createInstance: 10 * MINUTE,
  addRole: 1 * MINUTE,
  createCluster: 5 * MINUTE,
  // aws-facts.md gives no number; a password reset takes a minute or two
  resetMasterCredentials: 1.5 * MINUTE,
}

/** The shortest master password RDS takes, any engine. */
export const MIN_PASSWORD_LENGTH = 8

/** The longest password RDS takes for an engine: Aurora (any cluster), MySQL and MariaDB 41; Oracle 30; Db2 255; else 128. */
const maxPasswordLength = (engine: string): number =>
  engine.startsWith('aurora') || engine === 'mysql' || engine === 'mariadb' || engine === 'neptune' ? 41
    : engine.startsWith('oracle') ? 30
      : engine.startsWith('db2') ? 255
        : 128

/**
 * What is wrong with `password` for `engine`, or undefined (the RDS API reference, CreateDBCluster and
 * ModifyDBInstance MasterUserPassword): 8 characters at least, at most the engine's longest, printable
 * ASCII without spaces, and none of / " @ (nor & ' for Oracle).
 */
export const passwordProblem = (password: string, engine: string): string | undefined => {
  const max = maxPasswordLength(engine)
  if (password.length < MIN_PASSWORD_LENGTH || password.length > max) return `must be ${MIN_PASSWORD_LENGTH} to ${max} characters long for ${engine}`
  if (!/^[\x21-\x7e]+$/.test(password)) return 'must be printable ASCII without spaces'
  if (/[/"@]/.test(password)) return 'must not contain /, " or @'
  if (engine.startsWith('oracle') && /[&']/.test(password)) return `must not contain & or ' for ${engine}`
  return undefined
}
