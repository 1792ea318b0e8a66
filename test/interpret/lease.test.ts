/**
 * One run per target at a time: a run holds a lease (the tag mitosis:lease on the target) from before its
 * first mutating call to its end; another run refuses while the lease is live, takes it over once it
 * expired or its holder is gone; a step RDS will not start is reported, and stops the run with the real
 * reason far past its expected time. On the simulator, in virtual time.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { CloneRequest } from '../../src/plan/clone/clone.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import { DEFAULT_LEASE_TTL_MS, TAG_LEASE } from '../../src/interpret/lease.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { fixture, withInstance } from '../support/fixtures.js'
import { killable, Killed, run, testLease } from '../support/apply.js'

const DEMO: CloneRequest = { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' }
const AURORA: CloneRequest = { source: 'shop-prod', target: 'shop-staging' }

const mutating = (sim: Simulator) => sim.calls().filter((c) => c.outcome === 'ok' && !/^(Describe|List|ram:)/.test(c.action))
const isLeaseCall = (c: { action: string; input: unknown }) => JSON.stringify(c.input).includes(TAG_LEASE)
const leaseTags = (sim: Simulator) => {
  const env = sim.environment()
  return [...env.instances.map((i) => [i.DBInstanceIdentifier, i.TagList] as const), ...(env.clusters ?? []).map((c) => [c.DBClusterIdentifier, c.TagList] as const)].flatMap(
    ([id, tags]) => (tags ?? []).filter((t) => t.Key === TAG_LEASE).map((t) => `${id}: ${t.Value}`),
  )
}

for (const [name, req, arn] of [
  ['demo', DEMO, 'arn:aws:rds:us-east-1:123456789012:db:mitosis-demo'],
  ['aurora', AURORA, 'arn:aws:rds:us-east-1:123456789012:cluster:shop-staging'],
] as const) {
  test(`${name}: the lease is taken on the target before the first change, renewed while the run lives, and gone at the end`, async () => {
    const sim = simulate(fixture(name))
    const { result, plan } = await run(sim, req)
    assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
    const calls = mutating(sim)
    const first = calls[0]!
    assert.is(first.action, 'AddTagsToResource')
    assert.is((first.input as { ResourceName: string }).ResourceName, arn)
    assert.match(JSON.stringify(first.input), /mitosis:lease.*run=r[0-9a-f]+ id=t\d+ host=test-host pid=\d+ since=\S+ until=\S+/)
    const last = calls.at(-1)!
    assert.is(last.action, 'RemoveTagsFromResource', JSON.stringify(last))
    // a clone takes about an hour: a lease of 15 min is renewed on the way
    const renewals = calls.filter((c) => c.action === 'AddTagsToResource' && isLeaseCall(c)).length
    const hours = (sim.clock.now() - calls[0]!.at) / 3_600_000
    assert.ok(renewals >= Math.floor((hours * 60) / (DEFAULT_LEASE_TTL_MS / 120_000)), `${renewals} lease writes in ${hours.toFixed(2)} h`)
    assert.equal(leaseTags(sim), [], 'a lease is left behind')
  })
}

test('a live lease of another run: the second run refuses before any change, naming who holds it; the first finishes', async () => {
  const sim = simulate(fixture('demo'))
  // the first run is somewhere mid-way (its process still alive), when a second one starts
  const first = testLease(true)
  await run(sim, DEMO, { ...killable(sim, { sends: 5 }), lease: first }).catch((e: unknown) => assert.ok(e instanceof Killed))
  const before = mutating(sim).length
  const second = await run(sim, DEMO, { lease: testLease(true) })
  assert.ok(E.isLeft(second.result))
  assert.is(second.result.left._tag, 'LeaseHeld')
  assert.match(
    renderApplyFailure(second.result.left, second.plan),
    new RegExp(`^mitosis-demo is being changed by another run \\(its mitosis:lease tag: pid ${first.holder.pid} on test-host \\(run r[0-9a-f]+\\), since \\S+Z, until \\S+Z\\); nothing was changed`),
  )
  assert.is(mutating(sim).length, before, 'the second run changed something')
  // the holder itself goes on
  const again = await run(sim, DEMO, { lease: first })
  assert.ok(E.isRight(again.result), E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : '')
})

test('a lease that expired (its holder died elsewhere) is taken over, and that is said', async () => {
  const sim = simulate(fixture('demo'))
  await run(sim, DEMO, { ...killable(sim, { sends: 5 }), lease: testLease(true) }).catch((e: unknown) => assert.ok(e instanceof Killed))
  await sim.clock.sleep(DEFAULT_LEASE_TTL_MS + 60_000)
  const again = await run(sim, DEMO, { lease: testLease(true) })
  assert.ok(E.isRight(again.result), E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : '')
  const notice = again.events.find((e) => e.type === 'notice')
  assert.ok(notice !== undefined && notice.type === 'notice' && /^taking over the lease on mitosis-demo of pid \d+ on test-host .*: it expired$/.test(notice.message), JSON.stringify(notice))
  assert.equal(leaseTags(sim), [])
})

test('a lease whose holder on this host is gone is taken over at once', async () => {
  const sim = simulate(fixture('demo'))
  await run(sim, DEMO, { ...killable(sim, { sends: 3 }), lease: testLease() }).catch((e: unknown) => assert.ok(e instanceof Killed))
  const again = await run(sim, DEMO, { lease: testLease(false) })
  assert.ok(E.isRight(again.result))
  assert.ok(again.events.some((e) => e.type === 'notice' && e.message.endsWith('that process is gone')))
})

test('two runs started together on the same target: one goes on, the other stops before its first step', async () => {
  const sim = simulate(fixture('demo'))
  const [a, b] = await Promise.all([run(sim, DEMO, { lease: testLease(true) }), run(sim, DEMO, { lease: testLease(true) })])
  const outcomes = [a, b].map((r) => (E.isRight(r.result) ? 'finished' : r.result.left._tag)).sort()
  assert.equal(outcomes, ['LeaseHeld', 'finished'])
  const loser = E.isLeft(a.result) ? a : b
  assert.not.ok(loser.events.some((e) => e.type === 'step-start'), 'the run that lost the lease started a step')
  const ids = sim.environment().instances.map((i) => i.DBInstanceIdentifier).sort()
  assert.equal(ids, ['analytics-warehouse', 'mitosis-demo', 'mitosis-demo-replica', 'mitosis-prod', 'mitosis-prod-replica'])
})

test('a step RDS keeps refusing: said at least once a minute, then the run stops with RDS\'s reason instead of a timeout', async () => {
  const sim = simulate(fixture('demo'), {
    failures: [{ op: 'PromoteReadReplica', id: 'temp-mitosis-demo', kind: 'error', code: 'InvalidDBInstanceState', message: 'Instance temp-mitosis-demo is backing up.', times: 100_000 }],
  })
  const { result, plan, events } = await run(sim, DEMO)
  assert.ok(E.isLeft(result))
  assert.is(result.left._tag, 'StepBlocked')
  assert.match(renderApplyFailure(result.left, plan), /^step 2: could not start for \d+ min: RDS refuses it: InvalidDBInstanceState: Instance temp-mitosis-demo is backing up\.; stopped/)
  const notices = events.filter((e) => e.type === 'notice' && e.message.startsWith('waiting to start step 2: RDS refuses it: InvalidDBInstanceState'))
  assert.ok(notices.length >= 30, `${notices.length} notices`)
  const gaps = notices.slice(1).map((e, k) => e.at - notices[k]!.at)
  assert.ok(gaps.every((g) => g <= 90_000), `a gap of ${Math.max(...gaps) / 1000} s without a word`)
  // far short of the step timeout (3 h)
  const stoppedAt = events.at(-1)!.at
  assert.ok(stoppedAt - events[0]!.at < 2.5 * 3_600_000)
})

test('a step waiting on an instance that stays busy (somebody else is changing the target): said, then stopped with why', async () => {
  const env = withInstance(fixture('demo'), 'mitosis-demo', (i) => ({ ...i, DBInstanceStatus: 'modifying' }))
  const sim = simulate(env)
  const { result, plan, events } = await run(sim, { ...DEMO, restart: undefined })
  assert.ok(events.some((e) => e.type === 'notice' && /^waiting to start step \d+: mitosis-demo is modifying$/.test(e.message)), 'never said why it waits')
  assert.ok(E.isLeft(result))
  assert.match(renderApplyFailure(result.left, plan), /^step \d+: could not start for \d+ min: mitosis-demo is modifying; stopped/)
  // the copy is built, nothing of the target was touched
  assert.ok(sim.environment().instances.some((i) => i.DBInstanceIdentifier === 'mitosis-demo'))
  assert.not.ok(mutating(sim).some((c) => c.action === 'ModifyDBInstance' && JSON.stringify(c.input).includes('"DBInstanceIdentifier":"mitosis-demo"')))
})

test.run()
