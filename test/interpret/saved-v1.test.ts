/**
 * Plan files saved before plans said their kind (`mitosis --plan --out` of commit 4b6c469, kept in
 * test/support/plans-v1/): each decodes to the plan a fresh run makes today, kind and all, passes
 * checkSaved, and applies to the same end state as the fresh plan.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import * as mitosis from '../../src/index.js'
import type { PlanRequest } from '../../src/interpret/workflow.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { clusterWorld, fakeShell, instanceWorld, OPTIONS, testLease } from '../support/apply.js'
import { fixture, repoRoot } from '../support/fixtures.js'

const SAVED: ReadonlyArray<{ file: string; world: string; kind: mitosis.PlanKind; request: PlanRequest; end: (sim: Simulator) => unknown }> = [
  { file: 'demo', world: 'demo', kind: 'replica-tree', request: { clone: { source: 'mitosis-prod', target: 'mitosis-demo' } }, end: instanceWorld },
  { file: 'aurora', world: 'aurora', kind: 'aurora-cluster', request: { clone: { source: 'shop-prod', target: 'shop-staging' } }, end: clusterWorld },
  { file: 'create', world: 'aurora', kind: 'create', request: { create: { like: 'shop-prod', target: 'shop-new', password: 'managed' } }, end: clusterWorld },
]

const applied = async (sim: Simulator, plan: mitosis.Plan): Promise<void> => {
  const result = await mitosis.apply(plan, { rds: sim, clock: sim.clock, shell: fakeShell().shell, random: () => 0.5 }, { ...OPTIONS, lease: testLease() }, () => {})
  if (E.isLeft(result)) assert.unreachable(mitosis.renderApplyFailure(result.left, plan))
}

for (const saved of SAVED) {
  test(`a ${saved.kind} plan file saved before plans said their kind is the plan made today, and applies as it does`, async () => {
    const json = JSON.parse(readFileSync(`${repoRoot}test/support/plans-v1/${saved.file}.json`, 'utf8')) as { plan: Record<string, unknown> }
    assert.not.ok('kind' in json.plan, 'the file predates Plan.kind')
    const fresh = simulate(fixture(saved.world))
    const planned = await mitosis.plan({ rds: fresh }, saved.request)()
    if (E.isLeft(planned)) return assert.unreachable(mitosis.renderPlanFailure(planned.left))
    const old = simulate(fixture(saved.world))
    const checked = await mitosis.checkSaved({ rds: old }, json)()
    if (E.isLeft(checked)) return assert.unreachable(mitosis.renderSavedFailure(checked.left, saved.file))
    assert.is(checked.right.plan.kind, saved.kind)
    assert.equal(checked.right.plan, planned.right.plan)
    await applied(fresh, planned.right.plan)
    await applied(old, checked.right.plan)
    assert.equal(saved.end(old), saved.end(fresh))
  })
}

test.run()
