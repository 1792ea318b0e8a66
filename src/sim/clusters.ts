/**
 * The Aurora cluster calls: RestoreDBClusterToPointInTime (a copy-on-write clone: no instances until
 * CreateDBInstance names the cluster), CreateDBCluster (new and empty), CreateDBInstance in a
 * cluster, ModifyDBCluster (settings, renames its members follow, master passwords),
 * AddRoleToDBCluster and DeleteDBCluster (only once the cluster has no instances), with
 * InvalidDBClusterStateFault for a busy one.
 */
import type { Tag } from '../plan/domain.js'
import type { RdsOperation } from '../plan/operations.js'
import { identifierProblem, normalizeIdentifier } from '../plan/identifiers.js'
import { isFailedStatus, MIN_PASSWORD_LENGTH } from '../plan/rds-facts.js'
import { DEFAULT_BACKUP_WINDOW, DEFAULT_MAINTENANCE_WINDOW, instanceCalls } from './instances.js'
import { fault, INVALID_IDENTIFIER, limits } from './limits.js'
import { passwordRules } from './passwords.js'
import { workQueue } from './time.js'
import { clone, copyFrom, lookups, resourceIdFor, type ClusterRecord, type Credentials, type Fields, type SimClusterSnapshot, type SimState } from './state.js'

export const clusterCalls = (sim: SimState) => {
  const { region, clock, durations, arnPrefix, defaultSuffix, nodes, clusters, memberships, clusterSnapshots, subnetGroups } = sim
  const { newIdentifier, mustFindCluster, requireClusterAvailable, membersOfCluster, newClusterIdentifier } = lookups(sim)
  const { busy } = workQueue(sim)
  const { failStatus } = limits(sim.limits, clock)
  const { passwordChange, setPassword, startManagedSecret } = passwordRules(sim)
  const { freshFields, applySettings, addNode } = instanceCalls(sim)

  /** A new cluster, `creating`, with no members or roles yet. */
  const addCluster = (id: string, data: string, suffix: string, fields: Fields, tags: ReadonlyArray<Tag> | undefined, credentials: Credentials): ClusterRecord => {
    const key = sim.nextClusterKey++
    const c: ClusterRecord = {
      key,
      id,
      data,
      resourceId: `cluster-${resourceIdFor(`${arnPrefix}:${id}:${clock.now()}:${key}`).slice(3)}`,
      suffix,
      fields,
      tags: clone([...(tags ?? [])]),
      roles: [],
      status: 'creating',
      work: undefined,
      writer: undefined,
      credentials,
    }
    clusters.set(key, c)
    return c
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
    // a clone keeps its source's master user and password (not a managed secret: RDS does not carry that over)
    const c = addCluster(id, src.data, src.suffix, fields, r.Tags, { ...src.credentials })
    busy(c, 'creating', durations.clusterRestore, failStatus('RestoreDBClusterToPointInTime', id))
  }

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
    const suffix = [...clusters.values()][0]?.suffix ?? `c0sim0mitosis.${region}.rds.amazonaws.com`
    const c = addCluster(id, id, suffix, fields, r.Tags, { sets: 0, lastSetAt: undefined, hash: undefined })
    const managed = r.ManageMasterUserPassword === true
    busy(c, 'creating', durations.createCluster, failStatus('CreateDBCluster', id), (x, failed) => {
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
      busy(c, reset ? 'resetting-master-credentials' : 'modifying', duration, failAs, effect)
      return
    }
    // a rename: the cluster shows under the new name at once, its members follow
    c.id = newId
    busy(c, 'renaming', durations.rename, failAs, effect)
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
    busy(c, 'deleting', durations.delete, undefined, (x) => {
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

  return { restoreCluster, createCluster, createClusterInstance, modifyCluster, addRole, removeCluster }
}
