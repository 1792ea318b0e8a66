/**
 * What we read from RDS, as io-ts codecs. Field names are the RDS API's own (DescribeDBInstances,
 * DescribeDBSnapshots, ListTagsForResource), so a fixture is a describe response and an SDK
 * response decodes without translation. Only the fields the planner reads are declared; the rest
 * pass through untouched.
 */
import * as t from 'io-ts'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'

const optional = <P extends t.Props>(props: P) => t.partial(props)

/** Dates arrive as Date from the SDK and as ISO strings from JSON: both decode to an ISO string. */
export const Timestamp = new t.Type<string, string, unknown>(
  'Timestamp',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (u instanceof Date && !Number.isNaN(u.getTime())) return t.success(u.toISOString())
    if (typeof u === 'string' && !Number.isNaN(Date.parse(u))) return t.success(new Date(u).toISOString())
    return t.failure(u, c, 'expected an ISO-8601 timestamp')
  },
  (s) => s,
)

export const Tag = t.type({ Key: t.string, Value: t.string }, 'Tag')
export type Tag = t.TypeOf<typeof Tag>

export const VpcSecurityGroupMembership = t.type({ VpcSecurityGroupId: t.string, Status: t.string })
export const DBParameterGroupStatus = t.type({ DBParameterGroupName: t.string, ParameterApplyStatus: t.string })
export const OptionGroupMembership = t.type({ OptionGroupName: t.string, Status: t.string })
export const ProcessorFeature = t.type({ Name: t.string, Value: t.string })
export type ProcessorFeature = t.TypeOf<typeof ProcessorFeature>

export const Subnet = t.intersection([
  t.type({ SubnetIdentifier: t.string }),
  optional({ SubnetAvailabilityZone: optional({ Name: t.string }), SubnetStatus: t.string }),
])

/** A DB subnet group as DescribeDBSubnetGroups shows it (and DescribeDBInstances inside an instance). */
export const DBSubnetGroup = t.intersection(
  [
    t.type({ DBSubnetGroupName: t.string }),
    optional({ DBSubnetGroupArn: t.string, DBSubnetGroupDescription: t.string, VpcId: t.string, SubnetGroupStatus: t.string, Subnets: t.array(Subnet) }),
  ],
  'DBSubnetGroup',
)
export type DBSubnetGroup = t.TypeOf<typeof DBSubnetGroup>

/**
 * A subnet group with its tags: DescribeDBSubnetGroups shows none, so they come from ListTagsForResource
 * on its ARN (a fixture holds them as TagList, as it does an instance's).
 */
export const TaggedDBSubnetGroup = t.intersection([DBSubnetGroup, optional({ TagList: t.array(Tag) })], 'TaggedDBSubnetGroup')
export type TaggedDBSubnetGroup = t.TypeOf<typeof TaggedDBSubnetGroup>

export const Endpoint = optional({ Address: t.string, Port: t.number, HostedZoneId: t.string })

export const DBInstance = t.intersection(
  [
    t.type({
      DBInstanceIdentifier: t.string,
      DBInstanceClass: t.string,
      Engine: t.string,
      DBInstanceStatus: t.string,
    }),
    optional({
      DBInstanceArn: t.string,
      DbiResourceId: t.string,
      /** Present when RDS manages the master password in Secrets Manager (ManageMasterUserPassword). */
      MasterUserSecret: optional({ SecretArn: t.string, SecretStatus: t.string, KmsKeyId: t.string }),
      EngineVersion: t.string,
      DBClusterIdentifier: t.string,
      Endpoint,
      AllocatedStorage: t.number,
      MaxAllocatedStorage: t.number,
      StorageType: t.string,
      Iops: t.number,
      StorageThroughput: t.number,
      StorageEncrypted: t.boolean,
      KmsKeyId: t.string,
      MultiAZ: t.boolean,
      AvailabilityZone: t.string,
      PubliclyAccessible: t.boolean,
      AutoMinorVersionUpgrade: t.boolean,
      BackupRetentionPeriod: t.number,
      PreferredBackupWindow: t.string,
      PreferredMaintenanceWindow: t.string,
      DBParameterGroups: t.array(DBParameterGroupStatus),
      OptionGroupMemberships: t.array(OptionGroupMembership),
      VpcSecurityGroups: t.array(VpcSecurityGroupMembership),
      DBSubnetGroup,
      ReadReplicaSourceDBInstanceIdentifier: t.string,
      ReadReplicaDBInstanceIdentifiers: t.array(t.string),
      CopyTagsToSnapshot: t.boolean,
      MonitoringInterval: t.number,
      MonitoringRoleArn: t.string,
      PerformanceInsightsEnabled: t.boolean,
      PerformanceInsightsKMSKeyId: t.string,
      PerformanceInsightsRetentionPeriod: t.number,
      IAMDatabaseAuthenticationEnabled: t.boolean,
      EnabledCloudwatchLogsExports: t.array(t.string),
      ProcessorFeatures: t.array(ProcessorFeature),
      DeletionProtection: t.boolean,
      CACertificateIdentifier: t.string,
      NetworkType: t.string,
      MasterUsername: t.string,
      DBName: t.string,
      TagList: t.array(Tag),
      InstanceCreateTime: Timestamp,
    }),
  ],
  'DBInstance',
)
export type DBInstance = t.TypeOf<typeof DBInstance>

export const DBSnapshot = t.intersection(
  [
    t.type({ DBSnapshotIdentifier: t.string, DBInstanceIdentifier: t.string, Status: t.string }),
    optional({
      DBSnapshotArn: t.string,
      SnapshotType: t.string,
      SnapshotCreateTime: Timestamp,
      Engine: t.string,
      EngineVersion: t.string,
      VpcId: t.string,
      AllocatedStorage: t.number,
      Encrypted: t.boolean,
    }),
  ],
  'DBSnapshot',
)
export type DBSnapshot = t.TypeOf<typeof DBSnapshot>

export const DBClusterMember = t.intersection([
  t.type({ DBInstanceIdentifier: t.string, IsClusterWriter: t.boolean }),
  optional({ PromotionTier: t.number, DBClusterParameterGroupStatus: t.string }),
])
export type DBClusterMember = t.TypeOf<typeof DBClusterMember>

export const DBClusterRole = t.intersection([t.type({ RoleArn: t.string }), optional({ FeatureName: t.string, Status: t.string })])
export type DBClusterRole = t.TypeOf<typeof DBClusterRole>

/** An Aurora cluster as DescribeDBClusters shows it (DBSubnetGroup is a name here, not an object). */
export const DBCluster = t.intersection(
  [
    t.type({ DBClusterIdentifier: t.string, Engine: t.string, Status: t.string }),
    optional({
      DBClusterArn: t.string,
      DbClusterResourceId: t.string,
      EngineVersion: t.string,
      EngineMode: t.string,
      DBClusterMembers: t.array(DBClusterMember),
      DBClusterParameterGroup: t.string,
      DBSubnetGroup: t.string,
      VpcSecurityGroups: t.array(VpcSecurityGroupMembership),
      Port: t.number,
      Endpoint: t.string,
      ReaderEndpoint: t.string,
      BackupRetentionPeriod: t.number,
      PreferredBackupWindow: t.string,
      PreferredMaintenanceWindow: t.string,
      AssociatedRoles: t.array(DBClusterRole),
      CopyTagsToSnapshot: t.boolean,
      EnabledCloudwatchLogsExports: t.array(t.string),
      IAMDatabaseAuthenticationEnabled: t.boolean,
      DeletionProtection: t.boolean,
      TagList: t.array(Tag),
      StorageEncrypted: t.boolean,
      KmsKeyId: t.string,
      MasterUsername: t.string,
      DatabaseName: t.string,
      ClusterCreateTime: Timestamp,
      ServerlessV2ScalingConfiguration: optional({ MinCapacity: t.number, MaxCapacity: t.number }),
      /** Present when RDS manages the master password in Secrets Manager (ManageMasterUserPassword). */
      MasterUserSecret: optional({ SecretArn: t.string, SecretStatus: t.string, KmsKeyId: t.string }),
    }),
  ],
  'DBCluster',
)
export type DBCluster = t.TypeOf<typeof DBCluster>

/** Account limits per region (Service Quotas); RDS's defaults are 40 of each. */
export const Quotas = optional({ DBInstances: t.number, DBClusters: t.number })
export type Quotas = t.TypeOf<typeof Quotas>

/** A fixture file: a region and what describe would answer there. */
export const EnvironmentFile = t.intersection(
  [
    t.type({ DBInstances: t.array(DBInstance) }),
    optional({
      region: t.string,
      DBSnapshots: t.array(DBSnapshot),
      DBClusters: t.array(DBCluster),
      /** Subnet groups as DescribeDBSubnetGroups shows them, with their tags (TagList). */
      DBSubnetGroups: t.array(TaggedDBSubnetGroup),
      /** ARNs of clusters shared with other accounts through AWS RAM (ram:ListResources). */
      RamSharedClusterArns: t.array(t.string),
      Quotas,
    }),
  ],
  'EnvironmentFile',
)
export type EnvironmentFile = t.TypeOf<typeof EnvironmentFile>

/**
 * The world as the planner sees it: every instance in the region, the tags of the ones that matter
 * (by identifier), and the snapshots of the source when the snapshot path may be taken.
 */
export interface Environment {
  readonly region: string
  readonly instances: ReadonlyArray<DBInstance>
  readonly tags: Readonly<Record<string, ReadonlyArray<Tag>>>
  readonly snapshots: ReadonlyArray<DBSnapshot>
  /** Aurora clusters in the region (DescribeDBClusters); none when absent. */
  readonly clusters?: ReadonlyArray<DBCluster>
  /** Subnet groups that were read (DescribeDBSubnetGroups), with their tags; none when absent. */
  readonly subnetGroups?: ReadonlyArray<TaggedDBSubnetGroup>
  /** ARNs of clusters shared through AWS RAM; none when absent. */
  readonly ramSharedClusterArns?: ReadonlyArray<string>
  /** Account limits; RDS's defaults (40 instances, 40 clusters) when absent. */
  readonly quotas?: Quotas
  /** What could not be read and what was assumed instead, one line each (the CLI says them on stderr). */
  readonly notes?: ReadonlyArray<string>
}

/** `arn:aws:rds:us-east-1:123456789012` from any ARN the environment shows. */
export const arnPrefix = (env: Environment): string => {
  const known = env.instances.map((i) => i.DBInstanceArn).find((a) => a !== undefined)
  const m = known?.match(/^arn:([^:]+):rds:([^:]*):([^:]*):/)
  return m === null || m === undefined ? `arn:aws:rds:${env.region}:*` : `arn:${m[1]}:rds:${m[2]}:${m[3]}`
}

/** The `arn:…:rds:region:account` part of the first `type` ARN the environment shows, if any. */
const knownPrefix = (arns: ReadonlyArray<string | undefined>, type: string): string | undefined =>
  arns.find((a) => a !== undefined)?.match(new RegExp(`^(arn:[^:]+:rds:[^:]*:[^:]*):${type}:`))?.[1]

/** The kinds of RDS resource a plan acts on, by the names their ARNs use (db, cluster, subgrp). */
export type ResourceKind = 'db' | 'cluster' | 'subgrp'

/** Which kind of resource an RDS ARN names (`arn:aws:rds:region:account:<kind>:<id>`): the inverse of arnFor. */
export const arnKind = (arn: string): ResourceKind => (arn.includes(':cluster:') ? 'cluster' : arn.includes(':subgrp:') ? 'subgrp' : 'db')

/**
 * The ARN an instance (`db`), a cluster or a subnet group (`subgrp`) has, or will have, under `id`:
 * RDS ARNs are name-based. The region and account are read off an ARN of the same type that
 * describe showed (an instance's for a subnet group), else off one of the other type, else the
 * region with any account.
 */
export const arnFor = (env: Environment, type: ResourceKind, id: string): string => {
  const instance = knownPrefix(env.instances.map((i) => i.DBInstanceArn), 'db')
  const cluster = knownPrefix((env.clusters ?? []).map((c) => c.DBClusterArn), 'cluster')
  const prefix = type === 'cluster' ? (cluster ?? instance) : (instance ?? cluster)
  return `${prefix ?? `arn:aws:rds:${env.region}:*`}:${type}:${id}`
}

export const environmentFromFile = (file: EnvironmentFile, defaultRegion = 'us-east-1'): Environment => ({
  region: file.region ?? defaultRegion,
  instances: file.DBInstances,
  tags: Object.fromEntries(file.DBInstances.map((i) => [i.DBInstanceIdentifier, i.TagList ?? []])),
  snapshots: file.DBSnapshots ?? [],
  ...(file.DBClusters === undefined ? {} : { clusters: file.DBClusters }),
  ...(file.DBSubnetGroups === undefined ? {} : { subnetGroups: file.DBSubnetGroups }),
  ...(file.RamSharedClusterArns === undefined ? {} : { ramSharedClusterArns: file.RamSharedClusterArns }),
  ...(file.Quotas === undefined ? {} : { quotas: file.Quotas }),
})

// ---------------------------------------------------------------------------------------------
// Decoding errors: one line naming the field, e.g. `DBInstances[2].Engine: expected string, got 42`

const describeValue = (u: unknown): string => {
  if (u === undefined) return 'nothing'
  if (u === null) return 'null'
  if (Array.isArray(u)) return 'an array'
  if (typeof u === 'object') return 'an object'
  const s = JSON.stringify(u)
  return s.length > 40 ? `${s.slice(0, 37)}...` : s
}

const isWrapper = (type: t.Decoder<unknown, unknown>): boolean =>
  type instanceof t.IntersectionType || type instanceof t.UnionType || type instanceof t.RefinementType

const pathOf = (context: t.Context): string => {
  let path = ''
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!
    const entry = context[i]!
    if (isWrapper(parent.type)) continue
    path += /^\d+$/.test(entry.key) && parent.type instanceof t.ArrayType ? `[${entry.key}]` : path ? `.${entry.key}` : entry.key
  }
  return path
}

const expected = (error: t.ValidationError): string => {
  if (error.message) return error.message
  const last = error.context[error.context.length - 1]
  return `expected ${last?.type.name ?? 'a value'}`
}

export const drawErrors = (errors: t.Errors): string => {
  // one line per field: an intersection reports a wrong whole value once per member
  const byPath = new Map<string, string>()
  for (const e of errors) {
    const path = pathOf(e.context) || '(top level)'
    if (!byPath.has(path)) byPath.set(path, `${path}: ${expected(e)}, got ${describeValue(e.value)}`)
  }
  const lines = [...byPath.values()]
  const [first, ...rest] = lines
  return rest.length === 0 ? (first ?? 'invalid') : `${first} (and ${rest.length} more)`
}

/** Decode untrusted input, rendering failures as one line. */
export const decode =
  <A, O>(codec: t.Type<A, O, unknown>) =>
  (u: unknown): E.Either<string, A> =>
    pipe(codec.decode(u), E.mapLeft(drawErrors))
