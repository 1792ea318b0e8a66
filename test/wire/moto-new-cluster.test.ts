/**
 * The clone into a new cluster against a real RDS API: two Aurora PostgreSQL clusters are created in a private
 * moto_server through the SDK, two subnets in moto's EC2, and the library's verbs (plan with cloneInto, apply) run
 * in this process through the AWS adapter (src/aws) and the recording proxy of test/support/moto.ts, cloning
 * shop-prod into shop-qa, which does not exist. Judged as a user would: every mutating request RDS received (each
 * plan step exactly once, in the plan's graph order, the new password only in its step), and what
 * DescribeDBClusters / DescribeDBInstances show afterwards (the new cluster with its instances, the source and the
 * other cluster as they were). The proxy runs with its AWS fix-up layer (awsFixups, documented in test/support/moto.ts).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { RDSClient } from '@aws-sdk/client-rds'
import { RAMClient } from '@aws-sdk/client-ram'
import { awsRdsPort } from '../../src/aws/rds.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import { systemClock } from '../../src/interpret/capabilities.js'
import { processShell } from '../../src/interpret/shell.js'
import * as mitosis from '../../src/interpret/workflow.js'
import type { NewClusterRequest } from '../../src/plan/clone/new-cluster.js'
import type { Plan, Step } from '../../src/plan/plan.js'
import { createSubnets, isMutating, seedAuroraPair, type Moto, type RecordedRequest } from '../support/moto.js'
import { asQuery, clusterWorld, describeRequest, equalJson, fromQuery, isLeaseRemoval, isLeaseWrite, motoSuite, REGION } from '../support/moto-e2e.js'
import { testLease } from '../support/apply.js'

const e2e = motoSuite({ name: 'moto-new-cluster', awsFixups: true })

const SOURCE = 'shop-prod'
const TARGET = 'shop-qa'
const PASSWORD = `Moto-${process.pid}-qa-Passw0rd`
const UNTOUCHED: ReadonlyArray<string> = ['shop-prod', 'shop-prod-1', 'shop-prod-2', 'shop-staging', 'shop-staging-1', 'shop-staging-2']

/** The AWS adapter on moto through the proxy, as the CLI's wiring makes it (dummy keys). */
const port = (moto: Moto) => {
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }
  const client = new RDSClient({ endpoint: moto.endpoint, region: REGION, credentials, maxAttempts: 3 })
  const ram = new RAMClient({ endpoint: moto.endpoint, region: REGION, credentials, maxAttempts: 3 })
  return { rds: awsRdsPort({ client, ram, region: REGION, endpoint: moto.endpoint }), close: () => (client.destroy(), ram.destroy()) }
}

/** Every step sent exactly once, each after the steps it waits for, nothing else mutating but the run's lease. */
const assertSentAsPlanned = (plan: Plan, requests: ReadonlyArray<RecordedRequest>): void => {
  const mutating = requests.filter(isMutating).filter((r) => !isLeaseWrite(r) && !isLeaseRemoval(r))
  const sentAt = new Map<number, number>()
  for (const [k, request] of mutating.entries()) {
    const step = plan.steps.find((s) => s.op === request.action && !sentAt.has(s.n) && equalJson(asQuery(s.request, PASSWORD), fromQuery(request.params)))
    if (step === undefined) return assert.unreachable(`a mutating request that is no (unsent) step of the plan: ${describeRequest(request).replace(PASSWORD, '<password>')}`)
    sentAt.set(step.n, k)
  }
  assert.equal(plan.steps.filter((s) => !sentAt.has(s.n)).map((s) => `${s.n} ${s.op} ${s.id}`), [], 'plan steps never sent')
  assert.is(mutating.length, plan.steps.length, 'one mutating request per step')
  const label = (s: Step) => `step ${s.n} (${s.op} ${s.id})`
  for (const s of plan.steps) for (const a of s.after) assert.ok(sentAt.get(a)! < sentAt.get(s.n)!, `${label(s)} was sent before ${label(plan.steps[a - 1]!)}`)
}

e2e.tests('moto new-cluster tests', () => {
  test('a clone into a new cluster against moto: planned without a mutating call, sent as planned, the new cluster with its instances, the rest untouched', async () => {
    const moto = await e2e.reset()
    await seedAuroraPair(moto.endpoint)
    const subnets = await createSubnets(moto.endpoint, REGION, 2)
    const before = await clusterWorld(moto)
    const req: NewClusterRequest = {
      source: SOURCE,
      target: TARGET,
      subnets: { ids: subnets },
      instanceClass: 'db.r6g.large',
      instanceCount: 2,
      backupRetentionDays: 3,
      deletionProtection: false,
      tags: [{ Key: 'environment', Value: 'qa' }],
      password: 'secret',
    }
    const { rds, close } = port(moto)
    try {
      moto.clearRequests()
      const planned = await mitosis.plan({ rds }, { cloneInto: req })()
      if (E.isLeft(planned)) return assert.unreachable(mitosis.renderPlanFailure(planned.left))
      const plan = planned.right.plan
      assert.is(plan.kind, 'new-cluster')
      assert.equal(moto.requests().filter(isMutating).map((r) => r.action), [], 'planning mutates nothing')
      assert.equal(
        plan.steps.map((s) => `${s.op} ${s.id}`),
        [`CreateDBSubnetGroup ${TARGET}-subnets`, `RestoreDBClusterToPointInTime ${TARGET}`, `ModifyDBCluster ${TARGET}`, `ModifyDBCluster ${TARGET}`, `CreateDBInstance ${TARGET}-1`, `CreateDBInstance ${TARGET}-2`],
      )

      moto.clearRequests()
      const result = await mitosis.apply(
        plan,
        { rds, clock: systemClock, shell: processShell, random: Math.random },
        { pollIntervalMs: 200, stepTimeoutMs: 60_000, hookTimeoutMs: 10_000, secrets: { 'master-password': PASSWORD }, lease: testLease() },
        () => undefined,
      )
      assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
      const requests = moto.requests()
      assertSentAsPlanned(plan, requests)
      const carrying = requests.filter(isMutating).filter((r) => Object.values(r.params).includes(PASSWORD)).map((r) => `${r.action} ${r.params['DBClusterIdentifier']}`)
      assert.equal(carrying, [`ModifyDBCluster ${TARGET}`], 'the password goes only to the new cluster, once')
      const restore = requests.find((r) => r.action === 'RestoreDBClusterToPointInTime')!
      assert.is(restore.params['RestoreType'], 'copy-on-write')
      assert.is(restore.params['SourceDBClusterIdentifier'], SOURCE)
      assert.is(restore.params['DBSubnetGroupName'], `${TARGET}-subnets`)

      const after = await clusterWorld(moto)
      assert.equal(after.clusters.get(TARGET)?.members, [`${TARGET}-1`, `${TARGET}-2`], 'the new cluster and its instances')
      assert.is(after.clusters.get(TARGET)!.raw['DBSubnetGroup'], `${TARGET}-subnets`)
      assert.is(after.clusters.get(TARGET)!.raw['BackupRetentionPeriod'], 3)
      for (const id of UNTOUCHED) {
        const [was, now] = id.split('-').length === 2 ? [before.clusters.get(id)?.json, after.clusters.get(id)?.json] : [before.instances.get(id)?.json, after.instances.get(id)?.json]
        assert.is(now, was, `${id} is as it was`)
      }
      assert.equal([...after.clusters.keys()].sort(), ['shop-prod', 'shop-qa', 'shop-staging'], 'no other cluster')

      // planned again once it is there: the run is finished, and the target is one to swap into
      const again = await mitosis.plan({ rds }, { cloneInto: req })()
      assert.ok(E.isRight(again) && again.right.plan.kind === 'aurora-cluster', E.isLeft(again) ? mitosis.renderPlanFailure(again.left) : again.right.plan.kind)
    } finally {
      close()
    }
  })
})

test.run()
