/**
 * Applying Aurora cluster clones on the simulator, in virtual time: a whole clone of
 * fixtures/aurora.json ends in the state the cluster predictor foretold; a run killed after each
 * accepted call, or in the middle of its waits, and re-run ends the same; --final-snapshot applies;
 * a failing hook keeps old-* and a re-run finishes.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import { applyPlan } from '../../src/interpret/scheduler.js'
import * as workflow from '../../src/interpret/workflow.js'
import { renderPlanFailure, type WorldCloneRequest } from '../../src/interpret/workflow.js'
import { clusterSettings, memberSettings } from '../../src/plan/settings.js'
import { predict } from '../../src/plan/predict/step.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { fixture } from '../support/fixtures.js'
import { clusterWorld, fakeShell, killable, Killed, OPTIONS, planCall, reads, run } from '../support/apply.js'

const REQ: WorldCloneRequest = { source: 'shop-prod', target: 'shop-staging', restart: './restart.sh' }

const endState = clusterWorld

/** Settings without the run's own tags (mitosis:*), which the predictor keeps as the requests carry them. */
const withoutRunTags = <S extends { readonly Tags?: ReadonlyArray<{ readonly Key: string }> }>(s: S): S =>
  s.Tags === undefined ? s : { ...s, Tags: s.Tags.filter((t) => !t.Key.startsWith('mitosis:')) }

let uninterrupted: ReturnType<typeof endState> | undefined

test('aurora: a whole clone ends in the predicted state, the target cluster holding the source cluster\'s data', async () => {
  const env = fixture('aurora')
  const sim = simulate(env)
  const hook = fakeShell()
  const { plan, result } = await run(sim, REQ, { shell: hook.shell })
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
  const predicted = predict(env, plan).state
  const now = sim.environment()
  const clusters = now.clusters ?? []
  assert.equal(clusters.map((c) => c.DBClusterIdentifier).sort(), [...predicted.clusters.keys()].sort())
  assert.equal(now.instances.map((i) => i.DBInstanceIdentifier).sort(), [...predicted.instances.keys()].sort())
  assert.not.ok([...clusters.map((c) => c.DBClusterIdentifier), ...now.instances.map((i) => i.DBInstanceIdentifier)].some((id) => /^(temp|old)-/.test(id)))
  for (const c of clusters) {
    const p = predicted.clusters.get(c.DBClusterIdentifier)!
    assert.is(c.Status, 'available', c.DBClusterIdentifier)
    assert.is(sim.dataOf(c.DBClusterIdentifier), p.dataFrom, `${c.DBClusterIdentifier} holds the data of`)
    assert.equal(withoutRunTags(clusterSettings(c)), withoutRunTags(p.settings), `${c.DBClusterIdentifier} settings`)
    assert.equal((c.AssociatedRoles ?? []).map((r) => r.Status), (c.AssociatedRoles ?? []).map(() => 'ACTIVE'))
  }
  const byId = new Map(now.instances.map((i) => [i.DBInstanceIdentifier, i]))
  for (const [id, p] of predicted.instances) {
    const i = byId.get(id)!
    assert.is(i.DBInstanceStatus, 'available', id)
    assert.is(i.DBClusterIdentifier, p.cluster === undefined ? undefined : predicted.clusters.get(p.cluster)?.id ?? i.DBClusterIdentifier, `${id} cluster`)
    const cluster = clusters.find((c) => c.DBClusterIdentifier === i.DBClusterIdentifier)
    const member = cluster?.DBClusterMembers?.find((m) => m.DBInstanceIdentifier === id)
    assert.is(member?.IsClusterWriter ?? false, p.writer, `${id} writer`)
    assert.equal(withoutRunTags(memberSettings(i, member, i.TagList ?? [])), withoutRunTags(p.settings), `${id} settings`)
  }
  // the target keeps its name and members, now holding the source cluster's data
  const staging = clusters.find((c) => c.DBClusterIdentifier === 'shop-staging')!
  assert.equal((staging.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier).sort(), ['shop-staging-1', 'shop-staging-2'])
  assert.is(sim.dataOf('shop-staging'), 'shop-prod')
  assert.is(sim.dataOf('shop-staging-1'), 'shop-prod')
  assert.is(sim.dataOf('shop-staging-2'), 'shop-prod')
  assert.is(sim.dataOf('shop-prod'), 'shop-prod')
  // the hook ran once with the cluster's endpoint
  assert.is(hook.calls.length, 1)
  assert.is(hook.calls[0]!.env['MITOSIS_TARGET_ENDPOINT'], `${staging.Endpoint}:${staging.Port}`)
  // the source was only read and cloned from
  const touched = sim.calls().filter((c) => !/^(Describe|List)/.test(c.action) && /"(DBInstanceIdentifier|DBClusterIdentifier)":"shop-prod/.test(JSON.stringify(c.input)))
  assert.equal(touched, [])
  uninterrupted = endState(sim)
})

test('aurora: each poll tick makes one DescribeDBInstances and one DescribeDBClusters', async () => {
  const sim = simulate(fixture('aurora'))
  const { result } = await run(sim, REQ)
  assert.ok(E.isRight(result))
  const reads = sim.calls().filter((c) => c.action === 'DescribeDBInstances' || c.action === 'DescribeDBClusters')
  const instances = reads.filter((c) => c.action === 'DescribeDBInstances').length
  const clusters = reads.filter((c) => c.action === 'DescribeDBClusters').length
  assert.is(instances, clusters)
  const ticks = new Map<number, string[]>()
  for (const c of reads) ticks.set(c.at, [...(ticks.get(c.at) ?? []), c.action])
  // the initial read of the world (planning) and the interpreter's first look share the start
  for (const [at, actions] of [...ticks].slice(1)) assert.equal(actions, ['DescribeDBInstances', 'DescribeDBClusters'], `tick at ${at}`)
})

test('aurora: killed after each accepted call, then re-run: the same end state', async () => {
  const total = (await run(simulate(fixture('aurora')), REQ)).plan.steps.filter((s) => s.op !== 'RunCommand').length
  for (let k = 0; k < total; k++) {
    const sim = simulate(fixture('aurora'))
    const killed = await run(sim, REQ, killable(sim, { sends: k })).then(
      () => false,
      (e: unknown) => e instanceof Killed,
    )
    assert.ok(killed, `run with a kill after ${k} calls was not killed`)
    const again = await run(sim, REQ)
    assert.ok(E.isRight(again.result), `re-run after kill at ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
    assert.equal(endState(sim), uninterrupted, `end state after a kill at call ${k}`)
  }
})

test('aurora: killed in the middle of waits, then re-run: the same end state', async () => {
  for (const sleeps of [1, 3, 10, 25, 40, 60, 80, 100]) {
    const sim = simulate(fixture('aurora'))
    let slept = 0
    const clock = {
      ...sim.clock,
      sleep: async (ms: number) => {
        if (++slept >= sleeps) throw new Killed()
        return sim.clock.sleep(ms)
      },
    }
    const planned = await workflow.plan({ rds: sim }, { clone: REQ })()
    if (E.isLeft(planned)) assert.unreachable(renderPlanFailure(planned.left))
    else {
      const outcome = await applyPlan(planned.right.plan, { rds: sim, clock, shell: fakeShell().shell, random: () => 0.5 }, OPTIONS, () => undefined).then(
        () => 'finished',
        (e: unknown) => (e instanceof Killed ? 'killed' : String(e)),
      )
      if (outcome === 'finished') continue
      assert.is(outcome, 'killed')
      const again = await run(sim, REQ)
      assert.ok(E.isRight(again.result), `re-run after a kill at wait ${sleeps}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
      assert.equal(endState(sim), uninterrupted, `end state after a kill at wait ${sleeps}`)
    }
  }
})

test('aurora: --final-snapshot applies too; the old cluster goes with a final snapshot', async () => {
  const sim = simulate(fixture('aurora'))
  const { plan, result } = await run(sim, { ...REQ, finalSnapshot: true })
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
  const del = sim.calls().filter((c) => c.action === 'DeleteDBCluster')
  assert.equal(del.map((c) => [c.input, c.outcome]), [[{ DBClusterIdentifier: 'old-shop-staging', FinalDBSnapshotIdentifier: `shop-staging-final-${plan.run}` }, 'ok']])
  assert.equal(endState(sim), uninterrupted)
  // the final snapshot is there, available, of the old target's data
  const snapshots = sim.clusterSnapshots()
  assert.equal(snapshots.map((s) => [s.DBClusterSnapshotIdentifier, s.DBClusterIdentifier, s.Status, s.SnapshotType]), [
    [`shop-staging-final-${plan.run}`, 'old-shop-staging', 'available', 'manual'],
  ])
  assert.is(sim.dataOf(`shop-staging-final-${plan.run}`), 'shop-staging')
})

/** What a user would check of the target after a run that stopped early: the cluster and its members as they were. */
const targetUntouched = (sim: Simulator, label: string) => {
  const before = endState(simulate(fixture('aurora')))
  const now = endState(sim)
  const target = (s: ReturnType<typeof endState>) => ({
    clusters: s.clusters.filter((c) => c.id === 'shop-staging'),
    instances: s.instances.filter((i) => i.id.startsWith('shop-staging-')),
  })
  assert.equal(target(now), target(before), `${label}: the target as it was`)
  const staging = sim.environment().clusters?.find((c) => c.DBClusterIdentifier === 'shop-staging')
  assert.is(staging?.Status, 'available', `${label}: the target cluster serves under its name`)
  assert.is(sim.dataOf('shop-staging'), 'shop-staging')
  assert.not.ok((staging?.TagList ?? []).some((t) => t.Key.startsWith('mitosis:')), `${label}: no run tag on the target`)
  // nothing was renamed or deleted
  const touched = sim.calls().filter(
    (c) =>
      c.action.startsWith('Delete') ||
      ((c.action === 'ModifyDBCluster' || c.action === 'ModifyDBInstance') && /"New(DBCluster|DBInstance)Identifier"/.test(JSON.stringify(c.input))) ||
      (/"(DBInstanceIdentifier|DBClusterIdentifier)":"shop-staging/.test(JSON.stringify(c.input)) && !reads(c.action)),
  )
  assert.equal(touched, [], `${label}: no call renamed or deleted anything, or named the target`)
  assert.not.ok((sim.environment().clusters ?? []).some((c) => c.DBClusterIdentifier.startsWith('old-')))
}

test('aurora: a restore that ends in a failed status stops the run naming the cluster and its status; the target untouched; a re-run stops the same', async () => {
  const sim = simulate(fixture('aurora'), {
    failures: [{ op: 'RestoreDBClusterToPointInTime', id: 'temp-shop-staging', kind: 'status', status: 'inaccessible-encryption-credentials' }],
  })
  const first = await run(sim, REQ)
  assert.ok(E.isLeft(first.result), 'the apply fails')
  if (E.isLeft(first.result)) {
    assert.equal(first.result.left, { _tag: 'StepFailed', n: 1, id: 'temp-shop-staging', status: 'inaccessible-encryption-credentials' })
    assert.is(
      renderApplyFailure(first.result.left, first.plan),
      'step 1: temp-shop-staging is inaccessible-encryption-credentials; stopped (re-run the same command once it is fixed to go on)',
    )
  }
  // it stopped once the restore showed its status: nothing after it was sent
  const mutating = sim.calls().filter(planCall)
  assert.equal(mutating.map((c) => [c.action, c.outcome]), [['RestoreDBClusterToPointInTime', 'ok']])
  assert.is(sim.environment().clusters?.find((c) => c.DBClusterIdentifier === 'temp-shop-staging')?.Status, 'inaccessible-encryption-credentials')
  targetUntouched(sim, 'after the failed restore')
  // a re-run sees the failed cluster and stops at once, sending nothing
  const again = await run(sim, REQ)
  assert.ok(E.isLeft(again.result))
  if (E.isLeft(again.result)) assert.match(renderApplyFailure(again.result.left, again.plan), /^step 1: temp-shop-staging is inaccessible-encryption-credentials; stopped/)
  assert.is(sim.calls().filter(planCall).length, 1)
  targetUntouched(sim, 'after the re-run')
})

test('aurora: a ModifyDBCluster of the clone that ends in a failed status stops the run at that step (not at the step timeout); the target untouched', async () => {
  const sim = simulate(fixture('aurora'), { failures: [{ op: 'ModifyDBCluster', id: 'temp-shop-staging', kind: 'status', status: 'failed' }] })
  const started = sim.clock.now()
  const { plan, result } = await run(sim, REQ)
  assert.ok(E.isLeft(result), 'the apply fails')
  const modify = plan.steps.find((s) => s.op === 'ModifyDBCluster' && s.id === 'temp-shop-staging')!
  if (E.isLeft(result)) assert.is(renderApplyFailure(result.left, plan), `step ${modify.n}: temp-shop-staging is failed; stopped (re-run the same command once it is fixed to go on)`)
  assert.ok(sim.clock.now() - started < OPTIONS.stepTimeoutMs, 'stopped long before the step timeout')
  targetUntouched(sim, 'after the failed modify')
})

test('aurora: every failed status stops the run at once, incompatible-* and inaccessible-encryption-credentials-recoverable among them', async () => {
  for (const status of ['inaccessible-encryption-credentials-recoverable', 'incompatible-credentials', 'incompatible-some-status-to-come', 'failed']) {
    const sim = simulate(fixture('aurora'), { failures: [{ op: 'RestoreDBClusterToPointInTime', id: 'temp-shop-staging', kind: 'status', status }] })
    const { plan, result } = await run(sim, REQ)
    assert.ok(E.isLeft(result), `${status}: the apply fails`)
    if (E.isLeft(result)) assert.is(renderApplyFailure(result.left, plan), `step 1: temp-shop-staging is ${status}; stopped (re-run the same command once it is fixed to go on)`)
    assert.ok(sim.clock.elapsed() < OPTIONS.stepTimeoutMs / 4, `${status}: stopped after ${Math.round(sim.clock.elapsed() / 60_000)} min of virtual time`)
    targetUntouched(sim, status)
  }
})

test('aurora: a failing hook stops before the deletes, keeps old-*, and a re-run finishes', async () => {
  const sim = simulate(fixture('aurora'))
  const hook = fakeShell([3, 0])
  const first = await run(sim, REQ, { shell: hook.shell })
  assert.ok(E.isLeft(first.result))
  assert.match(renderApplyFailure(first.result.left, first.plan), 'the restart hook exited with 3; kept old-shop-staging-1, old-shop-staging-2, old-shop-staging: re-run the same command')
  const env = sim.environment()
  assert.ok((env.clusters ?? []).some((c) => c.DBClusterIdentifier === 'old-shop-staging'))
  const ids = env.instances.map((i) => i.DBInstanceIdentifier)
  assert.ok(ids.includes('old-shop-staging-1') && ids.includes('old-shop-staging-2'))
  assert.not.ok(sim.calls().some((c) => c.action === 'DeleteDBInstance' || c.action === 'DeleteDBCluster'))
  const second = await run(sim, REQ, { shell: hook.shell })
  assert.ok(E.isRight(second.result), E.isLeft(second.result) ? renderApplyFailure(second.result.left, second.plan) : '')
  assert.is(hook.calls.length, 2)
  assert.equal(endState(sim), uninterrupted)
})

test.run()
