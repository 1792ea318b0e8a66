/**
 * The simulator's Aurora clusters: a copy-on-write restore, instances created into a cluster,
 * cluster settings and renames, roles, deletes, and the refusals RDS answers a busy cluster with.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster } from '../../src/plan/domain.js'
import type { RdsOperation, SecretRef } from '../../src/plan/operations.js'
import { TYPICAL_DURATIONS } from '../../src/plan/durations.js'
import { AWS_DURATIONS } from '../../src/plan/rds-facts.js'
import { simulate, type InjectedFailure, type Simulator } from '../../src/sim/simulator.js'
import { fixture } from '../support/fixtures.js'

const ARN = 'arn:aws:rds:us-east-1:123456789012'

const send = async (sim: Simulator, o: RdsOperation): Promise<string> => {
  const r = await sim.send(o)()
  return E.isRight(r) ? 'ok' : r.left._tag === 'Api' ? r.left.code : r.left._tag
}
const cluster = (sim: Simulator, id: string): DBCluster | undefined => sim.environment().clusters?.find((c) => c.DBClusterIdentifier === id)
const instance = (sim: Simulator, id: string) => sim.environment().instances.find((i) => i.DBInstanceIdentifier === id)

const restore = (id: string, source = 'shop-prod'): RdsOperation => ({
  op: 'RestoreDBClusterToPointInTime',
  id,
  request: {
    DBClusterIdentifier: id, SourceDBClusterIdentifier: source, RestoreType: 'copy-on-write', UseLatestRestorableTime: true,
    DBSubnetGroupName: 'staging-db-subnets', VpcSecurityGroupIds: ['sg-1'], DBClusterParameterGroupName: 'pg', Port: 5433,
    Tags: [{ Key: 'k', Value: 'v' }], DeletionProtection: true,
  },
})
const create = (id: string, clusterId: string): RdsOperation => ({
  op: 'CreateDBInstance',
  id,
  request: { DBInstanceIdentifier: id, DBInstanceClass: 'db.r6g.large', Engine: 'aurora-postgresql', DBClusterIdentifier: clusterId, PromotionTier: 0, Tags: [{ Key: 'm', Value: '1' }] },
})

/** A restored cluster `temp` with one instance `temp-1`, both available. */
const restored = async (): Promise<Simulator> => {
  const sim = simulate(fixture('aurora'))
  assert.is(await send(sim, restore('temp')), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  assert.is(await send(sim, create('temp-1', 'temp')), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.createInstance)
  return sim
}

test('a restore: creating for the restore time, then available with no members, the request\'s settings and tags, the source\'s data', async () => {
  const sim = simulate(fixture('aurora'))
  assert.is(await send(sim, restore('temp')), 'ok')
  assert.is(cluster(sim, 'temp')?.Status, 'creating')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore - 1)
  assert.is(cluster(sim, 'temp')?.Status, 'creating')
  await sim.clock.sleep(1)
  const c = cluster(sim, 'temp')!
  assert.is(c.Status, 'available')
  assert.equal(c.DBClusterMembers, [])
  assert.is(c.DBSubnetGroup, 'staging-db-subnets')
  assert.equal(c.VpcSecurityGroups, [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }])
  assert.is(c.DBClusterParameterGroup, 'pg')
  assert.is(c.Port, 5433)
  assert.is(c.DeletionProtection, true)
  assert.is(c.Engine, 'aurora-postgresql')
  assert.is(c.DBClusterArn, `${ARN}:cluster:temp`)
  assert.equal(c.TagList, [{ Key: 'k', Value: 'v' }])
  assert.is(sim.dataOf('temp'), 'shop-prod')
})

test('a restore is refused from a missing or busy source, into a taken name, or from a cluster without instances', async () => {
  const sim = simulate(fixture('aurora'))
  assert.is(await send(sim, restore('temp', 'nope')), 'DBClusterNotFoundFault')
  assert.is(await send(sim, restore('shop-staging')), 'DBClusterAlreadyExistsFault')
  assert.is(await send(sim, restore('temp')), 'ok')
  assert.is(await send(sim, restore('temp2', 'temp')), 'InvalidDBClusterStateFault')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  assert.is(await send(sim, restore('temp2', 'temp')), 'InvalidDBClusterStateFault')
})

test('CreateDBInstance into a cluster: refused until it is available; the first member is the writer; data of the cluster', async () => {
  const sim = simulate(fixture('aurora'))
  assert.is(await send(sim, create('x-1', 'nope')), 'DBClusterNotFoundFault')
  await send(sim, restore('temp'))
  assert.is(await send(sim, create('temp-1', 'temp')), 'InvalidDBClusterStateFault')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  assert.is(await send(sim, create('temp-1', 'temp')), 'ok')
  assert.is(await send(sim, create('shop-prod-1', 'temp')), 'DBInstanceAlreadyExists')
  assert.is(instance(sim, 'temp-1')?.DBInstanceStatus, 'creating')
  assert.is(await send(sim, create('temp-2', 'temp')), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.createInstance)
  const i = instance(sim, 'temp-1')!
  assert.is(i.DBInstanceStatus, 'available')
  assert.is(i.DBClusterIdentifier, 'temp')
  assert.equal(i.TagList, [{ Key: 'm', Value: '1' }])
  assert.equal(cluster(sim, 'temp')?.DBClusterMembers, [
    { DBInstanceIdentifier: 'temp-1', IsClusterWriter: true, PromotionTier: 0, DBClusterParameterGroupStatus: 'in-sync' },
    { DBInstanceIdentifier: 'temp-2', IsClusterWriter: false, PromotionTier: 0, DBClusterParameterGroupStatus: 'in-sync' },
  ])
  assert.is(sim.dataOf('temp-1'), 'shop-prod')
  assert.is(sim.dataOf('shop-staging-1'), 'shop-staging')
})

test('ModifyDBCluster: settings after a modifying period; refused while busy', async () => {
  const sim = await restored()
  const modify: RdsOperation = { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', BackupRetentionPeriod: 9, PreferredBackupWindow: '01:00-01:30', ApplyImmediately: true } }
  assert.is(await send(sim, modify), 'ok')
  assert.is(cluster(sim, 'temp')?.Status, 'modifying')
  assert.is(await send(sim, modify), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, { op: 'AddRoleToDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', RoleArn: 'arn:aws:iam::1:role/r' } }), 'InvalidDBClusterStateFault')
  await sim.clock.sleep(TYPICAL_DURATIONS.modify)
  const c = cluster(sim, 'temp')!
  assert.is(c.Status, 'available')
  assert.is(c.BackupRetentionPeriod, 9)
  assert.is(c.PreferredBackupWindow, '01:00-01:30')
})

test('a cluster rename: under the new name at once (renaming, then available), members follow; a member rename keeps membership', async () => {
  const sim = await restored()
  const rename: RdsOperation = { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', NewDBClusterIdentifier: 'shop-staging', ApplyImmediately: true } }
  assert.is(await send(sim, rename), 'DBClusterAlreadyExistsFault')
  const away: RdsOperation = { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', NewDBClusterIdentifier: 'temp-renamed', ApplyImmediately: true } }
  assert.is(await send(sim, away), 'ok')
  assert.is(cluster(sim, 'temp'), undefined)
  assert.is(cluster(sim, 'temp-renamed')?.Status, 'renaming')
  assert.is(cluster(sim, 'temp-renamed')?.Endpoint?.startsWith('temp-renamed.cluster-'), true)
  assert.is(instance(sim, 'temp-1')?.DBClusterIdentifier, 'temp-renamed')
  await sim.clock.sleep(TYPICAL_DURATIONS.rename)
  assert.is(cluster(sim, 'temp-renamed')?.Status, 'available')
  assert.is(sim.dataOf('temp-renamed'), 'shop-prod')
  assert.is(
    await send(sim, { op: 'ModifyDBInstance', id: 'temp-1', request: { DBInstanceIdentifier: 'temp-1', NewDBInstanceIdentifier: 'temp-one', ApplyImmediately: true } }),
    'ok',
  )
  await sim.clock.sleep(TYPICAL_DURATIONS.rename)
  assert.equal(cluster(sim, 'temp-renamed')?.DBClusterMembers?.map((m) => [m.DBInstanceIdentifier, m.IsClusterWriter]), [['temp-one', true]])
  assert.is(instance(sim, 'temp-one')?.DBClusterIdentifier, 'temp-renamed')
})

test('AddRoleToDBCluster: pending, then active; the same role twice is refused', async () => {
  const sim = await restored()
  const role: RdsOperation = { op: 'AddRoleToDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', RoleArn: 'arn:aws:iam::1:role/r', FeatureName: 's3Import' } }
  assert.is(await send(sim, role), 'ok')
  assert.equal(cluster(sim, 'temp')?.AssociatedRoles, [{ RoleArn: 'arn:aws:iam::1:role/r', FeatureName: 's3Import', Status: 'PENDING' }])
  await sim.clock.sleep(TYPICAL_DURATIONS.addRole)
  assert.equal(cluster(sim, 'temp')?.AssociatedRoles, [{ RoleArn: 'arn:aws:iam::1:role/r', FeatureName: 's3Import', Status: 'ACTIVE' }])
  assert.is(await send(sim, role), 'DBClusterRoleAlreadyExistsFault')
})

test('tags on a cluster ARN: AddTagsToResource and ListTagsForResource', async () => {
  const sim = simulate(fixture('aurora'))
  assert.is(await send(sim, { op: 'AddTagsToResource', id: 'shop-staging', request: { ResourceName: `${ARN}:cluster:shop-staging`, Tags: [{ Key: 'owner', Value: 'me' }] } }), 'ok')
  const tags = await sim.listTagsForResource(`${ARN}:cluster:shop-staging`)()
  assert.equal(tags, E.right([{ Key: 'environment', Value: 'staging' }, { Key: 'service', Value: 'shop' }, { Key: 'owner', Value: 'me' }]))
  assert.is(await send(sim, { op: 'AddTagsToResource', id: 'nope', request: { ResourceName: `${ARN}:cluster:nope`, Tags: [] } }), 'DBClusterNotFoundFault')
})

test('DeleteDBCluster: refused with members, with deletion protection, without a final snapshot choice; a member delete leaves the cluster', async () => {
  const sim = await restored()
  const del = (request: Record<string, unknown>): RdsOperation => ({ op: 'DeleteDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', ...request } })
  assert.is(await send(sim, del({ SkipFinalSnapshot: true })), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, { op: 'DeleteDBInstance', id: 'temp-1', request: { DBInstanceIdentifier: 'temp-1', SkipFinalSnapshot: true } }), 'ok')
  assert.is(cluster(sim, 'temp')?.DBClusterMembers?.length, 1)
  await sim.clock.sleep(TYPICAL_DURATIONS.delete)
  assert.equal(cluster(sim, 'temp')?.DBClusterMembers, [])
  assert.is(await send(sim, del({ SkipFinalSnapshot: true })), 'InvalidParameterCombination')
  assert.is(await send(sim, { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', DeletionProtection: false, ApplyImmediately: true } }), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.modify)
  assert.is(await send(sim, del({})), 'InvalidParameterCombination')
  assert.is(await send(sim, del({ FinalDBSnapshotIdentifier: 'temp-final' })), 'ok')
  assert.is(cluster(sim, 'temp')?.Status, 'deleting')
  assert.is(await send(sim, del({ SkipFinalSnapshot: true })), 'InvalidDBClusterStateFault')
  await sim.clock.sleep(TYPICAL_DURATIONS.delete)
  assert.is(cluster(sim, 'temp'), undefined)
  assert.is(sim.dataOf('temp'), undefined)
})

test('DeleteDBCluster with FinalDBSnapshotIdentifier: a cluster snapshot, creating until the cluster is gone, then available, of its data; the name once only', async () => {
  const sim = await restored()
  assert.equal(sim.clusterSnapshots(), [])
  assert.is(await send(sim, { op: 'DeleteDBInstance', id: 'temp-1', request: { DBInstanceIdentifier: 'temp-1', SkipFinalSnapshot: true } }), 'ok')
  assert.is(await send(sim, { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', DeletionProtection: false, ApplyImmediately: true } }), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.delete)
  const at = sim.clock.now()
  const prod = cluster(sim, 'shop-prod')!
  assert.is(await send(sim, { op: 'DeleteDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', FinalDBSnapshotIdentifier: 'temp-final' } }), 'ok')
  assert.equal(sim.clusterSnapshots(), [
    {
      DBClusterSnapshotIdentifier: 'temp-final',
      DBClusterIdentifier: 'temp',
      DBClusterSnapshotArn: `${ARN}:cluster-snapshot:temp-final`,
      Status: 'creating',
      SnapshotType: 'manual',
      SnapshotCreateTime: new Date(at).toISOString(),
      Engine: 'aurora-postgresql',
      EngineVersion: prod.EngineVersion!,
      StorageEncrypted: prod.StorageEncrypted!,
      KmsKeyId: prod.KmsKeyId!,
      Port: 5433,
      MasterUsername: prod.MasterUsername!,
    },
  ])
  await sim.clock.sleep(TYPICAL_DURATIONS.delete - 1)
  assert.is(sim.clusterSnapshots()[0]?.Status, 'creating')
  await sim.clock.sleep(1)
  assert.is(cluster(sim, 'temp'), undefined)
  assert.equal(sim.clusterSnapshots().map((s) => [s.DBClusterSnapshotIdentifier, s.Status]), [['temp-final', 'available']])
  assert.is(sim.dataOf('temp-final'), 'shop-prod')
  // describe of instance snapshots is another thing: the cluster snapshot is not there
  assert.equal(sim.environment().snapshots.filter((s) => s.DBSnapshotIdentifier === 'temp-final'), [])
  // the same name again is refused
  const again = await restored()
  await send(again, { op: 'DeleteDBInstance', id: 'temp-1', request: { DBInstanceIdentifier: 'temp-1', SkipFinalSnapshot: true } })
  await send(again, { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', DeletionProtection: false, ApplyImmediately: true } })
  await again.clock.sleep(TYPICAL_DURATIONS.delete)
  assert.is(await send(again, { op: 'DeleteDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', FinalDBSnapshotIdentifier: 'temp-final' } }), 'ok')
  await send(again, restore('temp2'))
  await again.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  await send(again, { op: 'ModifyDBCluster', id: 'temp2', request: { DBClusterIdentifier: 'temp2', DeletionProtection: false, ApplyImmediately: true } })
  await again.clock.sleep(TYPICAL_DURATIONS.modify)
  assert.is(await send(again, { op: 'DeleteDBCluster', id: 'temp2', request: { DBClusterIdentifier: 'temp2', FinalDBSnapshotIdentifier: 'temp-final' } }), 'DBClusterSnapshotAlreadyExistsFault')
})

test('injected failures on cluster actions: a restore, a create and a modify end in a failed status and stay there; the failed cluster takes no instance, can be deleted, not snapshotted', async () => {
  const failures: InjectedFailure[] = [
    { op: 'RestoreDBClusterToPointInTime', id: 'temp', kind: 'status', status: 'inaccessible-encryption-credentials' },
    { op: 'ModifyDBCluster', id: 'temp2', kind: 'status', status: 'failed' },
    { op: 'CreateDBCluster', id: 'fresh', kind: 'status', status: 'failed' },
  ]
  const sim = simulate(fixture('aurora'), { failures })
  const unprotected = (id: string): RdsOperation => {
    const o = restore(id)
    return { ...o, request: { ...o.request, DeletionProtection: false } } as RdsOperation
  }
  assert.is(await send(sim, unprotected('temp')), 'ok')
  assert.is(await send(sim, unprotected('temp2')), 'ok')
  assert.is(await send(sim, {
    op: 'CreateDBCluster', id: 'fresh',
    request: { DBClusterIdentifier: 'fresh', Engine: 'aurora-postgresql', MasterUsername: 'u', MasterUserPassword: 'long-enough-pw' as unknown as SecretRef },
  }), 'ok')
  assert.is(cluster(sim, 'temp')?.Status, 'creating')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  assert.is(cluster(sim, 'temp')?.Status, 'inaccessible-encryption-credentials')
  assert.is(cluster(sim, 'temp2')?.Status, 'available')
  assert.is(cluster(sim, 'fresh')?.Status, 'failed')
  // a modify that fails: the settings stay as they were
  assert.is(await send(sim, { op: 'ModifyDBCluster', id: 'temp2', request: { DBClusterIdentifier: 'temp2', BackupRetentionPeriod: 9, ApplyImmediately: true } }), 'ok')
  assert.is(cluster(sim, 'temp2')?.Status, 'modifying')
  await sim.clock.sleep(TYPICAL_DURATIONS.modify)
  assert.is(cluster(sim, 'temp2')?.Status, 'failed')
  assert.is(cluster(sim, 'temp2')?.BackupRetentionPeriod, 1)
  // they stay failed
  await sim.clock.sleep(24 * 3_600_000)
  assert.equal(['temp', 'temp2', 'fresh'].map((id) => cluster(sim, id)?.Status), ['inaccessible-encryption-credentials', 'failed', 'failed'])
  assert.is(await send(sim, create('temp-1', 'temp')), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', BackupRetentionPeriod: 2, ApplyImmediately: true } }), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, { op: 'DeleteDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', FinalDBSnapshotIdentifier: 'temp-final' } }), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, { op: 'DeleteDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', SkipFinalSnapshot: true } }), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.delete)
  assert.is(cluster(sim, 'temp'), undefined)
  // the other clusters never saw a failure
  assert.equal(sim.environment().clusters?.filter((c) => c.DBClusterIdentifier.startsWith('shop-')).map((c) => c.Status), ['available', 'available'])
})

test('injected errors on cluster actions: the call fails with the code the given number of times, naming the cluster (or any with *)', async () => {
  const failures: InjectedFailure[] = [
    { op: 'RestoreDBClusterToPointInTime', id: 'temp', kind: 'error', code: 'InsufficientDBClusterCapacityFault', times: 2 },
    { op: 'ModifyDBCluster', id: 'temp', kind: 'error', code: 'InvalidDBClusterStateFault' },
    { op: 'AddRoleToDBCluster', id: '*', kind: 'error', code: 'AccessDenied', message: 'not allowed' },
    { op: 'DeleteDBCluster', id: 'shop-staging', kind: 'error', code: 'InvalidParameterCombination' },
    { op: 'CreateDBCluster', id: 'fresh', kind: 'error', code: 'StorageQuotaExceeded' },
  ]
  const sim = simulate(fixture('aurora'), { failures })
  assert.is(await send(sim, restore('other')), 'ok')
  assert.is(await send(sim, restore('temp')), 'InsufficientDBClusterCapacityFault')
  assert.is(await send(sim, restore('temp')), 'InsufficientDBClusterCapacityFault')
  assert.is(cluster(sim, 'temp'), undefined)
  assert.is(await send(sim, restore('temp')), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  const modify: RdsOperation = { op: 'ModifyDBCluster', id: 'temp', request: { DBClusterIdentifier: 'temp', BackupRetentionPeriod: 9, ApplyImmediately: true } }
  assert.is(await send(sim, modify), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, modify), 'ok')
  const r = await sim.send({ op: 'AddRoleToDBCluster', id: 'other', request: { DBClusterIdentifier: 'other', RoleArn: 'arn:aws:iam::1:role/r' } })()
  assert.equal(r, E.left({ _tag: 'Api', action: 'AddRoleToDBCluster', code: 'AccessDenied', message: 'not allowed' }))
  assert.is(await send(sim, { op: 'DeleteDBCluster', id: 'shop-staging', request: { DBClusterIdentifier: 'shop-staging', SkipFinalSnapshot: true } }), 'InvalidParameterCombination')
  assert.is(await send(sim, {
    op: 'CreateDBCluster', id: 'fresh',
    request: { DBClusterIdentifier: 'fresh', Engine: 'aurora-postgresql', MasterUsername: 'u', MasterUserPassword: 'long-enough-pw' as unknown as SecretRef },
  }), 'StorageQuotaExceeded')
  assert.is(cluster(sim, 'fresh'), undefined)
  assert.equal(sim.calls().filter((c) => c.action === 'RestoreDBClusterToPointInTime').map((c) => c.outcome), ['ok', 'InsufficientDBClusterCapacityFault', 'InsufficientDBClusterCapacityFault', 'ok'])
})

const PASSWORD = 'N3w-master-passw0rd'
/** A password as it reaches the port: the interpreter has replaced the plan's {fromSecret} with the value. */
const wirePassword = (pw: string) => pw as unknown as SecretRef
const modifyPassword = (id: string, request: Record<string, unknown>): RdsOperation =>
  ({ op: 'ModifyDBCluster', id, request: { DBClusterIdentifier: id, ApplyImmediately: true, ...request } }) as RdsOperation

test('ModifyDBCluster MasterUserPassword: resetting-master-credentials for a short while, then available; the password is kept nowhere describe or the log shows', async () => {
  const sim = await restored()
  assert.equal(sim.masterCredentials('temp'), { sets: 0, lastSetAt: undefined, managed: false })
  const at = sim.clock.now()
  assert.is(await send(sim, modifyPassword('temp', { MasterUserPassword: wirePassword(PASSWORD) })), 'ok')
  assert.is(cluster(sim, 'temp')?.Status, 'resetting-master-credentials')
  // busy meanwhile, as RDS answers
  assert.is(await send(sim, modifyPassword('temp', { BackupRetentionPeriod: 9 })), 'InvalidDBClusterStateFault')
  assert.is(await send(sim, create('temp-2', 'temp')), 'InvalidDBClusterStateFault')
  assert.is(AWS_DURATIONS.resetMasterCredentials >= 60_000 && AWS_DURATIONS.resetMasterCredentials <= 120_000, true)
  await sim.clock.sleep(AWS_DURATIONS.resetMasterCredentials - 1)
  assert.is(cluster(sim, 'temp')?.Status, 'resetting-master-credentials')
  assert.equal(sim.masterCredentials('temp'), { sets: 0, lastSetAt: undefined, managed: false })
  await sim.clock.sleep(1)
  const c = cluster(sim, 'temp')!
  assert.is(c.Status, 'available')
  assert.is(c.MasterUserSecret, undefined)
  assert.equal(sim.masterCredentials('temp'), { sets: 1, lastSetAt: at + AWS_DURATIONS.resetMasterCredentials, managed: false })
  assert.ok(sim.masterPasswordIs('temp', PASSWORD))
  assert.not.ok(sim.masterPasswordIs('temp', `${PASSWORD}x`))
  assert.not.ok(sim.masterPasswordIs('shop-prod', PASSWORD))
  // nowhere to be read: describe, the environment, the call log
  const described = await sim.describeDBClusters()()
  const everything = JSON.stringify([described, sim.environment(), sim.calls(), sim.masterCredentials('temp'), sim.clusterSnapshots()])
  assert.not.ok(everything.includes(PASSWORD))
  assert.equal(sim.calls().find((x) => x.action === 'ModifyDBCluster')?.input, { DBClusterIdentifier: 'temp', ApplyImmediately: true, MasterUserPassword: '***' })
  // with settings too: both apply, after the longer of the two
  assert.is(await send(sim, modifyPassword('temp', { MasterUserPassword: wirePassword(`${PASSWORD}2`), BackupRetentionPeriod: 9 })), 'ok')
  assert.is(cluster(sim, 'temp')?.Status, 'resetting-master-credentials')
  await sim.clock.sleep(Math.max(AWS_DURATIONS.modify, AWS_DURATIONS.resetMasterCredentials))
  assert.equal([cluster(sim, 'temp')?.Status, cluster(sim, 'temp')?.BackupRetentionPeriod], ['available', 9])
  assert.is(sim.masterCredentials('temp')?.sets, 2)
  assert.ok(sim.masterPasswordIs('temp', `${PASSWORD}2`))
  assert.not.ok(sim.masterPasswordIs('temp', PASSWORD))
  // a clone of it keeps its master password
  assert.is(await send(sim, restore('clone', 'temp')), 'ok')
  await sim.clock.sleep(TYPICAL_DURATIONS.clusterRestore)
  assert.ok(sim.masterPasswordIs('clone', `${PASSWORD}2`))
})

test('ModifyDBCluster ManageMasterUserPassword: the cluster shows its Secrets Manager secret (creating, then active); the refused combinations', async () => {
  const sim = await restored()
  assert.is(await send(sim, modifyPassword('temp', { MasterUserPassword: wirePassword(PASSWORD), ManageMasterUserPassword: true })), 'InvalidParameterCombination')
  assert.is(await send(sim, modifyPassword('temp', { MasterUserPassword: wirePassword('short') })), 'InvalidParameterValue')
  assert.is(cluster(sim, 'temp')?.Status, 'available')
  assert.is(await send(sim, modifyPassword('temp', { ManageMasterUserPassword: true })), 'ok')
  let c = cluster(sim, 'temp')!
  assert.is(c.Status, 'resetting-master-credentials')
  const arn = c.MasterUserSecret?.SecretArn ?? ''
  assert.match(arn, /^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[A-Za-z0-9]{6}$/)
  assert.is(c.MasterUserSecret?.SecretStatus, 'creating')
  await sim.clock.sleep(AWS_DURATIONS.resetMasterCredentials)
  c = cluster(sim, 'temp')!
  assert.is(c.Status, 'available')
  assert.equal(c.MasterUserSecret, { SecretArn: arn, SecretStatus: 'active' })
  assert.equal(sim.masterCredentials('temp'), { sets: 1, lastSetAt: sim.clock.now(), managed: true })
  assert.not.ok(sim.masterPasswordIs('temp', PASSWORD))
  // managed: a password of one's own only with management turned off
  assert.is(await send(sim, modifyPassword('temp', { MasterUserPassword: wirePassword(PASSWORD) })), 'InvalidParameterCombination')
  assert.is(await send(sim, modifyPassword('temp', { ManageMasterUserPassword: false })), 'InvalidParameterCombination')
  assert.is(await send(sim, modifyPassword('temp', { MasterUserPassword: wirePassword(PASSWORD), ManageMasterUserPassword: false })), 'ok')
  await sim.clock.sleep(AWS_DURATIONS.resetMasterCredentials)
  c = cluster(sim, 'temp')!
  assert.is(c.MasterUserSecret, undefined)
  assert.equal([c.Status, sim.masterCredentials('temp')?.sets, sim.masterCredentials('temp')?.managed], ['available', 2, false])
  assert.ok(sim.masterPasswordIs('temp', PASSWORD))
  // CreateDBCluster with ManageMasterUserPassword shows the secret too
  assert.is(await send(sim, { op: 'CreateDBCluster', id: 'fresh', request: { DBClusterIdentifier: 'fresh', Engine: 'aurora-postgresql', MasterUsername: 'u', ManageMasterUserPassword: true } }), 'ok')
  assert.is(cluster(sim, 'fresh')?.MasterUserSecret?.SecretStatus, 'creating')
  await sim.clock.sleep(TYPICAL_DURATIONS.createCluster)
  assert.is(cluster(sim, 'fresh')?.MasterUserSecret?.SecretStatus, 'active')
  assert.equal(sim.masterCredentials('fresh'), { sets: 1, lastSetAt: sim.clock.now(), managed: true })
})

test.run()
