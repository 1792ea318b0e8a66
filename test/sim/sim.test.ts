import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { DBInstance, type Environment } from '../../src/plan/domain.js'
import { instanceSettings, settingDifferences } from '../../src/plan/settings.js'
import { renameTarget, type RdsOperation } from '../../src/plan/operations.js'
import { type Plan } from '../../src/plan/plan.js'
import { predict } from '../../src/plan/predict/step.js'
import { renderRdsError, type RdsError } from '../../src/interpret/capabilities.js'
import { AWS_DURATIONS } from '../../src/plan/rds-facts.js'
import { simulate, type SimOptions, type Simulator } from '../../src/sim/simulator.js'
import { fixture, plan, withInstance } from '../support/fixtures.js'

const demo = fixture('demo')
const cascade = fixture('mysql-cascade')
const postgres = fixture('postgres')
const crossVpc = fixture('cross-vpc')

const MIN = 60_000
const quiet: SimOptions = { throttle: false }

// ---- helpers

const ok = async <A>(te: TE.TaskEither<RdsError, A>): Promise<A> => {
  const r = await te()
  if (E.isLeft(r)) throw new Error(renderRdsError(r.left))
  return r.right
}

/** The call's error as `code: message`; fails the test when the call succeeds. */
const refused = async (te: TE.TaskEither<RdsError, unknown>): Promise<string> => {
  const r = await te()
  if (E.isRight(r)) throw new Error('expected the call to be refused')
  return r.left._tag === 'Api' ? `${r.left.code}: ${r.left.message}` : renderRdsError(r.left)
}

const one = async (sim: Simulator, id: string): Promise<DBInstance | undefined> => (await ok(sim.describeDBInstances([id])))[0]
const statusOf = async (sim: Simulator, id: string): Promise<string | undefined> => (await one(sim, id))?.DBInstanceStatus
const must = async (sim: Simulator, id: string): Promise<DBInstance> => {
  const i = await one(sim, id)
  if (i === undefined) throw new Error(`${id} is not there`)
  return i
}

const replica = (id: string, source: string, more: Record<string, unknown> = {}): RdsOperation =>
  ({ op: 'CreateDBInstanceReadReplica', id, request: { DBInstanceIdentifier: id, SourceDBInstanceIdentifier: source, ...more } }) as RdsOperation
const modify = (id: string, more: Record<string, unknown>): RdsOperation =>
  ({ op: 'ModifyDBInstance', id, request: { DBInstanceIdentifier: id, ApplyImmediately: true, ...more } }) as RdsOperation
const rename = (id: string, to: string): RdsOperation => modify(id, { NewDBInstanceIdentifier: to })
const promote = (id: string, more: Record<string, unknown> = {}): RdsOperation =>
  ({ op: 'PromoteReadReplica', id, request: { DBInstanceIdentifier: id, ...more } }) as RdsOperation
const remove = (id: string, more: Record<string, unknown> = { SkipFinalSnapshot: true }): RdsOperation =>
  ({ op: 'DeleteDBInstance', id, request: { DBInstanceIdentifier: id, ...more } }) as RdsOperation
const restore = (id: string, snapshot: string, more: Record<string, unknown> = {}): RdsOperation =>
  ({ op: 'RestoreDBInstanceFromDBSnapshot', id, request: { DBInstanceIdentifier: id, DBSnapshotIdentifier: snapshot, ...more } }) as RdsOperation
const tag = (arn: string, tags: Array<{ Key: string; Value: string }>): RdsOperation =>
  ({ op: 'AddTagsToResource', id: arn, request: { ResourceName: arn, Tags: tags } }) as RdsOperation

/** Sleeps the simulator's clock in 30 s polls until `done` holds (at most a day of virtual time). */
const until = async (sim: Simulator, done: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 2880; i++) {
    if (await done()) return
    await sim.clock.sleep(30_000)
  }
  throw new Error('still waiting after a virtual day')
}
const availableAll = (sim: Simulator, ids: ReadonlyArray<string>) => async () => {
  const seen = await ok(sim.describeDBInstances(ids))
  return ids.every((id) => seen.some((i) => i.DBInstanceIdentifier === id && i.DBInstanceStatus === 'available'))
}
const goneAll = (sim: Simulator, ids: ReadonlyArray<string>) => async () => (await ok(sim.describeDBInstances(ids))).length === 0

const sortKeys = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(sortKeys)
    : typeof u === 'object' && u !== null
      ? Object.fromEntries(Object.entries(u).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortKeys(v)]))
      : u

// ---- describe

test('describe answers the fixture as it is, and every instance decodes with the DBInstance codec', async () => {
  for (const env of [demo, cascade, postgres, crossVpc]) {
    const sim = simulate(env, quiet)
    const seen = await ok(sim.describeDBInstances())
    assert.is(seen.length, env.instances.length)
    for (const i of seen) assert.ok(E.isRight(DBInstance.decode(i)), i.DBInstanceIdentifier)
    // exactly the fixture's documents (ARN, Endpoint, DBSubnetGroup, TagList, links and the fields nobody reads)
    assert.equal(sortKeys(seen), sortKeys(env.instances))
    assert.equal(sim.environment().snapshots, env.snapshots)
  }
})

test('describe with ids returns only those that exist, without an error for the others, whatever their case', async () => {
  const sim = simulate(demo, quiet)
  const seen = await ok(sim.describeDBInstances(['nope', 'Mitosis-Demo', 'mitosis-prod']))
  assert.equal(seen.map((i) => i.DBInstanceIdentifier), ['mitosis-prod', 'mitosis-demo'])
  assert.equal(await ok(sim.describeDBInstances(['nope'])), [])
})

test('tags and snapshots are read as RDS answers them; an unknown ARN is DBInstanceNotFound', async () => {
  const sim = simulate(demo, quiet)
  const demoArn = (await must(sim, 'mitosis-demo')).DBInstanceArn!
  assert.equal(await ok(sim.listTagsForResource(demoArn)), demo.tags['mitosis-demo'])
  assert.is(await refused(sim.listTagsForResource('arn:aws:rds:us-east-1:123456789012:db:nope')), 'DBInstanceNotFound: DBInstance nope not found.')
  assert.equal((await ok(sim.describeDBSnapshots('mitosis-prod'))).map((s) => s.DBSnapshotIdentifier), [
    'rds:mitosis-prod-2026-11-21-06-10',
    'rds:mitosis-prod-2026-11-22-06-10',
  ])
  assert.equal(await ok(sim.describeDBSnapshots('nope')), [])
})

test('plan mode keeps working: simulate seeds the simulator from the environment', async () => {
  const port = simulate(demo)
  assert.equal(sortKeys(await ok(port.describeDBInstances())), sortKeys(demo.instances))
  assert.equal(port.calls().map((c) => [c.action, c.outcome]), [['DescribeDBInstances', 'ok']])
})

// ---- the clock

test('the clock is virtual: hours of sleep pass at once, and concurrent sleeps overlap', async () => {
  const sim = simulate(demo, quiet)
  assert.is(sim.clock.now(), Date.parse('2026-11-22T12:00:00Z'))
  const wall = Date.now()
  await sim.clock.sleep(5 * 60 * MIN)
  assert.is(sim.clock.elapsed(), 5 * 60 * MIN)
  await Promise.all([sim.clock.sleep(MIN), sim.clock.sleep(MIN), sim.clock.sleep(30_000)])
  assert.is(sim.clock.elapsed(), 5 * 60 * MIN + MIN)
  assert.ok(Date.now() - wall < 1000)
  assert.is(simulate(demo, { start: 0 }).clock.now(), 0)
})

// ---- read replicas

test('a read replica is creating for the createReplica duration, then available; the link is set on both sides at once', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send(replica('temp-mitosis-demo', 'mitosis-prod', { DBInstanceClass: 'db.t4g.medium', Tags: [{ Key: 'a', Value: 'b' }] })))
  const fresh = await must(sim, 'temp-mitosis-demo')
  assert.is(fresh.DBInstanceStatus, 'creating')
  assert.is(fresh.Endpoint, undefined, 'no endpoint while creating')
  assert.is(fresh.ReadReplicaSourceDBInstanceIdentifier, 'mitosis-prod')
  assert.equal((await must(sim, 'mitosis-prod')).ReadReplicaDBInstanceIdentifiers, ['mitosis-prod-replica', 'temp-mitosis-demo'])
  await sim.clock.sleep(AWS_DURATIONS.createReplica - 1)
  assert.is(await statusOf(sim, 'temp-mitosis-demo'), 'creating')
  await sim.clock.sleep(1)
  const done = await must(sim, 'temp-mitosis-demo')
  assert.is(done.DBInstanceStatus, 'available')
  assert.ok(E.isRight(DBInstance.decode(done)))
  assert.is(done.DBInstanceArn, 'arn:aws:rds:us-east-1:123456789012:db:temp-mitosis-demo')
  assert.is(done.Endpoint?.Address, 'temp-mitosis-demo.abcdefghijkl.us-east-1.rds.amazonaws.com')
  assert.is(sim.dataOf('temp-mitosis-demo'), 'mitosis-prod')
  assert.is(sim.dataOf('mitosis-demo'), 'mitosis-demo')
  assert.is(sim.dataOf('nope'), undefined)
})

test('a replica takes the request\'s settings, else inherits the source\'s, else RDS\'s defaults; engine, storage and encryption come from the source', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send(replica('copy', 'mitosis-prod', {
    DBInstanceClass: 'db.t4g.medium', Port: 6432, VpcSecurityGroupIds: ['sg-1'], EnablePerformanceInsights: false,
    EnableCloudwatchLogsExports: ['postgresql'], OptionGroupName: 'og', Tags: [{ Key: 'k', Value: 'v' }],
    // not a member of CreateDBInstanceReadReplica: the SDK drops it, so RDS never sees it
    BackupRetentionPeriod: 9,
  })))
  const prod = await must(sim, 'mitosis-prod')
  const c = await must(sim, 'copy')
  assert.is(c.DBInstanceClass, 'db.t4g.medium')
  assert.equal(c.VpcSecurityGroups, [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }])
  assert.is(c.PerformanceInsightsEnabled, false)
  assert.equal(c.EnabledCloudwatchLogsExports, ['postgresql'])
  assert.equal(c.OptionGroupMemberships, [{ OptionGroupName: 'og', Status: 'in-sync' }])
  assert.equal(c.TagList, [{ Key: 'k', Value: 'v' }])
  // inherited
  assert.equal(c.DBParameterGroups, prod.DBParameterGroups)
  assert.equal(c.DBSubnetGroup, prod.DBSubnetGroup)
  for (const k of ['StorageType', 'Iops', 'StorageThroughput', 'CACertificateIdentifier', 'NetworkType', 'AutoMinorVersionUpgrade'] as const) assert.equal(c[k], prod[k], k)
  // from the source's data
  for (const k of ['Engine', 'EngineVersion', 'AllocatedStorage', 'StorageEncrypted', 'KmsKeyId', 'MasterUsername'] as const) assert.equal(c[k], prod[k], k)
  // defaults
  assert.is(c.BackupRetentionPeriod, 0)
  assert.is(c.DeletionProtection, false)
  assert.is(c.MultiAZ, false)
  assert.is(c.MonitoringInterval, 0)
  assert.is(c.MaxAllocatedStorage, undefined)
  await sim.clock.sleep(AWS_DURATIONS.createReplica)
  assert.is((await must(sim, 'copy')).Endpoint?.Port, 6432)
})

test('a replica is refused for a missing, busy or backup-less source, a taken or invalid name, a parameter group, a cascade too deep', async () => {
  const sim = simulate(demo, quiet)
  assert.is(await refused(sim.send(replica('x', 'nope'))), 'DBInstanceNotFound: DBInstance nope not found.')
  assert.is(
    await refused(sim.send(replica('x', 'mitosis-prod-replica'))),
    'InvalidDBInstanceState: Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
  )
  assert.is(await refused(sim.send(replica('mitosis-demo', 'mitosis-prod'))), 'DBInstanceAlreadyExists: DB instance already exists')
  assert.match(await refused(sim.send(replica('bad--name', 'mitosis-prod'))), /^InvalidParameterValue: The parameter DBInstanceIdentifier is not a valid identifier/)
  assert.match(await refused(sim.send(replica('x', 'mitosis-prod', { DBParameterGroupName: 'pg' }))), /^InvalidParameterCombination: /)
  assert.match(await refused(sim.send(replica('x', 'mitosis-prod', { DBSubnetGroupName: 'nope' }))), /^DBSubnetGroupNotFoundFault: /)
  assert.match(await refused(sim.send(replica('x', 'mitosis-prod', { MonitoringInterval: 60 }))), /^InvalidParameterCombination: A MonitoringRoleARN value is required/)
  await ok(sim.send(modify('mitosis-demo', { PreferredMaintenanceWindow: 'mon:01:00-mon:01:30' })))
  assert.is(await refused(sim.send(replica('x', 'mitosis-demo'))), 'InvalidDBInstanceState: Instance mitosis-demo is not in available state.')
  assert.equal(sim.calls().map((c) => c.outcome), [
    'DBInstanceNotFound', 'InvalidDBInstanceState', 'DBInstanceAlreadyExists', 'InvalidParameterValue', 'InvalidParameterCombination',
    'DBSubnetGroupNotFoundFault', 'InvalidParameterCombination', 'ok', 'InvalidDBInstanceState',
  ])
  assert.equal((await ok(sim.describeDBInstances())).length, demo.instances.length, 'nothing was created')
  // PostgreSQL before 14.1: replicas of the primary only
  const pg13 = { ...demo, instances: demo.instances.map((i) => (i.Engine === 'postgres' ? { ...i, EngineVersion: '13.15', BackupRetentionPeriod: 1 } : i)) }
  const old = simulate(pg13, quiet)
  assert.match(await refused(old.send(replica('x', 'mitosis-demo-replica'))), /^InvalidParameterCombination: Read replicas of postgres 13.15 can be at most 1/)
})

// ---- renames

test('a rename hands the name over at once: the old name is gone, the new one is renaming, then available', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send(rename('mitosis-demo', 'old-mitosis-demo')))
  assert.is(await one(sim, 'mitosis-demo'), undefined)
  const renamed = await must(sim, 'old-mitosis-demo')
  assert.is(renamed.DBInstanceStatus, 'renaming')
  assert.is(renamed.DBInstanceArn, 'arn:aws:rds:us-east-1:123456789012:db:old-mitosis-demo')
  assert.is(renamed.Endpoint?.Address, 'old-mitosis-demo.abcdefghijkl.us-east-1.rds.amazonaws.com')
  assert.equal(renamed.TagList, demo.tags['mitosis-demo'])
  assert.equal(await ok(sim.listTagsForResource(renamed.DBInstanceArn!)), demo.tags['mitosis-demo'])
  assert.is((await must(sim, 'mitosis-demo-replica')).ReadReplicaSourceDBInstanceIdentifier, 'old-mitosis-demo')
  assert.equal(renamed.ReadReplicaDBInstanceIdentifiers, ['mitosis-demo-replica'])
  assert.is(await refused(sim.send(modify('mitosis-demo', { DeletionProtection: false }))), 'DBInstanceNotFound: DBInstance mitosis-demo not found.')
  assert.is(await refused(sim.send(modify('old-mitosis-demo', { DeletionProtection: false }))), 'InvalidDBInstanceState: Instance old-mitosis-demo is not in available state.')
  assert.is(sim.dataOf('old-mitosis-demo'), 'mitosis-demo')
  // the name is free for someone else at once
  await ok(sim.send(rename('mitosis-prod-replica', 'mitosis-demo')))
  await sim.clock.sleep(AWS_DURATIONS.rename - 1)
  assert.is(await statusOf(sim, 'old-mitosis-demo'), 'renaming')
  await sim.clock.sleep(1)
  assert.is(await statusOf(sim, 'old-mitosis-demo'), 'available')
  assert.is(sim.dataOf('mitosis-demo'), 'mitosis-prod-replica')
  // a replica's rename changes its source's list
  assert.equal((await must(sim, 'mitosis-prod')).ReadReplicaDBInstanceIdentifiers, ['mitosis-demo'])
})

test('a rename needs a free, valid new name and an available instance', async () => {
  const sim = simulate(demo, quiet)
  assert.is(await refused(sim.send(rename('mitosis-demo', 'mitosis-prod'))), 'DBInstanceAlreadyExists: DB instance already exists')
  assert.match(await refused(sim.send(rename('mitosis-demo', 'old-'))), /^InvalidParameterValue: The parameter NewDBInstanceIdentifier is not a valid identifier/)
  assert.ok(await one(sim, 'mitosis-demo'))
  await ok(sim.send(rename('mitosis-demo', 'Old-Mitosis-Demo')))
  assert.ok(await one(sim, 'old-mitosis-demo'), 'stored lower-case')
  assert.is(await refused(sim.send(rename('old-mitosis-demo', 'x'))), 'InvalidDBInstanceState: Instance old-mitosis-demo is not in available state.')
})

test('a rename reboots: a parameter group left pending-reboot by a modify is in-sync after it', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send(modify('mitosis-demo', { DBParameterGroupName: 'new-pg' })))
  await sim.clock.sleep(AWS_DURATIONS.modify)
  assert.equal((await must(sim, 'mitosis-demo')).DBParameterGroups, [{ DBParameterGroupName: 'new-pg', ParameterApplyStatus: 'pending-reboot' }])
  await ok(sim.send(rename('mitosis-demo', 'renamed')))
  assert.equal((await must(sim, 'renamed')).DBParameterGroups, [{ DBParameterGroupName: 'new-pg', ParameterApplyStatus: 'pending-reboot' }])
  await sim.clock.sleep(AWS_DURATIONS.rename)
  assert.equal((await must(sim, 'renamed')).DBParameterGroups, [{ DBParameterGroupName: 'new-pg', ParameterApplyStatus: 'in-sync' }])
})

// ---- modify

test('a modify is modifying for its duration, then the settings apply under their describe names', async () => {
  const sim = simulate(demo, quiet)
  const request = {
    DBInstanceClass: 'db.r6g.xlarge', DBPortNumber: 5433, CloudwatchLogsExportConfiguration: { EnableLogTypes: ['upgrade'] },
    EnablePerformanceInsights: true, VpcSecurityGroupIds: ['sg-9'], DBParameterGroupName: 'pg2', OptionGroupName: 'og2',
    DeletionProtection: false, BackupRetentionPeriod: 5, PreferredBackupWindow: '01:00-01:30', PreferredMaintenanceWindow: 'wed:02:00-wed:02:30',
    MonitoringInterval: 30, MonitoringRoleArn: 'arn:aws:iam::123456789012:role/m', MaxAllocatedStorage: 900,
  }
  const before = await must(sim, 'mitosis-demo')
  await ok(sim.send(modify('mitosis-demo', request)))
  const during = await must(sim, 'mitosis-demo')
  assert.is(during.DBInstanceStatus, 'modifying')
  assert.is(during.DBInstanceClass, before.DBInstanceClass)
  await sim.clock.sleep(AWS_DURATIONS.modify)
  const after = await must(sim, 'mitosis-demo')
  assert.is(after.DBInstanceStatus, 'available')
  assert.is(after.DBInstanceClass, 'db.r6g.xlarge')
  assert.is(after.Endpoint?.Port, 5433)
  assert.equal(after.EnabledCloudwatchLogsExports, ['postgresql', 'upgrade'])
  assert.is(after.PerformanceInsightsEnabled, true)
  assert.equal(after.VpcSecurityGroups, [{ VpcSecurityGroupId: 'sg-9', Status: 'active' }])
  assert.equal(after.DBParameterGroups, [{ DBParameterGroupName: 'pg2', ParameterApplyStatus: 'pending-reboot' }])
  assert.equal(after.OptionGroupMemberships, [{ OptionGroupName: 'og2', Status: 'in-sync' }])
  assert.is(after.DeletionProtection, false)
  assert.is(after.BackupRetentionPeriod, 5)
  assert.is(after.PreferredBackupWindow, '01:00-01:30')
  assert.is(after.PreferredMaintenanceWindow, 'wed:02:00-wed:02:30')
  assert.is(after.MonitoringInterval, 30)
  assert.is(after.MaxAllocatedStorage, 900)
})

test('without ApplyImmediately the class change waits for the maintenance window (PendingModifiedValues)', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send({ op: 'ModifyDBInstance', id: 'mitosis-demo', request: { DBInstanceIdentifier: 'mitosis-demo', ApplyImmediately: false, DBInstanceClass: 'db.r6g.xlarge' } }))
  const i = (await must(sim, 'mitosis-demo')) as DBInstance & { PendingModifiedValues?: unknown }
  assert.is(i.DBInstanceStatus, 'available')
  assert.is(i.DBInstanceClass, 'db.t4g.medium')
  assert.equal(i.PendingModifiedValues, { DBInstanceClass: 'db.r6g.xlarge' })
})

// ---- promote

test('promote: only a replica, only when available; modifying for its duration, then the link is cleared on both sides and backups apply', async () => {
  const backingUp = withInstance(demo, 'mitosis-demo-replica', (i) => ({ ...i, DBInstanceStatus: 'backing-up' }))
  assert.is(await refused(simulate(backingUp, quiet).send(promote('mitosis-demo-replica'))), 'InvalidDBInstanceState: Instance mitosis-demo-replica is not in available state.')
  const sim = simulate(demo, quiet)
  assert.is(await refused(sim.send(promote('mitosis-demo'))), 'InvalidDBInstanceState: DB Instance mitosis-demo is not a read replica.')
  assert.is(await refused(sim.send(promote('nope'))), 'DBInstanceNotFound: DBInstance nope not found.')
  await ok(sim.send(promote('mitosis-demo-replica', { BackupRetentionPeriod: 3, PreferredBackupWindow: '02:00-02:30' })))
  const during = await must(sim, 'mitosis-demo-replica')
  assert.is(during.DBInstanceStatus, 'modifying')
  assert.is(during.ReadReplicaSourceDBInstanceIdentifier, 'mitosis-demo')
  await sim.clock.sleep(AWS_DURATIONS.promote)
  const after = await must(sim, 'mitosis-demo-replica')
  assert.is(after.DBInstanceStatus, 'available')
  assert.is(after.ReadReplicaSourceDBInstanceIdentifier, undefined)
  assert.equal((await must(sim, 'mitosis-demo')).ReadReplicaDBInstanceIdentifiers, [])
  assert.is(after.BackupRetentionPeriod, 3)
  assert.is(after.PreferredBackupWindow, '02:00-02:30')
})

// ---- delete

test('delete: refused without SkipFinalSnapshot or a final snapshot, and with deletion protection on', async () => {
  const sim = simulate(demo, quiet)
  assert.is(await refused(sim.send(remove('mitosis-demo-replica', {}))), 'InvalidParameterCombination: FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.')
  assert.is(await refused(sim.send(remove('mitosis-demo-replica', { SkipFinalSnapshot: false }))), 'InvalidParameterCombination: FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.')
  assert.is(
    await refused(sim.send(remove('mitosis-demo'))),
    'InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection and try again.',
  )
  assert.is(await refused(sim.send(remove('nope'))), 'DBInstanceNotFound: DBInstance nope not found.')
  assert.is(await statusOf(sim, 'mitosis-demo'), 'available')
})

test('delete: deleting for its duration, then gone; its replicas become standalone; a final snapshot appears', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send(modify('mitosis-demo', { DeletionProtection: false })))
  await sim.clock.sleep(AWS_DURATIONS.modify)
  await ok(sim.send(remove('mitosis-demo', { FinalDBSnapshotIdentifier: 'mitosis-demo-final' })))
  assert.is(await statusOf(sim, 'mitosis-demo'), 'deleting')
  assert.is(await refused(sim.send(remove('mitosis-demo'))), 'InvalidDBInstanceState: Instance mitosis-demo is already being deleted.')
  assert.equal((await ok(sim.describeDBSnapshots('mitosis-demo'))).map((s) => [s.DBSnapshotIdentifier, s.Status, s.SnapshotType]), [['mitosis-demo-final', 'creating', 'manual']])
  await sim.clock.sleep(AWS_DURATIONS.delete - 1)
  assert.is(await statusOf(sim, 'mitosis-demo'), 'deleting')
  assert.is((await must(sim, 'mitosis-demo-replica')).ReadReplicaSourceDBInstanceIdentifier, 'mitosis-demo')
  await sim.clock.sleep(1)
  assert.is(await one(sim, 'mitosis-demo'), undefined)
  assert.is((await must(sim, 'mitosis-demo-replica')).ReadReplicaSourceDBInstanceIdentifier, undefined)
  assert.equal((await ok(sim.describeDBSnapshots('mitosis-demo'))).map((s) => s.Status), ['available'])
  assert.is(await refused(sim.send(remove('mitosis-demo-replica', { FinalDBSnapshotIdentifier: 'mitosis-demo-final' }))), 'DBSnapshotAlreadyExists: Cannot create the snapshot because a snapshot with the identifier mitosis-demo-final already exists.')
})

// ---- restore

test('restore: the snapshot must exist and be available; creating for the restore duration, with the snapshot\'s data, in the requested subnet group', async () => {
  const sim = simulate(crossVpc, quiet)
  assert.is(await refused(sim.send(restore('x', 'nope'))), 'DBSnapshotNotFound: DBSnapshot nope not found.')
  assert.match(await refused(sim.send(restore('x', 'rds:ledger-prod-2026-11-23-04-00'))), /^InvalidDBSnapshotState: /)
  assert.is(await refused(sim.send(restore('ledger-sandbox', 'rds:ledger-prod-2026-11-22-04-00'))), 'DBInstanceAlreadyExists: DB instance already exists')
  await ok(sim.send(restore('temp-ledger-sandbox', 'rds:ledger-prod-2026-11-22-04-00', { DBSubnetGroupName: 'ledger-sandbox-subnets', DBInstanceClass: 'db.t4g.small' })))
  assert.is(await statusOf(sim, 'temp-ledger-sandbox'), 'creating')
  await sim.clock.sleep(AWS_DURATIONS.restore - 1)
  assert.is(await statusOf(sim, 'temp-ledger-sandbox'), 'creating')
  await sim.clock.sleep(1)
  const r = await must(sim, 'temp-ledger-sandbox')
  assert.is(r.DBInstanceStatus, 'available')
  assert.is(r.DBSubnetGroup?.VpcId, 'vpc-0sbx0000000000b')
  assert.is(r.DBInstanceClass, 'db.t4g.small')
  assert.is(r.AllocatedStorage, 250)
  assert.is(r.ReadReplicaSourceDBInstanceIdentifier, undefined)
  assert.is(sim.dataOf('temp-ledger-sandbox'), 'ledger-prod')
})

// ---- tags

test('AddTagsToResource merges tags at once by ARN, whatever the status', async () => {
  const sim = simulate(demo, quiet)
  await ok(sim.send(rename('mitosis-demo', 'old-mitosis-demo')))
  const arn = 'arn:aws:rds:us-east-1:123456789012:db:old-mitosis-demo'
  await ok(sim.send(tag(arn, [{ Key: 'environment', Value: 'old' }, { Key: 'mitosis:run', Value: 'r1' }])))
  const tags = await ok(sim.listTagsForResource(arn))
  assert.equal(tags.find((t) => t.Key === 'environment'), { Key: 'environment', Value: 'old' })
  assert.equal(tags.find((t) => t.Key === 'mitosis:run'), { Key: 'mitosis:run', Value: 'r1' })
  assert.is(tags.length, demo.tags['mitosis-demo']!.length + 1)
  assert.is(await refused(sim.send(tag('arn:aws:rds:us-east-1:123456789012:db:mitosis-demo', []))), 'DBInstanceNotFound: DBInstance mitosis-demo not found.')
})

// ---- throttling

test('every call, reads too, takes a token: past the burst it is Throttling until the bucket refills on virtual time', async () => {
  const sim = simulate(demo, { throttle: { burst: 5, perSecond: 1 } })
  for (let i = 0; i < 5; i++) await ok(sim.describeDBInstances())
  assert.is(await refused(sim.describeDBInstances()), 'Throttling: Rate exceeded')
  assert.is(await refused(sim.send(promote('mitosis-demo-replica'))), 'Throttling: Rate exceeded')
  await sim.clock.sleep(1000)
  await ok(sim.listTagsForResource('arn:aws:rds:us-east-1:123456789012:db:mitosis-demo'))
  assert.is(await refused(sim.describeDBSnapshots('mitosis-prod')), 'Throttling: Rate exceeded')
  assert.equal(sim.calls().map((c) => c.outcome), ['ok', 'ok', 'ok', 'ok', 'ok', 'Throttling', 'Throttling', 'ok', 'Throttling'])
  assert.is(await statusOf(simulate(demo, { throttle: { burst: 5, perSecond: 1 } }), 'mitosis-demo-replica'), 'available')
})

test('the default bucket is AWS\'s: 300 at once, then 12 a second', async () => {
  const sim = simulate(demo)
  for (let i = 0; i < 300; i++) await ok(sim.describeDBInstances(['mitosis-demo']))
  assert.is(await refused(sim.describeDBInstances()), 'Throttling: Rate exceeded')
  await sim.clock.sleep(1000)
  for (let i = 0; i < 12; i++) await ok(sim.describeDBInstances(['mitosis-demo']))
  assert.is(await refused(sim.describeDBInstances()), 'Throttling: Rate exceeded')
})

test('during a storm every call is throttled; before and after, calls go through', async () => {
  const sim = simulate(demo, { storms: [{ from: MIN, to: 2 * MIN }] })
  await ok(sim.describeDBInstances())
  await sim.clock.sleep(MIN)
  assert.is(await refused(sim.describeDBInstances()), 'Throttling: Rate exceeded')
  assert.is(await refused(sim.send(promote('mitosis-demo-replica'))), 'Throttling: Rate exceeded')
  await sim.clock.sleep(MIN - 1)
  assert.is(await refused(sim.describeDBInstances()), 'Throttling: Rate exceeded')
  await sim.clock.sleep(1)
  await ok(sim.describeDBInstances())
  assert.equal(sim.calls().map((c) => [c.at - sim.clock.now() + sim.clock.elapsed(), c.action, c.outcome]), [
    [0, 'DescribeDBInstances', 'ok'],
    [MIN, 'DescribeDBInstances', 'Throttling'],
    [MIN, 'PromoteReadReplica', 'Throttling'],
    [2 * MIN - 1, 'DescribeDBInstances', 'Throttling'],
    [2 * MIN, 'DescribeDBInstances', 'ok'],
  ])
  assert.is(await statusOf(sim, 'mitosis-demo-replica'), 'available', 'the throttled promote did nothing')
})

// ---- injected failures

test('an injected error fails the call itself, once by default or `times` times, and changes nothing', async () => {
  const sim = simulate(demo, {
    throttle: false,
    failures: [
      { op: 'PromoteReadReplica', id: 'mitosis-demo-replica', kind: 'error', code: 'InternalFailure', message: 'boom' },
      { op: 'DescribeDBInstances', id: '*', kind: 'error', code: 'ServiceUnavailable', times: 2 },
    ],
  })
  assert.is(await refused(sim.send(promote('mitosis-demo-replica'))), 'InternalFailure: boom')
  assert.is(await refused(sim.describeDBInstances()), 'ServiceUnavailable: injected ServiceUnavailable')
  assert.is(await refused(sim.describeDBInstances(['mitosis-demo'])), 'ServiceUnavailable: injected ServiceUnavailable')
  assert.is(await statusOf(sim, 'mitosis-demo-replica'), 'available')
  await ok(sim.send(promote('mitosis-demo-replica')))
  assert.is(await statusOf(sim, 'mitosis-demo-replica'), 'modifying')
})

test('an injected status: the call is accepted, the instance ends in that status after the duration and stays; it can still be deleted', async () => {
  const sim = simulate(demo, {
    throttle: false,
    failures: [
      { op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo', kind: 'status', status: 'failed' },
      { op: 'ModifyDBInstance', id: 'mitosis-demo-replica', kind: 'status', status: 'incompatible-parameters' },
    ],
  })
  await ok(sim.send(replica('temp-mitosis-demo', 'mitosis-prod')))
  await ok(sim.send(modify('mitosis-demo-replica', { DBParameterGroupName: 'broken' })))
  assert.is(await statusOf(sim, 'temp-mitosis-demo'), 'creating')
  await sim.clock.sleep(AWS_DURATIONS.createReplica)
  assert.is(await statusOf(sim, 'temp-mitosis-demo'), 'failed')
  assert.is(await statusOf(sim, 'mitosis-demo-replica'), 'incompatible-parameters')
  await sim.clock.sleep(24 * 60 * MIN)
  assert.is(await statusOf(sim, 'temp-mitosis-demo'), 'failed')
  assert.is(await refused(sim.send(rename('temp-mitosis-demo', 'x'))), 'InvalidDBInstanceState: Instance temp-mitosis-demo is not in available state.')
  await ok(sim.send(remove('temp-mitosis-demo')))
  await sim.clock.sleep(AWS_DURATIONS.delete)
  assert.is(await one(sim, 'temp-mitosis-demo'), undefined)
  // only the first matching call fails
  await ok(sim.send(replica('temp-mitosis-demo', 'mitosis-prod')))
  await sim.clock.sleep(AWS_DURATIONS.createReplica)
  assert.is(await statusOf(sim, 'temp-mitosis-demo'), 'available')
})

test('an instance left incompatible-credentials (or any incompatible-*) can be deleted, as RDS allows for a failed one', async () => {
  const sim = simulate(demo, {
    throttle: false,
    failures: [
      { op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo', kind: 'status', status: 'incompatible-credentials' },
      { op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo-2', kind: 'status', status: 'incompatible-some-status-to-come' },
    ],
  })
  await ok(sim.send(replica('temp-mitosis-demo', 'mitosis-prod')))
  await ok(sim.send(replica('temp-mitosis-demo-2', 'mitosis-prod')))
  await sim.clock.sleep(AWS_DURATIONS.createReplica)
  assert.is(await statusOf(sim, 'temp-mitosis-demo'), 'incompatible-credentials')
  assert.is(await statusOf(sim, 'temp-mitosis-demo-2'), 'incompatible-some-status-to-come')
  await ok(sim.send(remove('temp-mitosis-demo')))
  await ok(sim.send(remove('temp-mitosis-demo-2')))
  await sim.clock.sleep(AWS_DURATIONS.delete)
  assert.is(await one(sim, 'temp-mitosis-demo'), undefined)
  assert.is(await one(sim, 'temp-mitosis-demo-2'), undefined)
})

test('durations can be set per operation', async () => {
  const sim = simulate(demo, { throttle: false, durations: { createReplica: 1000 } })
  await ok(sim.send(replica('x', 'mitosis-prod')))
  await sim.clock.sleep(1000)
  assert.is(await statusOf(sim, 'x'), 'available')
  await ok(sim.send(modify('x', { MultiAZ: true })))
  await sim.clock.sleep(1000)
  assert.is(await statusOf(sim, 'x'), 'modifying')
})

// ---- plans end to end

/** Sends each step in order (the hook skipped), waiting for what it touched to be available (or gone) before the next. */
const walk = async (sim: Simulator, p: Plan, from = 0, to = p.steps.length): Promise<void> => {
  for (const s of p.steps.slice(from, to)) {
    if (s.op === 'RunCommand' || s.op === 'RunLiquibase') continue
    await ok(sim.send(s))
    if (s.op === 'DeleteDBInstance') await until(sim, goneAll(sim, [s.id]))
    else if (s.op !== 'AddTagsToResource') await until(sim, availableAll(sim, [renameTarget(s) ?? s.id]))
  }
}

const firstInSync = (i: DBInstance) => i.DBParameterGroups?.find((g) => g.ParameterApplyStatus === 'in-sync')?.DBParameterGroupName

/** The simulator's end state against the predictor's: names, links, class, parameter group, data, and every setting. */
const matchesPrediction = (env: Environment, p: Plan, sim: Simulator): void => {
  const { state, violations } = predict(env, p)
  assert.equal(violations, [])
  const end = sim.environment()
  assert.equal(end.instances.map((i) => i.DBInstanceIdentifier).sort(), [...state.instances.keys()].sort())
  for (const i of end.instances) {
    const id = i.DBInstanceIdentifier
    const predicted = state.instances.get(id)!
    assert.is(i.DBInstanceStatus, 'available', id)
    assert.is(i.ReadReplicaSourceDBInstanceIdentifier, predicted.replicaSource, `${id}'s source`)
    assert.is(i.DBInstanceClass, predicted.settings.DBInstanceClass, `${id}'s class`)
    assert.is(firstInSync(i), predicted.settings.DBParameterGroupName, `${id}'s parameter group`)
    assert.is(sim.dataOf(id), predicted.dataFrom, `${id}'s data`)
    assert.equal(settingDifferences(predicted.settings, instanceSettings(i, end.tags[id] ?? [])), [], `${id}'s settings`)
  }
}

const clones: ReadonlyArray<[string, Environment, string, string]> = [
  ['demo', demo, 'mitosis-prod', 'mitosis-demo'],
  ['mysql-cascade', cascade, 'shop-prod', 'shop-staging'],
  ['postgres', postgres, 'billing-prod', 'billing-qa'],
  ['cross-vpc', crossVpc, 'ledger-prod', 'ledger-sandbox'],
]

for (const [name, env, source, target] of clones) {
  test(`the ${name} plan, step by step through the simulator, ends where the predictor says`, async () => {
    const p = plan(env, { source, target, restart: './restart.sh' })
    const sim = simulate(env)
    await walk(sim, p)
    matchesPrediction(env, p, sim)
    assert.is(sim.dataOf(target), source)
    assert.ok(sim.calls().every((c) => c.outcome === 'ok'), 'no call was refused or throttled')
    assert.ok(sim.clock.elapsed() > 0)
  })
}

test('the demo clone takes the time AWS would: about an hour of virtual time, in milliseconds', async () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  const sim = simulate(demo)
  const wall = Date.now()
  await walk(sim, p)
  // sequential: 2 creates, a promote, 3 modifies, 4 renames, 2 deletes (polls round up to 30 s)
  const d = AWS_DURATIONS
  const least = 2 * d.createReplica + d.promote + 3 * d.modify + 4 * d.rename + 2 * d.delete
  assert.ok(sim.clock.elapsed() >= least && sim.clock.elapsed() < least + 13 * 30_000, String(sim.clock.elapsed()))
  assert.ok(Date.now() - wall < 5000)
})

test('the simulator outlives its client: a walk abandoned halfway, mid-operation, is finished by a new one', async () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  const sim = simulate(demo)
  // the first client sends up to the first rename and dies without waiting for it
  const firstRename = p.steps.findIndex((s) => renameTarget(s) !== undefined)
  await walk(sim, p, 0, firstRename)
  await ok(sim.send(p.steps[firstRename] as RdsOperation))
  const stranded = renameTarget(p.steps[firstRename]!)!
  assert.is(await statusOf(sim, stranded), 'renaming')
  // time passes with nobody watching; the next client finds the work done and carries on
  await sim.clock.sleep(AWS_DURATIONS.rename)
  assert.is(await statusOf(sim, stranded), 'available')
  await walk(sim, p, firstRename + 1)
  matchesPrediction(demo, p, sim)
  assert.is(sim.dataOf('mitosis-demo'), 'mitosis-prod')
  assert.is(sim.dataOf('mitosis-demo-replica'), 'mitosis-prod')
})

test('a plan step sent before its predecessor finished is refused as AWS would (the interpreter must wait)', async () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo' })
  const sim = simulate(demo)
  await ok(sim.send(p.steps[0] as RdsOperation))
  assert.is(await refused(sim.send(p.steps[1] as RdsOperation)), 'InvalidDBInstanceState: Instance temp-mitosis-demo is not in available state.')
})

test.run()
