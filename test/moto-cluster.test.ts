/**
 * Aurora clusters in plan mode against a real RDS API: two Aurora PostgreSQL clusters with their instances are
 * created in a private moto_server through the SDK, and the CLI (a child process, through the recording proxy of
 * test/support/moto.ts) plans the clone from what DescribeDBInstances and DescribeDBClusters answer, sending not one
 * mutating request. The apply itself is test/moto-cluster-apply.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cleanEnv, cli, planOf } from './support/cli.js'
import { mutatingActions, startMoto, type Moto, whenMotoAvailable, seedAuroraPair } from './support/moto.js'

const REGION = 'us-east-1'
let home: string | undefined
const homeDir = (): string => (home ??= mkdtempSync(join(tmpdir(), 'mitosis-moto-cluster-test-')))
let starting: Promise<Moto> | undefined

const awsEnv = (moto: Moto): NodeJS.ProcessEnv =>
  cleanEnv({
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    HOME: homeDir(),
    AWS_CONFIG_FILE: join(homeDir(), 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(homeDir(), 'no-credentials'),
  })


whenMotoAvailable('moto cluster tests', () => {
  test.after(async () => {
    try {
      if (starting !== undefined) await starting.then((m) => m.stop(), () => undefined)
    } finally {
      if (home !== undefined) rmSync(home, { recursive: true, force: true })
    }
  })

  test('Aurora --plan --json against moto: the clone planned from DescribeDBClusters, nothing mutated', async () => {
    const moto = await (starting ??= startMoto())
    await moto.reset()
    await seedAuroraPair(moto.endpoint)
    moto.clearRequests()

    const p = planOf(await cli(['--source', 'shop-prod', '--target', 'shop-staging', '--plan', '--json'], awsEnv(moto)))
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
})

test.run()
