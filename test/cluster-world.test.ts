/**
 * Aurora clusters through the read side: the simulator answers DescribeDBClusters with the fixture's clusters,
 * observeEnvironment reads them only when the instances cannot settle the request, and planFromWorld picks the
 * planner with cloneKind.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { observeEnvironment } from '../src/interpret/observe.js'
import { planFromWorld, renderPlanFailure } from '../src/interpret/plan.js'
import { simulate } from '../src/sim/simulator.js'
import { fixture } from './support/fixtures.js'

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

test('a cluster plan reads the clusters once, and planFromWorld plans it with the cluster planner', async () => {
  const sim = simulate(aurora)
  const planned = await planFromWorld(sim, { source: 'shop-prod', target: 'shop-staging', finalSnapshot: true })()
  if (E.isLeft(planned)) assert.unreachable(renderPlanFailure(planned.left))
  else {
    assert.is(planned.right.kind, 'cluster')
    assert.is(planned.right.plan.steps[0]!.op, 'RestoreDBClusterToPointInTime')
    assert.ok(planned.right.plan.steps.some((s) => s.op === 'DeleteDBCluster' && 'FinalDBSnapshotIdentifier' in s.request))
  }
  assert.equal(actions(sim), ['DescribeDBInstances', 'DescribeDBClusters'])
})

test('a cluster member named as an instance: the clusters are read, and the instance planner says to name the cluster', async () => {
  const sim = simulate(aurora)
  const planned = await planFromWorld(sim, { source: 'shop-prod-1', target: 'shop-staging-1' })()
  assert.ok(E.isLeft(planned))
  if (E.isLeft(planned)) assert.match(renderPlanFailure(planned.left), 'shop-prod-1: is a member of the Aurora cluster shop-prod; name the cluster instead')
  assert.equal(actions(sim).filter((a) => a === 'DescribeDBClusters'), ['DescribeDBClusters'])
})

test('a missing instance in an instance world keeps the instance planner\'s refusal', async () => {
  const planned = await planFromWorld(simulate(demo), { source: 'mitosis-nope', target: 'mitosis-demo' })()
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
