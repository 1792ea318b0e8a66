/**
 * Applying an Aurora clone against a real RDS API: two Aurora PostgreSQL clusters with their instances are created
 * in a private moto_server through the SDK, and the CLI (a child process, through the recording proxy of
 * test/support/moto.ts) clones shop-prod into shop-staging end to end, judged as a user would: the exit code, every
 * mutating request RDS received (each plan step exactly once, in the plan's graph order, nothing mutating on the
 * source), and what DescribeDBClusters / DescribeDBInstances show afterwards.
 *
 * moto differs from AWS in ways a cluster apply depends on; the proxy runs with its AWS fix-up layer (awsFixups,
 * documented in test/support/moto.ts). The product is not told and not changed.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { planOf, show, succeeded } from '../support/cli.js'
import { isMutating, seedAuroraPair } from '../support/moto.js'
import { assertConversation, clusterWorld, describeRequest, hookCommand, motoSuite, type Seen } from '../support/moto-e2e.js'

const e2e = motoSuite({ name: 'moto-cluster-apply', awsFixups: true, runLimitMs: 30_000 })

const SOURCE = 'shop-prod'
const TARGET = 'shop-staging'
const SOURCE_IDS: ReadonlyArray<string> = [SOURCE, 'shop-prod-1', 'shop-prod-2']

const namesSource = (value: string): boolean => SOURCE_IDS.some((id) => value === id || value.endsWith(`:db:${id}`) || value.endsWith(`:cluster:${id}`))

/** No mutating request names the source cluster or its instances, except as the source of the copy-on-write restore. */
const assertSourceUntouched = (seen: ReadonlyArray<Seen>): void => {
  for (const { request } of seen.filter((s) => isMutating(s.request))) {
    for (const [key, value] of Object.entries(request.params)) {
      if (!namesSource(value)) continue
      const allowed = (key === 'SourceDBClusterIdentifier' && request.action === 'RestoreDBClusterToPointInTime' && value === SOURCE) || /^Tags\.Tag\.\d+\.Value$/.test(key)
      assert.ok(allowed, `${request.action} names ${value} as ${key}: ${describeRequest(request)}`)
    }
    if (request.action === 'DeleteDBInstance') assert.match(request.params['DBInstanceIdentifier'] ?? '', /^old-/, `DeleteDBInstance only on old-*: ${describeRequest(request)}`)
    if (request.action === 'DeleteDBCluster') assert.match(request.params['DBClusterIdentifier'] ?? '', /^old-/, `DeleteDBCluster only on old-*: ${describeRequest(request)}`)
  }
}

e2e.tests('moto cluster apply tests', () => {
  test('an Aurora clone applied end to end against moto: exit 0, the plan sent as planned, the source untouched, the new cluster in place', async () => {
    const moto = await e2e.reset()
    await seedAuroraPair(moto.endpoint)
    const dir = e2e.tempDir()
    const hookFile = join(dir, 'hook.log')
    const hook = hookCommand(hookFile)
    const env = e2e.env(moto, dir)
    const before = await clusterWorld(moto)

    moto.clearRequests()
    const plan = planOf(await e2e.cli(['--source', SOURCE, '--target', TARGET, '--restart', hook, '--plan', '--json'], env))
    assert.equal(moto.requests().filter(isMutating).map((r) => r.action), [], '--plan mutates nothing')
    assert.is(plan.steps[0]!.op, 'RestoreDBClusterToPointInTime')

    const seen = e2e.watch(hookFile)
    const r = await e2e.cli(['--source', SOURCE, '--target', TARGET, '--restart', hook, '--yes', '--poll-interval', '0.2'], env)
    e2e.listen(undefined)
    succeeded(r)
    assert.match(r.stdout, new RegExp(`^Cloned ${SOURCE} into ${TARGET}: ${plan.steps.length} steps in [^\\n]*\\.$`, 'm'), show(r))

    assertConversation(plan, seen)
    assertSourceUntouched(seen)

    const after = await clusterWorld(moto)
    const leftovers = [...after.clusters.keys(), ...after.instances.keys()].filter((id) => id.startsWith('temp-') || id.startsWith('old-'))
    assert.equal(leftovers, [], 'no temp-* or old-* left')
    assert.equal(after.clusters.get(TARGET)?.members, ['shop-staging-1', 'shop-staging-2'], 'the target cluster and its members')
    for (const id of ['shop-staging-1', 'shop-staging-2']) assert.is(after.instances.get(id)?.cluster, TARGET, `${id} is an instance of ${TARGET}`)
    assert.ok(after.clusters.get(TARGET)!.json !== before.clusters.get(TARGET)!.json, 'shop-staging is a new cluster')
    for (const id of SOURCE_IDS) {
      const was = id === SOURCE ? before.clusters.get(id)?.json : before.instances.get(id)?.json
      const now = id === SOURCE ? after.clusters.get(id)?.json : after.instances.get(id)?.json
      assert.is(now, was, `${id} is as it was`)
    }
    assert.ok(existsSync(hookFile), 'the hook ran')
  })

  test('with --db-password-stdin: the password goes to the temp- cluster on the wire, once, before its instances, and nowhere else', async () => {
    const PASSWORD = `Moto-${process.pid}-staging!`
    const moto = await e2e.reset()
    await seedAuroraPair(moto.endpoint)
    const env = e2e.env(moto, e2e.tempDir())
    const plan = planOf(await e2e.cli(['--source', SOURCE, '--target', TARGET, '--db-password-stdin', '--plan', '--json'], env))
    assert.not.ok(JSON.stringify(plan).includes(PASSWORD))

    const seen = e2e.watch(join(e2e.tempDir(), 'no-hook.log'))
    const r = await e2e.cli(['--source', SOURCE, '--target', TARGET, '--db-password-stdin', '--yes', '--poll-interval', '0.2'], env, PASSWORD)
    e2e.listen(undefined)
    succeeded(r)
    assert.not.ok(r.stdout.includes(PASSWORD), show(r))
    const order = assertConversation(plan, seen, PASSWORD)
    assertSourceUntouched(seen)
    const carrying = seen.filter((s) => Object.values(s.request.params).includes(PASSWORD)).map((s) => describeRequest(s.request).replace(PASSWORD, '<password>'))
    assert.equal(carrying, ['ModifyDBCluster {"DBClusterIdentifier":"temp-shop-staging","ApplyImmediately":"true","MasterUserPassword":"<password>"}'])
    const reset = plan.steps.find((s) => s.op === 'ModifyDBCluster' && s.request.MasterUserPassword !== undefined)!
    const firstInstance = plan.steps.find((s) => s.op === 'CreateDBInstance')!
    assert.ok(order.indexOf(reset.n) < order.indexOf(firstInstance.n), `sent in the order ${order.join(',')}`)
  })
})

test.run()
