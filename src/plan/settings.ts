/**
 * The attribute lookup: which settings of the target a clone keeps, read off describe (an
 * instance's, an Aurora cluster's and its IAM roles, a cluster member's) under the request names
 * that set them, which RDS call can carry each of them, and how two sets of settings differ. The
 * planners put every setting into the earliest call that accepts it and leave only the rest for a
 * modify; the predictor uses the same tables to refuse a request AWS would refuse, and the
 * staleness check and the progress predicates the same differences. Pure.
 */
import * as t from 'io-ts'
import { Tag, type DBCluster, type DBClusterMember, type DBInstance } from './domain.js'
import { MemberSettingsProps, SettingsProps, type SettingKey, type Settings } from './operations.js'

/** The keys of a codec's props, in the order they are declared. */
const keysOf = <P extends t.Props>(props: P): ReadonlyArray<keyof P & string> => Object.keys(props) as Array<keyof P & string>

/**
 * Tags a copy takes from the instance it replaces: not the reserved `aws:` ones (they belong to
 * AWS and cannot be set), nor `mitosis:` ones (a run sets its own).
 */
export const userTags = (tags: ReadonlyArray<Tag>): Tag[] =>
  tags.filter((t) => !t.Key.toLowerCase().startsWith('aws:') && !t.Key.startsWith('mitosis:'))

/**
 * gp3 volumes below this size run at a fixed baseline: RDS refuses Iops or StorageThroughput for them.
 * (RDS User Guide, "gp3 storage"; Oracle's threshold is 200 GiB, the other engines' 400 GiB.)
 */
const gp3BaselineThreshold = (engine: string): number => (engine.startsWith('oracle') ? 200 : 400)

const firstWithStatus = <A>(items: ReadonlyArray<A> | undefined, ok: (a: A) => boolean): A | undefined => items?.find(ok)

/**
 * The DB parameter group an instance is set to use: one waiting for a reboot (pending-reboot, or
 * still applying) is the newer setting, else the one in sync. A reboot turns the first into the
 * second, and the clone's own renames reboot the target: reading it so keeps a re-plan, made on the
 * target after it was renamed away, the same as the plan the run began with.
 */
export const configuredParameterGroup = (groups: DBInstance['DBParameterGroups']): string | undefined =>
  (firstWithStatus(groups, (g) => g.ParameterApplyStatus === 'pending-reboot' || g.ParameterApplyStatus === 'applying') ??
    firstWithStatus(groups, (g) => g.ParameterApplyStatus === 'in-sync'))?.DBParameterGroupName

/**
 * A list, or nothing when it is empty: RDS takes an empty list in a request as "none" (no security
 * groups, say), so a setting with nothing in it is left out rather than sent empty.
 */
export const listed = <A>(xs: ReadonlyArray<A>): A[] | undefined => (xs.length > 0 ? [...xs] : undefined)

/** Keeps only the keys whose value is defined, so requests carry no `undefined`. */
export const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

/**
 * The settings an instance has, under the request names that set them. `allocatedStorage` is the
 * size of the volume the settings will sit on (the clone's data comes from the source), which
 * decides whether gp3 performance can be set at all.
 */
export const instanceSettings = (i: DBInstance, tags: ReadonlyArray<Tag>, allocatedStorage = i.AllocatedStorage ?? 0): Settings => {
  const storageType = i.StorageType
  const provisioned = storageType === 'io1' || storageType === 'io2'
  // gp3 performance is settable only above the threshold, on the target's volume and on the new one
  const threshold = gp3BaselineThreshold(i.Engine)
  const gp3Tunable = storageType === 'gp3' && (i.AllocatedStorage ?? 0) >= threshold && allocatedStorage >= threshold
  const monitoring = (i.MonitoringInterval ?? 0) > 0
  const insights = i.PerformanceInsightsEnabled === true
  return defined<Settings>({
    DBInstanceClass: i.DBInstanceClass,
    Port: i.Endpoint?.Port,
    MultiAZ: i.MultiAZ,
    AutoMinorVersionUpgrade: i.AutoMinorVersionUpgrade,
    StorageType: storageType,
    Iops: provisioned || gp3Tunable ? i.Iops : undefined,
    StorageThroughput: gp3Tunable ? i.StorageThroughput : undefined,
    // storage autoscaling needs a ceiling above the volume, which now has the source's size
    MaxAllocatedStorage: (i.MaxAllocatedStorage ?? 0) > allocatedStorage ? i.MaxAllocatedStorage : undefined,
    OptionGroupName: firstWithStatus(i.OptionGroupMemberships, (g) => g.Status === 'in-sync')?.OptionGroupName,
    DBParameterGroupName: configuredParameterGroup(i.DBParameterGroups),
    PubliclyAccessible: i.PubliclyAccessible,
    Tags: listed(userTags(tags)),
    DBSubnetGroupName: i.DBSubnetGroup?.DBSubnetGroupName,
    VpcSecurityGroupIds: listed((i.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId)),
    CopyTagsToSnapshot: i.CopyTagsToSnapshot,
    MonitoringInterval: i.MonitoringInterval,
    MonitoringRoleArn: monitoring ? i.MonitoringRoleArn : undefined,
    EnableIAMDatabaseAuthentication: i.IAMDatabaseAuthenticationEnabled,
    EnablePerformanceInsights: i.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: insights ? i.PerformanceInsightsKMSKeyId : undefined,
    PerformanceInsightsRetentionPeriod: insights ? i.PerformanceInsightsRetentionPeriod : undefined,
    EnableCloudwatchLogsExports: listed(i.EnabledCloudwatchLogsExports ?? []),
    ProcessorFeatures: listed(i.ProcessorFeatures ?? []),
    DeletionProtection: i.DeletionProtection,
    CACertificateIdentifier: i.CACertificateIdentifier,
    NetworkType: i.NetworkType,
    BackupRetentionPeriod: i.BackupRetentionPeriod,
    // an instance without backups (a read replica, usually) still has its window: a copy keeps it
    PreferredBackupWindow: i.PreferredBackupWindow,
    PreferredMaintenanceWindow: i.PreferredMaintenanceWindow,
  })
}

/** What each call accepts (RDS API reference, checked against @aws-sdk/client-rds's input types). */
export type SettingCarrier = 'CreateDBInstanceReadReplica' | 'RestoreDBInstanceFromDBSnapshot' | 'PromoteReadReplica' | 'ModifyDBInstance'

const ALL_SETTINGS: ReadonlyArray<SettingKey> = keysOf(SettingsProps)
export const settingKeys = ALL_SETTINGS

/**
 * CreateDBInstanceReadReplica takes a parameter group only for Oracle, Db2 and cross-region MySQL
 * replicas; for a same-region MySQL, MariaDB or PostgreSQL replica it must follow in a modify
 * (whose static parameters then apply at the reboot that the rename into place causes anyway).
 */
const replicaTakesParameterGroup = (engine: string): boolean => engine.startsWith('oracle') || engine.startsWith('db2')

export const accepts = (carrier: SettingCarrier, engine: string): ((key: SettingKey) => boolean) => {
  switch (carrier) {
    case 'CreateDBInstanceReadReplica':
      return (key) =>
        key === 'DBParameterGroupName'
          ? replicaTakesParameterGroup(engine)
          : key !== 'BackupRetentionPeriod' && key !== 'PreferredBackupWindow' && key !== 'PreferredMaintenanceWindow'
    case 'RestoreDBInstanceFromDBSnapshot':
      return (key) =>
        ![
          'MaxAllocatedStorage', 'MonitoringInterval', 'MonitoringRoleArn', 'EnablePerformanceInsights',
          'PerformanceInsightsKMSKeyId', 'PerformanceInsightsRetentionPeriod', 'PreferredMaintenanceWindow',
        ].includes(key)
    case 'PromoteReadReplica':
      return (key) => key === 'BackupRetentionPeriod' || key === 'PreferredBackupWindow'
    case 'ModifyDBInstance':
      return (key) => key !== 'Tags'
  }
}

/** Splits settings into what `carrier` takes and what is left over. */
export const splitSettings = (
  settings: Settings,
  takes: (key: SettingKey) => boolean,
): { readonly taken: Settings; readonly rest: Settings } => {
  const taken: Record<string, unknown> = {}
  const rest: Record<string, unknown> = {}
  for (const key of ALL_SETTINGS) {
    const value = settings[key]
    if (value === undefined) continue
    ;(takes(key) ? taken : rest)[key] = value
  }
  return { taken: taken as Settings, rest: rest as Settings }
}

/** Settings a new replica inherits from its source when the request leaves them out (RDS API reference). */
export const INHERITED_FROM_SOURCE: ReadonlyArray<SettingKey> = [
  'DBInstanceClass', 'Port', 'StorageType', 'Iops', 'StorageThroughput', 'OptionGroupName', 'DBParameterGroupName',
  'AutoMinorVersionUpgrade', 'DBSubnetGroupName', 'CACertificateIdentifier', 'NetworkType', 'ProcessorFeatures',
]

// ---------------------------------------------------------------------------------------------
// Aurora: the target cluster's settings and IAM roles, and each member instance's.

/** The target cluster's settings that RestoreDBClusterToPointInTime takes, under its names. */
const RestoreTakesProps = {
  DBSubnetGroupName: t.string,
  VpcSecurityGroupIds: t.readonlyArray(t.string),
  DBClusterParameterGroupName: t.string,
  Port: t.number,
  Tags: t.readonlyArray(Tag),
  CopyTagsToSnapshot: t.boolean,
  EnableCloudwatchLogsExports: t.readonlyArray(t.string),
  EnableIAMDatabaseAuthentication: t.boolean,
  DeletionProtection: t.boolean,
  /** Aurora Serverless v2 capacity: db.serverless instances need it on the cluster. */
  ServerlessV2ScalingConfiguration: t.readonly(t.partial({ MinCapacity: t.number, MaxCapacity: t.number })),
}
/** The rest, which follows in a ModifyDBCluster (as the issue asks). */
const ModifyClusterTakesProps = {
  BackupRetentionPeriod: t.number,
  PreferredBackupWindow: t.string,
  PreferredMaintenanceWindow: t.string,
}
/** The target cluster's settings, under RestoreDBClusterToPointInTime / ModifyDBCluster names. */
export const ClusterSettings = t.readonly(t.partial({ ...RestoreTakesProps, ...ModifyClusterTakesProps }))
export type ClusterSettings = t.TypeOf<typeof ClusterSettings>
export type ClusterSettingKey = keyof ClusterSettings

/** What RestoreDBClusterToPointInTime takes; the rest follows in a ModifyDBCluster (as the issue asks). */
export const RESTORE_TAKES: ReadonlyArray<ClusterSettingKey> = keysOf(RestoreTakesProps)
export const MODIFY_CLUSTER_TAKES: ReadonlyArray<ClusterSettingKey> = keysOf(ModifyClusterTakesProps)
export const CLUSTER_SETTING_KEYS: ReadonlyArray<ClusterSettingKey> = [...RESTORE_TAKES, ...MODIFY_CLUSTER_TAKES]

export const clusterTags = (c: DBCluster): ReadonlyArray<Tag> => c.TagList ?? []

export const clusterSettings = (c: DBCluster, tags: ReadonlyArray<Tag> = clusterTags(c)): ClusterSettings => {
  return defined<ClusterSettings>({
    DBSubnetGroupName: c.DBSubnetGroup,
    VpcSecurityGroupIds: listed((c.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId)),
    DBClusterParameterGroupName: c.DBClusterParameterGroup,
    Port: c.Port,
    Tags: listed(userTags(tags)),
    CopyTagsToSnapshot: c.CopyTagsToSnapshot,
    EnableCloudwatchLogsExports: listed(c.EnabledCloudwatchLogsExports ?? []),
    EnableIAMDatabaseAuthentication: c.IAMDatabaseAuthenticationEnabled,
    DeletionProtection: c.DeletionProtection,
    ServerlessV2ScalingConfiguration:
      c.ServerlessV2ScalingConfiguration === undefined
        ? undefined
        : defined({ MinCapacity: c.ServerlessV2ScalingConfiguration.MinCapacity, MaxCapacity: c.ServerlessV2ScalingConfiguration.MaxCapacity }),
    BackupRetentionPeriod: c.BackupRetentionPeriod,
    PreferredBackupWindow: c.PreferredBackupWindow,
    PreferredMaintenanceWindow: c.PreferredMaintenanceWindow,
  })
}

/** A cluster's IAM roles as `role ARN (feature)` strings, sorted: what AddRoleToDBCluster gives back. */
export const clusterRoles = (c: DBCluster): ReadonlyArray<{ readonly RoleArn: string; readonly FeatureName?: string }> =>
  (c.AssociatedRoles ?? [])
    .filter((r) => r.Status === undefined || r.Status === 'ACTIVE' || r.Status === 'PENDING')
    .map((r) => defined({ RoleArn: r.RoleArn, FeatureName: r.FeatureName }))

export const roleKey = (r: { readonly RoleArn: string; readonly FeatureName?: string | undefined }): string =>
  r.FeatureName === undefined ? r.RoleArn : `${r.RoleArn} (${r.FeatureName})`

/** A member instance's own settings, under CreateDBInstance names. */
export const MemberSettings = t.readonly(t.partial(MemberSettingsProps))
export type MemberSettings = t.TypeOf<typeof MemberSettings>
export type MemberSettingKey = keyof MemberSettings
export const MEMBER_SETTING_KEYS: ReadonlyArray<MemberSettingKey> = keysOf(MemberSettingsProps)

export const memberSettings = (i: DBInstance, member: DBClusterMember | undefined, tags: ReadonlyArray<Tag>): MemberSettings => {
  const groups = i.DBParameterGroups ?? []
  const monitoring = (i.MonitoringInterval ?? 0) > 0
  const insights = i.PerformanceInsightsEnabled === true
  return defined<MemberSettings>({
    DBInstanceClass: i.DBInstanceClass,
    PromotionTier: member?.PromotionTier,
    DBParameterGroupName: configuredParameterGroup(groups) ?? groups[0]?.DBParameterGroupName,
    AvailabilityZone: i.AvailabilityZone,
    AutoMinorVersionUpgrade: i.AutoMinorVersionUpgrade,
    PubliclyAccessible: i.PubliclyAccessible,
    MonitoringInterval: i.MonitoringInterval,
    MonitoringRoleArn: monitoring ? i.MonitoringRoleArn : undefined,
    EnablePerformanceInsights: i.PerformanceInsightsEnabled,
    PerformanceInsightsKMSKeyId: insights ? i.PerformanceInsightsKMSKeyId : undefined,
    PerformanceInsightsRetentionPeriod: insights ? i.PerformanceInsightsRetentionPeriod : undefined,
    CACertificateIdentifier: i.CACertificateIdentifier,
    PreferredMaintenanceWindow: i.PreferredMaintenanceWindow,
    Tags: listed(userTags(tags)),
  })
}

/**
 * A setting as it compares: a run's own tags (mitosis:*) are not settings of the target, and tags
 * and lists are sets (their order is describe's, not a setting); an empty list is no list, and no
 * backups is a retention of 0 or none.
 */
const normalize = (key: string, value: unknown): string | undefined => {
  let v = value
  if (key === 'Tags' && Array.isArray(v)) {
    v = (v as Tag[]).filter((t) => !t.Key.startsWith('mitosis:')).map((t) => ({ Key: t.Key, Value: t.Value })).sort((a, b) => a.Key.localeCompare(b.Key))
  } else if (Array.isArray(v)) v = [...(v as unknown[])].sort()
  if (Array.isArray(v) && v.length === 0) v = undefined
  if (key === 'BackupRetentionPeriod' && v === 0) v = undefined
  return v === undefined ? undefined : JSON.stringify(v)
}

/** Keys of `expected` and `actual` that differ, as `Key expected → actual` in the order of `keys`. */
export const differences = <K extends string>(keys: ReadonlyArray<K>, expected: Partial<Record<K, unknown>>, actual: Partial<Record<K, unknown>>): string[] =>
  keys.flatMap((k) => {
    const [e, a] = [normalize(k, expected[k]), normalize(k, actual[k])]
    return e === a ? [] : [`${k} ${e ?? '(unset)'} → ${a ?? '(unset)'}`]
  })

/** An instance's settings in `actual` that differ from `expected`, as `Key expected → actual`. */
export const settingDifferences = (expected: Settings, actual: Settings): string[] => differences(settingKeys, expected, actual)
