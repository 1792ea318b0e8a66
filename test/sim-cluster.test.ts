/**
 * The simulator's Aurora clusters: a copy-on-write restore, instances created into a cluster,
 * cluster settings and renames, roles, deletes, and the refusals RDS answers a busy cluster with.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster } from '../src/plan/domain.js'
import type { RdsOperation } from '../src/plan/operations.js'
import { TYPICAL_DURATIONS } from '../src/plan/durations.js'
import { simulate, type Simulator } from '../src/sim/simulator.js'
import { fixture } from './support/fixtures.js'

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

test.run()
