/**
 * The attribute lookup: which settings of a target instance the clone keeps, read off the
 * described instance, and which RDS call can carry each of them. The planner puts every setting
 * into the earliest call that accepts it and leaves only the rest for a ModifyDBInstance; the
 * predictor uses the same tables to refuse a request AWS would refuse.
 */
import type { DBInstance, Tag } from './domain.js'
import type { SettingKey, Settings } from './operations.js'

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

const ALL_SETTINGS: ReadonlyArray<SettingKey> = [
  'DBInstanceClass', 'Port', 'MultiAZ', 'AutoMinorVersionUpgrade', 'StorageType', 'Iops', 'StorageThroughput',
  'MaxAllocatedStorage', 'OptionGroupName', 'DBParameterGroupName', 'PubliclyAccessible', 'Tags',
  'DBSubnetGroupName', 'VpcSecurityGroupIds', 'CopyTagsToSnapshot', 'MonitoringInterval', 'MonitoringRoleArn',
  'EnableIAMDatabaseAuthentication', 'EnablePerformanceInsights', 'PerformanceInsightsKMSKeyId',
  'PerformanceInsightsRetentionPeriod', 'EnableCloudwatchLogsExports', 'ProcessorFeatures', 'DeletionProtection',
  'CACertificateIdentifier', 'NetworkType', 'BackupRetentionPeriod', 'PreferredBackupWindow', 'PreferredMaintenanceWindow',
]
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
