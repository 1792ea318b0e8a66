import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { DBInstance, Environment } from '../../src/plan/domain.js'
import { resourcesUsed } from '../../src/plan/operations.js'
import { type Step } from '../../src/plan/plan.js'
import { ancestors, fixture, outline, plan, planProblem, renameOf, stepOf, withInstance } from '../support/fixtures.js'

/** A step's request as a plain record, for reading one field. */
const req = (s: Step): Record<string, unknown> => s.request

const demo = fixture('demo')
const cascade = fixture('mysql-cascade')
const postgres = fixture('postgres')
const crossVpc = fixture('cross-vpc')

test('the demo: copy breadth-first, rename leaves first, hook, delete leaves first', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  assert.equal(outline(p), [
    'CreateDBInstanceReadReplica temp-mitosis-demo',
    'PromoteReadReplica temp-mitosis-demo',
    'ModifyDBInstance temp-mitosis-demo',
    'CreateDBInstanceReadReplica temp-mitosis-demo-replica',
    'ModifyDBInstance temp-mitosis-demo-replica',
    'AddTagsToResource mitosis-demo-replica',
    'rename mitosis-demo-replica → old-mitosis-demo-replica',
    'AddTagsToResource mitosis-demo',
    'rename mitosis-demo → old-mitosis-demo',
    'rename temp-mitosis-demo-replica → mitosis-demo-replica',
    'rename temp-mitosis-demo → mitosis-demo',
    'RunCommand mitosis-demo',
    'AddTagsToResource mitosis-demo',
    'DeleteDBInstance old-mitosis-demo-replica',
    'ModifyDBInstance old-mitosis-demo',
    'DeleteDBInstance old-mitosis-demo',
  ])
  assert.equal(p.steps.map((s) => s.phase), [
    'copy', 'copy', 'copy', 'copy', 'copy', 'rename-old', 'rename-old', 'rename-old', 'rename-old', 'rename-temp', 'rename-temp',
    'restart', 'restart', 'delete', 'delete', 'delete',
  ])
  // the run's marks: each target instance is tagged before it is renamed away; the hook leaves a tag
  const run = p.run
  assert.match(run, /^r[0-9a-f]{8}$/)
  assert.equal(p.steps[5]!.request, {
    ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:mitosis-demo-replica',
    Tags: [{ Key: 'mitosis:run', Value: run }, { Key: 'mitosis:renamed-from', Value: 'mitosis-demo-replica' }],
  })
  assert.equal(p.steps[6]!.after, [6])
  assert.equal(p.steps[12]!.request, { ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:mitosis-demo', Tags: [{ Key: 'mitosis:restarted', Value: run }] })
  assert.equal(plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo' }).run, run, 'the run id is stable')
  assert.is(p.source, 'mitosis-prod')
  assert.is(p.target, 'mitosis-demo')
  assert.is(p.version, 1)
})

test('the root replica carries every setting CreateDBInstanceReadReplica accepts, from the target', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo' })
  const create = stepOf(p, 'CreateDBInstanceReadReplica', 'temp-mitosis-demo')
  assert.equal(create.request, {
    DBInstanceIdentifier: 'temp-mitosis-demo',
    SourceDBInstanceIdentifier: 'mitosis-prod',
    DBInstanceClass: 'db.t4g.medium',
    Port: 5432,
    MultiAZ: false,
    AutoMinorVersionUpgrade: true,
    StorageType: 'gp3',
    OptionGroupName: 'mitosis-demo-pg16-options',
    PubliclyAccessible: false,
    Tags: [
      { Key: 'environment', Value: 'demo' },
      { Key: 'team', Value: 'sales-engineering' },
      { Key: 'cost-center', Value: 'CC-2040' },
      { Key: 'service', Value: 'mitosis' },
      { Key: 'managed-by', Value: 'terraform' },
      { Key: 'refreshed-from', Value: 'mitosis-prod' },
      { Key: 'mitosis:run', Value: p.run },
      { Key: 'mitosis:source', Value: 'mitosis-prod' },
      { Key: 'mitosis:copy-of', Value: 'mitosis-demo' },
    ],
    DBSubnetGroupName: 'demo-db-subnets',
    // only the active groups; the inactive one between them is dropped
    VpcSecurityGroupIds: ['sg-0868f0f334361a174', 'sg-08426521c0205f686'],
    CopyTagsToSnapshot: false,
    MonitoringInterval: 0,
    EnableIAMDatabaseAuthentication: false,
    EnablePerformanceInsights: false,
    EnableCloudwatchLogsExports: ['postgresql'],
    DeletionProtection: true,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    NetworkType: 'IPV4',
  })
})

test('promotion carries the backup settings; the modify holds only what no earlier call takes', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo' })
  assert.equal(stepOf(p, 'PromoteReadReplica', 'temp-mitosis-demo').request, {
    DBInstanceIdentifier: 'temp-mitosis-demo',
    BackupRetentionPeriod: 1,
    PreferredBackupWindow: '03:00-03:30',
  })
  // the parameter group the target is set to use (pending-reboot), not the one it still runs with: the
  // clone's rename of the target reboots it, which makes that one in-sync, and a re-plan reads the same
  assert.equal(stepOf(p, 'ModifyDBInstance', 'temp-mitosis-demo').request, {
    DBInstanceIdentifier: 'temp-mitosis-demo',
    DBParameterGroupName: 'mitosis-demo-pg16-v2',
    PreferredMaintenanceWindow: 'sat:04:00-sat:04:30',
    ApplyImmediately: true,
  })
})

test('the graph: a replica waits for its parent\'s backups, renames for the whole new tree, deletes for the hook', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  const promote = stepOf(p, 'PromoteReadReplica', 'temp-mitosis-demo')
  assert.equal(stepOf(p, 'CreateDBInstanceReadReplica', 'temp-mitosis-demo-replica').after, [promote.n])
  const copies = p.steps.filter((s) => s.phase === 'copy').map((s) => s.n)
  for (const id of ['mitosis-demo', 'mitosis-demo-replica']) {
    const away = renameOf(p, id)
    for (const c of copies) assert.ok(ancestors(p, away).has(c), `${id} renamed before step ${c}`)
    assert.equal(renameOf(p, `temp-${id}`).after, [away.n])
  }
  // renames of different names do not wait for each other
  assert.not.ok(ancestors(p, renameOf(p, 'mitosis-demo')).has(renameOf(p, 'mitosis-demo-replica').n))
  const hook = stepOf(p, 'RunCommand', 'mitosis-demo')
  assert.is(hook.n, 12)
  assert.equal(hook.after, [renameOf(p, 'temp-mitosis-demo-replica').n, renameOf(p, 'temp-mitosis-demo').n])
  assert.equal(hook.request, { Command: './restart.sh' })
  for (const s of p.steps.filter((x) => x.phase === 'delete')) assert.ok(ancestors(p, s).has(hook.n))
  for (const s of p.steps) for (const a of s.after) assert.ok(a < s.n)
})

test('deletion protection is turned off on old- after the hook, and deletes skip the final snapshot', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: 'true' })
  const unprotect = stepOf(p, 'ModifyDBInstance', 'old-mitosis-demo')
  assert.equal(unprotect.request, { DBInstanceIdentifier: 'old-mitosis-demo', DeletionProtection: false, ApplyImmediately: true })
  const del = stepOf(p, 'DeleteDBInstance', 'old-mitosis-demo')
  assert.equal(del.request, { DBInstanceIdentifier: 'old-mitosis-demo', SkipFinalSnapshot: true })
  assert.ok(del.after.includes(unprotect.n))
  assert.ok(del.after.includes(stepOf(p, 'DeleteDBInstance', 'old-mitosis-demo-replica').n), 'the parent is deleted after its replica')
  // only old- names are ever deleted
  for (const s of p.steps.filter((x) => x.op === 'DeleteDBInstance')) assert.ok(s.id.startsWith('old-'))
})

test('without a hook there is no RunCommand, and deletes wait for every rename into place', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo' })
  assert.not.ok(p.steps.some((s) => s.op === 'RunCommand'))
  const ins = p.steps.filter((s) => s.phase === 'rename-temp').map((s) => s.n)
  for (const s of p.steps.filter((x) => x.op === 'DeleteDBInstance')) for (const n of ins) assert.ok(ancestors(p, s).has(n))
})

test('the source is never acted on: it appears only as the origin of the first replica', () => {
  for (const [env, source, target] of [[demo, 'mitosis-prod', 'mitosis-demo'], [cascade, 'shop-prod', 'shop-staging'], [postgres, 'billing-prod', 'billing-qa']] as const) {
    const p = plan(env, { source, target })
    assert.not.ok(p.steps.some((s) => s.id === source))
    const uses = p.steps.filter((s) => resourcesUsed(s).some((r) => r.id === source))
    assert.equal(uses.map((s) => [s.op, s.id]), [['CreateDBInstanceReadReplica', `temp-${target}`]])
  }
})

test('MySQL cascade three deep: breadth-first copies, middle replicas get backups before their replicas', () => {
  const p = plan(cascade, { source: 'shop-prod', target: 'shop-staging' })
  const creates = p.steps.filter((s) => s.op === 'CreateDBInstanceReadReplica')
  assert.equal(creates.map((s) => [s.id, s.op === 'CreateDBInstanceReadReplica' ? s.request.SourceDBInstanceIdentifier : '']), [
    ['temp-shop-staging', 'shop-prod'],
    ['temp-shop-staging-r1', 'temp-shop-staging'],
    ['temp-shop-staging-r2', 'temp-shop-staging'],
    ['temp-shop-staging-r1-r1', 'temp-shop-staging-r1'],
    ['temp-shop-staging-r1-r1-r1', 'temp-shop-staging-r1-r1'],
  ])
  for (const middle of ['temp-shop-staging-r1', 'temp-shop-staging-r1-r1']) {
    const backups = stepOf(p, 'ModifyDBInstance', middle)
    assert.is(backups.op === 'ModifyDBInstance' && backups.request.BackupRetentionPeriod, 1)
    const child = creates.find((c) => c.op === 'CreateDBInstanceReadReplica' && c.request.SourceDBInstanceIdentifier === middle)!
    assert.equal(child.after, [backups.n])
  }
  // siblings do not wait for each other
  const r1 = stepOf(p, 'CreateDBInstanceReadReplica', 'temp-shop-staging-r1')
  const r2 = stepOf(p, 'CreateDBInstanceReadReplica', 'temp-shop-staging-r2')
  assert.equal(r1.after, r2.after)
  // leaves first: the deepest replica is renamed and deleted first, the root last
  const away = p.steps.filter((s) => s.phase === 'rename-old' && s.op === 'ModifyDBInstance').map((s) => s.id)
  assert.equal(away, ['shop-staging-r1-r1-r1', 'shop-staging-r1-r1', 'shop-staging-r1', 'shop-staging-r2', 'shop-staging'])
  const deletes = p.steps.filter((s) => s.op === 'DeleteDBInstance').map((s) => s.id)
  assert.equal(deletes, away.map((id) => `old-${id}`))
  const rootDelete = stepOf(p, 'DeleteDBInstance', 'old-shop-staging')
  for (const d of p.steps.filter((s) => s.op === 'DeleteDBInstance' && s.id !== 'old-shop-staging')) assert.ok(ancestors(p, rootDelete).has(d.n))
})

test('a leaf replica without backups gets no backup settings', () => {
  const p = plan(cascade, { source: 'shop-prod', target: 'shop-staging' })
  const leaf = p.steps.filter((s) => s.id === 'temp-shop-staging-r2' && s.phase === 'copy')
  for (const s of leaf) assert.not.ok('BackupRetentionPeriod' in s.request)
})

test("a PostgreSQL read replica without backups (retention 0) keeps the target's backup window, not RDS's default", () => {
  const p = plan(postgres, { source: 'billing-prod', target: 'billing-qa' })
  for (const id of ['billing-qa-replica-1', 'billing-qa-replica-2', 'billing-qa-reporting']) {
    const target = postgres.instances.find((i) => i.DBInstanceIdentifier === id)!
    assert.is(target.BackupRetentionPeriod, 0, `${id} has no backups`)
    const copy = p.steps.filter((s) => s.id === `temp-${id}` && s.phase === 'copy')
    // CreateDBInstanceReadReplica takes no window: the modify after it carries it, and no retention
    const modify = stepOf(p, 'ModifyDBInstance', `temp-${id}`)
    assert.is(req(modify)['PreferredBackupWindow'], target.PreferredBackupWindow, id)
    for (const s of copy) assert.not.ok('BackupRetentionPeriod' in s.request, `${id}: ${s.op}`)
  }
})

test('a target with more replicas than the source: the target tree is mirrored', () => {
  const p = plan(postgres, { source: 'billing-prod', target: 'billing-qa' })
  const created = p.steps.filter((s) => s.op === 'CreateDBInstanceReadReplica').map((s) => s.id)
  assert.equal(created, ['temp-billing-qa', 'temp-billing-qa-replica-1', 'temp-billing-qa-replica-2', 'temp-billing-qa-reporting'])
  // the target's port, not the source's
  assert.is(req(stepOf(p, 'CreateDBInstanceReadReplica', 'temp-billing-qa')).Port, 5433)
  // the first in-sync option group of billing-qa-reporting, past the one pending maintenance
  const reporting = stepOf(p, 'CreateDBInstanceReadReplica', 'temp-billing-qa-reporting')
  assert.is(req(reporting).OptionGroupName, 'billing-qa-pg15-options')
  assert.is(req(reporting).EnablePerformanceInsights, true)
})

test('cross-VPC: the latest available snapshot is restored into the target\'s subnet group', () => {
  const p = plan(crossVpc, { source: 'ledger-prod', target: 'ledger-sandbox' })
  const restore = p.steps[0]!
  assert.is(restore.op, 'RestoreDBInstanceFromDBSnapshot')
  assert.is(restore.id, 'temp-ledger-sandbox')
  assert.is(req(restore).DBSubnetGroupName, 'ledger-sandbox-subnets')
  // the newest one is still being created, so the one before it is used
  assert.is(restore.op === 'RestoreDBInstanceFromDBSnapshot' && restore.request.DBSnapshotIdentifier, 'rds:ledger-prod-2026-11-22-04-00')
  // restore takes the backup settings itself; monitoring and insights follow in a modify
  assert.ok('BackupRetentionPeriod' in restore.request)
  assert.not.ok(p.steps.some((s) => s.op === 'PromoteReadReplica'))
  const replica = stepOf(p, 'CreateDBInstanceReadReplica', 'temp-ledger-sandbox-replica')
  assert.equal(replica.after, [restore.n])
})

test('--restore-snapshot takes the snapshot path in the same VPC too', () => {
  const p = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restoreSnapshot: true })
  assert.is(p.steps[0]!.op, 'RestoreDBInstanceFromDBSnapshot')
  assert.is(req(p.steps[0]!).DBSnapshotIdentifier, 'rds:mitosis-prod-2026-11-22-06-10')
})

test('only the leading temp- is stripped: a target named with temp- inside keeps its name', () => {
  const env: Environment = {
    ...demo,
    instances: demo.instances.map((i) => rename(i, { 'mitosis-demo': 'app-temp-db', 'mitosis-demo-replica': 'app-temp-db-replica' })),
    tags: {},
  }
  const p = plan(env, { source: 'mitosis-prod', target: 'app-temp-db' })
  assert.equal(p.steps.filter((s) => s.phase === 'rename-temp').map((s) => [s.id, req(s).NewDBInstanceIdentifier]), [
    ['temp-app-temp-db-replica', 'app-temp-db-replica'],
    ['temp-app-temp-db', 'app-temp-db'],
  ])
})

const rename = (i: DBInstance, names: Record<string, string>): DBInstance => {
  const n = (id: string) => names[id] ?? id
  return {
    ...i,
    DBInstanceIdentifier: n(i.DBInstanceIdentifier),
    DBInstanceArn: i.DBInstanceArn?.replace(/db:.*$/, `db:${n(i.DBInstanceIdentifier)}`),
    ...(i.ReadReplicaSourceDBInstanceIdentifier === undefined ? {} : { ReadReplicaSourceDBInstanceIdentifier: n(i.ReadReplicaSourceDBInstanceIdentifier) }),
    ReadReplicaDBInstanceIdentifiers: (i.ReadReplicaDBInstanceIdentifiers ?? []).map(n),
  }
}

test('names near 63 characters: 58 fits temp-, 59 does not', () => {
  const long58 = `d${'x'.repeat(57)}`
  const env58 = { ...demo, instances: demo.instances.filter((i) => i.DBInstanceIdentifier !== 'mitosis-demo-replica').map((i) => rename(withoutReplicas(i), { 'mitosis-demo': long58 })) }
  const p = plan(env58, { source: 'mitosis-prod', target: long58 })
  assert.is(p.steps[0]!.id.length, 63)
  const long59 = `d${'x'.repeat(58)}`
  const env59 = { ...demo, instances: demo.instances.filter((i) => i.DBInstanceIdentifier !== 'mitosis-demo-replica').map((i) => rename(withoutReplicas(i), { 'mitosis-demo': long59 })) }
  assert.match(planProblem(env59, { source: 'mitosis-prod', target: long59 }), `temp-${long59}: is 64 characters long (RDS allows 63)`)
})

const withoutReplicas = (i: DBInstance): DBInstance => (i.DBInstanceIdentifier === 'mitosis-demo' ? { ...i, ReadReplicaDBInstanceIdentifiers: [] } : i)

test("tags: aws: and earlier runs' mitosis: tags are not copied; ListTagsForResource wins over TagList", () => {
  const env: Environment = {
    ...demo,
    tags: { ...demo.tags, 'mitosis-demo': [{ Key: 'aws:cloudformation:stack-name', Value: 'demo' }, { Key: 'owner', Value: 'data-eng' }, { Key: 'mitosis:run', Value: 'r00000000' }] },
  }
  const p = plan(env, { source: 'mitosis-prod', target: 'mitosis-demo' })
  assert.equal(req(stepOf(p, 'CreateDBInstanceReadReplica', 'temp-mitosis-demo')).Tags, [
    { Key: 'owner', Value: 'data-eng' },
    { Key: 'mitosis:run', Value: p.run },
    { Key: 'mitosis:source', Value: 'mitosis-prod' },
    { Key: 'mitosis:copy-of', Value: 'mitosis-demo' },
  ])
})

test('refusals name the problem', () => {
  assert.is(planProblem(demo, { source: 'mitosis-nope', target: 'mitosis-demo' }), 'mitosis-nope: no such DB instance in us-east-1')
  assert.is(planProblem(demo, { source: 'mitosis-prod', target: 'mitosis-nada' }), 'mitosis-nada: no such DB instance in us-east-1')
  assert.is(planProblem(demo, { source: 'nope-a', target: 'nope-b' }), 'nope-a, nope-b: no such DB instance in us-east-1')
  assert.match(planProblem(demo, { source: 'mitosis-prod', target: 'mitosis-prod' }), 'source and target are the same')
  assert.match(planProblem(demo, { source: 'mitosis-prod', target: 'mitosis-demo-replica' }), 'mitosis-demo-replica: is a read replica of mitosis-demo')
  assert.match(planProblem(demo, { source: 'mitosis-demo-replica', target: 'mitosis-demo' }), 'same replica tree')
  assert.match(planProblem(demo, { source: 'mitosis-prod', target: 'Bad_Name' }), '"Bad_Name" is not a valid DB instance identifier')
  assert.match(planProblem(demo, { source: 'analytics-warehouse', target: 'mitosis-demo' }), 'runs mysql but mitosis-demo runs postgres')
})

test('leftovers of an earlier run block the plan instead of being overwritten', () => {
  const leftover = { ...demo.instances.find((i) => i.DBInstanceIdentifier === 'mitosis-demo-replica')!, DBInstanceIdentifier: 'temp-mitosis-demo', ReadReplicaSourceDBInstanceIdentifier: undefined }
  const env: Environment = { ...demo, instances: [...demo.instances, leftover] }
  assert.match(planProblem(env, { source: 'mitosis-prod', target: 'mitosis-demo' }), 'temp-mitosis-demo: already exists (available)')
})

test('a source without backups cannot feed a replica; a snapshot is then needed', () => {
  const env = withInstance(demo, 'mitosis-prod', (i) => ({ ...i, BackupRetentionPeriod: 0 }))
  assert.match(planProblem(env, { source: 'mitosis-prod', target: 'mitosis-demo' }), 'mitosis-prod: automated backups are off')
  assert.is(plan(env, { source: 'mitosis-prod', target: 'mitosis-demo', restoreSnapshot: true }).steps[0]!.op, 'RestoreDBInstanceFromDBSnapshot')
  const none: Environment = { ...env, snapshots: [] }
  assert.match(planProblem(none, { source: 'mitosis-prod', target: 'mitosis-demo', restoreSnapshot: true }), 'mitosis-prod: no available snapshot')
})

test('PostgreSQL before 14.1 allows no cascade; MySQL does', () => {
  const pgCascade: Environment = {
    ...cascade,
    instances: cascade.instances.map((i) => ({ ...i, Engine: 'postgres', EngineVersion: '13.12' })),
  }
  assert.match(planProblem(pgCascade, { source: 'shop-prod', target: 'shop-staging' }), 'shop-staging: its replica tree is 3 levels deep, but postgres 13.12 allows no replicas of replicas')
  const pg16 = { ...pgCascade, instances: pgCascade.instances.map((i) => ({ ...i, EngineVersion: '16.4' })) }
  assert.ok(plan(pg16, { source: 'shop-prod', target: 'shop-staging' }).steps.length > 0)
})

test('Aurora members are refused until clusters are supported', () => {
  const env = withInstance(demo, 'mitosis-demo', (i) => ({ ...i, DBClusterIdentifier: 'demo-cluster' }))
  assert.match(planProblem(env, { source: 'mitosis-prod', target: 'mitosis-demo' }), 'mitosis-demo: is a member of the Aurora cluster demo-cluster')
})

test('identifiers are matched case-insensitively, as RDS does', () => {
  const p = plan(demo, { source: 'Mitosis-Prod', target: 'MITOSIS-DEMO' })
  assert.is(p.source, 'mitosis-prod')
  assert.is(p.target, 'mitosis-demo')
})

test.run()
