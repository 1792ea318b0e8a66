/**
 * The clone into a new cluster through the library's verbs, on the simulator in virtual time: planned
 * (cloneInto) and applied, it ends with the new cluster, its instances of the class (writer first), the
 * source's roles, the configured tags, deletion protection and windows, the new password, and the source
 * untouched; a run killed after any call and planned again finishes without doing a step twice; a saved
 * plan holds through its own run and goes stale when somebody else's cluster takes the name.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import * as mitosis from '../../src/interpret/workflow.js'
import type { NewClusterRequest } from '../../src/plan/clone/new-cluster.js'
import type { Environment } from '../../src/plan/domain.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { fixture } from '../support/fixtures.js'
import { clusterWorld, killable, Killed, planCall, runCloneInto, type RunOptions } from '../support/apply.js'

const PASSWORD = 'a-new-Passw0rd-for-qa'
const SECRETS = { 'master-password': PASSWORD }

const REQ: NewClusterRequest = {
  source: 'shop-prod',
  target: 'shop-qa',
  subnets: { ids: ['subnet-0a', 'subnet-0b'] },
  instanceClass: 'db.r6g.xlarge',
  instanceCount: 3,
  backupRetentionDays: 5,
  backupWindow: '02:00-02:30',
  maintenanceWindow: 'sun:05:00-sun:05:30',
  deletionProtection: true,
  tags: [{ Key: 'environment', Value: 'qa' }],
  password: 'secret',
}

const apply = (sim: Simulator, opts: RunOptions = {}) => runCloneInto(sim, REQ, { secrets: SECRETS, ...opts })

/** The source cluster and its instances as a user would compare them before and after. */
const sourceSide = (sim: Simulator) => {
  const w = clusterWorld(sim)
  return { clusters: w.clusters.filter((c) => c.id === 'shop-prod'), instances: w.instances.filter((i) => i.cluster === 'shop-prod') }
}

/** The plan's own calls the simulator took, as `Action id` (the password's modify apart: it shows nowhere, a re-run may send it again). */
const planCalls = (sim: Simulator): string[] =>
  sim
    .calls()
    .filter((c) => c.outcome === 'ok' && planCall(c))
    .filter((c) => !(c.action === 'ModifyDBCluster' && JSON.stringify(c.input).includes('MasterUserPassword')))
    .map((c) => {
      const input = c.input as Record<string, unknown>
      return `${c.action} ${String(input['DBInstanceIdentifier'] ?? input['DBClusterIdentifier'] ?? input['DBSubnetGroupName'])}`
    })

let uninterrupted: ReturnType<typeof clusterWorld> | undefined
let calls: string[] = []

test('applied: the new cluster with its instances (writer first), roles, tags, protection, windows and password; the source untouched', async () => {
  const env = fixture('aurora')
  const sim = simulate(env)
  const before = sourceSide(sim)
  const { plan, result } = await apply(sim)
  assert.is(plan.kind, 'new-cluster')
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
  const now = sim.environment()
  const qa = now.clusters!.find((c) => c.DBClusterIdentifier === 'shop-qa')!
  assert.is(qa.Status, 'available')
  assert.is(sim.dataOf('shop-qa'), sim.dataOf('shop-prod'), 'the new cluster holds the source\'s data')
  assert.is(qa.DBSubnetGroup, 'shop-qa-subnets')
  assert.is(qa.DeletionProtection, true)
  assert.equal([qa.BackupRetentionPeriod, qa.PreferredBackupWindow, qa.PreferredMaintenanceWindow], [5, '02:00-02:30', 'sun:05:00-sun:05:30'])
  const source = env.clusters!.find((c) => c.DBClusterIdentifier === 'shop-prod')!
  assert.equal((qa.AssociatedRoles ?? []).map((r) => `${r.RoleArn} ${r.Status}`), (source.AssociatedRoles ?? []).map((r) => `${r.RoleArn} ACTIVE`))
  assert.equal(qa.DBClusterParameterGroup, source.DBClusterParameterGroup)
  assert.equal((qa.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId), (source.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId))
  const tags = Object.fromEntries((qa.TagList ?? []).map((t) => [t.Key, t.Value]))
  assert.is(tags['environment'], 'qa')
  assert.is(tags['mitosis:run'], plan.run)
  assert.not.ok((qa.TagList ?? []).some((t) => t.Value === 'production'), 'the source\'s production tag is not copied')
  assert.equal(
    (qa.DBClusterMembers ?? []).map((m) => `${m.DBInstanceIdentifier}${m.IsClusterWriter ? ' (writer)' : ''}`).sort(),
    ['shop-qa-1 (writer)', 'shop-qa-2', 'shop-qa-3'],
  )
  for (const id of ['shop-qa-1', 'shop-qa-2', 'shop-qa-3']) {
    const i = now.instances.find((x) => x.DBInstanceIdentifier === id)!
    assert.is(i.DBInstanceStatus, 'available', id)
    assert.is(i.DBInstanceClass, 'db.r6g.xlarge', id)
  }
  assert.ok(sim.masterPasswordIs('shop-qa', PASSWORD), 'the new cluster has the new password')
  assert.not.ok(sim.masterPasswordIs('shop-prod', PASSWORD), 'the source keeps its own')
  // the writer was made first, the readers after it
  calls = planCalls(sim)
  assert.equal(calls, [
    'CreateDBSubnetGroup shop-qa-subnets',
    'RestoreDBClusterToPointInTime shop-qa',
    'ModifyDBCluster shop-qa',
    'AddRoleToDBCluster shop-qa',
    'CreateDBInstance shop-qa-1',
    'CreateDBInstance shop-qa-2',
    'CreateDBInstance shop-qa-3',
  ])
  // nothing renamed, nothing deleted, the source only read
  assert.not.ok(sim.calls().some((c) => /^Delete/.test(c.action) || JSON.stringify(c.input).includes('NewDBClusterIdentifier')))
  assert.equal(sourceSide(sim), before)
  uninterrupted = clusterWorld(sim)

  // cloned again once it is there: the swap clone into it
  const again = await mitosis.plan({ rds: sim }, { cloneInto: REQ })()
  assert.ok(E.isRight(again) && again.right.plan.kind === 'aurora-cluster', E.isLeft(again) ? mitosis.renderPlanFailure(again.left) : again.right.plan.kind)
})

test('killed after each accepted call, then planned and applied again: the same end, no step done twice', async () => {
  const total = calls.length
  assert.ok(total > 0 && uninterrupted !== undefined)
  for (let k = 0; k <= total; k++) {
    const sim = simulate(fixture('aurora'))
    const killed = await apply(sim, killable(sim, { sends: k })).then(
      () => false,
      (e: unknown) => e instanceof Killed,
    )
    assert.ok(killed, `a run with a kill after ${k} calls was not killed`)
    // planning again on the world the killed run left: the same plan, the run's work recognised
    const again = await apply(sim)
    assert.is(again.plan.kind, 'new-cluster', `after a kill at call ${k}`)
    assert.ok(E.isRight(again.result), `re-run after a kill at call ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
    assert.equal(clusterWorld(sim), uninterrupted, `end state after a kill at call ${k}`)
    assert.equal(planCalls(sim), calls, `calls after a kill at call ${k}`)
  }
})

test('killed in the middle of its waits, then planned and applied again: the same end', async () => {
  for (const sleeps of [1, 2, 5, 10, 20, 40]) {
    const sim = simulate(fixture('aurora'))
    let slept = 0
    const clock = {
      ...sim.clock,
      sleep: async (ms: number) => {
        if (++slept >= sleeps) throw new Killed()
        return sim.clock.sleep(ms)
      },
    }
    const outcome = await apply(sim, { clock }).then(
      () => 'finished',
      (e: unknown) => (e instanceof Killed ? 'killed' : String(e)),
    )
    if (outcome === 'finished') continue
    assert.is(outcome, 'killed')
    const again = await apply(sim)
    assert.ok(E.isRight(again.result), `re-run after a kill at wait ${sleeps}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
    assert.equal(clusterWorld(sim), uninterrupted, `end state after a kill at wait ${sleeps}`)
    assert.equal(planCalls(sim), calls, `calls after a kill at wait ${sleeps}`)
  }
})

test('serverless into an existing subnet group with given security groups: the capacity range on the cluster, db.serverless instances', async () => {
  const sim = simulate(fixture('aurora'))
  const req: NewClusterRequest = { ...REQ, subnets: { group: 'staging-db-subnets' }, securityGroups: ['sg-0123456789abcdef0'], serverless: { min: 0.5, max: 4 }, instanceCount: 2, deletionProtection: false }
  const { plan, result } = await runCloneInto(sim, req, { secrets: SECRETS })
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
  const now = sim.environment()
  const qa = now.clusters!.find((c) => c.DBClusterIdentifier === 'shop-qa')!
  assert.equal(qa.ServerlessV2ScalingConfiguration, { MinCapacity: 0.5, MaxCapacity: 4 })
  assert.is(qa.DBSubnetGroup, 'staging-db-subnets')
  assert.equal((qa.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId), ['sg-0123456789abcdef0'])
  assert.is(qa.DeletionProtection, false)
  assert.equal(now.instances.filter((i) => i.DBClusterIdentifier === 'shop-qa').map((i) => i.DBInstanceClass), ['db.serverless', 'db.serverless'])
  assert.not.ok(sim.calls().some((c) => c.action === 'CreateDBSubnetGroup'))
})

test('a saved plan: good, and still good while its run is under way; stale once somebody else\'s cluster takes the name', async () => {
  const env = fixture('aurora')
  const sim = simulate(env)
  const planned = await mitosis.plan({ rds: sim }, { cloneInto: REQ })()
  if (E.isLeft(planned)) return assert.unreachable(mitosis.renderPlanFailure(planned.left))
  const saved = JSON.parse(JSON.stringify(mitosis.planFileOf(planned.right))) as unknown
  const fresh = await mitosis.checkSaved({ rds: sim }, saved)()
  assert.ok(E.isRight(fresh), E.isLeft(fresh) ? mitosis.renderSavedFailure(fresh.left, 'plan.json') : '')
  assert.equal(fresh.right.secrets, ['master-password'])
  assert.is(fresh.right.plan.kind, 'new-cluster')
  const killed = await apply(sim, killable(sim, { sends: 3 })).then(() => false, (e: unknown) => e instanceof Killed)
  assert.ok(killed)
  const midway = await mitosis.checkSaved({ rds: sim }, saved)()
  assert.ok(E.isRight(midway), E.isLeft(midway) ? mitosis.renderSavedFailure(midway.left, 'plan.json') : '')

  const staging = env.clusters!.find((c) => c.DBClusterIdentifier === 'shop-staging')!
  const taken: Environment = { ...env, clusters: [...env.clusters!, { ...staging, DBClusterIdentifier: 'shop-qa', DBClusterArn: staging.DBClusterArn!.replace('shop-staging', 'shop-qa'), DBClusterMembers: [], AssociatedRoles: [] }] }
  const stale = await mitosis.checkSaved({ rds: simulate(taken) }, saved)()
  if (E.isRight(stale) || stale.left._tag !== 'Stale') return assert.unreachable(`expected Stale, got ${E.isRight(stale) ? 'a plan' : stale.left._tag}`)
  assert.is(mitosis.renderSavedFailure(stale.left, 'plan.json'), 'plan is stale: cluster shop-qa now exists; make a new plan')
  // planned now, that cluster is a target like any other: the swap clone
  const now = await mitosis.plan({ rds: simulate(taken) }, { cloneInto: REQ })()
  assert.ok(E.isLeft(now) || now.right.plan.kind === 'aurora-cluster')
})

test('planned with an invalid request: one line a reason, nothing sent', async () => {
  const sim = simulate(fixture('aurora'))
  const r = await mitosis.plan({ rds: sim }, { cloneInto: { ...REQ, instanceCount: 0, engineVersion: '17.1' } })()
  if (E.isRight(r)) return assert.unreachable('expected a refusal')
  assert.equal(mitosis.renderPlanFailure(r.left).split('; ').length >= 2, true)
  assert.match(mitosis.renderPlanFailure(r.left), /the instance count must be 1 or more, got 0/)
  assert.equal(sim.calls().filter((c) => planCall(c)), [])
})

test.run()
