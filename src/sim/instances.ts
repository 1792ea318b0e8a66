/**
 * The DB instance calls: CreateDBInstanceReadReplica, RestoreDBInstanceFromDBSnapshot,
 * PromoteReadReplica, ModifyDBInstance (settings, renames, master passwords), DeleteDBInstance and
 * AddTagsToResource, each with RDS's checks and faults; and how a new instance's describe fields come
 * about (RDS's defaults, what it takes from its source, the request's settings in describe's names).
 */
import { arnKind, type DBSnapshot, type Tag } from '../plan/domain.js'
import type { RdsOperation, SettingKey } from '../plan/operations.js'
import { INHERITED_FROM_SOURCE } from '../plan/settings.js'
import { identifierProblem } from '../plan/identifiers.js'
import { isFailedStatus, maxReplicaDepth } from '../plan/rds-facts.js'
import { fault, INVALID_IDENTIFIER, limits, NO_BACKUPS } from './limits.js'
import { passwordRules } from './passwords.js'
import { subnetGroupRoom } from './subnet-groups.js'
import { workQueue } from './time.js'
import { views } from './describe.js'
import { clone, copyFrom, lookups, record, resourceIdFor, type Fields, type Node, type SimState } from './state.js'

/** Statuses an instance can be deleted in: RDS lets one a failure left behind (isFailedStatus) be deleted too. */
const deletable = (status: string): boolean => ['available', 'stopped', 'storage-optimization'].includes(status) || isFailedStatus(status)

/** Defaults RDS gives a new instance when nothing says otherwise (it picks windows itself). */
export const DEFAULT_BACKUP_WINDOW = '07:00-07:30'
export const DEFAULT_MAINTENANCE_WINDOW = 'sun:08:00-sun:08:30'

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

export const instanceCalls = (sim: SimState) => {
  const { clock, durations, arnPrefix, defaultSuffix, nodes, keyOfSeed, snapshots, memberships, subnetGroups, subnetGroupTags } = sim
  const { byId, idOfArn, mustFind, requireAvailable, newIdentifier, byArnOrFail, clusterByArnOrFail } = lookups(sim)
  const { busy } = workQueue(sim)
  const { failStatus } = limits(sim.limits, clock)
  const { credentialsOf, instancePasswordChange, setPassword, startManagedSecret } = passwordRules(sim)
  const { subnetGroupByArnOrFail } = subnetGroupRoom(sim)
  const { snapshotStatus } = views(sim)

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
    const key = sim.nextKey++
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
    if (arnKind(r.ResourceName) === 'subgrp') {
      const name = subnetGroupByArnOrFail(r.ResourceName)
      subnetGroupTags.set(name, [...(subnetGroupTags.get(name) ?? []).filter((t) => !keys.has(t.Key)), ...clone(r.Tags)])
      return
    }
    const n: { tags: Tag[] } = arnKind(r.ResourceName) === 'cluster' ? clusterByArnOrFail(r.ResourceName) : byArnOrFail(r.ResourceName)
    n.tags = [...n.tags.filter((t) => !keys.has(t.Key)), ...clone(r.Tags)]
  }

  return { createReplica, restore, promote, modify, remove, addTags, freshFields, applySettings, addNode }
}
