/**
 * A re-run never skips a step: a run killed after any accepted call is finished by the same command,
 * and ends where a run without a kill ends, also when the target already has what a step would set
 * (the target shares the source's parameter group and windows, so a fresh copy inherits them and a
 * settings change looks done before it was ever sent).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster, DBInstance, Environment } from '../../src/plan/domain.js'
import type { CloneRequest } from '../../src/plan/clone/clone.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import * as mitosis from '../../src/index.js'
import { planProgress } from '../../src/plan/progress.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { fixture } from '../support/fixtures.js'
import { clusterWorld, killable, Killed, run, type RunOptions } from '../support/apply.js'
import { instanceWorld } from '../support/apply.js'

const INSTANCE_CASES: ReadonlyArray<readonly [string, CloneRequest]> = [
  ['demo', { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' }],
  ['mysql-cascade', { source: 'shop-prod', target: 'shop-staging' }],
  ['postgres', { source: 'billing-prod', target: 'billing-qa', restart: 'true' }],
  ['cross-vpc', { source: 'ledger-prod', target: 'ledger-sandbox' }],
]

const treeOf = (env: Environment, root: string): ReadonlyArray<string> => {
  const out = [root]
  for (let k = 0; k < out.length; k++) {
    for (const i of env.instances) if (i.ReadReplicaSourceDBInstanceIdentifier === out[k]) out.push(i.DBInstanceIdentifier)
  }
  return out
}

/** The windows a fresh read replica of `source` shows on this simulator (RDS gives a replica windows of its own). */
const freshReplicaWindows = async (env: Environment, source: string): Promise<Pick<DBInstance, 'PreferredMaintenanceWindow' | 'PreferredBackupWindow'>> => {
  const sim = simulate(env)
  const probe = 'probe-of-source'
  const sent = await sim.send({ op: 'CreateDBInstanceReadReplica', id: probe, request: { DBInstanceIdentifier: probe, SourceDBInstanceIdentifier: source } })()
  assert.ok(E.isRight(sent))
  await sim.clock.sleep(3 * 60 * 60_000)
  const copy = sim.environment().instances.find((i) => i.DBInstanceIdentifier === probe)!
  return { PreferredMaintenanceWindow: copy.PreferredMaintenanceWindow!, PreferredBackupWindow: copy.PreferredBackupWindow! }
}

/**
 * The target tree with the source root's parameter group and the windows a fresh replica gets: a new
 * copy shows at once what its settings step would set.
 */
const sharingSourceSettings = async (env: Environment, source: string, target: string): Promise<Environment> => {
  const src = env.instances.find((i) => i.DBInstanceIdentifier === source)!
  const windows = await freshReplicaWindows(env, source)
  const tree = new Set(treeOf(env, target))
  return {
    ...env,
    instances: env.instances.map((i): DBInstance =>
      tree.has(i.DBInstanceIdentifier) ? { ...i, DBParameterGroups: (src.DBParameterGroups ?? []).map((g) => ({ ...g })), ...windows } : i,
    ),
  }
}

const endState = instanceWorld

const accepted = (sim: Simulator) => sim.calls().filter((c) => c.outcome === 'ok' && !/^(Describe|List|ram:)/.test(c.action))

/** Killed after `k` accepted calls, then the same command again: the outcome of the re-run. */
const killThenRerun = async (env: Environment, req: CloneRequest, k: number, opts: RunOptions = {}) => {
  const sim = simulate(env)
  const killed = await run(sim, req, { ...opts, ...killable(sim, { sends: k }) }).then(
    () => false,
    (e: unknown) => e instanceof Killed,
  )
  assert.ok(killed, `a run with a kill after ${k} calls was not killed`)
  const again = await run(sim, req, opts)
  return { sim, again }
}

/** The demo's target without its replica: a copy of the root alone, which nothing else waits to replicate from. */
const demoRootAlone = (): Environment => {
  const env = fixture('demo')
  return {
    ...env,
    instances: env.instances
      .filter((i) => i.DBInstanceIdentifier !== 'mitosis-demo-replica')
      .map((i) => (i.DBInstanceIdentifier === 'mitosis-demo' ? { ...i, ReadReplicaDBInstanceIdentifiers: [] } : i)),
  }
}

const CASES: ReadonlyArray<readonly [string, () => Environment, CloneRequest]> = [
  ...INSTANCE_CASES.map(([name, req]) => [name, () => fixture(name), req] as const),
  ['demo, a target without replicas', demoRootAlone, INSTANCE_CASES[0]![1]],
]

for (const [name, load, req] of CASES) {
  for (const [label, shared] of [[name, false], [`${name} (target with the settings a fresh copy of the source shows)`, true]] as const) {
    test(`${label}: killed after each accepted call, the re-run does every step left, in order, and the new root is never a replica`, async () => {
      const env = shared ? await sharingSourceSettings(load(), req.source, req.target) : load()
      const whole = simulate(env)
      const first = await run(whole, req)
      assert.ok(E.isRight(first.result), E.isLeft(first.result) ? renderApplyFailure(first.result.left, first.plan) : '')
      const expected = endState(whole)
      const calls = first.plan.steps.filter((s) => s.op !== 'RunCommand').length
      const rootCopy = `temp-${req.target}`
      for (let k = 1; k < calls; k++) {
        const { sim, again } = await killThenRerun(env, req, k)
        assert.ok(E.isRight(again.result), `re-run after a kill at call ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
        assert.equal(endState(sim), expected, `end state after a kill at call ${k}`)
        const root = sim.environment().instances.find((i) => i.DBInstanceIdentifier === req.target)!
        assert.is(root.ReadReplicaSourceDBInstanceIdentifier, undefined, `after a kill at call ${k}, ${req.target} is a read replica`)
        // the copy of the root was promoted (or restored) before it took the target's name
        const history = accepted(sim)
        const intoPlace = history.findIndex((c) => c.action === 'ModifyDBInstance' && (c.input as { NewDBInstanceIdentifier?: string }).NewDBInstanceIdentifier === req.target)
        const standsAlone = history.findIndex(
          (c) => (c.action === 'PromoteReadReplica' || c.action === 'RestoreDBInstanceFromDBSnapshot') && (c.input as { DBInstanceIdentifier: string }).DBInstanceIdentifier === rootCopy,
        )
        assert.ok(standsAlone >= 0 && standsAlone < intoPlace, `after a kill at call ${k}: ${rootCopy} took the name before it was promoted`)
      }
    })
  }
}

test('a fresh copy that already shows what its settings step sets: that step is not done before the promotion that comes first', async () => {
  const req = INSTANCE_CASES[0]![1]
  const env = await sharingSourceSettings(fixture('demo'), req.source, req.target)
  const sim = simulate(env)
  // killed right after the read replica was asked for; by the re-run it is available
  const killed = await run(sim, req, killable(sim, { sends: 1 })).then(() => false, (e: unknown) => e instanceof Killed)
  assert.ok(killed)
  await sim.clock.sleep(60 * 60_000)
  const planned = await mitosis.plan({ rds: sim }, { clone: req })()
  assert.ok(E.isRight(planned))
  const plan = planned.right.plan
  const progress = planProgress(sim.environment(), plan)
  const kinds = plan.steps.map((s, k) => `${s.n} ${s.op} ${progress[k]!._tag}`)
  assert.equal(kinds.slice(0, 3), ['1 CreateDBInstanceReadReplica done', '2 PromoteReadReplica pending', '3 ModifyDBInstance pending'])
})

/** A target that an earlier clone made (the weekly refresh): cloned again, and killed along the way. */
for (const [name, req] of [...INSTANCE_CASES, ['aurora', { source: 'shop-prod', target: 'shop-staging', restart: 'true' }] as const]) {
  test(`${name}: a target an earlier clone made is cloned again, also when killed after any call`, async () => {
    const refreshed = simulate(fixture(name))
    const first = await run(refreshed, req)
    assert.ok(E.isRight(first.result), E.isLeft(first.result) ? renderApplyFailure(first.result.left, first.plan) : '')
    const env = refreshed.environment()
    const whole = simulate(env)
    const second = await run(whole, req)
    assert.ok(E.isRight(second.result), `the second clone: ${E.isLeft(second.result) ? renderApplyFailure(second.result.left, second.plan) : ''}`)
    assert.is.not(second.plan.run, first.plan.run, 'a new run: the target is a new instance')
    const expected = name === 'aurora' ? JSON.stringify(clusterWorld(whole).clusters.map((c) => [c.id, c.status, c.data])) : JSON.stringify(endState(whole).map((i) => [i.id, i.status, i.parent, i.data]))
    const calls = second.plan.steps.filter((s) => s.op !== 'RunCommand').length
    for (let k = 1; k < calls; k += 2) {
      const { sim, again } = await killThenRerun(env, req, k)
      assert.ok(E.isRight(again.result), `re-run after a kill at call ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
      const got = name === 'aurora' ? JSON.stringify(clusterWorld(sim).clusters.map((c) => [c.id, c.status, c.data])) : JSON.stringify(endState(sim).map((i) => [i.id, i.status, i.parent, i.data]))
      assert.is(got, expected, `end state after a kill at call ${k}`)
    }
  })
}

/** The Aurora target with the source cluster's parameter group, windows and retention. */
const clusterSharingSource = (env: Environment, source: string, target: string): Environment => {
  const src = env.clusters!.find((c) => c.DBClusterIdentifier === source)!
  const srcMember = env.instances.find((i) => i.DBClusterIdentifier === source)!
  return {
    ...env,
    clusters: env.clusters!.map((c): DBCluster =>
      c.DBClusterIdentifier === target
        ? {
            ...c,
            ...(src.DBClusterParameterGroup === undefined ? {} : { DBClusterParameterGroup: src.DBClusterParameterGroup }),
            ...(src.PreferredMaintenanceWindow === undefined ? {} : { PreferredMaintenanceWindow: src.PreferredMaintenanceWindow }),
            ...(src.PreferredBackupWindow === undefined ? {} : { PreferredBackupWindow: src.PreferredBackupWindow }),
            ...(src.BackupRetentionPeriod === undefined ? {} : { BackupRetentionPeriod: src.BackupRetentionPeriod }),
          }
        : c,
    ),
    instances: env.instances.map((i) => (i.DBClusterIdentifier === target ? { ...i, DBParameterGroups: (srcMember.DBParameterGroups ?? []).map((g) => ({ ...g })) } : i)),
  }
}

const AURORA: CloneRequest = { source: 'shop-prod', target: 'shop-staging', restart: 'true' }

for (const [label, env, password] of [
  ['aurora', fixture('aurora'), false],
  ["aurora (target sharing the source's parameter group, windows and retention)", clusterSharingSource(fixture('aurora'), AURORA.source, AURORA.target), false],
  ['aurora with a new master password', fixture('aurora'), true],
] as const) {
  test(`${label}: killed after each accepted call, the re-run ends where a run without a kill ends`, async () => {
    const req = password ? { ...AURORA, password: 'secret' as const } : AURORA
    const opts: RunOptions = password ? { secrets: { 'master-password': 'a-new-Passw0rd' } } : {}
    const whole = simulate(env)
    const first = await run(whole, req, opts)
    assert.ok(E.isRight(first.result), E.isLeft(first.result) ? renderApplyFailure(first.result.left, first.plan) : '')
    const expected = clusterWorld(whole)
    const calls = first.plan.steps.filter((s) => s.op !== 'RunCommand').length
    for (let k = 1; k < calls; k++) {
      const { sim, again } = await killThenRerun(env, req, k, opts)
      assert.ok(E.isRight(again.result), `re-run after a kill at call ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
      assert.equal(clusterWorld(sim), expected, `end state after a kill at call ${k}`)
      if (password) assert.ok(sim.masterPasswordIs(AURORA.target, 'a-new-Passw0rd'), `after a kill at call ${k}, ${AURORA.target} lacks the new password`)
    }
  })
}


test('a saved plan, checked through the library: still good after a killed run; refused when stale, from elsewhere, or not a plan', async () => {
  const env = fixture('demo')
  const req = { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' }
  const sim = simulate(env)
  const planned = await mitosis.plan({ rds: sim }, { clone: req })()
  if (E.isLeft(planned)) return assert.unreachable(mitosis.renderPlanFailure(planned.left))
  const saved = JSON.parse(JSON.stringify(mitosis.planFileOf(planned.right))) as unknown
  const fresh = await mitosis.checkSaved({ rds: sim }, saved)()
  assert.ok(E.isRight(fresh) && fresh.right.plan.steps.length === planned.right.plan.steps.length && fresh.right.secrets.length === 0)
  // a run of it under way is no change: the check sees the world before the run
  const killed = await run(sim, req, killable(sim, { sends: 3 })).then(() => false, (e: unknown) => e instanceof Killed)
  assert.ok(killed)
  assert.ok(E.isRight(await mitosis.checkSaved({ rds: sim }, saved)()))
  // the target's class changed since: stale, naming it
  const changed = { ...env, instances: env.instances.map((i) => (i.DBInstanceIdentifier === 'mitosis-demo' ? { ...i, DBInstanceClass: 'db.r5.4xlarge' } : i)) }
  const stale = await mitosis.checkSaved({ rds: simulate(changed) }, saved)()
  if (E.isRight(stale) || stale.left._tag !== 'Stale') return assert.unreachable('expected Stale')
  assert.match(mitosis.renderSavedFailure(stale.left, 'plan.json'), /^plan is stale: .*mitosis-demo.*; make a new plan$/)
  const elsewhere = await mitosis.checkSaved({ rds: simulate({ ...env, region: 'eu-west-1' }) }, saved)()
  assert.ok(E.isLeft(elsewhere) && mitosis.renderSavedFailure(elsewhere.left, 'plan.json') === 'plan.json was planned in us-east-1, but this would run in eu-west-1')
  const notPlan = await mitosis.checkSaved({ rds: sim }, { kind: 'something-else' })()
  assert.ok(E.isLeft(notPlan) && notPlan.left._tag === 'NotAPlan')
})

test.run()
