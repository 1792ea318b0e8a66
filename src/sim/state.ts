/**
 * What the simulator holds: its instances, clusters, snapshots and subnet groups as records (each
 * kind's describe fields, plus what describe derives: links by key, the data it holds, work under
 * way), the call log, and the lookups by identifier and ARN every room uses. One `SimState` per
 * simulator; the rooms (instances.ts, clusters.ts, …) are functions of it and keep nothing of their own.
 */
import type { DBSnapshot, Environment, Tag } from '../plan/domain.js'
import type { RdsDurations } from '../plan/rds-facts.js'
import { identifierProblem, normalizeIdentifier } from '../plan/identifiers.js'
import type { VirtualClock } from './clock.js'
import { fault, INVALID_IDENTIFIER, type LimitState } from './limits.js'

export type Fields = Record<string, unknown>

/** Work under way on an instance or a cluster: its effect applies lazily once virtual time reaches `until` (time.ts). */
export interface Work<T> {
  readonly until: number
  readonly seq: number
  /** The status it ends in instead of `available` (an injected failure). */
  readonly failAs: string | undefined
  /** Applies the effect (`failed`: the work ended in failAs); returns false when the instance or cluster is gone afterwards. */
  readonly finish: (x: T, failed: boolean) => boolean
}

/** What the simulator knows of a master password: never the password, only a salted hash of it. */
export interface Credentials {
  sets: number
  lastSetAt: number | undefined
  /** sha-256 of the simulator's salt and the password; undefined when unknown (seeded) or managed. */
  hash: string | undefined
}

/** What an instance and a cluster have alike: identity, the data they hold, describe fields, tags, status and work. */
interface Resource<T> {
  readonly key: number
  id: string
  /** Seed-time identifier of the instance (or cluster) whose data this one holds. */
  readonly data: string
  readonly resourceId: string
  /** Host suffix of its endpoint: `<id>.<suffix>` (a cluster's: `<id>.cluster-<suffix>`, `<id>.cluster-ro-<suffix>`). */
  readonly suffix: string
  /** Describe fields other than those derived here (identifier, status, ARN, endpoints, links, tags). */
  fields: Fields
  tags: Tag[]
  status: string
  work: Work<T> | undefined
  /** Its own master password; a read replica's is its source's, a cluster member's its cluster's (see credentialsOf). */
  credentials: Credentials
}

/** One instance. Links are by key, so renames carry them without bookkeeping. */
export interface Node extends Resource<Node> {
  source: number | undefined
}

/** One Aurora cluster. It holds no storage of its own here: its data is that of the cluster it was cloned from. */
export interface ClusterRecord extends Resource<ClusterRecord> {
  roles: Array<{ RoleArn: string; FeatureName?: string; activeAt: number }>
  /** Key of the writer instance, if any. */
  writer: number | undefined
}

/** An instance's place in a cluster. */
export interface Membership {
  readonly cluster: number
  readonly tier: number | undefined
}

export interface SnapshotRecord {
  readonly snapshot: DBSnapshot
  /** Seed-time identifier of the instance whose data the snapshot holds. */
  readonly data: string
  /** The snapshot shows `creating` until then (a final snapshot taken while deleting). */
  readonly readyAt: number | undefined
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

/** A final snapshot of a deleted cluster: `creating` until the delete is done. */
export interface ClusterSnapshotRecord {
  readonly snapshot: SimClusterSnapshot
  readonly data: string
  readonly readyAt: number
}

export interface SimCall {
  /** Virtual epoch ms (the simulator clock's `now()`) when the call arrived. */
  readonly at: number
  readonly action: string
  readonly input: unknown
  /** `ok`, or the error code the call was answered with. */
  readonly outcome: 'ok' | string
}

export interface SimState {
  readonly env: Environment
  readonly region: string
  /** Epoch ms of the virtual start (it salts the password hashes). */
  readonly start: number
  readonly clock: VirtualClock
  readonly durations: RdsDurations
  /** `arn:<partition>:rds:<region>:<account>` of every ARN here. */
  readonly arnPrefix: string
  /** Host suffix of a new instance's endpoint when nothing else gives one. */
  readonly defaultSuffix: string
  readonly nodes: Map<number, Node>
  /** The key of each instance the simulator was seeded with, by its identifier then. */
  readonly keyOfSeed: Map<string, number>
  readonly snapshots: SnapshotRecord[]
  readonly clusters: Map<number, ClusterRecord>
  /** Instance key → the cluster it belongs to and its promotion tier. */
  readonly memberships: Map<number, Membership>
  readonly clusterSnapshots: ClusterSnapshotRecord[]
  readonly subnetGroups: Map<string, Fields>
  /** A subnet group's tags (those its CreateDBSubnetGroup carried, or the seed's TagList), by its name. */
  readonly subnetGroupTags: Map<string, Tag[]>
  readonly limits: LimitState
  readonly log: SimCall[]
  nextKey: number
  nextClusterKey: number
  /** Orders work that ends at the same virtual time: the order it began in. */
  seq: number
}

export const clone = <A>(a: A): A => structuredClone(a)

export const record = (u: unknown): Fields | undefined => (typeof u === 'object' && u !== null && !Array.isArray(u) ? (u as Fields) : undefined)

/** 26 characters like a DbiResourceId, stable for a given input. */
export const resourceIdFor = (text: string): string => {
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

export const copyFrom = (from: Fields, keys: ReadonlyArray<string>): Fields =>
    Object.fromEntries(keys.flatMap((k) => (from[k] === undefined ? [] : [[k, clone(from[k])]])))

/** Finding instances and clusters by identifier and ARN, and the checks every call makes of them. */
export const lookups = (sim: SimState) => {
  const { nodes, clusters, memberships, arnPrefix } = sim
  const arnOf = (id: string) => `${arnPrefix}:db:${id}`
  const byId = (id: string): Node | undefined => {
    const want = normalizeIdentifier(id)
    for (const n of nodes.values()) if (n.id === want) return n
    return undefined
  }
  const idOfArn = (arn: string): string | undefined => {
    const m = arn.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):db:(.+)$/)
    return m === null || m[1] !== arnPrefix ? undefined : normalizeIdentifier(m[2]!)
  }

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
  const newClusterIdentifier = (param: string, raw: string): string => {
    if (identifierProblem(raw) !== undefined) fault('InvalidParameterValue', INVALID_IDENTIFIER(param))
    const id = normalizeIdentifier(raw)
    if (clusterById(id) !== undefined) fault('DBClusterAlreadyExistsFault', 'DB Cluster already exists')
    return id
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
  return {
    arnOf, byId, idOfArn, mustFind, requireAvailable, newIdentifier, clusterByArnOrFail, byArnOrFail,
    clusterArnOf, clusterIdOfArn, clusterById, mustFindCluster, requireClusterAvailable, membersOfCluster, newClusterIdentifier,
  }
}
