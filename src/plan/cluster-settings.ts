/**
 * What an Aurora clone keeps of the target: the cluster's settings (and IAM roles), and each member
 * instance's, read off describe under their request names; and which call carries each. Pure.
 */
import type { DBCluster, DBClusterMember, DBInstance, Tag } from './domain.js'
import { configuredParameterGroup, defined, listed, userTags } from './attributes.js'

/** The target cluster's settings, under RestoreDBClusterToPointInTime / ModifyDBCluster names. */
export interface ClusterSettings {
  readonly DBSubnetGroupName?: string
  readonly VpcSecurityGroupIds?: ReadonlyArray<string>
  readonly DBClusterParameterGroupName?: string
  readonly Port?: number
  readonly Tags?: ReadonlyArray<Tag>
  readonly CopyTagsToSnapshot?: boolean
  readonly EnableCloudwatchLogsExports?: ReadonlyArray<string>
  readonly EnableIAMDatabaseAuthentication?: boolean
  readonly DeletionProtection?: boolean
  /** Aurora Serverless v2 capacity: db.serverless instances need it on the cluster. */
  readonly ServerlessV2ScalingConfiguration?: { readonly MinCapacity?: number; readonly MaxCapacity?: number }
  readonly BackupRetentionPeriod?: number
  readonly PreferredBackupWindow?: string
  readonly PreferredMaintenanceWindow?: string
}
export type ClusterSettingKey = keyof ClusterSettings

/** What RestoreDBClusterToPointInTime takes; the rest follows in a ModifyDBCluster (as the issue asks). */
export const RESTORE_TAKES: ReadonlyArray<ClusterSettingKey> = [
  'DBSubnetGroupName', 'VpcSecurityGroupIds', 'DBClusterParameterGroupName', 'Port', 'Tags', 'CopyTagsToSnapshot',
  'EnableCloudwatchLogsExports', 'EnableIAMDatabaseAuthentication', 'DeletionProtection', 'ServerlessV2ScalingConfiguration',
]
export const MODIFY_CLUSTER_TAKES: ReadonlyArray<ClusterSettingKey> = ['BackupRetentionPeriod', 'PreferredBackupWindow', 'PreferredMaintenanceWindow']
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
export interface MemberSettings {
  readonly DBInstanceClass?: string
  readonly PromotionTier?: number
  readonly DBParameterGroupName?: string
  readonly AvailabilityZone?: string
  readonly AutoMinorVersionUpgrade?: boolean
  readonly PubliclyAccessible?: boolean
  readonly MonitoringInterval?: number
  readonly MonitoringRoleArn?: string
  readonly EnablePerformanceInsights?: boolean
  readonly PerformanceInsightsKMSKeyId?: string
  readonly PerformanceInsightsRetentionPeriod?: number
  readonly CACertificateIdentifier?: string
  readonly PreferredMaintenanceWindow?: string
  readonly Tags?: ReadonlyArray<Tag>
}
export type MemberSettingKey = keyof MemberSettings
export const MEMBER_SETTING_KEYS: ReadonlyArray<MemberSettingKey> = [
  'DBInstanceClass', 'PromotionTier', 'DBParameterGroupName', 'AvailabilityZone', 'AutoMinorVersionUpgrade', 'PubliclyAccessible',
  'MonitoringInterval', 'MonitoringRoleArn', 'EnablePerformanceInsights', 'PerformanceInsightsKMSKeyId',
  'PerformanceInsightsRetentionPeriod', 'CACertificateIdentifier', 'PreferredMaintenanceWindow', 'Tags',
]

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

const normalize = (key: string, value: unknown): string | undefined => {
  let v = value
  if (key === 'Tags' && Array.isArray(v)) {
    v = (v as Tag[]).filter((t) => !t.Key.startsWith('mitosis:')).map((t) => ({ Key: t.Key, Value: t.Value })).sort((a, b) => a.Key.localeCompare(b.Key))
  } else if (Array.isArray(v)) v = [...(v as string[])].sort()
  if (Array.isArray(v) && v.length === 0) v = undefined
  return v === undefined ? undefined : JSON.stringify(v)
}

/** Keys of `expected` and `actual` that differ, as `Key (expected → actual)`; mitosis:* tags are not settings. */
export const differences = <K extends string>(keys: ReadonlyArray<K>, expected: Partial<Record<K, unknown>>, actual: Partial<Record<K, unknown>>): string[] =>
  keys.flatMap((k) => {
    const [e, a] = [normalize(k, expected[k]), normalize(k, actual[k])]
    return e === a ? [] : [`${k} ${e ?? '(unset)'} → ${a ?? '(unset)'}`]
  })
