/**
 * The clone into a new cluster, planned on fixtures/aurora.json: its steps, their order and the fields that
 * matter; its refusals, one line each; the one check's view of it; what its saved file keeps and when that
 * goes stale; which clone a target that exists (or not) gets.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { Environment } from '../../src/plan/domain.js'
import { cloneIntoKind, planCloneInto, planNewClusterClone, type NewClusterRequest } from '../../src/plan/clone/new-cluster.js'
import { iamPolicy } from '../../src/plan/iam.js'
import { basisOf, PlanFile, staleness, type Plan, type Step } from '../../src/plan/plan.js'
import { checkPlan } from '../../src/plan/predict/end-state.js'
import { renderProblem } from '../../src/plan/problems.js'
import { renderText } from '../../src/plan/render/text.js'
import { renderMermaid } from '../../src/plan/render/mermaid.js'
import { decode } from '../../src/plan/domain.js'
import { fixture } from '../support/fixtures.js'

const NEW: NewClusterRequest = {
  source: 'shop-prod',
  target: 'shop-qa',
  subnets: { ids: ['subnet-0a', 'subnet-0b'] },
  instanceClass: 'db.r6g.large',
  instanceCount: 3,
  backupRetentionDays: 3,
  backupWindow: '02:00-02:30',
  maintenanceWindow: 'sun:05:00-sun:05:30',
  deletionProtection: true,
  tags: [{ Key: 'environment', Value: 'qa' }, { Key: 'team', Value: 'shop' }],
  password: 'secret',
}

const planned = (env: Environment, req: NewClusterRequest): Plan => {
  const p = planNewClusterClone(env, req)
  if (E.isLeft(p)) throw new Error(p.left.map(renderProblem).join('\n'))
  return p.right
}

const refused = (env: Environment, req: NewClusterRequest): string[] => {
  const p = planNewClusterClone(env, req)
  if (E.isRight(p)) throw new Error('expected a refusal')
  return p.left.map(renderProblem)
}

const only = <O extends Step['op']>(p: Plan, op: O): Extract<Step, { op: O }> => {
  const found = p.steps.filter((s): s is Extract<Step, { op: O }> => s.op === op)
  assert.is(found.length, 1, `one ${op}`)
  return found[0]!
}

const tagsOf = (tags: ReadonlyArray<{ Key: string; Value: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]))

test('the steps in order: subnet group, restore into the target, windows, password, roles, the writer, then the readers', () => {
  const env = fixture('aurora')
  const p = planned(env, NEW)
  assert.is(p.kind, 'new-cluster')
  assert.equal(
    p.steps.map((s) => `${s.n} ${s.op} ${s.id} after ${s.after.join(',')}`),
    [
      '1 CreateDBSubnetGroup shop-qa-subnets after ',
      '2 RestoreDBClusterToPointInTime shop-qa after 1',
      '3 ModifyDBCluster shop-qa after 2',
      '4 ModifyDBCluster shop-qa after 3',
      '5 AddRoleToDBCluster shop-qa after 4',
      '6 CreateDBInstance shop-qa-1 after 5',
      '7 CreateDBInstance shop-qa-2 after 6',
      '8 CreateDBInstance shop-qa-3 after 6',
    ],
  )
  assert.ok(p.steps.every((s) => s.phase === 'create'))
  // nothing renamed or deleted, the source never a step's subject
  assert.not.ok(p.steps.some((s) => /Delete|Tags/.test(s.op) || (s.op === 'ModifyDBCluster' && s.request.NewDBClusterIdentifier !== undefined)))
  assert.not.ok(p.steps.some((s) => s.id.startsWith('shop-prod')))
  assert.equal(checkPlan(env, p), [])

  const group = only(p, 'CreateDBSubnetGroup')
  assert.equal(group.request.SubnetIds, ['subnet-0a', 'subnet-0b'])
  const restore = only(p, 'RestoreDBClusterToPointInTime').request
  const source = env.clusters!.find((c) => c.DBClusterIdentifier === 'shop-prod')!
  assert.is(restore.DBClusterIdentifier, 'shop-qa')
  assert.is(restore.SourceDBClusterIdentifier, 'shop-prod')
  assert.is(restore.RestoreType, 'copy-on-write')
  assert.is(restore.UseLatestRestorableTime, true)
  assert.is(restore.DBSubnetGroupName, 'shop-qa-subnets')
  // no security groups configured: the source's
  assert.equal(restore.VpcSecurityGroupIds, source.VpcSecurityGroups!.filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId))
  assert.is(restore.DBClusterParameterGroupName, source.DBClusterParameterGroup)
  assert.is(restore.Port, source.Port)
  assert.is(restore.KmsKeyId, source.KmsKeyId)
  assert.is(restore.EnableIAMDatabaseAuthentication, source.IAMDatabaseAuthenticationEnabled)
  assert.equal(restore.EnableCloudwatchLogsExports, source.EnabledCloudwatchLogsExports)
  assert.is(restore.DeletionProtection, true)
  assert.is(restore.ServerlessV2ScalingConfiguration, undefined)
  // the configured tags (not the source's production tag) and the run's, so that a re-run finds its cluster
  const tags = tagsOf(restore.Tags)
  assert.equal(tags, { environment: 'qa', team: 'shop', 'mitosis:run': p.run, 'mitosis:source': 'shop-prod', 'mitosis:copy-of': 'shop-qa' })

  const [windows, password] = p.steps.filter((s) => s.op === 'ModifyDBCluster')
  assert.equal(windows!.request, { DBClusterIdentifier: 'shop-qa', BackupRetentionPeriod: 3, PreferredBackupWindow: '02:00-02:30', PreferredMaintenanceWindow: 'sun:05:00-sun:05:30', ApplyImmediately: true })
  assert.equal(password!.request, { DBClusterIdentifier: 'shop-qa', MasterUserPassword: { fromSecret: 'master-password' }, ApplyImmediately: true })
  assert.equal(only(p, 'AddRoleToDBCluster').request, { DBClusterIdentifier: 'shop-qa', ...source.AssociatedRoles!.map((r) => ({ RoleArn: r.RoleArn, FeatureName: r.FeatureName }))[0]! })
  const instances = p.steps.filter((s): s is Extract<Step, { op: 'CreateDBInstance' }> => s.op === 'CreateDBInstance')
  for (const i of instances) {
    assert.is(i.request.DBInstanceClass, 'db.r6g.large')
    assert.is(i.request.DBClusterIdentifier, 'shop-qa')
    assert.is(i.request.Engine, source.Engine)
    assert.is(i.request.AvailabilityZone, undefined, 'the source writer\'s zone is not copied')
    assert.is(tagsOf(i.request.Tags)['mitosis:copy-of'], i.id)
    assert.is(tagsOf(i.request.Tags)['environment'], 'qa')
  }

  const text = renderText(p)
  assert.match(text, /^Plan: clone shop-prod into a new cluster shop-qa in us-east-1, 8 steps\n/)
  assert.match(text, /# create: a copy-on-write clone of the source's data in a new cluster, and its instances\n/)
  assert.match(text, /\nWill delete: nothing\.\n$/)
  assert.not.match(text, /\bold-|\btemp-/)
  assert.match(renderMermaid(env, p), /shop-qa/)
})

test('an existing subnet group, configured security groups, serverless, no windows: no group made, db.serverless instances, no settings modify', () => {
  const env = fixture('aurora')
  const p = planned(env, {
    ...NEW,
    subnets: { group: 'staging-db-subnets' },
    securityGroups: ['sg-0123456789abcdef0'],
    serverless: { min: 0.5, max: 8 },
    instanceCount: 1,
    backupRetentionDays: undefined,
    backupWindow: undefined,
    maintenanceWindow: undefined,
    deletionProtection: false,
    password: 'managed',
  })
  assert.equal(p.steps.map((s) => s.op), ['RestoreDBClusterToPointInTime', 'ModifyDBCluster', 'AddRoleToDBCluster', 'CreateDBInstance'])
  const restore = only(p, 'RestoreDBClusterToPointInTime').request
  assert.is(restore.DBSubnetGroupName, 'staging-db-subnets')
  assert.equal(restore.VpcSecurityGroupIds, ['sg-0123456789abcdef0'])
  assert.equal(restore.ServerlessV2ScalingConfiguration, { MinCapacity: 0.5, MaxCapacity: 8 })
  assert.is(restore.DeletionProtection, false)
  assert.equal(only(p, 'ModifyDBCluster').request, { DBClusterIdentifier: 'shop-qa', ManageMasterUserPassword: true, ApplyImmediately: true })
  assert.is(only(p, 'CreateDBInstance').request.DBInstanceClass, 'db.serverless')
  assert.equal(checkPlan(env, p), [])
})

test('refused, one line a reason: no such source, an instance for a source, a bad target name, no instances, another engine version, a taken name, bad subnets', () => {
  const env = fixture('aurora')
  assert.equal(refused(env, { ...NEW, source: 'shop-nope' }), ['shop-nope: no such DB cluster or DB instance in us-east-1'])
  assert.match(refused(env, { ...NEW, source: 'shop-prod-1' })[0]!, /^shop-prod-1: is a DB instance, not an Aurora cluster/)
  assert.equal(refused(env, { ...NEW, target: 'shop--qa' }), ['"shop--qa" is not a valid DB cluster identifier: it must not contain two hyphens in a row'])
  assert.equal(refused(env, { ...NEW, target: 'shop-prod' }), ['shop-prod: source and target are the same DB cluster'])
  assert.equal(refused(env, { ...NEW, instanceCount: 0 }), ['the instance count must be 1 or more, got 0'])
  const version = refused(env, { ...NEW, engineVersion: '17.1' })
  assert.is(version.length, 1)
  assert.match(version[0]!, /^shop-prod runs version 16\.4, but engine version 17\.1 was asked for; a copy-on-write clone keeps its source's version/)
  // the source's own version is no change: planned
  assert.ok(E.isRight(planNewClusterClone(env, { ...NEW, engineVersion: '16.4' })))
  assert.equal(refused(env, { ...NEW, target: 'shop-staging' }), ['shop-staging: the name is taken (a DB cluster, available); choose another --target'])
  assert.equal(refused(env, { ...NEW, subnets: { ids: ['subnet-0a'] } }), ['subnet ids: give two or more subnets (in two or more Availability Zones), or "source"'])
  // several at once, each on its own
  assert.is(refused(env, { ...NEW, instanceCount: 0, engineVersion: '15.2' }).length, 2)
})

test('the source is tagged production and that is fine (it is only read); a plan that would touch it fails the check', () => {
  const env = fixture('aurora')
  const p = planned(env, NEW)
  const touched: Plan = {
    ...p,
    steps: [...p.steps, { op: 'ModifyDBCluster', id: 'shop-prod', request: { DBClusterIdentifier: 'shop-prod', DeletionProtection: false, ApplyImmediately: true }, n: p.steps.length + 1, after: [p.steps.length], phase: 'create' }],
  }
  assert.ok(checkPlan(env, touched).some((v) => v.includes('would modify the source cluster shop-prod')), checkPlan(env, touched).join('\n'))
  const deleting: Plan = { ...p, steps: [...p.steps, { op: 'DeleteDBCluster', id: 'shop-qa', request: { DBClusterIdentifier: 'shop-qa', SkipFinalSnapshot: true }, n: p.steps.length + 1, after: [p.steps.length], phase: 'create' }] }
  assert.ok(checkPlan(env, deleting).some((v) => v.includes('does not belong in it')))
  // a reader that does not wait for the writer could become the writer: refused
  const readerFirst: Plan = { ...p, steps: p.steps.map((s) => (s.op === 'CreateDBInstance' && s.n === 7 ? { ...s, after: [5] } : s)) }
  assert.ok(checkPlan(env, readerFirst).some((v) => v.includes('creates shop-qa-2 without waiting for the writer shop-qa-1')), checkPlan(env, readerFirst).join('\n'))
})

test('saved: the kind decodes, the basis is the source; the target appearing since makes it stale, the run\'s own cluster does not', () => {
  const env = fixture('aurora')
  const p = planned(env, NEW)
  const file = JSON.parse(JSON.stringify({ kind: 'mitosis-plan', plan: p, basis: basisOf(env, p) }))
  const decoded = decode(PlanFile)(file)
  if (E.isLeft(decoded)) return assert.unreachable(decoded.left)
  assert.is(decoded.right.plan.kind, 'new-cluster')
  assert.equal(decoded.right.basis.clusters!.map((c) => c.id), ['shop-prod'])
  assert.equal(staleness(decoded.right.basis, basisOf(env, p)), [])
  const staging = env.clusters!.find((c) => c.DBClusterIdentifier === 'shop-staging')!
  const someoneElses = { ...staging, DBClusterIdentifier: 'shop-qa', DBClusterMembers: [], TagList: [] }
  assert.equal(staleness(decoded.right.basis, basisOf({ ...env, clusters: [...env.clusters!, someoneElses] }, p)), ['cluster shop-qa now exists'])
  const ours = { ...someoneElses, TagList: [{ Key: 'mitosis:run', Value: p.run }, { Key: 'mitosis:copy-of', Value: 'shop-qa' }] }
  assert.equal(staleness(decoded.right.basis, basisOf({ ...env, clusters: [...env.clusters!, ours] }, p)), [])
})

test('the IAM policy: the restore, the new names, no old- name to lease', () => {
  const env = fixture('aurora')
  const p = planned(env, NEW)
  const statements = iamPolicy(env, p).Statement
  const policy = JSON.stringify(statements)
  const restore = statements.find((s) => s.Action.includes('rds:RestoreDBClusterToPointInTime'))!
  for (const r of ['cluster:shop-prod', 'cluster:shop-qa', 'subgrp:shop-qa-subnets']) assert.ok(restore.Resource.includes(`arn:aws:rds:us-east-1:123456789012:${r}`), r)
  assert.match(policy, /rds:CreateDBSubnetGroup/)
  assert.not.match(policy, /old-shop-qa/)
})

test('which clone: a target that exists is swapped into, a missing one is made', () => {
  const env = fixture('aurora')
  assert.is(cloneIntoKind(env, NEW), 'new-cluster')
  assert.is(cloneIntoKind(env, { ...NEW, target: 'shop-staging' }), 'aurora-cluster')
  const swap = planCloneInto(env, { ...NEW, target: 'shop-staging' })
  assert.ok(E.isRight(swap) && swap.right.kind === 'aurora-cluster' && swap.right.steps.some((s) => s.op === 'DeleteDBCluster'))
  const made = planCloneInto(env, NEW)
  assert.ok(E.isRight(made) && made.right.kind === 'new-cluster')
})

test.run()
