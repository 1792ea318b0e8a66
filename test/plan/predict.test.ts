import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Plan, Step } from '../../src/plan/plan.js'
import { predict } from '../../src/plan/predict/step.js'
import { checkPlan } from '../../src/plan/predict/end-state.js'
import * as E from 'fp-ts/lib/Either.js'
import { planCreate } from '../../src/plan/create.js'
import { renderMermaid } from '../../src/plan/render/mermaid.js'
import { fixture, plan, renameOf, stepOf } from '../support/fixtures.js'

const demo = fixture('demo')
const cascade = fixture('mysql-cascade')
const good = plan(demo, { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })

/** The plan with step n replaced (numbers and waits kept). */
const tamper = (p: Plan, n: number, change: (s: Step) => Step): Plan => ({ ...p, steps: p.steps.map((s) => (s.n === n ? change(s) : s)) })
const without = (p: Plan, n: number): Plan => ({
  ...p,
  steps: p.steps
    .filter((s) => s.n !== n)
    .map((s, i) => ({ ...s, n: i + 1, after: s.after.filter((a) => a !== n).map((a) => (a > n ? a - 1 : a)) })),
})

test('a plan from the planner passes, and its end state is the target tree holding the source\'s data', () => {
  assert.equal(checkPlan(demo, good), [])
  const { state } = predict(demo, good)
  assert.is(state.instances.get('mitosis-demo')!.dataFrom, 'mitosis-prod')
  assert.is(state.instances.get('mitosis-demo-replica')!.dataFrom, 'mitosis-prod')
  assert.is(state.instances.get('mitosis-demo-replica')!.replicaSource, 'mitosis-demo')
  assert.is(state.instances.get('mitosis-demo')!.settings.DBInstanceClass, 'db.t4g.medium')
  assert.not.ok([...state.instances.keys()].some((id) => id.startsWith('temp-') || id.startsWith('old-')))
  assert.ok(state.instances.has('analytics-warehouse'))
})

test('deleting something the plan did not rename to old- is refused', () => {
  const del = stepOf(good, 'DeleteDBInstance', 'old-mitosis-demo-replica')
  const bad = tamper(good, del.n, (s) => ({ ...s, id: 'analytics-warehouse', request: { DBInstanceIdentifier: 'analytics-warehouse', SkipFinalSnapshot: true } }) as Step)
  const v = checkPlan(demo, bad)
  assert.ok(v.some((x) => x.includes('analytics-warehouse was not renamed to old-* by this plan')), v.join('\n'))
})

test('touching the source is refused', () => {
  const modify = stepOf(good, 'ModifyDBInstance', 'temp-mitosis-demo')
  const bad = tamper(good, modify.n, (s) => ({ ...s, id: 'mitosis-prod', request: { DBInstanceIdentifier: 'mitosis-prod', PreferredMaintenanceWindow: 'sun:01:00-sun:01:30', ApplyImmediately: true } }) as Step)
  const v = checkPlan(demo, bad)
  assert.ok(v.some((x) => x.includes('would modify the source mitosis-prod')), v.join('\n'))
})

test('a lost setting shows up as an end state that does not keep the target\'s settings', () => {
  const modify = stepOf(good, 'ModifyDBInstance', 'temp-mitosis-demo')
  const v = checkPlan(demo, without(good, modify.n))
  assert.ok(v.some((x) => x.includes('mitosis-demo does not keep the target\'s settings: DBParameterGroupName')), v.join('\n'))
})

test('a setting RDS would refuse at creation is refused', () => {
  const create = stepOf(good, 'CreateDBInstanceReadReplica', 'temp-mitosis-demo')
  const bad = tamper(good, create.n, (s) => ({ ...s, request: { ...s.request, PreferredMaintenanceWindow: 'sat:04:00-sat:04:30' } }) as Step)
  assert.ok(checkPlan(demo, bad).some((x) => x.includes('CreateDBInstanceReadReplica does not take PreferredMaintenanceWindow')))
})

test('a rename onto a taken name, and a rename in before the rename away, are refused', () => {
  const away = renameOf(good, 'mitosis-demo')
  const into = renameOf(good, 'temp-mitosis-demo')
  const v = checkPlan(demo, tamper(good, into.n, (s) => ({ ...s, after: [] })))
  assert.ok(v.some((x) => x.includes(`does not wait for step ${away.n}`)), v.join('\n'))
  const swapped = { ...good, steps: good.steps.map((s) => (s.n === away.n ? { ...into, n: away.n, after: away.after } : s.n === into.n ? { ...away, n: into.n, after: [] } : s)) } as Plan
  assert.ok(checkPlan(demo, swapped).some((x) => x.includes('mitosis-demo is already taken')))
})

test('a replica made before its parent has backups is refused', () => {
  const child = stepOf(good, 'CreateDBInstanceReadReplica', 'temp-mitosis-demo-replica')
  const promote = stepOf(good, 'PromoteReadReplica', 'temp-mitosis-demo')
  const noBackups = tamper(good, promote.n, (s) => ({ ...s, request: { DBInstanceIdentifier: s.id } }) as Step)
  assert.ok(checkPlan(demo, noBackups).some((x) => x.includes(`step ${child.n}`) && x.includes('has no automated backups')))
})

test('deleting a parent before its replicas, or with deletion protection on, is refused', () => {
  const unprotect = stepOf(good, 'ModifyDBInstance', 'old-mitosis-demo')
  const v = checkPlan(demo, without(good, unprotect.n))
  assert.ok(v.some((x) => x.includes('old-mitosis-demo still has deletion protection on')), v.join('\n'))
  const p = plan(cascade, { source: 'shop-prod', target: 'shop-staging' })
  const deletes = p.steps.filter((s) => s.op === 'DeleteDBInstance')
  const reordered = {
    ...p,
    steps: [...p.steps.filter((s) => s.op !== 'DeleteDBInstance'), ...[...deletes].reverse()].map((s, i) => ({ ...s, n: i + 1, after: [] })),
  } as Plan
  assert.ok(checkPlan(cascade, reordered).some((x) => x.includes('old-shop-staging still has replicas')))
})

test('a delete that does not wait for the hook is refused', () => {
  const del = stepOf(good, 'DeleteDBInstance', 'old-mitosis-demo-replica')
  const v = checkPlan(demo, tamper(good, del.n, (s) => ({ ...s, after: [] })))
  assert.ok(v.some((x) => x.includes(`step ${del.n} deletes old-mitosis-demo-replica without waiting for step`)), v.join('\n'))
})

test('a create plan is predicted as a clone is: its instances and schema in its new cluster, never in the source, the schema only once there is a writer', () => {
  const aurora = fixture('aurora')
  const made = planCreate(aurora, { like: 'shop-prod', target: 'shop-new', instances: 2, password: 'secret', changelog: 'db/changelog.yaml' })
  if (E.isLeft(made)) throw new Error(JSON.stringify(made.left))
  const c = made.right
  assert.equal(checkPlan(aurora, c), [])
  const { state } = predict(aurora, c)
  assert.equal([...state.instances.values()].filter((i) => i.cluster === 'shop-new').map((i) => [i.id, i.writer]), [['shop-new-1', true], ['shop-new-2', false]])
  const writer = stepOf(c, 'CreateDBInstance', 'shop-new-1')
  const intoSource = tamper(c, writer.n, (s) => ({ ...s, request: { ...s.request, DBClusterIdentifier: 'shop-prod' } }) as Step)
  assert.ok(checkPlan(aurora, intoSource).some((x) => x.includes('would modify the source cluster shop-prod')), checkPlan(aurora, intoSource).join('\n'))
  const noInstances = without(without(c, stepOf(c, 'CreateDBInstance', 'shop-new-2').n), writer.n)
  assert.ok(checkPlan(aurora, noInstances).some((x) => x.includes('shop-new has no writer at that point')), checkPlan(aurora, noInstances).join('\n'))
  // the picture's after side is the predicted world: the new cluster with its writer and reader
  assert.match(renderMermaid(aurora, c), 'after_i_shop_new_1["shop-new-1<br/>db.r6g.2xlarge writer"]')
})

test.run()
