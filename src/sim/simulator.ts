/**
 * An in-memory RDS: the RdsPort with AWS's state rules on a virtual clock, for running plans
 * (and killing their interpreters halfway) in tests without an AWS account.
 *
 * Every instance's status is derived from virtual time: a call that starts work sets the
 * in-progress status and records when the work ends and what it does then; the effect is applied
 * lazily, by the first call (or `environment()`) that happens at or after that time, in the order
 * the work ends. The simulator has no timers and no promises of its own in flight, so it is fully
 * deterministic and outlives any client: a new interpreter can pick up where a killed one left off
 * against the same object.
 *
 * Aurora clusters are modelled the same way: a copy-on-write restore (no instances until
 * CreateDBInstance names the cluster), cluster settings, renames (members follow), IAM roles,
 * deletes (only once the cluster has no instances), and InvalidDBClusterStateFault for a busy one.
 *
 * Rules and numbers follow docs/aws-facts (the RDS API reference and user guide); error codes and
 * messages are the ones RDS sends (as seen in SDK errors users report).
 */
import { createHash } from 'node:crypto'
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import type { DBCluster, DBInstance, DBSnapshot, DBSubnetGroup, Environment, Tag, TaggedDBSubnetGroup } from '../plan/domain.js'
import type { RdsOperation, SettingKey } from '../plan/operations.js'
import { INHERITED_FROM_SOURCE } from '../plan/attributes.js'
import { replicaForest } from '../plan/forest.js'
import { AWS_DURATIONS, DEFAULT_QUOTAS, isFailedStatus, maxReplicaDepth, MIN_PASSWORD_LENGTH, type RdsDurations } from '../plan/rds-facts.js'
import { identifierProblem, normalizeIdentifier } from '../plan/identifiers.js'
import type { Clock, RdsError, RdsPort } from '../interpret/port.js'
import { virtualClock } from './clock.js'


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

export interface SimOptions {
  /** How long each kind of work takes in virtual time: AWS_DURATIONS (rds-facts.ts) unless a test says otherwise. */
  readonly durations?: Partial<RdsDurations>
  readonly failures?: ReadonlyArray<InjectedFailure>
  /** Token bucket on virtual time; default `{ burst: 300, perSecond: 12 }` as AWS; `false` for none. */
  readonly throttle?: { readonly burst: number; readonly perSecond: number } | false
  /** Virtual ms offsets from the start during which every call fails with Throttling. */
  readonly storms?: ReadonlyArray<{ readonly from: number; readonly to: number }>
  /** Epoch ms of the virtual start; default 2026-11-22T12:00:00Z. */
  readonly start?: number
}

export interface SimCall {
  /** Virtual epoch ms (the simulator clock's `now()`) when the call arrived. */
  readonly at: number
  readonly action: string
  readonly input: unknown
  /** `ok`, or the error code the call was answered with. */
  readonly outcome: 'ok' | string
}

export interface Simulator extends RdsPort {
  /** Virtual time: `sleep(ms)` moves it forward and resolves at once. */
  readonly clock: Clock & { readonly elapsed: () => number }
  /** Every call so far, reads included, in order. */
  readonly calls: () => ReadonlyArray<SimCall>
  /** What describe would show right now (every instance, their tags, every snapshot); not a call. */
  readonly environment: () => Environment
  /**
   * The identifier (at seed time) of the instance whose data `id` holds; for an Aurora cluster, or
   * an instance of one, the seed-time identifier of the cluster whose data it holds; undefined if
   * no such instance or cluster. For a DB cluster snapshot, that of the cluster it was taken of.
   */
  readonly dataOf: (id: string) => string | undefined
  /**
   * The DB cluster snapshots (final snapshots of deleted clusters), as DescribeDBClusterSnapshots
   * would show them: `creating` until the delete is done, then `available`. Not a call (the port
   * has no cluster-snapshot describe).
   */
  readonly clusterSnapshots: () => ReadonlyArray<SimClusterSnapshot>
  /**
   * What is known of a cluster's or an instance's master password, never the password: how many times
   * one was set (CreateDBCluster, ModifyDBCluster or ModifyDBInstance MasterUserPassword) and when the
   * last took effect, and whether RDS manages it in Secrets Manager. A clone keeps its source's record,
   * a read replica shows its source's. Undefined for no such cluster or instance.
   */
  readonly masterCredentials: (id: string) => MasterCredentials | undefined
  /**
   * Whether `candidate` is the master password of the cluster or instance `id` as last set (only a
   * salted hash is kept); a read replica's is its source's.
   */
  readonly masterPasswordIs: (id: string, candidate: string) => boolean
}

/** A DB cluster snapshot with DescribeDBClusterSnapshots's field names. */
export interface SimClusterSnapshot {
  readonly DBClusterSnapshotIdentifier: string
  readonly DBClusterIdentifier: string
  readonly DBClusterSnapshotArn: string
  readonly Status: string
  readonly SnapshotType: string
  readonly SnapshotCreateTime: string
  readonly Engine?: string
  readonly EngineVersion?: string
  readonly StorageEncrypted?: boolean
  readonly KmsKeyId?: string
  readonly Port?: number
  readonly MasterUsername?: string
  readonly VpcId?: string
}

export interface MasterCredentials {
  /** How many times a password was set (a managed one counts as well). */
  readonly sets: number
  /** Virtual epoch ms when the last one took effect; undefined if none was set here (a seeded cluster). */
  readonly lastSetAt: number | undefined
  readonly managed: boolean
}

export const DEFAULT_START = Date.parse('2026-11-22T12:00:00Z')
const DEFAULT_THROTTLE = { burst: 300, perSecond: 12 }

/** Statuses an instance can be deleted in: RDS lets one a failure left behind (isFailedStatus) be deleted too. */
const deletable = (status: string): boolean => ['available', 'stopped', 'storage-optimization'].includes(status) || isFailedStatus(status)

/** Defaults RDS gives a new instance when nothing says otherwise (it picks windows itself). */
const DEFAULT_BACKUP_WINDOW = '07:00-07:30'
const DEFAULT_MAINTENANCE_WINDOW = 'sun:08:00-sun:08:30'
const DEFAULT_ACCOUNT_PREFIX = (region: string) => `arn:aws:rds:${region}:123456789012`

/**
 * ModifyDBInstance settings that wait for the maintenance window unless ApplyImmediately is true
 * (RDS API reference, ModifyDBInstance). The rest apply at once either way.
 */
const DEFERRED_UNLESS_IMMEDIATE = new Set([
  'DBInstanceClass', 'MultiAZ', 'StorageType', 'Iops', 'StorageThroughput', 'AllocatedStorage', 'NewDBInstanceIdentifier',
  'CACertificateIdentifier', 'DBSubnetGroupName', 'NetworkType', 'ProcessorFeatures', 'EngineVersion',
])

/**
 * The members each action has in the SDK's input shape (besides the identifiers): anything else in
 * a request is dropped by the SDK before it reaches RDS, so the simulator ignores it too.
 */
const MEMBERS: Readonly<Record<'CreateDBInstanceReadReplica' | 'RestoreDBInstanceFromDBSnapshot' | 'ModifyDBInstance', ReadonlySet<string>>> = {
  CreateDBInstanceReadReplica: new Set([
    'DBInstanceClass', 'AvailabilityZone', 'Port', 'MultiAZ', 'AutoMinorVersionUpgrade', 'Iops', 'StorageThroughput',
    'OptionGroupName', 'DBParameterGroupName', 'PubliclyAccessible', 'Tags', 'DBSubnetGroupName', 'VpcSecurityGroupIds',
    'StorageType', 'CopyTagsToSnapshot', 'MonitoringInterval', 'MonitoringRoleArn', 'KmsKeyId',
    'EnableIAMDatabaseAuthentication', 'EnablePerformanceInsights', 'PerformanceInsightsKMSKeyId',
    'PerformanceInsightsRetentionPeriod', 'EnableCloudwatchLogsExports', 'ProcessorFeatures', 'DeletionProtection',
    'NetworkType', 'MaxAllocatedStorage', 'AllocatedStorage', 'CACertificateIdentifier',
  ]),
  RestoreDBInstanceFromDBSnapshot: new Set([
    'DBInstanceClass', 'Port', 'AvailabilityZone', 'DBSubnetGroupName', 'MultiAZ', 'PubliclyAccessible',
    'AutoMinorVersionUpgrade', 'LicenseModel', 'DBName', 'Engine', 'Iops', 'StorageThroughput', 'OptionGroupName', 'Tags',
    'StorageType', 'VpcSecurityGroupIds', 'CopyTagsToSnapshot', 'EnableIAMDatabaseAuthentication',
    'EnableCloudwatchLogsExports', 'ProcessorFeatures', 'DBParameterGroupName', 'DeletionProtection', 'NetworkType',
    'AllocatedStorage', 'BackupRetentionPeriod', 'PreferredBackupWindow', 'CACertificateIdentifier',
  ]),
  ModifyDBInstance: new Set([
    'AllocatedStorage', 'DBInstanceClass', 'DBSubnetGroupName', 'VpcSecurityGroupIds', 'BackupRetentionPeriod',
    'PreferredBackupWindow', 'PreferredMaintenanceWindow', 'MultiAZ', 'EngineVersion', 'AutoMinorVersionUpgrade', 'Iops',
    'StorageThroughput', 'OptionGroupName', 'DBParameterGroupName', 'NewDBInstanceIdentifier', 'StorageType',
    'CACertificateIdentifier', 'CopyTagsToSnapshot', 'MonitoringInterval', 'DBPortNumber', 'PubliclyAccessible',
    'MonitoringRoleArn', 'EnableIAMDatabaseAuthentication', 'EnablePerformanceInsights', 'PerformanceInsightsKMSKeyId',
    'PerformanceInsightsRetentionPeriod', 'CloudwatchLogsExportConfiguration', 'ProcessorFeatures', 'DeletionProtection',
    'MaxAllocatedStorage', 'NetworkType',
  ]),
}

const pickMembers = (action: keyof typeof MEMBERS, request: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(request).filter(([k, v]) => v !== undefined && MEMBERS[action].has(k)))

// ---------------------------------------------------------------------------------------------

type Fields = Record<string, unknown>

interface Work {
  readonly until: number
  readonly seq: number
  /** The status the instance ends in instead of `available` (an injected failure). */
  readonly failAs: string | undefined
  /** Applies the effect; returns false when the instance is gone afterwards. */
  readonly finish: (n: Node, failed: boolean) => boolean
}

/** What the simulator knows of a master password: never the password, only a salted hash of it. */
interface Credentials {
  sets: number
  lastSetAt: number | undefined
  /** sha-256 of the simulator's salt and the password; undefined when unknown (seeded) or managed. */
  hash: string | undefined
}

/** One instance. Links are by key, so renames carry them without bookkeeping. */
interface Node {
  readonly key: number
  id: string
  /** Seed-time identifier of the instance whose data this one holds. */
  readonly data: string
  readonly resourceId: string
  /** Host suffix of its endpoint: `<id>.<suffix>`. */
  readonly suffix: string
  /** Describe fields other than those derived here (identifier, status, ARN, address, links, tags). */
  fields: Fields
  tags: Tag[]
  source: number | undefined
  status: string
  work: Work | undefined
  /** Its own master password; a read replica's is its source's (see credentialsOf). */
  credentials: Credentials
}

interface SnapshotRecord {
  readonly snapshot: DBSnapshot
  /** Seed-time identifier of the instance whose data the snapshot holds. */
  readonly data: string
  /** The snapshot shows `creating` until then (a final snapshot taken while deleting). */
  readonly readyAt: number | undefined
}

class Fault {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}
}
/** A request as the log keeps it: a master password replaced by `***`. */
const withoutSecrets = (input: unknown): unknown =>
  typeof input === 'object' && input !== null && 'MasterUserPassword' in input ? { ...input, MasterUserPassword: '***' } : input

const fault = (code: string, message: string): never => {
  throw new Fault(code, message)
}

const clone = <A>(a: A): A => structuredClone(a)

const record = (u: unknown): Fields | undefined => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Fields) : undefined)

/** 26 characters like a DbiResourceId, stable for a given input. */
const resourceIdFor = (text: string): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let h = 0x811c9dc5
  let out = ''
  for (let round = 0; out.length < 26; round++) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
    h = Math.imul(h ^ round, 0x01000193) >>> 0
    for (let k = 0; k < 6 && out.length < 26; k++) out += alphabet[(h >>> (k * 5)) & 31]
  }
  return `db-${out}`
}

const INVALID_IDENTIFIER = (param: string) =>
  `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`

const NO_BACKUPS =
  'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.'

/** Where each inheritable setting lives in describe. */
const INHERITED_FIELDS: Partial<Record<SettingKey, ReadonlyArray<string>>> = {
  DBInstanceClass: ['DBInstanceClass'],
  StorageType: ['StorageType'],
  Iops: ['Iops'],
  StorageThroughput: ['StorageThroughput'],
  OptionGroupName: ['OptionGroupMemberships'],
  DBParameterGroupName: ['DBParameterGroups'],
  AutoMinorVersionUpgrade: ['AutoMinorVersionUpgrade'],
  DBSubnetGroupName: ['DBSubnetGroup'],
  CACertificateIdentifier: ['CACertificateIdentifier'],
  NetworkType: ['NetworkType'],
  ProcessorFeatures: ['ProcessorFeatures'],
}

/** The group an instance runs with: the first in-sync one, else the first. */
const currentGroup = <G extends Fields>(groups: unknown, statusKey: string, ok: string): G | undefined => {
  const list = Array.isArray(groups) ? (groups as G[]) : []
  return list.find((g) => g[statusKey] === ok) ?? list[0]
}

const DIRECT_SETTINGS = [
  'DBInstanceClass', 'MultiAZ', 'AutoMinorVersionUpgrade', 'StorageType', 'Iops', 'StorageThroughput', 'MaxAllocatedStorage',
  'AllocatedStorage', 'PubliclyAccessible', 'CopyTagsToSnapshot', 'MonitoringInterval', 'MonitoringRoleArn',
  'PerformanceInsightsKMSKeyId', 'PerformanceInsightsRetentionPeriod', 'ProcessorFeatures', 'DeletionProtection',
  'CACertificateIdentifier', 'NetworkType', 'BackupRetentionPeriod', 'PreferredBackupWindow', 'PreferredMaintenanceWindow',
  'EngineVersion',
] as const

// ---------------------------------------------------------------------------------------------

export const simulate = (env: Environment, options: SimOptions = {}): Simulator => {
  const region = env.region
  const durations: RdsDurations = { ...AWS_DURATIONS, ...options.durations }
  const start = options.start ?? DEFAULT_START
  const clock = virtualClock(start)
  const arnPrefix = (() => {
    const known = env.instances.map((i) => i.DBInstanceArn).find((a) => a !== undefined)
    const m = known?.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):db:/)
    return m?.[1] ?? DEFAULT_ACCOUNT_PREFIX(region)
  })()
  const arnOf = (id: string) => `${arnPrefix}:db:${id}`
  const defaultSuffix = (() => {
    const i = env.instances.find((x) => x.Endpoint?.Address?.startsWith(`${x.DBInstanceIdentifier}.`) === true)
    return i?.Endpoint?.Address?.slice(i.DBInstanceIdentifier.length + 1) ?? `c0sim0mitosis.${region}.rds.amazonaws.com`
  })()

  // ---- state
  const nodes = new Map<number, Node>()
  let nextKey = 1
  let seq = 0
  const snapshots: SnapshotRecord[] = []
  const subnetGroups = new Map<string, Fields>()
  /** A subnet group's tags (those its CreateDBSubnetGroup carried, or the seed's TagList), by its name. */
  const subnetGroupTags = new Map<string, Tag[]>()
  const log: SimCall[] = []

  const byId = (id: string): Node | undefined => {
    const want = normalizeIdentifier(id)
    for (const n of nodes.values()) if (n.id === want) return n
    return undefined
  }
  const idOfArn = (arn: string): string | undefined => {
    const m = arn.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):db:(.+)$/)
    return m === null || m[1] !== arnPrefix ? undefined : normalizeIdentifier(m[2]!)
  }

  // ---- seed
  // the subnet groups described on their own first: an instance's or a cluster's group of the same name is that one
  for (const g of env.subnetGroups ?? []) {
    const { TagList, DBSubnetGroupArn: _arn, ...fields } = clone(g)
    subnetGroups.set(g.DBSubnetGroupName, fields as Fields)
    subnetGroupTags.set(g.DBSubnetGroupName, [...(TagList ?? [])])
  }
  const forest = replicaForest(env.instances)
  const keyOfSeed = new Map<string, number>()
  for (const i of env.instances) {
    const {
      DBInstanceIdentifier: id, DBInstanceStatus: status, DBInstanceArn: _arn, ReadReplicaSourceDBInstanceIdentifier: _src,
      ReadReplicaDBInstanceIdentifiers: _replicas, TagList, DbiResourceId, ...rest
    } = clone(i)
    const endpoint = record(rest.Endpoint)
    const address = typeof endpoint?.['Address'] === 'string' ? endpoint['Address'] : undefined
    if (endpoint !== undefined) {
      const { Address: _a, ...kept } = endpoint
      rest.Endpoint = kept
    }
    const key = nextKey++
    keyOfSeed.set(id, key)
    nodes.set(key, {
      key,
      id,
      data: id,
      resourceId: DbiResourceId ?? resourceIdFor(`${arnPrefix}:${id}`),
      suffix: address?.startsWith(`${id}.`) === true ? address.slice(id.length + 1) : defaultSuffix,
      fields: rest as Fields,
      tags: clone([...(env.tags[id] ?? TagList ?? [])]),
      source: undefined,
      status,
      work: undefined,
      credentials: { sets: 0, lastSetAt: undefined, hash: undefined },
    })
    const group = record(rest.DBSubnetGroup)
    if (typeof group?.['DBSubnetGroupName'] === 'string' && !subnetGroups.has(group['DBSubnetGroupName'])) {
      subnetGroups.set(group['DBSubnetGroupName'], clone(group))
    }
  }
  for (const i of env.instances) {
    const parent = forest.parentOf(i.DBInstanceIdentifier)
    const n = nodes.get(keyOfSeed.get(i.DBInstanceIdentifier)!)!
    n.source = parent === undefined ? undefined : keyOfSeed.get(parent)
  }
  for (const s of env.snapshots) snapshots.push({ snapshot: clone(s), data: s.DBInstanceIdentifier, readyAt: undefined })

  // ---- time
  /** Applies every piece of work that has ended by now, in the order it ended. */
  const settle = () => {
    const now = clock.now()
    const due = [...nodes.values()]
      .filter((n) => n.work !== undefined && n.work.until <= now)
      .sort((a, b) => a.work!.until - b.work!.until || a.work!.seq - b.work!.seq)
    const dueClusters = [...clusters.values()].filter((c) => c.work !== undefined && c.work.until <= now)
    const ordered = [
      ...due.map((n) => ({ until: n.work!.until, seq: n.work!.seq, run: () => {
        const w = n.work!
        n.work = undefined
        const failed = w.failAs !== undefined
        if (w.finish(n, failed)) n.status = w.failAs ?? 'available'
      } })),
      ...dueClusters.map((c) => ({ until: c.work!.until, seq: c.work!.seq, run: () => {
        const w = c.work!
        c.work = undefined
        if (w.finish(c, w.failAs !== undefined)) c.status = w.failAs ?? 'available'
      } })),
    ].sort((a, b) => a.until - b.until || a.seq - b.seq)
    for (const x of ordered) x.run()
  }
  const busy = (n: Node, status: string, duration: number, failAs: string | undefined, finish: Work['finish'] = () => true) => {
    n.status = status
    n.work = { until: clock.now() + duration, seq: seq++, failAs, finish }
  }

  // ---- throttling
  const throttle = options.throttle === undefined ? DEFAULT_THROTTLE : options.throttle
  let tokens = throttle === false ? 0 : throttle.burst
  let refilledAt = clock.now()
  const takeToken = (): boolean => {
    if (throttle === false) return true
    const now = clock.now()
    tokens = Math.min(throttle.burst, tokens + ((now - refilledAt) * throttle.perSecond) / 1000)
    refilledAt = now
    if (tokens < 1) return false
    tokens -= 1
    return true
  }
  const inStorm = () => (options.storms ?? []).some((s) => clock.elapsed() >= s.from && clock.elapsed() < s.to)

  // ---- injected failures
  const failures = (options.failures ?? []).map((f) => ({ f, left: f.kind === 'error' ? (f.times ?? 1) : 1 }))
  const matches = (f: InjectedFailure, action: string, subject: string | undefined) =>
    f.op === action && (f.id === '*' || (subject !== undefined && normalizeIdentifier(f.id) === normalizeIdentifier(subject)))
  const take = (kind: InjectedFailure['kind'], action: string, subject: string | undefined): InjectedFailure | undefined => {
    const hit = failures.find((x) => x.left > 0 && x.f.kind === kind && matches(x.f, action, subject))
    if (hit === undefined) return undefined
    hit.left -= 1
    return hit.f
  }
  const failStatus = (action: string, subject: string): string | undefined => {
    const f = take('status', action, subject)
    return f?.kind === 'status' ? f.status : undefined
  }

  // ---- the call wrapper: every call is throttled, may be made to fail, and is logged
  const call =
    <A>(action: string, input: unknown, subject: string | undefined, run: () => A): TE.TaskEither<RdsError, A> =>
    () => {
      settle()
      // a password sent with a call is never kept in the log
      const entry = (outcome: string) => log.push({ at: clock.now(), action, input: withoutSecrets(clone(input)), outcome })
      const api = (code: string, message: string): E.Either<RdsError, A> => {
        entry(code)
        return E.left({ _tag: 'Api', action, code, message })
      }
      if (inStorm() || !takeToken()) return Promise.resolve(api('Throttling', 'Rate exceeded'))
      const injected = take('error', action, subject)
      if (injected?.kind === 'error') return Promise.resolve(api(injected.code, injected.message ?? `injected ${injected.code}`))
      try {
        const a = run()
        entry('ok')
        return Promise.resolve(E.right(a))
      } catch (e) {
        if (e instanceof Fault) return Promise.resolve(api(e.code, e.message))
        throw e
      }
    }

  // ---- lookups and checks
  const mustFind = (id: string): Node => byId(id) ?? fault('DBInstanceNotFound', `DBInstance ${id} not found.`)
  const requireAvailable = (n: Node) => {
    if (n.status === 'available') return
    fault('InvalidDBInstanceState', n.status === 'deleting' ? `Instance ${n.id} is already being deleted.` : `Instance ${n.id} is not in available state.`)
  }
  const newIdentifier = (param: string, raw: string): string => {
    if (identifierProblem(raw) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER(param))
    const id = normalizeIdentifier(raw)
    if (byId(id) !== undefined) fault('DBInstanceAlreadyExists', 'DB instance already exists')
    return id
  }
  const checkSettings = (s: Fields, existing: Fields | undefined) => {
    const group = s['DBSubnetGroupName']
    if (typeof group === 'string' && !subnetGroups.has(group)) fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${group} not found.`)
    const interval = s['MonitoringInterval'] ?? existing?.['MonitoringInterval']
    const role = s['MonitoringRoleArn'] ?? existing?.['MonitoringRoleArn']
    if (typeof interval === 'number' && interval > 0 && role === undefined) {
      fault('InvalidParameterCombination', 'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.')
    }
  }
  const depthOf = (n: Node): number => {
    let d = 0
    for (let s = n.source; s !== undefined; s = nodes.get(s)?.source) d++
    return d
  }

  /** Applies request settings to an instance's describe fields (request names → describe names). */
  const applySettings = (n: Node, s: Fields, how: 'new' | 'modify') => {
    const f = n.fields
    for (const k of DIRECT_SETTINGS) if (s[k] !== undefined) f[k] = clone(s[k])
    const type = s['StorageType']
    if (typeof type === 'string' && type !== 'io1' && type !== 'io2' && type !== 'gp3') {
      delete f['Iops']
      delete f['StorageThroughput']
    }
    const port = s['Port'] ?? s['DBPortNumber']
    if (typeof port === 'number') f['Endpoint'] = { ...record(f['Endpoint']), Port: port }
    if (typeof s['OptionGroupName'] === 'string') f['OptionGroupMemberships'] = [{ OptionGroupName: s['OptionGroupName'], Status: 'in-sync' }]
    if (typeof s['DBParameterGroupName'] === 'string') {
      const name = s['DBParameterGroupName']
      const now = currentGroup<Fields>(f['DBParameterGroups'], 'ParameterApplyStatus', 'in-sync')
      const status = how === 'new' ? 'in-sync' : now?.['DBParameterGroupName'] === name ? now['ParameterApplyStatus'] : 'pending-reboot'
      f['DBParameterGroups'] = [{ DBParameterGroupName: name, ParameterApplyStatus: status }]
    }
    if (typeof s['DBSubnetGroupName'] === 'string') f['DBSubnetGroup'] = clone(subnetGroups.get(s['DBSubnetGroupName']))
    if (Array.isArray(s['VpcSecurityGroupIds'])) {
      f['VpcSecurityGroups'] = (s['VpcSecurityGroupIds'] as string[]).map((id) => ({ VpcSecurityGroupId: id, Status: 'active' }))
    }
    if (typeof s['EnableIAMDatabaseAuthentication'] === 'boolean') f['IAMDatabaseAuthenticationEnabled'] = s['EnableIAMDatabaseAuthentication']
    if (typeof s['EnablePerformanceInsights'] === 'boolean') {
      f['PerformanceInsightsEnabled'] = s['EnablePerformanceInsights']
      if (s['EnablePerformanceInsights'] && f['PerformanceInsightsRetentionPeriod'] === undefined) f['PerformanceInsightsRetentionPeriod'] = 7
      if (!s['EnablePerformanceInsights']) {
        delete f['PerformanceInsightsKMSKeyId']
        delete f['PerformanceInsightsRetentionPeriod']
      }
    }
    if (Array.isArray(s['EnableCloudwatchLogsExports'])) f['EnabledCloudwatchLogsExports'] = [...(s['EnableCloudwatchLogsExports'] as string[])]
    const logs = record(s['CloudwatchLogsExportConfiguration'])
    if (logs !== undefined) {
      const on = new Set(Array.isArray(f['EnabledCloudwatchLogsExports']) ? (f['EnabledCloudwatchLogsExports'] as string[]) : [])
      for (const t of (logs['EnableLogTypes'] as string[] | undefined) ?? []) on.add(t)
      for (const t of (logs['DisableLogTypes'] as string[] | undefined) ?? []) on.delete(t)
      f['EnabledCloudwatchLogsExports'] = [...on]
    }
    if (how === 'new' && Array.isArray(s['Tags'])) n.tags = clone(s['Tags'] as Tag[])
  }

  /** Fields every new instance starts with before inheritance and the request. */
  const freshFields = (): Fields => ({
    InstanceCreateTime: new Date(clock.now()).toISOString(),
    BackupRetentionPeriod: 0,
    PreferredBackupWindow: DEFAULT_BACKUP_WINDOW,
    PreferredMaintenanceWindow: DEFAULT_MAINTENANCE_WINDOW,
    MultiAZ: false,
    PubliclyAccessible: false,
    CopyTagsToSnapshot: false,
    MonitoringInterval: 0,
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: false,
    EnabledCloudwatchLogsExports: [],
    DeletionProtection: false,
    AutoMinorVersionUpgrade: true,
    VpcSecurityGroups: [],
    DBSecurityGroups: [],
    PendingModifiedValues: {},
    ReadReplicaDBClusterIdentifiers: [],
  })

  const copyFrom = (from: Fields, keys: ReadonlyArray<string>): Fields =>
    Object.fromEntries(keys.flatMap((k) => (from[k] === undefined ? [] : [[k, clone(from[k])]])))

  /** Settings a new instance takes from `from` (INHERITED_FROM_SOURCE) when the request leaves them out. */
  const inherited = (from: Fields, request: Fields): Fields => {
    const out: Fields = {}
    for (const key of INHERITED_FROM_SOURCE) {
      if (request['StorageType'] !== undefined && (key === 'Iops' || key === 'StorageThroughput')) continue
      if (key === 'Port') {
        const port = record(from['Endpoint'])?.['Port']
        if (typeof port === 'number') out['Endpoint'] = { ...record(out['Endpoint']), Port: port }
        continue
      }
      Object.assign(out, copyFrom(from, INHERITED_FIELDS[key] ?? []))
    }
    // a new instance runs with one group of each kind, in sync
    const pg = currentGroup<Fields>(out['DBParameterGroups'], 'ParameterApplyStatus', 'in-sync')
    if (pg !== undefined) out['DBParameterGroups'] = [{ DBParameterGroupName: pg['DBParameterGroupName'], ParameterApplyStatus: 'in-sync' }]
    const og = currentGroup<Fields>(out['OptionGroupMemberships'], 'Status', 'in-sync')
    if (og !== undefined) out['OptionGroupMemberships'] = [{ OptionGroupName: og['OptionGroupName'], Status: 'in-sync' }]
    return out
  }

  const addNode = (id: string, data: string, suffix: string, fields: Fields, source: number | undefined): Node => {
    const key = nextKey++
    const n: Node = {
      key,
      id,
      data,
      resourceId: resourceIdFor(`${arnPrefix}:${id}:${clock.now()}:${key}`),
      suffix,
      fields,
      tags: [],
      source,
      status: 'creating',
      work: undefined,
      credentials: { sets: 0, lastSetAt: undefined, hash: undefined },
    }
    nodes.set(key, n)
    return n
  }

  // ---- the mutating calls
  const createReplica = (r: Extract<RdsOperation, { op: 'CreateDBInstanceReadReplica' }>['request']) => {
    if (identifierProblem(r.DBInstanceIdentifier) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('DBInstanceIdentifier'))
    const sourceId = r.SourceDBInstanceIdentifier.startsWith('arn:') ? idOfArn(r.SourceDBInstanceIdentifier) : r.SourceDBInstanceIdentifier
    if (sourceId === undefined) fault('DBInstanceNotFound', `DBInstance ${r.SourceDBInstanceIdentifier} not found.`)
    const src = mustFind(sourceId!)
    requireAvailable(src)
    if (typeof src.fields['BackupRetentionPeriod'] !== 'number' || src.fields['BackupRetentionPeriod'] <= 0) fault('InvalidDBInstanceState', NO_BACKUPS)
    const engine = String(src.fields['Engine'] ?? '')
    // aws docs, "Limitations for Secrets Manager integration with Amazon RDS": every engine but SQL Server
    if (record(src.fields['MasterUserSecret']) !== undefined && !engine.startsWith('sqlserver')) {
      fault('InvalidParameterCombination', `Cannot create a read replica of ${src.id}: its master user password is managed by AWS Secrets Manager.`)
    }
    const version = typeof src.fields['EngineVersion'] === 'string' ? src.fields['EngineVersion'] : undefined
    if (depthOf(src) + 1 > maxReplicaDepth(engine, version)) {
      fault('InvalidParameterCombination', `Read replicas of ${engine} ${version ?? ''} can be at most ${maxReplicaDepth(engine, version)} level(s) below their primary; ${src.id} is ${depthOf(src)} level(s) down.`)
    }
    const request = pickMembers('CreateDBInstanceReadReplica', r)
    if (request['DBParameterGroupName'] !== undefined && !engine.startsWith('oracle') && !engine.startsWith('db2')) {
      fault('InvalidParameterCombination', `A DB parameter group can be specified for a same-Region read replica only for Oracle and Db2, not for ${engine}.`)
    }
    checkSettings(request, undefined)
    const id = newIdentifier('DBInstanceIdentifier', r.DBInstanceIdentifier)
    const fields: Fields = {
      DBInstanceClass: src.fields['DBInstanceClass'],
      Engine: src.fields['Engine'],
      ...copyFrom(src.fields, ['EngineVersion', 'MasterUsername', 'DBName', 'AllocatedStorage', 'StorageEncrypted', 'KmsKeyId', 'LicenseModel', 'AvailabilityZone']),
      Endpoint: copyFrom(record(src.fields['Endpoint']) ?? {}, ['Port', 'HostedZoneId']),
      ...freshFields(),
      ...inherited(src.fields, request),
    }
    const n = addNode(id, src.data, src.suffix, fields, src.key)
    applySettings(n, request, 'new')
    busy(n, 'creating', durations.createReplica, failStatus('CreateDBInstanceReadReplica', id))
  }

  const restore = (r: Extract<RdsOperation, { op: 'RestoreDBInstanceFromDBSnapshot' }>['request']) => {
    if (identifierProblem(r.DBInstanceIdentifier) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('DBInstanceIdentifier'))
    const found = snapshots.find((s) => s.snapshot.DBSnapshotIdentifier === r.DBSnapshotIdentifier)
    if (found === undefined) return fault('DBSnapshotNotFound', `DBSnapshot ${r.DBSnapshotIdentifier} not found.`)
    if (snapshotStatus(found) !== 'available') fault('InvalidDBSnapshotState', `Snapshot ${r.DBSnapshotIdentifier} is not available.`)
    const request = pickMembers('RestoreDBInstanceFromDBSnapshot', r)
    checkSettings(request, undefined)
    const id = newIdentifier('DBInstanceIdentifier', r.DBInstanceIdentifier)
    const snap = found.snapshot as DBSnapshot & Fields
    // the instance the snapshot was taken of, under its name then or (renamed since) by its seed identity
    const named = byId(snap.DBInstanceIdentifier)
    const seeded = keyOfSeed.get(snap.DBInstanceIdentifier)
    const origin = named?.data === found.data ? named : seeded === undefined ? undefined : nodes.get(seeded)
    const base = origin?.fields ?? {}
    const engine = String(snap.Engine ?? base['Engine'] ?? '')
    const version = snap.EngineVersion ?? (base['EngineVersion'] as string | undefined)
    const major = (version ?? '').split('.')[0] ?? ''
    const fields: Fields = {
      DBInstanceClass: base['DBInstanceClass'] ?? 'db.m5.large',
      Engine: engine,
      ...copyFrom(base, ['MasterUsername', 'DBName', 'LicenseModel', 'AvailabilityZone']),
      ...copyFrom(snap, ['EngineVersion', 'MasterUsername', 'AllocatedStorage', 'KmsKeyId', 'LicenseModel', 'StorageType', 'Iops', 'StorageThroughput']),
      StorageEncrypted: snap.Encrypted ?? base['StorageEncrypted'] ?? false,
      Endpoint: { ...copyFrom(record(base['Endpoint']) ?? {}, ['Port', 'HostedZoneId']), ...copyFrom(snap, ['Port']) },
      ...freshFields(),
      BackupRetentionPeriod: 1,
      ...inherited(base, request),
      // RDS restores with the engine's default parameter group unless the request names one
      DBParameterGroups: [{ DBParameterGroupName: `default.${engine}${major}`, ParameterApplyStatus: 'in-sync' }],
    }
    if (typeof snap['OptionGroupName'] === 'string') fields['OptionGroupMemberships'] = [{ OptionGroupName: snap['OptionGroupName'], Status: 'in-sync' }]
    const n = addNode(id, found.data, origin?.suffix ?? defaultSuffix, fields, undefined)
    if (origin !== undefined) n.credentials = { ...credentialsOf(origin) }
    applySettings(n, request, 'new')
    busy(n, 'creating', durations.restore, failStatus('RestoreDBInstanceFromDBSnapshot', id))
  }

  const promote = (r: Extract<RdsOperation, { op: 'PromoteReadReplica' }>['request']) => {
    const n = mustFind(r.DBInstanceIdentifier)
    requireAvailable(n)
    if (n.source === undefined) fault('InvalidDBInstanceState', `DB Instance ${n.id} is not a read replica.`)
    busy(n, 'modifying', durations.promote, failStatus('PromoteReadReplica', n.id), (m) => {
      m.credentials = { ...credentialsOf(m) }
      m.source = undefined
      m.fields['BackupRetentionPeriod'] = r.BackupRetentionPeriod ?? 1
      if (r.PreferredBackupWindow !== undefined) m.fields['PreferredBackupWindow'] = r.PreferredBackupWindow
      return true
    })
  }

  const modify = (r: Extract<RdsOperation, { op: 'ModifyDBInstance' }>['request']) => {
    const n = mustFind(r.DBInstanceIdentifier)
    requireAvailable(n)
    if ((r.MasterUserPassword !== undefined || r.ManageMasterUserPassword !== undefined) && r.NewDBInstanceIdentifier !== undefined) {
      // not an RDS rule: the interpreter never sends both, and the simulator keeps a rename simple
      fault('InvalidParameterCombination', 'The simulator takes a new master password and a new identifier in separate calls.')
    }
    const request = pickMembers('ModifyDBInstance', r)
    if (typeof request['NewDBInstanceIdentifier'] === 'string' && identifierProblem(request['NewDBInstanceIdentifier']) !== undefined) {
      fault('InvalidParameterValue', INVALID_IDENTIFIER('NewDBInstanceIdentifier'))
    }
    checkSettings(request, n.fields)
    // a new master password: by the time it reaches the port the interpreter has put the secret's value in
    const credentials = instancePasswordChange(n, r.MasterUserPassword, r.ManageMasterUserPassword)
    let now = request
    if (r.ApplyImmediately !== true) {
      // what waits for the maintenance window shows in PendingModifiedValues (and the window never comes here)
      const later = Object.fromEntries(Object.entries(request).filter(([k]) => DEFERRED_UNLESS_IMMEDIATE.has(k)))
      now = Object.fromEntries(Object.entries(request).filter(([k]) => !DEFERRED_UNLESS_IMMEDIATE.has(k)))
      if (Object.keys(later).length > 0) {
        const { NewDBInstanceIdentifier, ...rest } = later
        n.fields['PendingModifiedValues'] = {
          ...record(n.fields['PendingModifiedValues']),
          ...rest,
          ...(NewDBInstanceIdentifier === undefined ? {} : { DBInstanceIdentifier: NewDBInstanceIdentifier }),
        }
      }
      if (Object.keys(now).length === 0) return
    }
    const newId = typeof now['NewDBInstanceIdentifier'] === 'string' ? newIdentifier('NewDBInstanceIdentifier', now['NewDBInstanceIdentifier']) : undefined
    const failAs = failStatus('ModifyDBInstance', n.id)
    if (newId === undefined) {
      const reset = credentials !== undefined
      if (credentials !== undefined && 'managed' in credentials) startManagedSecret(n, 'db')
      const settingsToo = Object.keys(now).length > 0
      const duration = !reset ? durations.modify : settingsToo ? Math.max(durations.modify, durations.resetMasterCredentials) : durations.resetMasterCredentials
      // a modification that fails applies nothing
      busy(n, reset ? 'resetting-master-credentials' : 'modifying', duration, failAs, (m, failed) => {
        if (failed) return true
        applySettings(m, now, 'modify')
        if (credentials !== undefined) setPassword(m, 'db', credentials)
        return true
      })
      return
    }
    // a rename: the old name is gone at once; the instance reboots under the new one
    n.id = newId
    busy(n, 'renaming', durations.rename, failAs, (m) => {
      applySettings(m, now, 'modify')
      const groups = Array.isArray(m.fields['DBParameterGroups']) ? (m.fields['DBParameterGroups'] as Fields[]) : []
      m.fields['DBParameterGroups'] = groups.map((g) => (g['ParameterApplyStatus'] === 'pending-reboot' ? { ...g, ParameterApplyStatus: 'in-sync' } : g))
      return true
    })
  }

  const remove = (r: Extract<RdsOperation, { op: 'DeleteDBInstance' }>['request']) => {
    const n = mustFind(r.DBInstanceIdentifier)
    if (!deletable(n.status)) requireAvailable(n)
    const final = r.SkipFinalSnapshot === true ? undefined : r.FinalDBSnapshotIdentifier
    if (r.SkipFinalSnapshot !== true && final === undefined) {
      fault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.')
    }
    if (n.fields['DeletionProtection'] === true) {
      fault('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.')
    }
    if (final !== undefined) {
      if (n.source !== undefined) fault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier can not be specified when deleting a replica instance.')
      if (isFailedStatus(n.status)) fault('InvalidDBInstanceState', `Instance ${n.id} is in a failed state; delete it with SkipFinalSnapshot.`)
      if (identifierProblem(final) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('FinalDBSnapshotIdentifier'))
      if (snapshots.some((s) => s.snapshot.DBSnapshotIdentifier === final)) {
        fault('DBSnapshotAlreadyExists', `Cannot create the snapshot because a snapshot with the identifier ${final} already exists.`)
      }
    }
    const failAs = failStatus('DeleteDBInstance', n.id)
    busy(n, 'deleting', durations.delete, failAs, (m, failed) => {
      if (failed) return true
      nodes.delete(m.key)
      // a member that is gone leaves its cluster
      memberships.delete(m.key)
      for (const other of nodes.values()) if (other.source === m.key) other.source = undefined
      return false
    })
    if (final !== undefined) {
      snapshots.push({
        data: n.data,
        readyAt: n.work!.until,
        snapshot: {
          DBSnapshotIdentifier: final,
          DBInstanceIdentifier: n.id,
          Status: 'available',
          DBSnapshotArn: `${arnPrefix}:snapshot:${final}`,
          SnapshotType: 'manual',
          SnapshotCreateTime: new Date(clock.now()).toISOString(),
          ...copyFrom(n.fields, ['Engine', 'EngineVersion', 'AllocatedStorage']),
          ...(typeof n.fields['StorageEncrypted'] === 'boolean' ? { Encrypted: n.fields['StorageEncrypted'] } : {}),
          ...(typeof record(n.fields['DBSubnetGroup'])?.['VpcId'] === 'string' ? { VpcId: record(n.fields['DBSubnetGroup'])!['VpcId'] as string } : {}),
        },
      })
    }
  }

  const addTags = (r: Extract<RdsOperation, { op: 'AddTagsToResource' }>['request']) => {
    const keys = new Set(r.Tags.map((t) => t.Key))
    if (r.ResourceName.includes(':subgrp:')) {
      const name = subnetGroupByArnOrFail(r.ResourceName)
      subnetGroupTags.set(name, [...(subnetGroupTags.get(name) ?? []).filter((t) => !keys.has(t.Key)), ...clone(r.Tags)])
      return
    }
    const n: { tags: Tag[] } = r.ResourceName.includes(':cluster:') ? clusterByArnOrFail(r.ResourceName) : byArnOrFail(r.ResourceName)
    n.tags = [...n.tags.filter((t) => !keys.has(t.Key)), ...clone(r.Tags)]
  }

  const clusterByArnOrFail = (arn: string) => {
    const id = clusterIdOfArn(arn)
    if (id === undefined) return fault('InvalidParameterValue', `${arn} is not a valid DB cluster ARN in this account and region.`)
    return mustFindCluster(id)
  }

  const byArnOrFail = (arn: string): Node => {
    const id = idOfArn(arn)
    if (id === undefined) return fault('InvalidParameterValue', `${arn} is not a valid DB instance ARN in this account and region.`)
    return mustFind(id)
  }

  const snapshotStatus = (s: SnapshotRecord): string => (s.readyAt !== undefined && clock.now() < s.readyAt ? 'creating' : s.snapshot.Status)

  // ---- Aurora clusters
  // A cluster holds no storage of its own here: its data is the seed-time identifier of the
  // cluster it was cloned from, and its members are the instances linked to it (`memberships`).

  interface ClusterWork {
    readonly until: number
    readonly seq: number
    /** The status the cluster ends in instead of `available` (an injected failure). */
    readonly failAs: string | undefined
    /** Applies the effect (`failed`: the work ended in failAs); returns false when the cluster is gone afterwards. */
    readonly finish: (c: ClusterRecord, failed: boolean) => boolean
  }
  interface ClusterRecord {
    readonly key: number
    id: string
    /** Seed-time identifier of the cluster whose data this one holds. */
    readonly data: string
    readonly resourceId: string
    /** Host suffix of its endpoints: `<id>.cluster-<suffix>`, `<id>.cluster-ro-<suffix>`. */
    readonly suffix: string
    /** Describe fields other than those derived here (identifier, status, ARN, endpoints, members, roles, tags). */
    fields: Fields
    tags: Tag[]
    roles: Array<{ RoleArn: string; FeatureName?: string; activeAt: number }>
    status: string
    work: ClusterWork | undefined
    /** Key of the writer instance, if any. */
    writer: number | undefined
    credentials: Credentials
  }
  const clusters = new Map<number, ClusterRecord>()
  /** Instance key → the cluster it belongs to and its promotion tier. */
  const memberships = new Map<number, { cluster: number; tier: number | undefined }>()
  const clusterArnOf = (id: string) => `${arnPrefix}:cluster:${id}`
  const clusterIdOfArn = (arn: string): string | undefined => {
    const m = arn.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):cluster:(.+)$/)
    return m === null || m[1] !== arnPrefix ? undefined : normalizeIdentifier(m[2]!)
  }
  const clusterById = (id: string): ClusterRecord | undefined => {
    const want = normalizeIdentifier(id)
    for (const c of clusters.values()) if (c.id === want) return c
    return undefined
  }
  const mustFindCluster = (id: string): ClusterRecord =>
    clusterById(id) ?? fault('DBClusterNotFoundFault', `DBCluster ${id} not found.`)
  const requireClusterAvailable = (c: ClusterRecord) => {
    if (c.status === 'available') return
    fault('InvalidDBClusterStateFault', `DB cluster ${c.id} is not in available state (it is ${c.status}).`)
  }
  const membersOfCluster = (c: ClusterRecord): Node[] =>
    [...nodes.values()].filter((n) => memberships.get(n.key)?.cluster === c.key)
  const clusterBusy = (c: ClusterRecord, status: string, duration: number, failAs: string | undefined, finish: ClusterWork['finish'] = () => true) => {
    c.status = status
    c.work = { until: clock.now() + duration, seq: seq++, failAs, finish }
  }
  // the master password: never kept, only a salted hash of it, how often and when it was set
  const account = arnPrefix.split(':')[4] ?? '123456789012'
  const passwordHash = (password: string) => createHash('sha256').update(`mitosis-simulator:${start}:`).update(password).digest('hex')
  /** A secret's ARN as RDS names the ones it manages: `rds!cluster-<uuid>` and Secrets Manager's six-character suffix. */
  /** A cluster or an instance: what holds a master password. */
  type PasswordHolder = { readonly resourceId: string; fields: Fields; credentials: Credentials }
  type PasswordChange = { readonly managed: true } | { readonly password: string }
  /** A secret's ARN as RDS names the ones it manages: `rds!cluster-<uuid>` or `rds!db-<uuid>`, and Secrets Manager's six-character suffix. */
  const secretArnFor = (x: PasswordHolder, kind: 'cluster' | 'db'): string => {
    const h = createHash('sha256').update(`${x.resourceId}:${clock.now()}`).digest('hex')
    const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    const suffix = Array.from({ length: 6 }, (_, k) => alphabet[parseInt(h.slice(32 + 2 * k, 34 + 2 * k), 16) % alphabet.length]).join('')
    return `arn:aws:secretsmanager:${region}:${account}:secret:rds!${kind}-${uuid}-${suffix}`
  }
  const isManaged = (x: PasswordHolder) => record(x.fields['MasterUserSecret']) !== undefined
  const showSecret = (x: PasswordHolder, kind: 'cluster' | 'db', status: 'creating' | 'active') => {
    const arn = record(x.fields['MasterUserSecret'])?.['SecretArn']
    x.fields['MasterUserSecret'] = { SecretArn: typeof arn === 'string' ? arn : secretArnFor(x, kind), SecretStatus: status }
  }
  /** RDS hands the password to Secrets Manager: the secret shows at once, `creating` until the work is done. */
  const startManagedSecret = (x: PasswordHolder, kind: 'cluster' | 'db') => showSecret(x, kind, 'creating')
  /** A new password took effect: the given one (management ends), or one RDS keeps in Secrets Manager. */
  const setPassword = (x: PasswordHolder, kind: 'cluster' | 'db', how: PasswordChange) => {
    x.credentials = { sets: x.credentials.sets + 1, lastSetAt: clock.now(), hash: 'password' in how ? passwordHash(how.password) : undefined }
    if ('password' in how) delete x.fields['MasterUserSecret']
    else showSecret(x, kind, 'active')
  }
  /** The change a ModifyDBCluster or ModifyDBInstance asks for, checked as RDS checks it; undefined when none. */
  const passwordChange = (x: PasswordHolder, what: string, password: unknown, manage: boolean | undefined): PasswordChange | undefined => {
    if (password !== undefined && manage === true) fault('InvalidParameterCombination', 'MasterUserPassword and ManageMasterUserPassword cannot both be specified.')
    if (password !== undefined && (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH)) {
      fault('InvalidParameterValue', `The parameter MasterUserPassword is not a valid password because it is shorter than ${MIN_PASSWORD_LENGTH} characters.`)
    }
    if (password !== undefined && isManaged(x) && manage !== false) {
      fault('InvalidParameterCombination', `The master user password of ${what} is managed by AWS Secrets Manager; to set one, also set ManageMasterUserPassword to false.`)
    }
    if (password === undefined && manage === false && isManaged(x)) {
      fault('InvalidParameterCombination', `MasterUserPassword is required when ManageMasterUserPassword is false for ${what}, whose master user password AWS Secrets Manager manages.`)
    }
    return typeof password === 'string' ? { password } : manage === true ? { managed: true } : undefined
  }

  /** An instance's master password: a read replica's is its source's, all the way up. */
  const credentialsOf = (n: Node): Credentials => {
    let at = n
    for (let s = at.source; s !== undefined; s = at.source) {
      const up = nodes.get(s)
      if (up === undefined) break
      at = up
    }
    return at.credentials
  }
  /** An instance's own password can change only when it stands alone. */
  const instancePasswordChange = (n: Node, password: unknown, manage: boolean | undefined): PasswordChange | undefined => {
    if (password === undefined && manage === undefined) return undefined
    if (memberships.has(n.key)) fault('InvalidParameterCombination', `The master user password of ${n.id} belongs to its DB cluster: modify the cluster.`)
    if (n.source !== undefined) fault('InvalidParameterCombination', `${n.id} is a read replica; its master user password is its source's.`)
    return passwordChange(n, `DB instance ${n.id}`, password, manage)
  }

  const newClusterIdentifier = (param: string, raw: string): string => {
    if (identifierProblem(raw) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER(param))
    const id = normalizeIdentifier(raw)
    if (clusterById(id) !== undefined) fault('DBClusterAlreadyExistsFault', 'DB Cluster already exists')
    return id
  }

  // seed: the clusters as described, their members linked by name
  let nextClusterKey = 1
  for (const c of env.clusters ?? []) {
    const {
      DBClusterIdentifier: id, Status: status, DBClusterArn: _arn, DbClusterResourceId, DBClusterMembers, AssociatedRoles,
      TagList, Endpoint, ReaderEndpoint: _reader, ...rest
    } = clone(c) as DBCluster & Fields
    const key = nextClusterKey++
    const endpoint = typeof Endpoint === 'string' ? Endpoint : ''
    // a cluster names its subnet group; the group exists even when no instance describes it
    const group = rest['DBSubnetGroup']
    if (typeof group === 'string' && !subnetGroups.has(group)) subnetGroups.set(group, { DBSubnetGroupName: group })
    clusters.set(key, {
      key,
      id,
      data: id,
      resourceId: typeof DbClusterResourceId === 'string' ? DbClusterResourceId : `cluster-${resourceIdFor(`${arnPrefix}:${id}`).slice(3)}`,
      suffix: endpoint.startsWith(`${id}.cluster-`) ? endpoint.slice(id.length + 9) : `c0sim0mitosis.${region}.rds.amazonaws.com`,
      fields: rest as Fields,
      tags: clone([...(TagList ?? [])]),
      roles: (AssociatedRoles ?? []).map((r) => ({ RoleArn: r.RoleArn, ...(r.FeatureName === undefined ? {} : { FeatureName: r.FeatureName }), activeAt: 0 })),
      status,
      work: undefined,
      writer: undefined,
      credentials: { sets: 0, lastSetAt: undefined, hash: undefined },
    })
    for (const m of DBClusterMembers ?? []) {
      const n = keyOfSeed.get(m.DBInstanceIdentifier)
      if (n === undefined) continue
      memberships.set(n, { cluster: key, tier: m.PromotionTier })
      if (m.IsClusterWriter) clusters.get(key)!.writer = n
    }
  }
  for (const n of nodes.values()) {
    const cid = n.fields['DBClusterIdentifier']
    const c = typeof cid === 'string' ? clusterById(cid) : undefined
    if (c !== undefined && !memberships.has(n.key)) memberships.set(n.key, { cluster: c.key, tier: undefined })
  }

  const restoreCluster = (r: Extract<RdsOperation, { op: 'RestoreDBClusterToPointInTime' }>['request']) => {
    if (identifierProblem(r.DBClusterIdentifier) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('DBClusterIdentifier'))
    const src = mustFindCluster(r.SourceDBClusterIdentifier)
    if (src.status !== 'available') requireClusterAvailable(src)
    if (membersOfCluster(src).length === 0) {
      fault('InvalidDBClusterStateFault', `DB cluster ${src.id} has no DB instances; a point-in-time restore needs at least one.`)
    }
    if (r.DBSubnetGroupName !== undefined && !subnetGroups.has(r.DBSubnetGroupName)) {
      fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${r.DBSubnetGroupName} not found.`)
    }
    const id = newClusterIdentifier('DBClusterIdentifier', r.DBClusterIdentifier)
    const s = src.fields
    const engine = String(s['Engine'] ?? '')
    const major = String(s['EngineVersion'] ?? '').split('.')[0] ?? ''
    const fields: Fields = {
      ...copyFrom(s, ['Engine', 'EngineVersion', 'EngineMode', 'MasterUsername', 'DatabaseName', 'StorageEncrypted', 'KmsKeyId', 'DBSubnetGroup', 'Port']),
      DBClusterParameterGroup: `default.${engine}${major}`,
      VpcSecurityGroups: [],
      BackupRetentionPeriod: 1,
      PreferredBackupWindow: DEFAULT_BACKUP_WINDOW,
      PreferredMaintenanceWindow: DEFAULT_MAINTENANCE_WINDOW,
      CopyTagsToSnapshot: false,
      EnabledCloudwatchLogsExports: [],
      IAMDatabaseAuthenticationEnabled: false,
      DeletionProtection: false,
      ClusterCreateTime: new Date(clock.now()).toISOString(),
    }
    if (r.DBSubnetGroupName !== undefined) fields['DBSubnetGroup'] = r.DBSubnetGroupName
    if (r.VpcSecurityGroupIds !== undefined) fields['VpcSecurityGroups'] = r.VpcSecurityGroupIds.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' }))
    if (r.DBClusterParameterGroupName !== undefined) fields['DBClusterParameterGroup'] = r.DBClusterParameterGroupName
    if (r.Port !== undefined) fields['Port'] = r.Port
    if (r.CopyTagsToSnapshot !== undefined) fields['CopyTagsToSnapshot'] = r.CopyTagsToSnapshot
    if (r.EnableCloudwatchLogsExports !== undefined) fields['EnabledCloudwatchLogsExports'] = [...r.EnableCloudwatchLogsExports]
    if (r.EnableIAMDatabaseAuthentication !== undefined) fields['IAMDatabaseAuthenticationEnabled'] = r.EnableIAMDatabaseAuthentication
    if (r.DeletionProtection !== undefined) fields['DeletionProtection'] = r.DeletionProtection
    if (r.KmsKeyId !== undefined) fields['KmsKeyId'] = r.KmsKeyId
    if (r.ServerlessV2ScalingConfiguration !== undefined) fields['ServerlessV2ScalingConfiguration'] = clone(r.ServerlessV2ScalingConfiguration)
    const key = nextClusterKey++
    const c: ClusterRecord = {
      key,
      id,
      data: src.data,
      resourceId: `cluster-${resourceIdFor(`${arnPrefix}:${id}:${clock.now()}:${key}`).slice(3)}`,
      suffix: src.suffix,
      fields,
      tags: clone([...(r.Tags ?? [])]),
      roles: [],
      status: 'creating',
      work: undefined,
      writer: undefined,
      // a clone keeps its source's master user and password (not a managed secret: RDS does not carry that over)
      credentials: { ...src.credentials },
    }
    clusters.set(key, c)
    clusterBusy(c, 'creating', durations.clusterRestore, failStatus('RestoreDBClusterToPointInTime', id))
  }

  const createSubnetGroup = (r: Extract<RdsOperation, { op: 'CreateDBSubnetGroup' }>['request']) => {
    if (subnetGroups.has(r.DBSubnetGroupName)) fault('DBSubnetGroupAlreadyExists', `The DB subnet group '${r.DBSubnetGroupName}' already exists.`)
    if (r.SubnetIds.length < 2) {
      fault('DBSubnetGroupDoesNotCoverEnoughAZs', 'The DB subnet group doesn\'t meet Availability Zone (AZ) coverage requirement. Current AZ coverage: 1. Add subnets to cover at least 2 AZs.')
    }
    subnetGroups.set(r.DBSubnetGroupName, {
      DBSubnetGroupName: r.DBSubnetGroupName,
      DBSubnetGroupDescription: r.DBSubnetGroupDescription,
      SubnetGroupStatus: 'Complete',
      Subnets: r.SubnetIds.map((s) => ({ SubnetIdentifier: s, SubnetStatus: 'Active' })),
    })
    // RDS keeps the tags the call carries on the new group (ListTagsForResource on its subgrp ARN shows them)
    subnetGroupTags.set(r.DBSubnetGroupName, clone([...(r.Tags ?? [])]))
  }

  // a subnet group's ARN is name-based: arn:aws:rds:<region>:<account>:subgrp:<name>
  const subnetGroupArnOf = (name: string) => `${arnPrefix}:subgrp:${name}`
  const subnetGroupOfArn = (arn: string): string | undefined => {
    const m = arn.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):subgrp:(.+)$/)
    return m === null || m[1] !== arnPrefix ? undefined : m[2]!
  }
  /** The name of the subnet group an ARN names. */
  const subnetGroupByArnOrFail = (arn: string): string => {
    const name = subnetGroupOfArn(arn)
    if (name === undefined) return fault('InvalidParameterValue', `${arn} is not a valid DB subnet group ARN in this account and region.`)
    if (!subnetGroups.has(name)) return fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${name} not found.`)
    return name
  }
  const viewSubnetGroup = (name: string): DBSubnetGroup => ({ ...(clone(subnetGroups.get(name)!) as DBSubnetGroup), DBSubnetGroupArn: subnetGroupArnOf(name) })

  /** A new, empty cluster: `creating`, then `available`, with no members. The password is checked, never kept. */
  const createCluster = (r: Extract<RdsOperation, { op: 'CreateDBCluster' }>['request']) => {
    if (identifierProblem(r.DBClusterIdentifier) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('DBClusterIdentifier'))
    const password: unknown = r.MasterUserPassword
    if (r.ManageMasterUserPassword === true) {
      if (password !== undefined) fault('InvalidParameterCombination', 'MasterUserPassword and ManageMasterUserPassword cannot both be specified.')
    } else if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
      fault('InvalidParameterValue', `The parameter MasterUserPassword is not a valid password because it is shorter than ${MIN_PASSWORD_LENGTH} characters (or missing).`)
    }
    if (r.DBSubnetGroupName !== undefined && !subnetGroups.has(r.DBSubnetGroupName)) {
      fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${r.DBSubnetGroupName} not found.`)
    }
    const id = newClusterIdentifier('DBClusterIdentifier', r.DBClusterIdentifier)
    const major = String(r.EngineVersion ?? '').split('.')[0] ?? ''
    const fields: Fields = {
      Engine: r.Engine,
      ...(r.EngineVersion === undefined ? {} : { EngineVersion: r.EngineVersion }),
      EngineMode: r.EngineMode ?? 'provisioned',
      MasterUsername: r.MasterUsername,
      ...(r.DatabaseName === undefined ? {} : { DatabaseName: r.DatabaseName }),
      StorageEncrypted: r.StorageEncrypted ?? false,
      ...(r.KmsKeyId === undefined ? {} : { KmsKeyId: r.KmsKeyId }),
      DBSubnetGroup: r.DBSubnetGroupName ?? 'default',
      Port: r.Port ?? (r.Engine.includes('postgres') ? 5432 : 3306),
      DBClusterParameterGroup: r.DBClusterParameterGroupName ?? `default.${r.Engine}${major}`,
      VpcSecurityGroups: (r.VpcSecurityGroupIds ?? []).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
      BackupRetentionPeriod: r.BackupRetentionPeriod ?? 1,
      PreferredBackupWindow: r.PreferredBackupWindow ?? DEFAULT_BACKUP_WINDOW,
      PreferredMaintenanceWindow: r.PreferredMaintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW,
      CopyTagsToSnapshot: r.CopyTagsToSnapshot ?? false,
      EnabledCloudwatchLogsExports: [...(r.EnableCloudwatchLogsExports ?? [])],
      IAMDatabaseAuthenticationEnabled: r.EnableIAMDatabaseAuthentication ?? false,
      DeletionProtection: r.DeletionProtection ?? false,
      ClusterCreateTime: new Date(clock.now()).toISOString(),
    }
    if (r.ServerlessV2ScalingConfiguration !== undefined) fields['ServerlessV2ScalingConfiguration'] = clone(r.ServerlessV2ScalingConfiguration)
    const key = nextClusterKey++
    const c: ClusterRecord = {
      key,
      id,
      data: id,
      resourceId: `cluster-${resourceIdFor(`${arnPrefix}:${id}:${clock.now()}:${key}`).slice(3)}`,
      suffix: [...clusters.values()][0]?.suffix ?? `c0sim0mitosis.${region}.rds.amazonaws.com`,
      fields,
      tags: clone([...(r.Tags ?? [])]),
      roles: [],
      status: 'creating',
      work: undefined,
      writer: undefined,
      credentials: { sets: 0, lastSetAt: undefined, hash: undefined },
    }
    clusters.set(key, c)
    const managed = r.ManageMasterUserPassword === true
    clusterBusy(c, 'creating', durations.createCluster, failStatus('CreateDBCluster', id), (x, failed) => {
      if (!failed) setPassword(x, 'cluster', managed ? { managed: true } : { password: password as string })
      return true
    })
    if (managed) startManagedSecret(c, 'cluster')
  }

  const createClusterInstance = (r: Extract<RdsOperation, { op: 'CreateDBInstance' }>['request']) => {
    if (identifierProblem(r.DBInstanceIdentifier) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('DBInstanceIdentifier'))
    const c = mustFindCluster(r.DBClusterIdentifier)
    requireClusterAvailable(c)
    if (r.Engine !== c.fields['Engine']) {
      fault('InvalidParameterCombination', `The engine ${r.Engine} does not match the engine ${String(c.fields['Engine'])} of DB cluster ${c.id}.`)
    }
    const id = newIdentifier('DBInstanceIdentifier', r.DBInstanceIdentifier)
    const peer = membersOfCluster(c)[0]
    const fields: Fields = {
      ...freshFields(),
      DBInstanceClass: r.DBInstanceClass,
      Engine: r.Engine,
      ...copyFrom(c.fields, ['EngineVersion', 'MasterUsername', 'StorageEncrypted', 'KmsKeyId', 'BackupRetentionPeriod', 'PreferredBackupWindow']),
      DBClusterIdentifier: c.id,
      Endpoint: { Port: c.fields['Port'] },
      ...(typeof c.fields['DBSubnetGroup'] === 'string' && subnetGroups.has(c.fields['DBSubnetGroup'])
        ? { DBSubnetGroup: clone(subnetGroups.get(c.fields['DBSubnetGroup'])) }
        : {}),
      VpcSecurityGroups: clone(c.fields['VpcSecurityGroups'] ?? []),
      DBParameterGroups: [{ DBParameterGroupName: `default.${String(c.fields['Engine'])}${String(c.fields['EngineVersion'] ?? '').split('.')[0]}`, ParameterApplyStatus: 'in-sync' }],
    }
    delete fields['ReadReplicaDBClusterIdentifiers']
    const { DBClusterIdentifier: _c, Engine: _e, DBInstanceIdentifier: _i, PromotionTier, ...settings } = r
    const n = addNode(id, c.data, peer?.suffix ?? defaultSuffix, fields, undefined)
    applySettings(n, settings as Fields, 'new')
    if (typeof r.AvailabilityZone === 'string') n.fields['AvailabilityZone'] = r.AvailabilityZone
    memberships.set(n.key, { cluster: c.key, tier: PromotionTier ?? 1 })
    if (c.writer === undefined || !nodes.has(c.writer)) c.writer = n.key
    busy(n, 'creating', durations.createInstance, failStatus('CreateDBInstance', id))
  }

  const modifyCluster = (r: Extract<RdsOperation, { op: 'ModifyDBCluster' }>['request']) => {
    const c = mustFindCluster(r.DBClusterIdentifier)
    requireClusterAvailable(c)
    const settings = (f: Fields) => {
      if (r.BackupRetentionPeriod !== undefined) f['BackupRetentionPeriod'] = r.BackupRetentionPeriod
      if (r.PreferredBackupWindow !== undefined) f['PreferredBackupWindow'] = r.PreferredBackupWindow
      if (r.PreferredMaintenanceWindow !== undefined) f['PreferredMaintenanceWindow'] = r.PreferredMaintenanceWindow
      if (r.DeletionProtection !== undefined) f['DeletionProtection'] = r.DeletionProtection
      if (r.CopyTagsToSnapshot !== undefined) f['CopyTagsToSnapshot'] = r.CopyTagsToSnapshot
      if (r.DBClusterParameterGroupName !== undefined) f['DBClusterParameterGroup'] = r.DBClusterParameterGroupName
      if (r.VpcSecurityGroupIds !== undefined) f['VpcSecurityGroups'] = r.VpcSecurityGroupIds.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' }))
      if (r.Port !== undefined) f['Port'] = r.Port
      if (r.EnableIAMDatabaseAuthentication !== undefined) f['IAMDatabaseAuthenticationEnabled'] = r.EnableIAMDatabaseAuthentication
      const logs = r.CloudwatchLogsExportConfiguration
      if (logs !== undefined) {
        const on = new Set(Array.isArray(f['EnabledCloudwatchLogsExports']) ? (f['EnabledCloudwatchLogsExports'] as string[]) : [])
        for (const t of logs.EnableLogTypes ?? []) on.add(t)
        for (const t of logs.DisableLogTypes ?? []) on.delete(t)
        f['EnabledCloudwatchLogsExports'] = [...on]
      }
    }
    // a new master password: by the time it reaches the port the interpreter has put the secret's value in
    const credentials = passwordChange(c, `DB cluster ${c.id}`, r.MasterUserPassword, r.ManageMasterUserPassword)
    const { DBClusterIdentifier: _id, ApplyImmediately: _a, NewDBClusterIdentifier: _n, MasterUserPassword: _p, ManageMasterUserPassword: _m, ...rest } = r
    const hasSettings = Object.values(rest).some((v) => v !== undefined)
    const newId = r.NewDBClusterIdentifier === undefined ? undefined : newClusterIdentifier('NewDBClusterIdentifier', r.NewDBClusterIdentifier)
    const failAs = failStatus('ModifyDBCluster', c.id)
    // a failed modification leaves the settings and the password as they were
    const effect = (x: ClusterRecord, failed: boolean) => {
      if (failed) return true
      settings(x.fields)
      if (credentials !== undefined) setPassword(x, 'cluster', credentials)
      return true
    }
    if (credentials !== undefined && 'managed' in credentials) startManagedSecret(c, 'cluster')
    if (newId === undefined) {
      const reset = credentials !== undefined
      const duration = !reset ? durations.modify : hasSettings ? Math.max(durations.modify, durations.resetMasterCredentials) : durations.resetMasterCredentials
      clusterBusy(c, reset ? 'resetting-master-credentials' : 'modifying', duration, failAs, effect)
      return
    }
    // a rename: the cluster shows under the new name at once, its members follow
    c.id = newId
    clusterBusy(c, 'renaming', durations.rename, failAs, effect)
  }

  const addRole = (r: Extract<RdsOperation, { op: 'AddRoleToDBCluster' }>['request']) => {
    const c = mustFindCluster(r.DBClusterIdentifier)
    requireClusterAvailable(c)
    if (c.roles.some((x) => x.RoleArn === r.RoleArn)) {
      fault('DBClusterRoleAlreadyExistsFault', `Role ${r.RoleArn} is already associated with DB cluster ${c.id}.`)
    }
    if (r.FeatureName !== undefined && c.roles.some((x) => x.FeatureName === r.FeatureName)) {
      fault('InvalidParameterValue', `A role is already associated with DB cluster ${c.id} for the feature ${r.FeatureName}.`)
    }
    c.roles.push({ RoleArn: r.RoleArn, ...(r.FeatureName === undefined ? {} : { FeatureName: r.FeatureName }), activeAt: clock.now() + durations.addRole })
  }

  const removeCluster = (r: Extract<RdsOperation, { op: 'DeleteDBCluster' }>['request']) => {
    const c = mustFindCluster(r.DBClusterIdentifier)
    // a cluster a failure left behind can be deleted (RDS allows it), not snapshotted
    const failed = isFailedStatus(c.status)
    if (!failed) requireClusterAvailable(c)
    if (membersOfCluster(c).length > 0) {
      fault('InvalidDBClusterStateFault', `Cluster ${c.id} cannot be deleted while it has DB instances; delete them first.`)
    }
    if (c.fields['DeletionProtection'] === true) {
      fault('InvalidParameterCombination', 'Cannot delete protected Cluster, please disable deletion protection and try again.')
    }
    const final = r.SkipFinalSnapshot === true ? undefined : r.FinalDBSnapshotIdentifier
    if (r.SkipFinalSnapshot !== true && final === undefined) {
      fault('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.')
    }
    if (final !== undefined) {
      if (failed) fault('InvalidDBClusterStateFault', `DB cluster ${c.id} is ${c.status}; delete it with SkipFinalSnapshot.`)
      if (identifierProblem(final) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER('FinalDBSnapshotIdentifier'))
      if (clusterSnapshots.some((s) => s.snapshot.DBClusterSnapshotIdentifier === normalizeIdentifier(final))) {
        fault('DBClusterSnapshotAlreadyExistsFault', `Cannot create the cluster snapshot because one with the identifier ${final} already exists.`)
      }
    }
    clusterBusy(c, 'deleting', durations.delete, undefined, (x) => {
      clusters.delete(x.key)
      return false
    })
    if (final !== undefined) {
      // taken as the delete begins; `creating` until the cluster is gone
      const id = normalizeIdentifier(final)
      const f = c.fields
      const group = typeof f['DBSubnetGroup'] === 'string' ? subnetGroups.get(f['DBSubnetGroup']) : undefined
      clusterSnapshots.push({
        data: c.data,
        readyAt: c.work!.until,
        snapshot: {
          DBClusterSnapshotIdentifier: id,
          DBClusterIdentifier: c.id,
          DBClusterSnapshotArn: `${arnPrefix}:cluster-snapshot:${id}`,
          Status: 'available',
          SnapshotType: 'manual',
          SnapshotCreateTime: new Date(clock.now()).toISOString(),
          ...(copyFrom(f, ['Engine', 'EngineVersion', 'StorageEncrypted', 'KmsKeyId', 'Port', 'MasterUsername']) as Partial<SimClusterSnapshot>),
          ...(typeof group?.['VpcId'] === 'string' ? { VpcId: group['VpcId'] } : {}),
        },
      })
    }
  }
  /** Final snapshots of deleted clusters: `creating` until the delete is done (DescribeDBClusterSnapshots). */
  const clusterSnapshots: Array<{ readonly snapshot: SimClusterSnapshot; readonly data: string; readonly readyAt: number }> = []
  const viewClusterSnapshot = (s: (typeof clusterSnapshots)[number]): SimClusterSnapshot =>
    ({ ...clone(s.snapshot), Status: clock.now() < s.readyAt ? 'creating' : s.snapshot.Status })

  const viewCluster = (c: ClusterRecord): DBCluster => {
    const members = membersOfCluster(c)
    // a writer that is gone fails over to the first member left
    if (!members.some((m) => m.key === c.writer)) c.writer = members[0]?.key
    const writer = c.writer
    const out: Fields = {
      DBClusterIdentifier: c.id,
      DBClusterArn: clusterArnOf(c.id),
      DbClusterResourceId: c.resourceId,
      Status: c.status,
      ...clone(c.fields),
      Endpoint: `${c.id}.cluster-${c.suffix}`,
      ReaderEndpoint: `${c.id}.cluster-ro-${c.suffix}`,
      DBClusterMembers: members.map((m) => {
        const tier = memberships.get(m.key)?.tier
        return { DBInstanceIdentifier: m.id, IsClusterWriter: m.key === writer, ...(tier === undefined ? {} : { PromotionTier: tier }), DBClusterParameterGroupStatus: 'in-sync' }
      }),
      AssociatedRoles: c.roles.map((r) => ({
        RoleArn: r.RoleArn,
        ...(r.FeatureName === undefined ? {} : { FeatureName: r.FeatureName }),
        Status: clock.now() >= r.activeAt ? 'ACTIVE' : 'PENDING',
      })),
      TagList: clone(c.tags),
    }
    return out as DBCluster
  }
  const allClusters = () => [...clusters.values()].map(viewCluster)

  // ---- describe
  const view = (n: Node): DBInstance => {
    // in creation order, as RDS lists them
    const replicas = [...nodes.values()].filter((r) => r.source === n.key).map((r) => r.id)
    const source = n.source === undefined ? undefined : nodes.get(n.source)
    const { Endpoint: endpoint, ...fields } = clone(n.fields)
    const out: Fields = {
      DBInstanceIdentifier: n.id,
      DBInstanceStatus: n.status,
      ...fields,
      DBInstanceArn: arnOf(n.id),
      DbiResourceId: n.resourceId,
      ReadReplicaDBInstanceIdentifiers: replicas,
      TagList: clone(n.tags),
    }
    // a new instance has no endpoint until it is first available
    if (n.status !== 'creating') out['Endpoint'] = { Address: `${n.id}.${n.suffix}`, ...record(endpoint) }
    if (source !== undefined) out['ReadReplicaSourceDBInstanceIdentifier'] = source.id
    const membership = memberships.get(n.key)
    const cluster = membership === undefined ? undefined : clusters.get(membership.cluster)
    if (cluster !== undefined) out['DBClusterIdentifier'] = cluster.id
    return out as DBInstance
  }
  const viewSnapshot = (s: SnapshotRecord): DBSnapshot => ({ ...clone(s.snapshot), Status: snapshotStatus(s) })
  const all = () => [...nodes.values()].map(view)

  const environment = (): Environment => {
    settle()
    const instances = all()
    return {
      region,
      instances,
      tags: Object.fromEntries(instances.map((i) => [i.DBInstanceIdentifier, i.TagList ?? []])),
      snapshots: snapshots.map(viewSnapshot),
      ...(env.clusters === undefined ? {} : { clusters: allClusters() }),
      subnetGroups: [...subnetGroups.keys()].map((name): TaggedDBSubnetGroup => ({ ...viewSubnetGroup(name), TagList: clone(subnetGroupTags.get(name) ?? []) })),
    }
  }

  const subjectOf = (o: RdsOperation): string =>
    o.op === 'AddTagsToResource' ? (idOfArn(o.request.ResourceName) ?? clusterIdOfArn(o.request.ResourceName) ?? o.id) :
    'DBClusterIdentifier' in o.request && !('DBInstanceIdentifier' in o.request) ? o.request.DBClusterIdentifier : 'DBInstanceIdentifier' in o.request ? o.request.DBInstanceIdentifier : o.id

  return {
    region,
    clock,
    calls: () => [...log],
    environment,
    dataOf: (id) => {
      settle()
      const n = byId(id)
      if (n !== undefined) {
        const membership = memberships.get(n.key)
        return membership === undefined ? n.data : (clusters.get(membership.cluster)?.data ?? n.data)
      }
      const c = clusterById(id)
      if (c !== undefined) return c.data
      return clusterSnapshots.find((s) => s.snapshot.DBClusterSnapshotIdentifier === normalizeIdentifier(id))?.data
    },
    clusterSnapshots: () => {
      settle()
      return clusterSnapshots.map(viewClusterSnapshot)
    },
    masterCredentials: (id) => {
      settle()
      const c = clusterById(id)
      if (c !== undefined) return { sets: c.credentials.sets, lastSetAt: c.credentials.lastSetAt, managed: isManaged(c) }
      const n = byId(id)
      if (n === undefined) return undefined
      const own = credentialsOf(n)
      return { sets: own.sets, lastSetAt: own.lastSetAt, managed: isManaged(n) }
    },
    masterPasswordIs: (id, candidate) => {
      settle()
      const c = clusterById(id)
      const n = c === undefined ? byId(id) : undefined
      const hash = c?.credentials.hash ?? (n === undefined ? undefined : credentialsOf(n).hash)
      return hash !== undefined && hash === passwordHash(candidate)
    },
    describeDBInstances: (ids) =>
      call('DescribeDBInstances', ids === undefined ? {} : { ids }, ids?.length === 1 ? ids[0] : undefined, () => {
        if (ids === undefined) return all()
        const want = new Set(ids.map(normalizeIdentifier))
        return [...nodes.values()].filter((n) => want.has(n.id)).map(view)
      }),
    removeTagsFromResource: (arn, keys) =>
      call('RemoveTagsFromResource', { ResourceName: arn, TagKeys: [...keys] }, idOfArn(arn) ?? clusterIdOfArn(arn), () => {
        const n: { tags: Tag[] } = arn.includes(':cluster:') ? clusterByArnOrFail(arn) : byArnOrFail(arn)
        n.tags = n.tags.filter((t) => !keys.includes(t.Key))
      }),
    listTagsForResource: (arn) =>
      call('ListTagsForResource', { ResourceName: arn }, idOfArn(arn) ?? clusterIdOfArn(arn) ?? subnetGroupOfArn(arn), () =>
        clone(arn.includes(':cluster:') ? clusterByArnOrFail(arn).tags : arn.includes(':subgrp:') ? (subnetGroupTags.get(subnetGroupByArnOrFail(arn)) ?? []) : byArnOrFail(arn).tags),
      ),
    describeDBSnapshots: (instanceId) =>
      call('DescribeDBSnapshots', { DBInstanceIdentifier: instanceId }, instanceId, () =>
        snapshots.filter((s) => s.snapshot.DBInstanceIdentifier === normalizeIdentifier(instanceId)).map(viewSnapshot),
      ),
    describeDBClusters: () => call('DescribeDBClusters', {}, undefined, (): ReadonlyArray<DBCluster> => allClusters()),
    // RDS answers a name no group has with DBSubnetGroupNotFoundFault (so the log shows): the port, with none
    describeDBSubnetGroups: (name) => async () => {
      const r = await call('DescribeDBSubnetGroups', { DBSubnetGroupName: name }, name, (): ReadonlyArray<DBSubnetGroup> =>
        subnetGroups.has(name) ? [viewSubnetGroup(name)] : fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${name} not found.`),
      )()
      return E.isLeft(r) && r.left._tag === 'Api' && r.left.code === 'DBSubnetGroupNotFoundFault' ? E.right([]) : r
    },
    // the fixture's Quotas (its maxima) else RDS's defaults; what is used is what the world holds
    describeAccountQuotas: () =>
      call('DescribeAccountAttributes', {}, undefined, () => ({
        DBInstances: { used: [...nodes.values()].length, max: env.quotas?.DBInstances ?? DEFAULT_QUOTAS.DBInstances },
        DBClusters: { used: [...clusters.values()].length, max: env.quotas?.DBClusters ?? DEFAULT_QUOTAS.DBClusters },
      })),
    listRamSharedClusterArns: () =>
      call('ram:ListResources', { resourceOwner: 'SELF', resourceType: 'rds:Cluster' }, undefined, () => [...(env.ramSharedClusterArns ?? [])]),
    send: (o) =>
      call(o.op, o.request, subjectOf(o), () => {
        switch (o.op) {
          case 'CreateDBInstanceReadReplica':
            return createReplica(o.request)
          case 'RestoreDBInstanceFromDBSnapshot':
            return restore(o.request)
          case 'PromoteReadReplica':
            return promote(o.request)
          case 'ModifyDBInstance':
            return modify(o.request)
          case 'DeleteDBInstance':
            return remove(o.request)
          case 'AddTagsToResource':
            return addTags(o.request)
          case 'RestoreDBClusterToPointInTime':
            return restoreCluster(o.request)
          case 'ModifyDBCluster':
            return modifyCluster(o.request)
          case 'CreateDBInstance':
            return createClusterInstance(o.request)
          case 'DeleteDBCluster':
            return removeCluster(o.request)
          case 'AddRoleToDBCluster':
            return addRole(o.request)
          case 'CreateDBSubnetGroup':
            return createSubnetGroup(o.request)
          case 'CreateDBCluster':
            return createCluster(o.request)
        }
      }),
  }
}
