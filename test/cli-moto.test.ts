/**
 * The CLI in plan mode against a real moto_server (started and stopped here), seeded through the
 * SDK: proves the wire format and that plan mode sends nothing that changes anything.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds'
import type { Plan } from '../src/plan/operations.js'
import { cleanEnv, cli } from './support/cli.js'
import { fixture, fixturePath, plan } from './support/fixtures.js'
import { mutatingActions, seedFromFixture, startMoto, type Fixture, type Moto } from './support/moto.js'

const available = spawnSync('sh', ['-c', 'command -v moto_server']).status === 0
if (!available && process.env['CI'] !== undefined) throw new Error('moto_server is not on PATH; CI needs it (see ../shared/reference/test-environment.md)')
if (!available) console.log('cli-moto: moto_server not on PATH, skipping')

let moto: Moto | undefined
const home = mkdtempSync(join(tmpdir(), 'mitosis-moto-'))
const env = () =>
  cleanEnv({
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_ENDPOINT_URL: moto!.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  })
const demoFixture = JSON.parse(readFileSync(fixturePath('demo'), 'utf8')) as Fixture

test.before(async () => {
  if (!available) return
  moto = await startMoto()
  await seedFromFixture(moto.endpoint, demoFixture)
})
test.after(async () => {
  await moto?.stop()
  rmSync(home, { recursive: true, force: true })
})

const renames = (p: Plan) => p.steps.filter((s) => s.phase !== 'copy')

test('the demo planned against moto is the plan the fixture gives, and nothing mutating was sent', async () => {
  if (!moto) return
  moto.clearRequests()
  const r = await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan', '--json', '--restart', './restart.sh'], env())
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stderr, '')
  const got = JSON.parse(r.stdout) as Plan
  const expected = plan(fixture('demo'), { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })
  assert.equal(got.steps.map((s) => [s.n, s.op, s.id, s.after]), expected.steps.map((s) => [s.n, s.op, s.id, s.after]))
  assert.equal(renames(got), renames(expected))
  for (const s of got.steps.filter((x) => x.op === 'CreateDBInstanceReadReplica')) {
    const e = expected.steps[s.n - 1]!.request as Record<string, unknown>
    const g = s.request as Record<string, unknown>
    // not VpcSecurityGroupIds: moto reports every group as active, so the inactive one comes back
    for (const key of ['SourceDBInstanceIdentifier', 'DBInstanceClass', 'DBSubnetGroupName', 'Tags', 'StorageType', 'Port', 'DeletionProtection']) {
      assert.equal(g[key], e[key], `${s.id} ${key}`)
    }
  }
  const actions = moto.requests().map((q) => q.action)
  assert.ok(actions.includes('DescribeDBInstances'))
  assert.ok(actions.includes('ListTagsForResource'))
  assert.equal(mutatingActions(moto.requests()), [])
})

test('the text plan and a missing source against moto; still nothing mutating', async () => {
  if (!moto) return
  moto.clearRequests()
  const text = await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'], env())
  assert.is(text.code, 0, text.stderr)
  assert.match(text.stdout, /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 12 steps$/m)
  const missing = await cli(['--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan'], env())
  assert.is(missing.code, 1)
  assert.is(missing.stderr, 'Error: mitosis-nope: no such DB instance in us-east-1\n')
  assert.equal(mutatingActions(moto.requests()), [])
})

test('more than one page of instances: the target is still found', async () => {
  if (!moto) return
  const rds = new RDSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
  for (let i = 0; i < 100; i++) {
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: `filler-${i}`, DBInstanceClass: 'db.t4g.micro', Engine: 'postgres', AllocatedStorage: 20, MasterUsername: 'filler', MasterUserPassword: 'not-a-real-secret-1' }))
  }
  rds.destroy()
  moto.clearRequests()
  const r = await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan', '--json'], env())
  assert.is(r.code, 0, r.stderr)
  assert.is((JSON.parse(r.stdout) as Plan).steps.length, 12)
  assert.ok(moto.requests().filter((q) => q.action === 'DescribeDBInstances').length >= 2, 'paged')
  assert.equal(mutatingActions(moto.requests()), [])
})

test.run()
