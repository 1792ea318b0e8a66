/**
 * Aurora clusters through the read side: the simulator answers DescribeDBClusters with the fixture's clusters,
 * observeEnvironment reads them only when the instances cannot settle the request, and the plan verb picks the
 * planner with cloneKind.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { RdsError } from '../../src/interpret/capabilities.js'
import { planClusterClone } from '../../src/plan/clone/clone.js'
import { observeEnvironment } from '../../src/interpret/observe.js'
import * as workflow from '../../src/interpret/workflow.js'
import { renderPlanFailure } from '../../src/interpret/workflow.js'
import { simulate } from '../../src/sim/simulator.js'
import { fixture } from '../support/fixtures.js'
import { renderProblems } from '../../src/plan/problems.js'

const aurora = fixture('aurora')
const demo = fixture('demo')
const actions = (sim: ReturnType<typeof simulate>): string[] => sim.calls().map((c) => c.action)

test('the simulator answers DescribeDBClusters with the clusters as seeded (none for a fixture without any)', async () => {
  const sim = simulate(aurora)
  const clusters = await sim.describeDBClusters()()
  assert.ok(E.isRight(clusters))
  if (E.isRight(clusters)) assert.equal(clusters.right, aurora.clusters)
  assert.equal(sim.environment().clusters, aurora.clusters)
  const none = await simulate(demo).describeDBClusters()()
  assert.equal(none, E.right([]))
  assert.is(simulate(demo).environment().clusters, undefined)
})

test('an instance plan reads no clusters: the same calls as before', async () => {
  const sim = simulate(demo)
  const env = await observeEnvironment(sim, { source: 'mitosis-prod', target: 'mitosis-demo' })()
  assert.ok(E.isRight(env))
  assert.not.ok(actions(sim).includes('DescribeDBClusters'), actions(sim).join(' '))
  if (E.isRight(env)) assert.is(env.right.clusters, undefined)
})

test('a cluster plan reads the clusters once, and the plan verb plans it with the cluster planner', async () => {
  const sim = simulate(aurora)
  const planned = await workflow.plan({ rds: sim }, { clone: { source: 'shop-prod', target: 'shop-staging', finalSnapshot: true } })()
  if (E.isLeft(planned)) assert.unreachable(renderPlanFailure(planned.left))
  else {
    assert.is(planned.right.plan.kind, 'aurora-cluster')
    assert.is(planned.right.plan.steps[0]!.op, 'RestoreDBClusterToPointInTime')
    assert.ok(planned.right.plan.steps.some((s) => s.op === 'DeleteDBCluster' && 'FinalDBSnapshotIdentifier' in s.request))
  }
  assert.equal(actions(sim), ['DescribeDBInstances', 'DescribeDBClusters', 'DescribeAccountAttributes', 'ram:ListResources'])
})

test('a cluster plan reads the account\'s quotas (their maxima) and the clusters shared through RAM', async () => {
  const arn = 'arn:aws:rds:us-east-1:123456789012:cluster:shop-staging'
  const sim = simulate({ ...aurora, quotas: { DBInstances: 5 }, ramSharedClusterArns: [arn] })
  const quotas = await sim.describeAccountQuotas()()
  assert.equal(quotas, E.right({ DBInstances: { used: aurora.instances.length, max: 5 }, DBClusters: { used: aurora.clusters!.length, max: 40 } }))
  const env = await observeEnvironment(sim, { source: 'shop-prod', target: 'shop-staging' })()
  if (E.isLeft(env)) assert.unreachable(JSON.stringify(env.left))
  else {
    assert.equal(env.right.quotas, { DBInstances: 5, DBClusters: 40 })
    assert.equal(env.right.ramSharedClusterArns, [arn])
  }
  const planned = await workflow.plan({ rds: sim }, { clone: { source: 'shop-prod', target: 'shop-staging' } })()
  if (E.isRight(planned)) assert.unreachable('a shared target over the quota must be refused')
  else {
    const line = renderPlanFailure(planned.left)
    assert.ok(line.includes(`shop-staging: is shared with other accounts through AWS RAM (${arn})`), line)
    assert.ok(line.includes('over the limit of 5;'), line)
  }
})

test("quotas read: no note; an endpoint that answers DescribeAccountAttributes with something not the API's, or InvalidAction: RDS's defaults and a note; anything else stops the plan", async () => {
  const sim = simulate(aurora)
  const req = { source: 'shop-prod', target: 'shop-staging' }
  const read = await observeEnvironment(sim, req)()
  assert.ok(E.isRight(read) && read.right.notes === undefined, JSON.stringify(E.isRight(read) ? read.right.notes : read.left))
  const failing = (e: RdsError) => ({ ...sim, describeAccountQuotas: () => TE.left<RdsError, never>(e) })
  const notAws = await observeEnvironment(failing({ _tag: 'Decode', action: 'DescribeAccountAttributes', message: 'HTTP 500 text/html, not an answer of the RDS API' }), req)()
  assert.equal(E.isRight(notAws) ? [notAws.right.quotas, notAws.right.notes] : notAws.left, [{}, ["could not read the account's quotas (DescribeAccountAttributes answered HTTP 500 text/html, not an answer of the RDS API); assuming RDS's defaults"]])
  const unknown = await observeEnvironment(failing({ _tag: 'Api', action: 'DescribeAccountAttributes', code: 'InvalidAction', message: 'no such action' }), req)()
  assert.equal(E.isRight(unknown) ? unknown.right.notes : unknown.left, ["could not read the account's quotas (DescribeAccountAttributes: InvalidAction); assuming RDS's defaults"])
  const unreachable = await workflow.plan({ rds: failing({ _tag: 'Unreachable', message: 'cannot reach RDS: ECONNREFUSED' }) }, { clone: req })()
  assert.ok(E.isLeft(unreachable) && renderPlanFailure(unreachable.left) === 'cannot reach RDS: ECONNREFUSED')
})

test('DescribeAccountAttributes denied: RDS\'s default quotas, said in the refusal; ram:ListResources denied: refused, naming it', async () => {
  const crowded = { ...aurora, quotas: { DBClusters: 2 } }
  const denied = (action: string) => () => TE.left<RdsError, never>({ _tag: 'AccessDenied', action, message: 'not authorized' })
  const sim = simulate(crowded)
  // the simulator seeded with DBClusters: 2, but the account's answer is denied: the default 40 leaves room
  const planned = await workflow.plan({ rds: { ...sim, describeAccountQuotas: denied('DescribeAccountAttributes') } }, { clone: { source: 'shop-prod', target: 'shop-staging' } })()
  assert.ok(E.isRight(planned))
  const observed = await observeEnvironment({ ...sim, describeAccountQuotas: denied('DescribeAccountAttributes') }, { source: 'shop-prod', target: 'shop-staging' })()
  if (E.isRight(observed)) {
    assert.equal(observed.right.quotas, {})
    assert.equal(observed.right.notes, ["could not read the account's quotas (access denied for rds:DescribeAccountAttributes); assuming RDS's defaults"])
    const full = { ...observed.right, instances: [...observed.right.instances, ...Array.from({ length: 40 }, (_, i) => ({ ...observed.right.instances[0]!, DBInstanceIdentifier: `filler-${i}`, DBInstanceArn: `arn:aws:rds:us-east-1:123456789012:db:filler-${i}`, DBClusterIdentifier: undefined }))] }
    const refused = planClusterClone(full, { source: 'shop-prod', target: 'shop-staging' })
    if (E.isRight(refused)) assert.unreachable('over the default quota')
    else assert.ok(renderProblems(refused.left).includes('over the limit of 40 (default quota);'), renderProblems(refused.left))
  } else assert.unreachable(JSON.stringify(observed.left))
  const ram = await workflow.plan({ rds: { ...sim, listRamSharedClusterArns: denied('ram:ListResources') } }, { clone: { source: 'shop-prod', target: 'shop-staging' } })()
  if (E.isRight(ram)) assert.unreachable('RAM denied must refuse')
  else assert.match(renderPlanFailure(ram.left), /^access denied for ram:ListResources: not authorized$/)
  // an instance plan asks neither
  const plain = simulate(demo)
  await workflow.plan({ rds: plain }, { clone: { source: 'mitosis-prod', target: 'mitosis-demo' } })()
  assert.not.ok(actions(plain).some((a) => a === 'DescribeAccountAttributes' || a === 'ram:ListResources'), actions(plain).join(' '))
})

test('a cluster member named as an instance: the clusters are read, and the instance planner says to name the cluster', async () => {
  const sim = simulate(aurora)
  const planned = await workflow.plan({ rds: sim }, { clone: { source: 'shop-prod-1', target: 'shop-staging-1' } })()
  assert.ok(E.isLeft(planned))
  if (E.isLeft(planned)) assert.match(renderPlanFailure(planned.left), 'shop-prod-1: is a member of the Aurora cluster shop-prod; name the cluster instead')
  assert.equal(actions(sim).filter((a) => a === 'DescribeDBClusters'), ['DescribeDBClusters'])
})

test('a missing instance in an instance world keeps the instance planner\'s refusal', async () => {
  const planned = await workflow.plan({ rds: simulate(demo) }, { clone: { source: 'mitosis-nope', target: 'mitosis-demo' } })()
  assert.ok(E.isLeft(planned))
  if (E.isLeft(planned)) assert.is(renderPlanFailure(planned.left), 'mitosis-nope: no such DB instance in us-east-1')
})

test('the simulator refuses deleting a cluster that still has instances (InvalidDBClusterStateFault)', async () => {
  const sim = simulate(aurora)
  const sent = await sim.send({ op: 'DeleteDBCluster', id: 'shop-staging', request: { DBClusterIdentifier: 'shop-staging', SkipFinalSnapshot: true } })()
  assert.ok(E.isLeft(sent))
  if (E.isLeft(sent)) assert.is(sent.left._tag === 'Api' ? sent.left.code : sent.left._tag, 'InvalidDBClusterStateFault')
})

test.run()
