/**
 * Applying plans on the simulator, in virtual time: whole clones, interruptions at every point
 * followed by a re-run, a failing hook, throttling, a failed instance, credentials that expire.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { Environment } from '../../src/plan/domain.js'
import type { CloneRequest } from '../../src/plan/clone/clone.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import { predict } from '../../src/plan/predict/step.js'
import { simulate, type SimOptions } from '../../src/sim/simulator.js'
import { fixture } from '../support/fixtures.js'
import { fakeShell, killable, Killed, OPTIONS, run } from '../support/apply.js'
import { instanceWorld } from '../support/apply.js'

const CASES: ReadonlyArray<readonly [string, CloneRequest]> = [
  ['demo', { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' }],
  ['mysql-cascade', { source: 'shop-prod', target: 'shop-staging' }],
  ['postgres', { source: 'billing-prod', target: 'billing-qa', restart: 'true' }],
  ['cross-vpc', { source: 'ledger-prod', target: 'ledger-sandbox' }],
]

const endState = instanceWorld

const uninterrupted = new Map<string, ReturnType<typeof endState>>()

for (const [name, req] of CASES) {
  test(`${name}: a whole clone ends in the predicted state, holding the source's data`, async () => {
    const env: Environment = fixture(name)
    const sim = simulate(env)
    const { plan, result } = await run(sim, req)
    assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
    const predicted = predict(env, plan).state.instances
    const now = sim.environment().instances
    assert.equal(now.map((i) => i.DBInstanceIdentifier).sort(), [...predicted.keys()].sort())
    for (const i of now) {
      const p = predicted.get(i.DBInstanceIdentifier)!
      assert.is(i.DBInstanceStatus, 'available', i.DBInstanceIdentifier)
      assert.is(i.ReadReplicaSourceDBInstanceIdentifier, p.replicaSource, `${i.DBInstanceIdentifier} replicates from`)
      assert.is(i.DBInstanceClass, p.settings.DBInstanceClass)
      assert.is(sim.dataOf(i.DBInstanceIdentifier), p.dataFrom, `${i.DBInstanceIdentifier} holds the data of`)
    }
    assert.not.ok(now.some((i) => i.DBInstanceIdentifier.startsWith('temp-') || i.DBInstanceIdentifier.startsWith('old-')))
    // the source was only read and replicated from
    const sourceCalls = sim.calls().filter((c) => !/^(Describe|List)/.test(c.action) && JSON.stringify(c.input).includes(`"DBInstanceIdentifier":"${req.source}"`))
    assert.equal(sourceCalls, [])
    uninterrupted.set(name, endState(sim))
  })
}

test('the demo: the hook runs once, after the swap, with the run\'s environment', async () => {
  const sim = simulate(fixture('demo'))
  const hook = fakeShell()
  const { plan, result, events } = await run(sim, CASES[0]![1], { shell: hook.shell })
  assert.ok(E.isRight(result))
  assert.is(hook.calls.length, 1)
  assert.equal(hook.calls[0]!.env, {
    MITOSIS_SOURCE: 'mitosis-prod',
    MITOSIS_TARGET: 'mitosis-demo',
    MITOSIS_TARGET_ENDPOINT: 'mitosis-demo.abcdefghijkl.us-east-1.rds.amazonaws.com:5432',
    MITOSIS_RUN_ID: plan.run,
  })
  const order = events.filter((e) => e.type === 'step-done').map((e) => (e as { n: number }).n)
  const hookAt = order.indexOf(12)
  for (const n of [10, 11]) assert.ok(order.indexOf(n) < hookAt, `rename ${n} before the hook`)
  for (const n of [14, 15, 16]) assert.ok(order.indexOf(n) > hookAt, `delete ${n} after the hook`)
  assert.ok(events.some((e) => e.type === 'hook-output' && e.line === 'restarting mitosis-demo'))
})

test("postgres: replicas without backups end with the target's backup window, as predicted (the kill-and-re-run cases below check it too)", async () => {
  const env = fixture('postgres')
  const sim = simulate(env)
  const { plan, result } = await run(sim, CASES[2]![1])
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
  const predicted = predict(env, plan).state.instances
  for (const id of ['billing-qa-replica-1', 'billing-qa-replica-2', 'billing-qa-reporting']) {
    const before = env.instances.find((i) => i.DBInstanceIdentifier === id)!
    const after = sim.environment().instances.find((i) => i.DBInstanceIdentifier === id)!
    assert.is(after.BackupRetentionPeriod, 0, `${id}: no backups, as before`)
    assert.is(after.PreferredBackupWindow, before.PreferredBackupWindow, `${id}: the target's window`)
    assert.is(predicted.get(id)?.settings.PreferredBackupWindow, before.PreferredBackupWindow, `${id}: the predicted window`)
  }
})

test('one poll serves every wait: a single DescribeDBInstances per tick', async () => {
  const sim = simulate(fixture('postgres'))
  const { result } = await run(sim, CASES[2]![1])
  assert.ok(E.isRight(result))
  const describes = sim.calls().filter((c) => c.action === 'DescribeDBInstances').map((c) => c.at)
  // never two describes at the same virtual moment but for the initial read of the world
  const repeated = describes.filter((at, k) => k > 1 && describes[k - 1] === at)
  assert.ok(repeated.length <= 1, `describes at the same instant: ${repeated.length}`)
})

for (const [name, req] of CASES) {
  test(`${name}: killed after each accepted call, then re-run: the same end state`, async () => {
    const total = (await run(simulate(fixture(name)), req)).plan.steps.filter((s) => s.op !== 'RunCommand').length
    for (let k = 0; k < total; k++) {
      const sim = simulate(fixture(name))
      const killed = await run(sim, req, killable(sim, { sends: k })).then(
        () => false,
        (e: unknown) => e instanceof Killed,
      )
      assert.ok(killed, `run with a kill after ${k} calls was not killed`)
      const again = await run(sim, req)
      assert.ok(E.isRight(again.result), `re-run after kill at ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
      assert.equal(endState(sim), uninterrupted.get(name), `end state after a kill at call ${k}`)
    }
  })

  test(`${name}: killed in the middle of waits, then re-run: the same end state`, async () => {
    for (const sleeps of [1, 3, 10, 25, 40, 60, 80, 100]) {
      const sim = simulate(fixture(name))
      const outcome = await run(sim, req, killable(sim, { sleeps })).then(
        () => 'finished',
        (e: unknown) => (e instanceof Killed ? 'killed' : String(e)),
      )
      if (outcome === 'finished') continue
      assert.is(outcome, 'killed')
      const again = await run(sim, req)
      assert.ok(E.isRight(again.result), `re-run after a kill at wait ${sleeps}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
      assert.equal(endState(sim), uninterrupted.get(name), `end state after a kill at wait ${sleeps}`)
    }
  })
}

test('a failing hook stops before the deletes, keeps old-*, and a re-run finishes', async () => {
  const sim = simulate(fixture('demo'))
  const hook = fakeShell([3, 0])
  const first = await run(sim, CASES[0]![1], { shell: hook.shell })
  assert.ok(E.isLeft(first.result))
  const message = renderApplyFailure(first.result.left, first.plan)
  assert.match(message, 'the restart hook exited with 3; kept old-mitosis-demo-replica, old-mitosis-demo: re-run the same command')
  const ids = sim.environment().instances.map((i) => i.DBInstanceIdentifier)
  assert.ok(ids.includes('old-mitosis-demo') && ids.includes('old-mitosis-demo-replica'))
  assert.not.ok(sim.calls().some((c) => c.action === 'DeleteDBInstance'))
  const second = await run(sim, CASES[0]![1], { shell: hook.shell })
  assert.ok(E.isRight(second.result))
  assert.is(hook.calls.length, 2)
  assert.equal(endState(sim), uninterrupted.get('demo'))
})

test('a re-run after the hook succeeded does not run it again', async () => {
  const sim = simulate(fixture('demo'))
  const hook = fakeShell()
  // killed at the first delete: the hook has run and left its tag
  const deletes = async () => {
    const planned = await run(simulate(fixture('demo')), CASES[0]![1])
    return planned.plan.steps.filter((s) => s.op !== 'RunCommand' && s.phase !== 'delete').length
  }
  await run(sim, CASES[0]![1], { shell: hook.shell, ...killable(sim, { sends: await deletes() }) }).catch(() => undefined)
  assert.is(hook.calls.length, 1)
  const again = await run(sim, CASES[0]![1], { shell: hook.shell })
  assert.ok(E.isRight(again.result))
  assert.is(hook.calls.length, 1)
})

test('throttling storms slow the run down but do not fail it', async () => {
  const sim = simulate(fixture('mysql-cascade'), { storms: [{ from: 1, to: 20 * 60_000 }, { from: 40 * 60_000, to: 50 * 60_000 }] })
  const { result, events } = await run(sim, CASES[1]![1])
  assert.ok(E.isRight(result), E.isLeft(result) ? JSON.stringify(result.left) : '')
  assert.ok(sim.calls().some((c) => c.outcome === 'Throttling'))
  assert.ok(events.some((e) => e.type === 'throttled'))
})

test('a step that goes failed stops the run naming the instance and status; nothing is deleted', async () => {
  const options: SimOptions = { failures: [{ op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo-replica', kind: 'status', status: 'incompatible-parameters' }] }
  const sim = simulate(fixture('demo'), options)
  const { plan, result } = await run(sim, CASES[0]![1])
  assert.ok(E.isLeft(result))
  assert.is(renderApplyFailure(result.left, plan), 'step 4: temp-mitosis-demo-replica is incompatible-parameters; stopped (re-run the same command once it is fixed to go on)')
  assert.not.ok(sim.calls().some((c) => c.action === 'DeleteDBInstance' || (c.action === 'ModifyDBInstance' && JSON.stringify(c.input).includes('old-'))))
})

test('a step that ends incompatible-credentials stops the run at once, naming the instance and the status (not at the step timeout)', async () => {
  const options: SimOptions = { failures: [{ op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo-replica', kind: 'status', status: 'incompatible-credentials' }] }
  const sim = simulate(fixture('demo'), options)
  const { plan, result } = await run(sim, CASES[0]![1])
  assert.ok(E.isLeft(result), 'the apply fails')
  assert.is(renderApplyFailure(result.left, plan), 'step 4: temp-mitosis-demo-replica is incompatible-credentials; stopped (re-run the same command once it is fixed to go on)')
  // the replica shows its status after about its creation time: the run stops at the next poll
  assert.ok(sim.clock.elapsed() < OPTIONS.stepTimeoutMs / 4, `stopped after ${Math.round(sim.clock.elapsed() / 60_000)} min of virtual time`)
  assert.not.ok(sim.calls().some((c) => c.action === 'DeleteDBInstance' || (c.action === 'ModifyDBInstance' && JSON.stringify(c.input).includes('old-'))))
})

test('credentials about to expire stop the run at a step boundary; a re-run finishes', async () => {
  const sim = simulate(fixture('demo'))
  let asked = 0
  const expiring = async () => (++asked === 5 ? 'the AWS credentials expire in 4 minutes' : undefined)
  const first = await run(sim, CASES[0]![1], { beforeStep: expiring })
  assert.ok(E.isLeft(first.result))
  assert.match(renderApplyFailure(first.result.left, first.plan), /^stopped before step \d+: the AWS credentials expire in 4 minutes; re-run the same command/)
  const second = await run(sim, CASES[0]![1])
  assert.ok(E.isRight(second.result))
  assert.equal(endState(sim), uninterrupted.get('demo'))
})

test.run()
