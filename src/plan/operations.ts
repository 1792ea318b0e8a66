/**
 * The operations a plan is made of: each is an RDS API action with exactly the input the SDK will
 * be given, or a hook command. A plan is plain data (it is saved, printed, reviewed and embedded in
 * images), so every shape here is an io-ts codec and the TypeScript types are derived from them.
 */
import * as t from 'io-ts'
import { arnKind, ProcessorFeature, Tag, type ResourceKind } from './domain.js'

/** Settings a new instance takes from the target it replaces, under their request names. */
export const SettingsProps = {
  DBInstanceClass: t.string,
  Port: t.number,
  MultiAZ: t.boolean,
  AutoMinorVersionUpgrade: t.boolean,
  StorageType: t.string,
  Iops: t.number,
  StorageThroughput: t.number,
  MaxAllocatedStorage: t.number,
  OptionGroupName: t.string,
  DBParameterGroupName: t.string,
  PubliclyAccessible: t.boolean,
  Tags: t.array(Tag),
  DBSubnetGroupName: t.string,
  VpcSecurityGroupIds: t.array(t.string),
  CopyTagsToSnapshot: t.boolean,
  MonitoringInterval: t.number,
  MonitoringRoleArn: t.string,
  EnableIAMDatabaseAuthentication: t.boolean,
  EnablePerformanceInsights: t.boolean,
  PerformanceInsightsKMSKeyId: t.string,
  PerformanceInsightsRetentionPeriod: t.number,
  EnableCloudwatchLogsExports: t.array(t.string),
  ProcessorFeatures: t.array(ProcessorFeature),
  DeletionProtection: t.boolean,
  CACertificateIdentifier: t.string,
  NetworkType: t.string,
  BackupRetentionPeriod: t.number,
  PreferredBackupWindow: t.string,
  PreferredMaintenanceWindow: t.string,
}
export type SettingKey = keyof typeof SettingsProps
export type Settings = Partial<{ [K in SettingKey]: t.TypeOf<(typeof SettingsProps)[K]> }>

const Settings = t.partial(SettingsProps)

export const CreateDBInstanceReadReplicaRequest = t.intersection([
  t.type({ DBInstanceIdentifier: t.string, SourceDBInstanceIdentifier: t.string }),
  Settings,
])
export type CreateDBInstanceReadReplicaRequest = t.TypeOf<typeof CreateDBInstanceReadReplicaRequest>

export const RestoreDBInstanceFromDBSnapshotRequest = t.intersection([
  t.type({ DBInstanceIdentifier: t.string, DBSnapshotIdentifier: t.string }),
  Settings,
])
export type RestoreDBInstanceFromDBSnapshotRequest = t.TypeOf<typeof RestoreDBInstanceFromDBSnapshotRequest>

export const PromoteReadReplicaRequest = t.intersection([
  t.type({ DBInstanceIdentifier: t.string }),
  t.partial({ BackupRetentionPeriod: t.number, PreferredBackupWindow: t.string }),
])
export type PromoteReadReplicaRequest = t.TypeOf<typeof PromoteReadReplicaRequest>

/**
 * Where a secret comes from at send time: the interpreter resolves it from the secrets it was given.
 * A plan never holds a secret's value, only its name.
 */
export const SecretRef = t.type({ fromSecret: t.string })
export type SecretRef = t.TypeOf<typeof SecretRef>

/** The one secret a plan uses: the master user's password (a create's, or a clone's new one). */
export const MASTER_PASSWORD_SECRET = 'master-password'

/** A master password as a create and a modify take it: a secret by name, or one RDS manages. */
const MasterPasswordProps = { MasterUserPassword: SecretRef, ManageMasterUserPassword: t.boolean }

/** Which log types a modify turns on or off (instances and clusters take the same shape). */
const LogExportsChange = t.partial({ EnableLogTypes: t.array(t.string), DisableLogTypes: t.array(t.string) })

/**
 * A new master password: `secret`, one of the user's, given to the interpreter as MASTER_PASSWORD_SECRET
 * (the plan holds only its name); `managed`, one RDS makes and keeps in Secrets Manager.
 */
export type NewPassword = 'secret' | 'managed'

/** The request fields that set a new master password (ModifyDBInstance, ModifyDBCluster, CreateDBCluster). */
export const passwordFields = (p: NewPassword): { MasterUserPassword: SecretRef } | { ManageMasterUserPassword: true } =>
  p === 'managed' ? { ManageMasterUserPassword: true } : { MasterUserPassword: { fromSecret: MASTER_PASSWORD_SECRET } }

/**
 * ModifyDBInstance: settings (two named differently from the create calls: DBPortNumber, and log
 * exports as a change set), a rename (NewDBInstanceIdentifier), or a new master password for the
 * clone's root (a secret reference, or handed to Secrets Manager).
 */
export const ModifyDBInstanceRequest = t.intersection([
  t.type({ DBInstanceIdentifier: t.string, ApplyImmediately: t.boolean }),
  t.partial({
    ...SettingsProps,
    NewDBInstanceIdentifier: t.string,
    DBPortNumber: t.number,
    CloudwatchLogsExportConfiguration: LogExportsChange,
    ...MasterPasswordProps,
  }),
])
export type ModifyDBInstanceRequest = t.TypeOf<typeof ModifyDBInstanceRequest>

export const DeleteDBInstanceRequest = t.intersection([
  t.type({ DBInstanceIdentifier: t.string }),
  t.partial({ SkipFinalSnapshot: t.boolean, FinalDBSnapshotIdentifier: t.string, DeleteAutomatedBackups: t.boolean }),
])
export type DeleteDBInstanceRequest = t.TypeOf<typeof DeleteDBInstanceRequest>

/** Tags an existing instance (the run marks what it renames, so a re-run knows what is its own). */
export const AddTagsToResourceRequest = t.type({ ResourceName: t.string, Tags: t.array(Tag) })
export type AddTagsToResourceRequest = t.TypeOf<typeof AddTagsToResourceRequest>

/** A hook run through the shell; the command is the user's, never a secret of ours. */
export const RunCommandRequest = t.type({ Command: t.string })
export type RunCommandRequest = t.TypeOf<typeof RunCommandRequest>

// ---------------------------------------------------------------------------------------------
// Aurora clusters: a copy-on-write clone is a cluster restore, then an instance per member.

/** RestoreDBClusterToPointInTime: the clone itself, with the target cluster's settings the call takes. */
export const RestoreDBClusterToPointInTimeRequest = t.intersection([
  t.type({ DBClusterIdentifier: t.string, SourceDBClusterIdentifier: t.string, RestoreType: t.string, UseLatestRestorableTime: t.boolean }),
  t.partial({
    DBSubnetGroupName: t.string,
    VpcSecurityGroupIds: t.array(t.string),
    DBClusterParameterGroupName: t.string,
    Port: t.number,
    Tags: t.array(Tag),
    CopyTagsToSnapshot: t.boolean,
    EnableCloudwatchLogsExports: t.array(t.string),
    EnableIAMDatabaseAuthentication: t.boolean,
    DeletionProtection: t.boolean,
    KmsKeyId: t.string,
    ServerlessV2ScalingConfiguration: t.partial({ MinCapacity: t.number, MaxCapacity: t.number }),
  }),
])
export type RestoreDBClusterToPointInTimeRequest = t.TypeOf<typeof RestoreDBClusterToPointInTimeRequest>

/**
 * ModifyDBCluster: settings the restore does not take, a rename (NewDBClusterIdentifier), or a new
 * master password for the clone (a secret reference, or handed to Secrets Manager).
 */
export const ModifyDBClusterRequest = t.intersection([
  t.type({ DBClusterIdentifier: t.string, ApplyImmediately: t.boolean }),
  t.partial({
    NewDBClusterIdentifier: t.string,
    BackupRetentionPeriod: t.number,
    PreferredBackupWindow: t.string,
    PreferredMaintenanceWindow: t.string,
    DeletionProtection: t.boolean,
    CopyTagsToSnapshot: t.boolean,
    DBClusterParameterGroupName: t.string,
    VpcSecurityGroupIds: t.array(t.string),
    Port: t.number,
    EnableIAMDatabaseAuthentication: t.boolean,
    CloudwatchLogsExportConfiguration: LogExportsChange,
    ...MasterPasswordProps,
  }),
])
export type ModifyDBClusterRequest = t.TypeOf<typeof ModifyDBClusterRequest>

/** What a new member instance takes from the one it replaces, under CreateDBInstance's names. */
export const MemberSettingsProps = {
  DBInstanceClass: t.string,
  PromotionTier: t.number,
  DBParameterGroupName: t.string,
  AvailabilityZone: t.string,
  AutoMinorVersionUpgrade: t.boolean,
  PubliclyAccessible: t.boolean,
  MonitoringInterval: t.number,
  MonitoringRoleArn: t.string,
  EnablePerformanceInsights: t.boolean,
  PerformanceInsightsKMSKeyId: t.string,
  PerformanceInsightsRetentionPeriod: t.number,
  CACertificateIdentifier: t.string,
  PreferredMaintenanceWindow: t.string,
  Tags: t.array(Tag),
}

/** CreateDBInstance into a cluster (an Aurora instance takes its network and storage from the cluster). */
export const CreateDBInstanceRequest = t.intersection([
  t.type({ DBInstanceIdentifier: t.string, DBInstanceClass: t.string, Engine: t.string, DBClusterIdentifier: t.string }),
  t.partial(MemberSettingsProps),
])
export type CreateDBInstanceRequest = t.TypeOf<typeof CreateDBInstanceRequest>

export const DeleteDBClusterRequest = t.intersection([
  t.type({ DBClusterIdentifier: t.string }),
  t.partial({ SkipFinalSnapshot: t.boolean, FinalDBSnapshotIdentifier: t.string }),
])
export type DeleteDBClusterRequest = t.TypeOf<typeof DeleteDBClusterRequest>

export const AddRoleToDBClusterRequest = t.intersection([
  t.type({ DBClusterIdentifier: t.string, RoleArn: t.string }),
  t.partial({ FeatureName: t.string }),
])
export type AddRoleToDBClusterRequest = t.TypeOf<typeof AddRoleToDBClusterRequest>

// ---------------------------------------------------------------------------------------------
// Creating a new cluster without data (database-artifact-factory's "create"): a subnet group when asked,
// the cluster, its instances, then the schema by Liquibase.

/** CreateDBSubnetGroup: the new cluster's own subnet group (two or more AZs). */
export const CreateDBSubnetGroupRequest = t.intersection([
  t.type({ DBSubnetGroupName: t.string, DBSubnetGroupDescription: t.string, SubnetIds: t.array(t.string) }),
  t.partial({ Tags: t.array(Tag) }),
])
export type CreateDBSubnetGroupRequest = t.TypeOf<typeof CreateDBSubnetGroupRequest>

/**
 * CreateDBCluster: the password is either managed by RDS in Secrets Manager (ManageMasterUserPassword)
 * or a reference the interpreter fills in when it sends the call.
 */
export const CreateDBClusterRequest = t.intersection([
  t.type({ DBClusterIdentifier: t.string, Engine: t.string, MasterUsername: t.string }),
  t.partial({
    EngineVersion: t.string,
    EngineMode: t.string,
    DatabaseName: t.string,
    ...MasterPasswordProps,
    StorageEncrypted: t.boolean,
    KmsKeyId: t.string,
    DBSubnetGroupName: t.string,
    VpcSecurityGroupIds: t.array(t.string),
    DBClusterParameterGroupName: t.string,
    Port: t.number,
    BackupRetentionPeriod: t.number,
    PreferredBackupWindow: t.string,
    PreferredMaintenanceWindow: t.string,
    DeletionProtection: t.boolean,
    CopyTagsToSnapshot: t.boolean,
    EnableCloudwatchLogsExports: t.array(t.string),
    EnableIAMDatabaseAuthentication: t.boolean,
    ServerlessV2ScalingConfiguration: t.partial({ MinCapacity: t.number, MaxCapacity: t.number }),
    Tags: t.array(Tag),
  }),
])
export type CreateDBClusterRequest = t.TypeOf<typeof CreateDBClusterRequest>

/**
 * The schema step: `liquibase update` with a local changelog against the new cluster's writer endpoint (read
 * when the step runs), as the master user with the password from the named secret.
 */
export const RunLiquibaseRequest = t.type({
  DBClusterIdentifier: t.string,
  Engine: t.keyof({ postgres: null, mysql: null }),
  Changelog: t.string,
  Database: t.string,
  Username: t.string,
  Password: SecretRef,
})
export type RunLiquibaseRequest = t.TypeOf<typeof RunLiquibaseRequest>

const op = <O extends string, R extends t.Mixed>(name: O, request: R) =>
  t.type({ op: t.literal(name), id: t.string, request }, name)

export const Operation = t.union([
  op('CreateDBInstanceReadReplica', CreateDBInstanceReadReplicaRequest),
  op('RestoreDBInstanceFromDBSnapshot', RestoreDBInstanceFromDBSnapshotRequest),
  op('PromoteReadReplica', PromoteReadReplicaRequest),
  op('ModifyDBInstance', ModifyDBInstanceRequest),
  op('DeleteDBInstance', DeleteDBInstanceRequest),
  op('AddTagsToResource', AddTagsToResourceRequest),
  op('RunCommand', RunCommandRequest),
  op('RestoreDBClusterToPointInTime', RestoreDBClusterToPointInTimeRequest),
  op('ModifyDBCluster', ModifyDBClusterRequest),
  op('CreateDBInstance', CreateDBInstanceRequest),
  op('DeleteDBCluster', DeleteDBClusterRequest),
  op('AddRoleToDBCluster', AddRoleToDBClusterRequest),
  op('CreateDBSubnetGroup', CreateDBSubnetGroupRequest),
  op('CreateDBCluster', CreateDBClusterRequest),
  op('RunLiquibase', RunLiquibaseRequest),
])
export type Operation = t.TypeOf<typeof Operation>
export type OperationName = Operation['op']

/** The operations that are RDS API calls (everything but the hook and the schema step). */
export type RdsOperation = Exclude<Operation, { readonly op: 'RunCommand' } | { readonly op: 'RunLiquibase' }>

/** A rename is a ModifyDBInstance that carries NewDBInstanceIdentifier (a ModifyDBCluster, NewDBClusterIdentifier). */
export const renameTarget = (o: Operation): string | undefined => renamedTo(o)?.id

// ---------------------------------------------------------------------------------------------
// Request constructors: the steps the planners write, each once (stack-mitosis's operations.clj).

/** What a rename, an unprotect or a swap acts on: a DB instance or a DB cluster (subnet groups are never renamed). */
export type RenamableKind = Exclude<ResourceKind, 'subgrp'>

/** ModifyDBInstance with `fields`, applied now. */
export const modifyInstance = (id: string, fields: Omit<ModifyDBInstanceRequest, 'DBInstanceIdentifier' | 'ApplyImmediately'>): Operation => ({
  op: 'ModifyDBInstance',
  id,
  request: { DBInstanceIdentifier: id, ...fields, ApplyImmediately: true },
})

/** ModifyDBCluster with `fields`, applied now. */
export const modifyCluster = (id: string, fields: Omit<ModifyDBClusterRequest, 'DBClusterIdentifier' | 'ApplyImmediately'>): Operation => ({
  op: 'ModifyDBCluster',
  id,
  request: { DBClusterIdentifier: id, ...fields, ApplyImmediately: true },
})

/** An instance or a cluster takes the name `to`. */
export const rename = (type: RenamableKind, id: string, to: string): Operation =>
  type === 'db' ? modifyInstance(id, { NewDBInstanceIdentifier: to }) : modifyCluster(id, { NewDBClusterIdentifier: to })

/** Deletion protection off, so that the delete that follows is taken. */
export const unprotect = (type: RenamableKind, id: string): Operation =>
  type === 'db' ? modifyInstance(id, { DeletionProtection: false }) : modifyCluster(id, { DeletionProtection: false })

/** Tags on the resource `id` is (its ARN: RDS tags by ARN). */
export const tag = (id: string, arn: string, tags: AddTagsToResourceRequest['Tags']): Operation => ({ op: 'AddTagsToResource', id, request: { ResourceName: arn, Tags: tags } })

/** DeleteDBInstance without a final snapshot (the old side of a swap). */
export const deleteInstance = (id: string): Operation => ({ op: 'DeleteDBInstance', id, request: { DBInstanceIdentifier: id, SkipFinalSnapshot: true } })

/** DeleteDBCluster: with a final snapshot under `finalSnapshot` when one is kept, else none. */
export const deleteCluster = (id: string, finalSnapshot: string | undefined): Operation => ({
  op: 'DeleteDBCluster',
  id,
  request: finalSnapshot === undefined ? { DBClusterIdentifier: id, SkipFinalSnapshot: true } : { DBClusterIdentifier: id, FinalDBSnapshotIdentifier: finalSnapshot },
})

/** PromoteReadReplica with the settings the promote takes. */
export const promote = (id: string, settings: Omit<PromoteReadReplicaRequest, 'DBInstanceIdentifier'>): Operation => ({
  op: 'PromoteReadReplica',
  id,
  request: { DBInstanceIdentifier: id, ...settings },
})


/** An RDS resource by kind and identifier (an instance and a cluster may share an identifier). */
export interface Resource {
  readonly kind: ResourceKind
  readonly id: string
}

const db = (id: string): Resource => ({ kind: 'db', id })
const cluster = (id: string): Resource => ({ kind: 'cluster', id })

/** The kind of resource an ARN names (arn:aws:rds:region:account:<kind>:<name>). */

/**
 * The resource an operation acts on, its `id`: an instance, a cluster (the schema step's too) or a subnet
 * group; a tag step's by its ARN. The hook acts on none (its id is only the target it restarts).
 */
export const resourceOf = (o: Operation): Resource | undefined => {
  switch (o.op) {
    case 'CreateDBInstanceReadReplica':
    case 'RestoreDBInstanceFromDBSnapshot':
    case 'PromoteReadReplica':
    case 'ModifyDBInstance':
    case 'DeleteDBInstance':
    case 'CreateDBInstance':
      return db(o.id)
    case 'RestoreDBClusterToPointInTime':
    case 'ModifyDBCluster':
    case 'DeleteDBCluster':
    case 'AddRoleToDBCluster':
    case 'CreateDBCluster':
    case 'RunLiquibase':
      return cluster(o.id)
    case 'CreateDBSubnetGroup':
      return { kind: 'subgrp', id: o.id }
    case 'AddTagsToResource':
      return { kind: arnKind(o.request.ResourceName), id: o.id }
    case 'RunCommand':
      return undefined
  }
}

/** The name a rename gives the operation's resource (of the same kind), or undefined when it renames nothing. */
export const renamedTo = (o: Operation): Resource | undefined =>
  o.op === 'ModifyDBInstance' && o.request.NewDBInstanceIdentifier !== undefined
    ? db(o.request.NewDBInstanceIdentifier)
    : o.op === 'ModifyDBCluster' && o.request.NewDBClusterIdentifier !== undefined
      ? cluster(o.request.NewDBClusterIdentifier)
      : undefined

/** The other resource an operation reads: a replica's source, a restore's source cluster, a new member's cluster. */
export const readsFrom = (o: Operation): Resource | undefined =>
  o.op === 'CreateDBInstanceReadReplica'
    ? db(o.request.SourceDBInstanceIdentifier)
    : o.op === 'RestoreDBClusterToPointInTime'
      ? cluster(o.request.SourceDBClusterIdentifier)
      : o.op === 'CreateDBInstance'
        ? cluster(o.request.DBClusterIdentifier)
        : undefined

const CREATES_OR_DELETES: ReadonlySet<OperationName> = new Set<OperationName>([
  'CreateDBInstanceReadReplica',
  'RestoreDBInstanceFromDBSnapshot',
  'DeleteDBInstance',
  'CreateDBInstance',
  'RestoreDBClusterToPointInTime',
  'DeleteDBCluster',
  'CreateDBCluster',
  'CreateDBSubnetGroup',
])

/** The names an operation makes exist or stop existing: what it creates or deletes, both names of a rename. */
export const resourcesChanged = (o: Operation): ReadonlyArray<Resource> => {
  const own = resourceOf(o)
  const to = renamedTo(o)
  if (own === undefined) return []
  return to !== undefined ? [own, to] : CREATES_OR_DELETES.has(o.op) ? [own] : []
}

/** Every resource an operation acts on or reads: its own, the new name of a rename, the one it reads from. */
export const resourcesUsed = (o: Operation): ReadonlyArray<Resource> =>
  [resourceOf(o), renamedTo(o), readsFrom(o)].filter((r): r is Resource => r !== undefined)

/** One string per resource (`db:x`, `cluster:x`), for sets of names. */
export const resourceKey = (r: Resource): string => `${r.kind}:${r.id}`

/** The new master password a step gives an instance or a cluster: the user's (`secret`), one RDS keeps (`managed`), or none. */
export const passwordSet = (s: Operation): NewPassword | undefined => {
  if (s.op !== 'ModifyDBInstance' && s.op !== 'ModifyDBCluster' && s.op !== 'CreateDBCluster') return undefined
  return s.request.ManageMasterUserPassword === true ? 'managed' : s.request.MasterUserPassword !== undefined ? 'secret' : undefined
}

/** Whether a step gives an existing instance or cluster a new master password. */
export const setsPassword = (s: Operation): boolean => s.op !== 'CreateDBCluster' && passwordSet(s) !== undefined

/** Why RDS would refuse a step's password fields (both kinds at once), or undefined. */
export const passwordConflict = (s: Operation): string | undefined =>
  (s.op === 'ModifyDBInstance' || s.op === 'ModifyDBCluster' || s.op === 'CreateDBCluster') &&
  s.request.MasterUserPassword !== undefined &&
  s.request.ManageMasterUserPassword === true
    ? 'sets a master password and hands it to Secrets Manager at once; RDS takes one or the other'
    : undefined

/**
 * Whether `later` renames what `earlier` gives a new master password: a copy that still has the source's
 * password must not take a target name, so such a rename must wait for the password.
 */
export const renamesAfterPassword = (earlier: Operation, later: Operation): boolean =>
  setsPassword(earlier) && later.op === earlier.op && later.id === earlier.id && renameTarget(later) !== undefined
