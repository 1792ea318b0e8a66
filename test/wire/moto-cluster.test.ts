/**
 * Aurora clusters in plan mode against a real RDS API: two Aurora PostgreSQL clusters with their instances are
 * created in a private moto_server through the SDK, and the CLI (a child process, through the recording proxy of
 * test/support/moto.ts) plans the clone from what DescribeDBInstances and DescribeDBClusters answer, sending not one
 * mutating request. The apply itself is test/moto-cluster-apply.test.ts.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { planOf, show } from '../support/cli.js'
import { mutatingActions, seedAuroraPair } from '../support/moto.js'
import { motoSuite, REGION } from '../support/moto-e2e.js'

const e2e = motoSuite({ name: 'moto-cluster-test' })

e2e.tests('moto cluster tests', () => {
  test('Aurora --plan --json against moto: the clone planned from DescribeDBClusters, nothing mutated', async () => {
    const moto = await e2e.reset()
    await seedAuroraPair(moto.endpoint)
    moto.clearRequests()

    const p = planOf(await e2e.cli(['--source', 'shop-prod', '--target', 'shop-staging', '--plan', '--json'], e2e.env(moto)))
    assert.is(p.source, 'shop-prod')
    assert.is(p.target, 'shop-staging')
    assert.is(p.region, REGION)
    const first = p.steps[0]!
    assert.is(first.op, 'RestoreDBClusterToPointInTime')
    assert.is(first.id, 'temp-shop-staging')
    const restore = first.request as Record<string, unknown>
    assert.equal([restore['SourceDBClusterIdentifier'], restore['RestoreType'], restore['UseLatestRestorableTime']], ['shop-prod', 'copy-on-write', true])
    // the target's members are rebuilt in the new cluster, writer first, and the old cluster goes last
    assert.equal(
      p.steps.filter((s) => s.op === 'CreateDBInstance').map((s) => s.id),
      ['temp-shop-staging-1', 'temp-shop-staging-2'],
    )
    assert.equal(
      p.steps.filter((s) => s.op === 'ModifyDBCluster' && 'NewDBClusterIdentifier' in s.request).map((s) => [s.id, (s.request as { NewDBClusterIdentifier: string }).NewDBClusterIdentifier]),
      [['shop-staging', 'old-shop-staging'], ['temp-shop-staging', 'shop-staging']],
    )
    assert.equal(p.steps.at(-1)!.op, 'DeleteDBCluster')

    const actions = moto.requests().map((r) => r.action)
    assert.ok(actions.includes('DescribeDBInstances'), actions.join(' '))
    assert.equal(actions.filter((a) => a === 'DescribeDBClusters'), ['DescribeDBClusters'], actions.join(' '))
    // the account's quotas and RAM's shared clusters are read once each; moto 5.2.1 implements neither, so the
    // test proxy answers them as for an account with the default quotas and nothing shared (test/support/moto.ts)
    assert.equal(actions.filter((a) => a === 'DescribeAccountAttributes'), ['DescribeAccountAttributes'], actions.join(' '))
    const ram = moto.requests().filter((r) => r.action === 'ListResources')
    assert.equal(ram.map((r) => [r.path, r.params['resourceOwner'], r.params['resourceType']]), [['/listresources', 'SELF', 'rds:Cluster']])
    assert.equal(mutatingActions(moto.requests()), [])
  })

  test('Aurora --source and --target swapped against moto: exit 2, one line naming production, no mutating request', async () => {
    const moto = await e2e.reset()
    await seedAuroraPair(moto.endpoint)
    moto.clearRequests()
    const r = await e2e.cli(['--source', 'shop-staging', '--target', 'shop-prod', '--yes'], e2e.env(moto))
    assert.is(r.code, 2, show(r))
    assert.is(r.stdout, '', show(r))
    assert.is(
      r.stderr,
      'Error: shop-prod: is tagged environment=production; refusing to replace and delete a production database (is --target right? --allow-production-target overrides)\n',
      show(r),
    )
    assert.equal(mutatingActions(moto.requests()), [])
  })
})

test.run()
