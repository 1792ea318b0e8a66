import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { Plan } from '../src/plan/operations.js'
import { cleanEnv, cli, type CliResult } from './support/cli.js'
import { fixturePath } from './support/fixtures.js'

const demoArgs = ['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan']

/** A refusal: non-zero exit, nothing on stdout, one `Error:` line on stderr with no stack. */
const refused = (r: CliResult, message: string | RegExp) => {
  assert.ok(r.code !== 0 && r.code !== null, `exit ${r.code}`)
  assert.is(r.stdout, '')
  const lines = r.stderr.trimEnd().split('\n')
  assert.is(lines.length, 1, r.stderr)
  assert.match(lines[0]!, /^Error: /)
  assert.match(lines[0]!, message)
}

const dir = mkdtempSync(join(tmpdir(), 'mitosis-cli-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

test('the demo plan as text: a header and one line per step', async () => {
  const r = await cli([...demoArgs, '--restart', './restart.sh'])
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stderr, '')
  const steps = r.stdout.split('\n').filter((l) => /^\s*\d+ {2}/.test(l))
  assert.equal(steps.map((l) => Number(l.trim().split(/\s+/)[0])), Array.from({ length: 13 }, (_, i) => i + 1))
  assert.match(r.stdout, /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 13 steps$/m)
  assert.match(steps[0]!, /CreateDBInstanceReadReplica +temp-mitosis-demo +now +from mitosis-prod/)
  assert.match(r.stdout, /→ old-mitosis-demo$/m)
  assert.match(r.stdout, /RunCommand +mitosis-demo +after 8,9 +\.\/restart\.sh$/m)
})

test('--json and --format json print exactly one Plan document', async () => {
  for (const flag of [['--json'], ['--format', 'json']]) {
    const r = await cli([...demoArgs, ...flag])
    assert.is(r.code, 0, r.stderr)
    assert.is(r.stderr, '')
    const decoded = Plan.decode(JSON.parse(r.stdout))
    assert.ok(E.isRight(decoded))
    const plan = decoded.right
    assert.is(plan.source, 'mitosis-prod')
    assert.is(plan.target, 'mitosis-demo')
    assert.equal(plan.steps[0]!.after, [])
    for (const s of plan.steps) for (const a of s.after) assert.ok(a < s.n)
  }
})

test('--format mermaid draws the trees before and after', async () => {
  const r = await cli([...demoArgs, '--format', 'mermaid'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^flowchart LR\n/)
  assert.match(r.stdout, 'subgraph after["after"]')
  assert.match(r.stdout, 'before_mitosis_prod -. "clone (12 steps)" .-> after_mitosis_demo')
})

test('--iam-policy prints the policy the plan needs', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--iam-policy'])
  assert.is(r.code, 0, r.stderr)
  const policy = JSON.parse(r.stdout) as { Statement: Array<{ Action: string[]; Resource: string[] }> }
  for (const s of policy.Statement) {
    for (const a of s.Action) assert.not.match(a, '*')
    if (s.Action.includes('rds:DeleteDBInstance')) for (const res of s.Resource) assert.match(res, /:db:old-/)
    if (s.Resource.includes('arn:aws:rds:us-east-1:123456789012:db:mitosis-prod')) assert.equal(s.Action, ['rds:CreateDBInstanceReadReplica'])
  }
})

test('every fixture plans', async () => {
  for (const [file, source, target] of [
    ['mysql-cascade', 'shop-prod', 'shop-staging'],
    ['postgres', 'billing-prod', 'billing-qa'],
    ['cross-vpc', 'ledger-prod', 'ledger-sandbox'],
  ]) {
    const r = await cli(['--simulate', fixturePath(file!), '--source', source!, '--target', target!, '--plan'])
    assert.is(r.code, 0, `${file}: ${r.stderr}`)
    assert.match(r.stdout, `Plan: clone ${source} into ${target}`)
  }
})

test('bad input: one line on stderr naming the problem, non-zero exit, no stack', async () => {
  refused(await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan']), 'Error: mitosis-nope: no such DB instance in us-east-1')
  refused(await cli(['--simulate', 'fixtures/demo.json', '--target', 'mitosis-demo', '--plan']), 'Missing required flag source')
  refused(await cli([...demoArgs, '--format', 'yaml']), 'Expected --format=yaml to be one of: text, json, mermaid')
  refused(await cli([...demoArgs, '--json', '--format', 'mermaid']), '--json and --format mermaid')
  refused(await cli([...demoArgs, '--region', 'eu-west-1']), '--region=eu-west-1 cannot also be provided when using --simulate')
  refused(await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'Bad_Name', '--plan']), '"Bad_Name" is not a valid DB instance identifier')
  refused(await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo']), 'add --plan')
  refused(await cli(['--simulate', join(dir, 'missing.json'), '--source', 'a', '--target', 'b', '--plan']), `${join(dir, 'missing.json')}: cannot read: ENOENT`)
  const notJson = join(dir, 'not.json')
  writeFileSync(notJson, '{ "DBInstances": [')
  refused(await cli(['--simulate', notJson, '--source', 'a', '--target', 'b', '--plan']), `${notJson}: not JSON`)
  const badField = join(dir, 'bad.json')
  const demo = JSON.parse(readFileSync(fixturePath('demo'), 'utf8')) as { DBInstances: Array<Record<string, unknown>> }
  demo.DBInstances[1]!['Engine'] = 42
  writeFileSync(badField, JSON.stringify(demo))
  refused(await cli(['--simulate', badField, '--source', 'a', '--target', 'b', '--plan']), `${badField}: DBInstances[1].Engine: expected string, got 42`)
})

test('with --debug a failure still exits non-zero', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan', '--debug'])
  assert.is(r.code, 1)
  assert.match(r.stderr, 'mitosis-nope: no such DB instance')
})

test('AWS without a region, or with an endpoint that does not answer: one line, no AWS call changes anything', async () => {
  const home = mkdtempSync(join(dir, 'home-'))
  const noAws = cleanEnv({ HOME: home, AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials') })
  refused(await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'], noAws), 'no AWS region: pass --region')
  const unreachable = { ...noAws, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }
  refused(await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'], unreachable), 'cannot reach RDS at http://127.0.0.1:9: ECONNREFUSED')
})

test('--help tells the flags; --version the version', async () => {
  const help = await cli(['--help'])
  assert.is(help.code, 0)
  for (const flag of ['--simulate', '--plan', '--iam-policy', '--restart', '--format']) assert.match(help.stdout, flag)
  const version = await cli(['--version'])
  assert.match(version.stdout, /^mitosis\/0\.1\.0 /)
})

test.run()
