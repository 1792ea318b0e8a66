import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster, DBInstance, Environment } from '../../src/plan/domain.js'
import { DBCluster as DBClusterCodec, decode } from '../../src/plan/domain.js'
import type { Plan, Step } from '../../src/plan/plan.js'
import { Plan as PlanCodec } from '../../src/plan/plan.js'
import { cloneKind, planClusterClone } from '../../src/plan/clone/clone.js'
import type { ClusterCloneRequest } from '../../src/plan/clone/aurora-cluster.js'
import { checkPlan } from '../../src/plan/predict/end-state.js'
import { predict } from '../../src/plan/predict/step.js'
import { renderText } from '../../src/plan/render/text.js'
import { iamPolicy } from '../../src/plan/iam.js'
import { planProgress } from '../../src/plan/progress.js'
import { renderMermaid } from '../../src/plan/render/mermaid.js'
import { fixture } from '../support/fixtures.js'
import { renderProblems } from '../../src/plan/problems.js'

const aurora = fixture('aurora')
const req: ClusterCloneRequest = { source: 'shop-prod', target: 'shop-staging', restart: './restart.sh' }

const planOf = (env: Environment, r: ClusterCloneRequest): Plan => {
  const p = planClusterClone(env, r)
  if (E.isLeft(p)) throw new Error(renderProblems(p.left))
  return p.right
}
const refusal = (env: Environment, r: ClusterCloneRequest): string => {
  const p = planClusterClone(env, r)
  if (E.isRight(p)) throw new Error('expected the planner to refuse')
  return renderProblems(p.left)
}
const outline = (p: Plan): string[] =>
  p.steps.map((s) =>
    s.op === 'ModifyDBInstance' && s.request.NewDBInstanceIdentifier !== undefined
      ? `rename ${s.id} → ${s.request.NewDBInstanceIdentifier}`
      : s.op === 'ModifyDBCluster' && s.request.NewDBClusterIdentifier !== undefined
        ? `rename cluster ${s.id} → ${s.request.NewDBClusterIdentifier}`
        : `${s.op} ${s.id}`,
  )
const find = (p: Plan, op: Step['op'], id: string): Step => {
  const s = p.steps.find((x) => x.op === op && x.id === id)
  if (s === undefined) throw new Error(`no ${op} ${id} in the plan`)
  return s
}
const tamper = (p: Plan, n: number, change: (s: Step) => Step): Plan => ({ ...p, steps: p.steps.map((s) => (s.n === n ? change(s) : s)) })
const without = (p: Plan, n: number): Plan => ({
  ...p,
  steps: p.steps
    .filter((s) => s.n !== n)
    .map((s, i) => ({ ...s, n: i + 1, after: s.after.filter((a) => a !== n).map((a) => (a > n ? a - 1 : a)) })),
})
const withClusters = (env: Environment, change: (c: DBCluster) => DBCluster): Environment => ({ ...env, clusters: (env.clusters ?? []).map(change) })

const good = planOf(aurora, req)

test('the DBCluster codec reads a DescribeDBClusters answer, and environments without clusters still work', () => {
  const c = decode(DBClusterCodec)(aurora.clusters![0])
  assert.ok(E.isRight(c))
  const bad = decode(DBClusterCodec)({ DBClusterIdentifier: 'x', Engine: 'aurora-postgresql', Status: 'available', Port: '5432' })
  assert.ok(E.isLeft(bad) && bad.left.includes('Port'), JSON.stringify(bad))
  assert.is(fixture('demo').clusters, undefined)
  assert.ok(E.isRight(PlanCodec.decode(JSON.parse(JSON.stringify(good)))))
})

test('the plan: restore, cluster settings, roles, instances writer first, then the swap, the hook and the deletes', () => {
  assert.equal(outline(good), [
    'RestoreDBClusterToPointInTime temp-shop-staging',
    'ModifyDBCluster temp-shop-staging',
    'AddRoleToDBCluster temp-shop-staging',
    'CreateDBInstance temp-shop-staging-1',
    'CreateDBInstance temp-shop-staging-2',
    'AddTagsToResource shop-staging',
    'rename cluster shop-staging → old-shop-staging',
    'AddTagsToResource shop-staging-1',
    'rename shop-staging-1 → old-shop-staging-1',
    'AddTagsToResource shop-staging-2',
    'rename shop-staging-2 → old-shop-staging-2',
    'rename cluster temp-shop-staging → shop-staging',
    'rename temp-shop-staging-1 → shop-staging-1',
    'rename temp-shop-staging-2 → shop-staging-2',
    'RunCommand shop-staging',
    'AddTagsToResource shop-staging',
    'DeleteDBInstance old-shop-staging-1',
    'DeleteDBInstance old-shop-staging-2',
    'ModifyDBCluster old-shop-staging',
    'DeleteDBCluster old-shop-staging',
  ])
  assert.equal(good.steps.map((s) => s.phase), [
    'copy', 'copy', 'copy', 'copy', 'copy',
    'rename-old', 'rename-old', 'rename-old', 'rename-old', 'rename-old', 'rename-old',
    'rename-temp', 'rename-temp', 'rename-temp',
    'restart', 'restart',
    'delete', 'delete', 'delete', 'delete',
  ])
  assert.equal(good.steps.map((s) => s.after), [[], [1], [2], [3], [4], [5], [6], [5], [8], [5], [10], [7], [9], [11], [12, 13, 14], [15], [16], [16], [16], [17, 18, 19]])
  assert.is(good.source, 'shop-prod')
  assert.is(good.target, 'shop-staging')
  assert.equal(checkPlan(aurora, good), [])
  assert.ok(renderText(good).includes('ModifyDBCluster (rename)       shop-staging         after 6         → old-shop-staging'), renderText(good))
})

test('the restore is a copy-on-write clone at the latest time, with the target cluster\'s settings and tags', () => {
  const restore = find(good, 'RestoreDBClusterToPointInTime', 'temp-shop-staging')
  assert.equal(restore.request, {
    DBClusterIdentifier: 'temp-shop-staging',
    SourceDBClusterIdentifier: 'shop-prod',
    RestoreType: 'copy-on-write',
    UseLatestRestorableTime: true,
    DBSubnetGroupName: 'staging-db-subnets',
    VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60002', 'sg-0a1b2c3d4e5f60003'],
    DBClusterParameterGroupName: 'shop-staging-cluster-pg16',
    Port: 5433,
    Tags: [
      { Key: 'environment', Value: 'staging' },
      { Key: 'service', Value: 'shop' },
      { Key: 'owner', Value: 'qa-team' },
      { Key: 'mitosis:run', Value: good.run },
      { Key: 'mitosis:source', Value: 'shop-prod' },
      { Key: 'mitosis:copy-of', Value: 'shop-staging' },
    ],
    CopyTagsToSnapshot: false,
    EnableCloudwatchLogsExports: ['postgresql'],
    EnableIAMDatabaseAuthentication: false,
    DeletionProtection: true,
  })
  assert.equal(find(good, 'ModifyDBCluster', 'temp-shop-staging').request, {
    DBClusterIdentifier: 'temp-shop-staging',
    BackupRetentionPeriod: 3,
    PreferredBackupWindow: '04:00-04:30',
    PreferredMaintenanceWindow: 'sat:06:00-sat:06:30',
    ApplyImmediately: true,
  })
  assert.equal(find(good, 'AddRoleToDBCluster', 'temp-shop-staging').request, {
    DBClusterIdentifier: 'temp-shop-staging',
    RoleArn: 'arn:aws:iam::123456789012:role/shop-staging-s3-import',
    FeatureName: 's3Import',
  })
})

test('each instance is created in the clone with its target\'s class, tier, parameter group, monitoring and Performance Insights', () => {
  const writer = find(good, 'CreateDBInstance', 'temp-shop-staging-1').request as Record<string, unknown>
  assert.is(writer['DBClusterIdentifier'], 'temp-shop-staging')
  assert.is(writer['Engine'], 'aurora-postgresql')
  assert.is(writer['DBInstanceClass'], 'db.r6g.large')
  assert.is(writer['PromotionTier'], 0)
  assert.is(writer['DBParameterGroupName'], 'shop-staging-pg16')
  assert.is(writer['EnablePerformanceInsights'], true)
  assert.is(writer['PerformanceInsightsRetentionPeriod'], 7)
  assert.is(writer['MonitoringInterval'], 0)
  assert.is(writer['MonitoringRoleArn'], undefined)
  const reader = find(good, 'CreateDBInstance', 'temp-shop-staging-2').request as Record<string, unknown>
  assert.is(reader['DBInstanceClass'], 'db.t4g.medium')
  assert.is(reader['PromotionTier'], 2)
  assert.is(reader['DBParameterGroupName'], 'shop-staging-reader-pg16')
  assert.is(reader['EnablePerformanceInsights'], false)
  assert.ok((reader['Tags'] as Array<{ Key: string; Value: string }>).some((t) => t.Key === 'mitosis:copy-of' && t.Value === 'shop-staging-2'))
})

test('run tags: the target cluster and each instance are tagged before they are renamed away; the hook leaves a tag', () => {
  const tag = find(good, 'AddTagsToResource', 'shop-staging-1')
  assert.equal(tag.request, {
    ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:shop-staging-1',
    Tags: [{ Key: 'mitosis:run', Value: good.run }, { Key: 'mitosis:renamed-from', Value: 'shop-staging-1' }],
  })
  const clusterTag = good.steps[5]!
  assert.equal(clusterTag.request, {
    ResourceName: 'arn:aws:rds:us-east-1:123456789012:cluster:shop-staging',
    Tags: [{ Key: 'mitosis:run', Value: good.run }, { Key: 'mitosis:renamed-from', Value: 'shop-staging' }],
  })
  assert.equal(good.steps[15]!.request, { ResourceName: 'arn:aws:rds:us-east-1:123456789012:cluster:shop-staging', Tags: [{ Key: 'mitosis:restarted', Value: good.run }] })
  // the same run id on a second planning
  assert.is(planOf(aurora, req).run, good.run)
})

test('deletes: the old instances, then the old cluster with SkipFinalSnapshot, or a final snapshot when asked', () => {
  assert.equal(find(good, 'DeleteDBCluster', 'old-shop-staging').request, { DBClusterIdentifier: 'old-shop-staging', SkipFinalSnapshot: true })
  const kept = planOf(aurora, { ...req, finalSnapshot: true })
  assert.equal(find(kept, 'DeleteDBCluster', 'old-shop-staging').request, {
    DBClusterIdentifier: 'old-shop-staging',
    FinalDBSnapshotIdentifier: `shop-staging-final-${kept.run}`,
  })
  assert.equal(checkPlan(aurora, kept), [])
  // no hook: the deletes wait for the renames into place
  const quiet = planOf(aurora, { source: 'shop-prod', target: 'shop-staging' })
  assert.not.ok(quiet.steps.some((s) => s.op === 'RunCommand'))
  assert.equal(checkPlan(aurora, quiet), [])
  // no deletion protection: no unprotecting modify
  const open = planOf(withClusters(aurora, (c) => ({ ...c, DeletionProtection: false })), req)
  assert.not.ok(open.steps.some((s) => s.op === 'ModifyDBCluster' && s.id === 'old-shop-staging'))
})

test('the predicted end state: same names and writer, the source\'s data, the target\'s settings, the source untouched', () => {
  const { state } = predict(aurora, good)
  const c = state.clusters.get('shop-staging')!
  assert.is(c.dataFrom, 'shop-prod')
  assert.is(c.origin, 'temp-shop-staging')
  assert.is(c.settings.Port, 5433)
  assert.equal(c.roles, ['arn:aws:iam::123456789012:role/shop-staging-s3-import (s3Import)'])
  const members = [...state.instances.values()].filter((i) => i.cluster === c.origin).map((i) => [i.id, i.writer])
  assert.equal(members, [['shop-staging-1', true], ['shop-staging-2', false]])
  assert.ok(state.clusters.has('shop-prod'))
  assert.not.ok([...state.clusters.keys(), ...state.instances.keys()].some((id) => id.startsWith('temp-') || id.startsWith('old-')))
})

test('refusals: no such cluster, both an instance and a cluster, a mix, the same cluster', () => {
  assert.is(refusal(aurora, { source: 'shop-prod', target: 'shop-qa' }), 'shop-qa: no such DB cluster or DB instance in us-east-1')
  const both: Environment = {
    ...aurora,
    instances: [...aurora.instances, { ...aurora.instances[0]!, DBInstanceIdentifier: 'shop-staging', DBClusterIdentifier: undefined } as DBInstance],
  }
  assert.is(refusal(both, req), 'shop-staging: names both a DB instance and an Aurora DB cluster; cannot tell which to clone (rename one of them)')
  assert.is(
    refusal(aurora, { source: 'shop-prod-1', target: 'shop-staging' }),
    'shop-prod-1: is a DB instance, not an Aurora cluster, but the other side is a cluster; source and target must both be clusters or both be instances',
  )
  assert.is(refusal(aurora, { source: 'shop-prod', target: 'shop-prod' }), 'shop-prod: source and target are the same DB cluster')
  assert.is(refusal(aurora, { source: 'shop_prod', target: 'shop-staging' }), '"shop_prod" is not a valid DB cluster identifier: it may contain only letters, digits and hyphens')
  assert.equal(cloneKind(aurora, 'shop-prod', 'shop-staging'), E.right('cluster'))
  assert.equal(cloneKind(fixture('demo'), 'mitosis-prod', 'mitosis-demo'), E.right('instance'))
})

test('refusals: a source without instances, a target shared through RAM, another region', () => {
  const empty = withClusters(aurora, (c) => (c.DBClusterIdentifier === 'shop-prod' ? { ...c, DBClusterMembers: [] } : c))
  assert.is(refusal(empty, req), 'shop-prod: the source cluster has no DB instances; a copy-on-write clone needs at least one')
  const shared: Environment = { ...aurora, ramSharedClusterArns: ['arn:aws:rds:us-east-1:123456789012:cluster:shop-staging'] }
  assert.is(
    refusal(shared, req),
    'shop-staging: is shared with other accounts through AWS RAM (arn:aws:rds:us-east-1:123456789012:cluster:shop-staging); refusing to replace a shared cluster',
  )
  const elsewhere = withClusters(aurora, (c) => (c.DBClusterIdentifier === 'shop-prod' ? { ...c, DBClusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:shop-prod' } : c))
  assert.is(refusal(elsewhere, req), 'shop-prod is in eu-west-1 but shop-staging is in us-east-1; a copy-on-write clone stays in its source\'s region')
})

test('refusals: another major version', () => {
  const older = withClusters(aurora, (c) => (c.DBClusterIdentifier === 'shop-prod' ? { ...c, EngineVersion: '15.7' } : c))
  assert.is(refusal(older, req), 'shop-prod runs version 15.7 but shop-staging runs 16.4; a clone keeps the source\'s major version, so the target\'s parameter groups would not fit')
})

test('a Serverless v2 target keeps its capacity: the restore carries it', () => {
  const env = withClusters(aurora, (c) => (c.DBClusterIdentifier === 'shop-staging' ? { ...c, ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 8 } } : c))
  const p = planOf(env, req)
  assert.equal((find(p, 'RestoreDBClusterToPointInTime', 'temp-shop-staging').request as Record<string, unknown>)['ServerlessV2ScalingConfiguration'], { MinCapacity: 0.5, MaxCapacity: 8 })
  const restore = find(p, 'RestoreDBClusterToPointInTime', 'temp-shop-staging')
  const lost = tamper(p, restore.n, (s) => {
    const { ServerlessV2ScalingConfiguration: _c, ...rest } = s.request as Record<string, unknown>
    return { ...s, request: rest } as Step
  })
  assert.ok(checkPlan(env, lost).some((v) => v.includes('ServerlessV2ScalingConfiguration')))
})

test('refusals: quotas, with the numbers', () => {
  assert.is(
    refusal({ ...aurora, quotas: { DBInstances: 5 } }, req),
    'quota: the clone needs 2 more DB instances beside the 4 there are, 6 in all, over the limit of 5; raise the quota or make room first',
  )
  assert.is(
    refusal({ ...aurora, quotas: { DBClusters: 2 } }, req),
    'quota: the clone needs 1 more DB clusters beside the 2 there are, 3 in all, over the limit of 2; raise the quota or make room first',
  )
  // the defaults (40/40) leave room here
  assert.ok(E.isRight(planClusterClone({ ...aurora, quotas: {} }, req)))
})

test('refusals: a final snapshot name too long for RDS', () => {
  const long = 'a'.repeat(50)
  const env: Environment = {
    ...withClusters(aurora, (c) => (c.DBClusterIdentifier === 'shop-staging' ? { ...c, DBClusterIdentifier: long, DBClusterArn: `arn:aws:rds:us-east-1:123456789012:cluster:${long}` } : c)),
  }
  assert.ok(E.isRight(planClusterClone(env, { source: 'shop-prod', target: long })))
  assert.match(refusal(env, { source: 'shop-prod', target: long, finalSnapshot: true }), /^a{50}-final-r[0-9a-f]{8}: is 66 characters long \(RDS allows 63\)/)
})

test('refusals: a temp- name already taken', () => {
  const taken = withClusters(aurora, (c) => c)
  const env: Environment = { ...taken, clusters: [...taken.clusters!, { ...taken.clusters![1]!, DBClusterIdentifier: 'temp-shop-staging', DBClusterMembers: [], Status: 'available' }] }
  assert.match(refusal(env, req), /^temp-shop-staging: already exists \(available\)/)
})

test('tampered plans are refused by the checker', () => {
  const has = (p: Plan, text: string) => {
    const v = checkPlan(aurora, p)
    assert.ok(v.some((x) => x.includes(text)), `expected "${text}" in:\n${v.join('\n')}`)
  }
  const restore = find(good, 'RestoreDBClusterToPointInTime', 'temp-shop-staging')
  has(tamper(good, restore.n, (s) => ({ ...s, request: { ...s.request, RestoreType: 'full-copy' } }) as Step), 'RestoreType is full-copy, not copy-on-write')
  has(tamper(good, restore.n, (s) => ({ ...s, request: { ...s.request, Port: 5432 } }) as Step), 'shop-staging does not keep the target\'s settings: Port 5433 → 5432')
  // a lost cluster modify: the backup and maintenance settings are not kept
  has(without(good, find(good, 'ModifyDBCluster', 'temp-shop-staging').n), 'shop-staging does not keep the target\'s settings: BackupRetentionPeriod')
  // a lost role
  has(without(good, find(good, 'AddRoleToDBCluster', 'temp-shop-staging').n), 'has the IAM roles []')
  // a lost reader
  has(without(good, find(good, 'CreateDBInstance', 'temp-shop-staging-2').n), 'shop-staging-2 is not an instance of shop-staging')
  // readers before the writer
  const reader = find(good, 'CreateDBInstance', 'temp-shop-staging-2')
  has(tamper(good, reader.n, (s) => ({ ...s, after: [3] })), 'without waiting for the writer temp-shop-staging-1')
  // deleting what was not renamed away
  const del = find(good, 'DeleteDBCluster', 'old-shop-staging')
  has(tamper(good, del.n, (s) => ({ ...s, id: 'shop-prod', request: { DBClusterIdentifier: 'shop-prod', SkipFinalSnapshot: true } }) as Step), 'shop-prod was not renamed to old-* by this plan')
  // the cluster deleted before its instances
  has(tamper(good, del.n, (s) => ({ ...s, after: [19] })), 'without waiting for step 17, which deletes its instance old-shop-staging-1')
  // deletion protection left on
  has(without(good, find(good, 'ModifyDBCluster', 'old-shop-staging').n), 'old-shop-staging still has deletion protection on')
  // cloning from another cluster
  has(tamper(good, restore.n, (s) => ({ ...s, request: { ...s.request, SourceDBClusterIdentifier: 'shop-staging' } }) as Step), 'holds the data of shop-staging, not of shop-prod')
  // renaming in before the name is free
  const into = good.steps.find((s) => s.op === 'ModifyDBCluster' && s.id === 'temp-shop-staging' && s.request.NewDBClusterIdentifier !== undefined)!
  has(tamper(good, into.n, (s) => ({ ...s, after: [5] })), `step ${into.n} (ModifyDBCluster temp-shop-staging) does not wait for step 7`)
  // touching the source
  const tag = find(good, 'AddTagsToResource', 'shop-staging-1')
  has(tamper(good, tag.n, (s) => ({ ...s, id: 'shop-prod-1', request: { ...s.request, ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:shop-prod-1' } }) as Step), 'an instance of the source cluster shop-prod')
  // the old cluster never deleted: left behind
  const noDeletes = { ...good, steps: good.steps.filter((s) => s.n !== del.n) }
  has(noDeletes, 'end state: old-shop-staging is left behind')
})

test('the instance checker refuses cluster steps, and the IAM policy names cluster resources', () => {
  assert.ok(checkPlan(aurora, { ...good, kind: 'replica-tree' }).some((v) => v.includes('is an Aurora cluster step')))
  const policy = iamPolicy(aurora, good)
  const restore = policy.Statement.find((s) => s.Sid === 'RestoreDBClusterToPointInTime')!
  assert.ok(restore.Resource.includes('arn:aws:rds:us-east-1:123456789012:cluster:shop-prod'))
  assert.ok(restore.Resource.includes('arn:aws:rds:us-east-1:123456789012:cluster:temp-shop-staging'))
  const del = policy.Statement.find((s) => s.Sid === 'DeleteDBCluster')!
  assert.equal(del.Resource, ['arn:aws:rds:us-east-1:123456789012:cluster:old-shop-staging'])
  const describe = policy.Statement.find((s) => s.Sid === 'DescribeEnvironment')!
  assert.ok(describe.Action.includes('rds:DescribeDBClusters'))
  assert.ok(describe.Resource.includes('arn:aws:rds:us-east-1:123456789012:cluster:*'))
  const pass = policy.Statement.find((s) => s.Action.includes('iam:PassRole'))!
  assert.ok(pass.Resource.includes('arn:aws:iam::123456789012:role/shop-staging-s3-import'))
  const tags = policy.Statement.find((s) => s.Sid === 'AddTagsToResource')!
  assert.ok(tags.Resource.includes('arn:aws:rds:us-east-1:123456789012:cluster:temp-shop-staging'))
  assert.ok(tags.Resource.includes('arn:aws:rds:us-east-1:123456789012:db:temp-shop-staging-1'))
})

test('progress of a cluster plan is read off describe (clusters with their tags, instances)', () => {
  const tagsOf = (n: number) => (good.steps[n - 1]!.request as { Tags: Array<{ Key: string; Value: string }> }).Tags
  const staging = aurora.clusters!.find((c) => c.DBClusterIdentifier === 'shop-staging')!
  const temp: DBCluster = {
    ...staging,
    DBClusterIdentifier: 'temp-shop-staging',
    DBClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:temp-shop-staging',
    DbClusterResourceId: 'cluster-NEW',
    DBClusterMembers: [
      { DBInstanceIdentifier: 'temp-shop-staging-1', IsClusterWriter: true, PromotionTier: 0 },
      { DBInstanceIdentifier: 'temp-shop-staging-2', IsClusterWriter: false, PromotionTier: 2 },
    ],
    TagList: tagsOf(1),
  }
  const copyOf = (id: string, n: number, status = 'available'): DBInstance => ({
    ...aurora.instances.find((i) => i.DBInstanceIdentifier === id)!,
    DBInstanceIdentifier: `temp-${id}`,
    DBClusterIdentifier: 'temp-shop-staging',
    DBInstanceStatus: status,
    TagList: tagsOf(n),
  })
  const midway = (status: string): Environment => {
    const instances = [...aurora.instances, copyOf('shop-staging-1', 4), copyOf('shop-staging-2', 5, status)]
    return { ...aurora, instances, tags: Object.fromEntries(instances.map((i) => [i.DBInstanceIdentifier, i.TagList ?? []])), clusters: [...aurora.clusters!, temp] }
  }
  assert.equal(planProgress(aurora, good).map((p) => p._tag), Array(20).fill('pending'))
  const creating = planProgress(midway('creating'), good).map((p) => p._tag)
  assert.equal(creating.slice(0, 6), ['done', 'done', 'done', 'done', 'started', 'pending'])
  const built = planProgress(midway('available'), good).map((p) => p._tag)
  assert.equal(built.slice(0, 6), ['done', 'done', 'done', 'done', 'done', 'pending'])
  // the end: the copies under the real names, the hook's tag on the cluster, nothing old- left
  const finalTags = [...tagsOf(1), { Key: 'mitosis:restarted', Value: good.run }]
  const end: Environment = {
    ...aurora,
    clusters: [aurora.clusters![0]!, { ...temp, DBClusterIdentifier: 'shop-staging', TagList: finalTags }],
    instances: [
      ...aurora.instances.filter((i) => i.DBClusterIdentifier === 'shop-prod'),
      { ...copyOf('shop-staging-1', 4), DBInstanceIdentifier: 'shop-staging-1', DBClusterIdentifier: 'shop-staging' },
      { ...copyOf('shop-staging-2', 5), DBInstanceIdentifier: 'shop-staging-2', DBClusterIdentifier: 'shop-staging' },
    ],
  }
  const endTags = { ...Object.fromEntries(end.instances.map((i) => [i.DBInstanceIdentifier, i.TagList ?? []])) }
  assert.equal(planProgress({ ...end, tags: endTags }, good).map((p) => p._tag), Array(20).fill('done'))
})

test('a re-run midway (everything renamed away, nothing renamed in yet) makes the same plan, and the first steps are done', () => {
  const tagsOf = (n: number) => (good.steps[n - 1]!.request as { Tags: Array<{ Key: string; Value: string }> }).Tags
  const renamed = (id: string) => [{ Key: 'mitosis:run', Value: good.run }, { Key: 'mitosis:renamed-from', Value: id }]
  const [prod, staging] = aurora.clusters! as [DBCluster, DBCluster]
  const byId = (id: string) => aurora.instances.find((i) => i.DBInstanceIdentifier === id)!
  const clusters: DBCluster[] = [
    prod,
    {
      ...staging,
      DBClusterIdentifier: 'old-shop-staging',
      DBClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:old-shop-staging',
      DBClusterMembers: staging.DBClusterMembers!.map((m) => ({ ...m, DBInstanceIdentifier: `old-${m.DBInstanceIdentifier}` })),
      TagList: [...staging.TagList!, ...renamed('shop-staging')],
    },
    {
      ...staging,
      DBClusterIdentifier: 'temp-shop-staging',
      DBClusterArn: 'arn:aws:rds:us-east-1:123456789012:cluster:temp-shop-staging',
      DbClusterResourceId: 'cluster-NEW',
      DBClusterMembers: staging.DBClusterMembers!.map((m) => ({ ...m, DBInstanceIdentifier: `temp-${m.DBInstanceIdentifier}` })),
      TagList: tagsOf(1),
    },
  ]
  const instances: DBInstance[] = [
    byId('shop-prod-1'),
    byId('shop-prod-2'),
    ...['shop-staging-1', 'shop-staging-2'].map((id) => ({
      ...byId(id),
      DBInstanceIdentifier: `old-${id}`,
      DBInstanceArn: `arn:aws:rds:us-east-1:123456789012:db:old-${id}`,
      DBClusterIdentifier: 'old-shop-staging',
      TagList: [...byId(id).TagList!, ...renamed(id)],
    })),
    ...(['shop-staging-1', 'shop-staging-2'] as const).map((id, k) => ({
      ...byId(id),
      DBInstanceIdentifier: `temp-${id}`,
      DBInstanceArn: `arn:aws:rds:us-east-1:123456789012:db:temp-${id}`,
      DbiResourceId: `db-NEW${k}`,
      DBClusterIdentifier: 'temp-shop-staging',
      TagList: tagsOf(4 + k),
    })),
  ]
  const midway: Environment = { ...aurora, clusters, instances, tags: Object.fromEntries(instances.map((i) => [i.DBInstanceIdentifier, i.TagList ?? []])) }
  const again = planOf(midway, req)
  assert.equal(again, good)
  assert.equal(planProgress(midway, again).map((p) => p._tag), [...Array(11).fill('done'), ...Array(9).fill('pending')])
})

test('the picture: both clusters with their instances before, and the target holding the source\'s data after', () => {
  const m = renderMermaid(aurora, good)
  assert.ok(m.startsWith('flowchart LR\n'))
  assert.ok(m.includes('before_c_shop_staging["shop-staging<br/>aurora-postgresql cluster"]'), m)
  assert.ok(m.includes('after_c_shop_staging["shop-staging<br/>aurora-postgresql cluster<br/>data of shop-prod"]'), m)
  assert.ok(m.includes('after_i_shop_staging_1["shop-staging-1<br/>db.r6g.large writer"]'), m)
  assert.ok(m.includes('after_c_shop_staging --> after_i_shop_staging_2'), m)
  assert.ok(m.includes('before_c_shop_prod -. "clone (20 steps)" .-> after_c_shop_staging'), m)
})

test.run()
