/**
 * The CLI as a user runs it: `bin/run.js` in a child process, judged by its exit code, stdout and stderr.
 * Everything but the last two AWS cases runs on the embedded simulator (--simulate), so no account is needed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { drawErrors } from '../../src/plan/domain.js'
import { Plan } from '../../src/plan/plan.js'
import { cleanEnv, cli as runCli, show, succeeded, type Run } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'

// ---------------------------------------------------------------------------------------------------------------
// Running the CLI

/** This suite's limit for one run is 20 s (the shared default is 60 s). */
const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = cleanEnv(), timeoutMs = 20_000): Promise<Run> =>
  runCli(args, env, timeoutMs)

/** A clean refusal: non-zero exit, nothing on stdout, one `Error: ` line on stderr and no stack trace. */
const refused = (r: Run, ...names: ReadonlyArray<string | RegExp>): string => {
  assert.ok(r.code !== null && r.code !== 0, `expected a non-zero exit\n${show(r)}`)
  assert.is(r.stdout, '', `expected nothing on stdout\n${show(r)}`)
  assert.ok(r.stderr.endsWith('\n'), `stderr should end with a newline\n${show(r)}`)
  const lines = r.stderr.slice(0, -1).split('\n')
  assert.is(lines.length, 1, `expected exactly one line on stderr\n${show(r)}`)
  const line = lines[0]!
  assert.ok(line.startsWith('Error: '), `stderr should start with "Error: "\n${show(r)}`)
  assert.not.match(r.stderr, /^ {4}at /m, `no stack trace without --debug\n${show(r)}`)
  for (const n of names) {
    if (typeof n === 'string') assert.ok(line.includes(n), `the error should name ${JSON.stringify(n)}: ${line}`)
    else assert.match(line, n, `the error should match ${n}: ${line}`)
  }
  return line
}

/**
 * Refused under --json: the one line on stderr as `refused` asks, and on stdout one JSON error object
 * (oclif's --json convention) that says the same, with the exit code.
 */
const refusedAsJson = (r: Run, ...names: ReadonlyArray<string | RegExp>): string => {
  const line = refused({ ...r, stdout: '' }, ...names)
  assert.ok(r.stdout.endsWith('\n') && r.stdout.slice(0, -1).split('\n').length === 1, `expected one JSON line on stdout\n${show(r)}`)
  const json = JSON.parse(r.stdout) as { error?: { message?: unknown; exitCode?: unknown } }
  assert.is(json.error?.message, line.replace(/^Error: /, ''), `the JSON error says what stderr says\n${show(r)}`)
  assert.is(json.error?.exitCode, r.code, `the JSON error carries the exit code\n${show(r)}`)
  return line
}

const withTempDir = async <A>(body: (dir: string) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-cli-test-'))
  try {
    return await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const DEMO = ['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo']
const SOURCE_ARN = 'arn:aws:rds:us-east-1:123456789012:db:mitosis-prod'
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version

/** Parses stdout as exactly one JSON document (JSON.parse refuses trailing text). */
const oneJson = (r: Run): unknown => {
  try {
    return JSON.parse(r.stdout) as unknown
  } catch (e) {
    throw new Error(`stdout is not one JSON document: ${(e as Error).message}\n${show(r)}`)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Plans on the simulator

test('the demo plan as text: a header, then steps 1..16 with the replica, the renames and the hook, then what it deletes', async () => {
  const r = await cli([...DEMO, '--plan', '--restart', './restart.sh'])
  succeeded(r)
  const lines = r.stdout.split('\n')
  assert.match(lines[0]!, /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 16 steps$/)
  const steps = lines.filter((l) => /^\s*\d+\s{2}/.test(l))
  assert.equal(steps.map((l) => Number(/^\s*(\d+)/.exec(l)![1])), Array.from({ length: 16 }, (_, k) => k + 1))
  // it ends with the list of what will be deleted
  const deletes = [
    '',
    'Will delete (nothing else is deleted):',
    '  old-mitosis-demo (was mitosis-demo): DeletionProtection on, no final snapshot',
    '  old-mitosis-demo-replica (was mitosis-demo-replica): DeletionProtection off, no final snapshot',
    '',
  ]
  assert.equal(lines.slice(-deletes.length), deletes)
  // every other line is a header, a phase title, a blank separator or a step
  for (const l of lines.slice(1, -deletes.length)) assert.ok(l === '' || l.startsWith('# ') || steps.includes(l), `unexpected line: ${l}`)
  assert.match(steps[0]!, /^ 1 {2}CreateDBInstanceReadReplica +temp-mitosis-demo +now +from mitosis-prod /)
  assert.ok(steps.some((l) => /ModifyDBInstance \(rename\) +mitosis-demo +after [\d,]+ +→ old-mitosis-demo$/.test(l)), r.stdout)
  assert.match(steps[11]!, /^12 {2}RunCommand +mitosis-demo +after [\d,]+ +\.\/restart\.sh$/)
  for (const s of ['CreateDBInstanceReadReplica', 'temp-mitosis-demo', '→ old-mitosis-demo', 'RunCommand', './restart.sh']) {
    assert.ok(r.stdout.includes(s), `the plan should mention ${s}`)
  }
})

for (const flags of [['--json'], ['--format', 'json']]) {
  test(`${flags.join(' ')}: exactly one JSON document, a Plan the codec accepts`, async () => {
    const r = await cli([...DEMO, '--plan', '--restart', './restart.sh', ...flags])
    succeeded(r)
    const json = oneJson(r) as Record<string, unknown>
    assert.is(json['version'], 1)
    assert.is(json['source'], 'mitosis-prod')
    assert.is(json['target'], 'mitosis-demo')
    const decoded = Plan.decode(json)
    if (E.isLeft(decoded)) assert.unreachable(`the JSON plan does not decode as a Plan: ${drawErrors(decoded.left)}`)
    else {
      const p = decoded.right
      assert.is(p.steps.length, 16)
      p.steps.forEach((s, k) => {
        assert.is(s.n, k + 1)
        assert.type(s.op, 'string')
        assert.type(s.id, 'string')
        assert.type(s.request, 'object')
        for (const a of s.after) assert.ok(a >= 1 && a < s.n, `step ${s.n} waits for step ${a}`)
      })
      assert.equal(p.steps[0]!.op, 'CreateDBInstanceReadReplica')
      assert.equal(p.steps.filter((s) => s.op === 'RunCommand').map((s) => s.request), [{ Command: './restart.sh' }])
    }
  })
}

test('--json and --format json print the same document', async () => {
  const [a, b] = await Promise.all([cli([...DEMO, '--plan', '--json']), cli([...DEMO, '--plan', '--format', 'json'])])
  succeeded(a)
  succeeded(b)
  assert.is(a.stdout, b.stdout)
})

test('--format mermaid: a flowchart with before and after trees, and the clone arrow into the new target', async () => {
  const r = await cli([...DEMO, '--plan', '--format', 'mermaid'])
  succeeded(r)
  assert.ok(r.stdout.startsWith('flowchart'), r.stdout)
  assert.match(r.stdout, /^\s*subgraph before\b/m)
  assert.match(r.stdout, /^\s*subgraph after\b/m)
  // the after tree's mitosis-demo holds the source's data
  assert.match(r.stdout, /^\s*after_mitosis_demo\[".*data of mitosis-prod.*"\]$/m)
  // a Mermaid link of any style (--> or -. label .->) from the source before to the target after
  assert.match(r.stdout, /^\s*before_mitosis_prod\s.*->\s*after_mitosis_demo\s*$/m)
})

test('--iam-policy: least privilege; deletes only old-*, the source only as a replica origin', async () => {
  const r = await cli([...DEMO, '--iam-policy'])
  succeeded(r)
  const policy = oneJson(r) as { Version?: unknown; Statement?: Array<{ Effect?: unknown; Action: string[]; Resource: string[] }> }
  assert.is(policy.Version, '2012-10-17')
  const statements = policy.Statement ?? []
  assert.ok(statements.length > 0, 'no statements')
  for (const s of statements) {
    assert.is(s.Effect, 'Allow')
    assert.ok(Array.isArray(s.Action) && s.Action.length > 0)
    for (const a of s.Action) assert.not.ok(a.includes('*'), `wildcard action ${a}`)
  }
  const deletes = statements.filter((s) => s.Action.includes('rds:DeleteDBInstance'))
  assert.ok(deletes.length > 0, 'the plan deletes, so the policy must allow it')
  for (const s of deletes) {
    for (const res of s.Resource) assert.match(res, /^arn:aws:rds:us-east-1:123456789012:db:old-[a-z0-9-]+$/, `DeleteDBInstance on ${res}`)
  }
  const withSource = statements.filter((s) => s.Resource.includes(SOURCE_ARN))
  assert.ok(withSource.length > 0, 'the source must be allowed as the replica origin')
  for (const s of withSource) assert.equal(s.Action, ['rds:CreateDBInstanceReadReplica'])
  // the source is never named other than exactly (no db:mitosis-prod* pattern either)
  for (const s of statements) for (const res of s.Resource) if (res.includes(':db:mitosis-prod')) assert.is(res, SOURCE_ARN)
})

for (const [name, source, target] of [
  ['demo', 'mitosis-prod', 'mitosis-demo'],
  ['mysql-cascade', 'shop-prod', 'shop-staging'],
  ['postgres', 'billing-prod', 'billing-qa'],
  ['cross-vpc', 'ledger-prod', 'ledger-sandbox'],
] as const) {
  test(`fixture ${name}: ${source} → ${target} plans`, async () => {
    const r = await cli(['--simulate', `fixtures/${name}.json`, '--source', source, '--target', target, '--plan'])
    succeeded(r)
    assert.match(r.stdout, new RegExp(`^Plan: clone ${source} into ${target} in [a-z0-9-]+, \\d+ steps\\n`))
    assert.match(r.stdout, new RegExp(`→ ${target}$`, 'm'))
  })
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals: one line, no stack, nothing on stdout

test('a source that does not exist', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan'])
  assert.is(refused(r), 'Error: mitosis-nope: no such DB instance in us-east-1')
})

test('no --source flag', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--target', 'mitosis-demo', '--plan'])
  refused(r, /\bsource\b/, /required/i)
})

test('--format yaml', async () => {
  refused(await cli([...DEMO, '--plan', '--format', 'yaml']), '--format', 'yaml')
})

test('--json together with --format mermaid', async () => {
  refusedAsJson(await cli([...DEMO, '--plan', '--json', '--format', 'mermaid']), '--json', 'mermaid')
})

test('--plan --json on a target that does not exist: one JSON error object on stdout, the line on stderr', async () => {
  const line = refusedAsJson(await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-nope', '--plan', '--json']))
  assert.match(line, 'mitosis-nope')
  refusedAsJson(await cli(['apply', 'no-such-plan.json', '--json', '--yes']), 'no-such-plan.json: cannot read: ENOENT')
})

test('a duration flag that is not a positive number is refused when the flags are parsed, before anything is read', async () => {
  // the fixture does not exist: the flag is refused before it would be read
  const world = ['--simulate', 'no-such-fixture.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo']
  assert.is(refused(await cli([...world, '--plan', '--poll-interval', 'abc'])), 'Error: --poll-interval must be a positive number, got "abc"')
  assert.is(refused(await cli([...world, '--yes', '--step-timeout', '0'])), 'Error: --step-timeout must be a positive number, got "0"')
  assert.is(refused(await cli(['create', '--like', 'shop-prod', '--target', 'shop-new', '--manage-master-password', '--hook-timeout=-1', '--plan'])), 'Error: --hook-timeout must be a positive number, got "-1"')
  assert.is(refused(await cli(['apply', 'no-such-plan.json', '--poll-interval', 'soon'])), 'Error: --poll-interval must be a positive number, got "soon"')
  refusedAsJson(await cli([...world, '--plan', '--json', '--poll-interval', 'abc']), '--poll-interval')
})

test('a fixture file that does not exist', async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, 'nothing-here.json')
    const r = await cli(['--simulate', missing, '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'])
    refused(r, missing, /ENOENT|cannot read|no such file/i)
  })
})

test('a fixture file that is not JSON', async () => {
  await withTempDir(async (dir) => {
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{"region": "us-east-1", "DBInstances": [\n')
    const r = await cli(['--simulate', bad, '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'])
    refused(r, bad, /JSON/)
  })
})

test('a fixture with a wrongly typed field names the field', async () => {
  await withTempDir(async (dir) => {
    const demo = JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'demo.json'), 'utf8')) as { DBInstances: Array<Record<string, unknown>> }
    demo.DBInstances[1]!['Engine'] = 42
    const file = join(dir, 'engine-number.json')
    writeFileSync(file, JSON.stringify(demo))
    const r = await cli(['--simulate', file, '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'])
    refused(r, 'DBInstances[1].Engine')
  })
})

test('--simulate together with --region', async () => {
  refused(await cli([...DEMO, '--plan', '--region', 'us-east-1']), '--region', '--simulate')
})

test('an invalid identifier', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'Bad_Name', '--target', 'mitosis-demo', '--plan'])
  refused(r, 'Bad_Name', /identifier/i)
})

test('without --plan and without --yes, with no terminal to ask on: refused, nothing applied', async () => {
  const r = await cli(DEMO)
  assert.ok(r.code !== 0 && r.code !== null)
  assert.match(r.stderr, /^Error: refusing to apply without confirmation: there is no terminal to ask on; pass --yes\n$/)
  assert.not.match(r.stdout, /start +1\//)
})

test('--yes on the simulator applies the whole clone in fast-forward', async () => {
  const r = await cli([...DEMO, '--restart', 'echo restarting $MITOSIS_TARGET', '--yes'])
  succeeded(r)
  assert.match(r.stdout, /^\d{4}-\d\d-\d\dT[\d:]+Z {2}start {2}1\/16 CreateDBInstanceReadReplica temp-mitosis-demo \(expect ~10 min\)$/m)
  assert.match(r.stdout, /hook \| restarting mitosis-demo$/m)
  assert.match(r.stdout, /done +16\/16 DeleteDBInstance old-mitosis-demo in /)
  assert.match(r.stdout, /^Cloned mitosis-prod into mitosis-demo: 16 steps in \d+ min\.?/m)
})

test("the restart hook runs under bash, stack-mitosis's shell: [[ ]] and $'…' work", async () => {
  const r = await cli([...DEMO, '--restart', `[[ $MITOSIS_TARGET == mitosis-* ]] && echo $'bash\\tsays' "$MITOSIS_TARGET"`, '--yes'])
  succeeded(r)
  assert.match(r.stdout, /hook \| bash\tsays mitosis-demo$/m)
})

test('--yes --json: JSON lines of events, nothing else', async () => {
  const r = await cli([...DEMO, '--yes', '--json'])
  succeeded(r)
  const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string; at: string })
  assert.ok(events.length > 10)
  assert.equal([...new Set(events.map((e) => e.type))].sort(), ['step-done', 'step-start', 'waiting'])
  for (const e of events) assert.match(e.at, /^2026-11-22T/)
})

test('--debug: an error still exits non-zero (a stack may follow)', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan', '--debug'])
  assert.ok(r.code !== null && r.code !== 0, show(r))
  assert.is(r.stdout, '')
  assert.ok(r.stderr.startsWith('Error: mitosis-nope: no such DB instance in us-east-1\n'), show(r))
})

// ---------------------------------------------------------------------------------------------------------------
// AWS without an account: configuration and connection failures

/** An AWS environment with nothing configured: an empty HOME, config files that do not exist. */
const bareAws = (home: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv =>
  cleanEnv({ HOME: home, AWS_CONFIG_FILE: join(home, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'), ...extra })

test('no region configured: one line saying so', async () => {
  await withTempDir(async (home) => {
    const r = await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'], bareAws(home))
    refused(r, /region/i)
  })
})

test('an endpoint nothing listens on: one line saying RDS cannot be reached, in bounded time', async () => {
  await withTempDir(async (home) => {
    const env = bareAws(home, {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTESTTEST',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    })
    const r = await cli(['--source', 'mitosis-prod', '--target', 'mitosis-demo', '--plan'], env, 60_000)
    assert.is(r.signal, null, `the CLI was still retrying after 60 s and was killed\n${show(r)}`)
    refused(r, /cannot reach RDS/i)
    // a refused connection is retried briefly (only throttling is waited out): said in seconds, not after a minute
    assert.ok(r.ms < 30_000, `reporting an unreachable endpoint took ${r.ms} ms`)
    console.log(`    (unreachable endpoint reported after ${(r.ms / 1000).toFixed(1)} s)`)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Help and version

test('--help lists --simulate and --plan', async () => {
  const r = await cli(['--help'])
  succeeded(r)
  assert.ok(r.stdout.includes('--simulate'), r.stdout)
  assert.ok(r.stdout.includes('--plan'), r.stdout)
})

test('--version prints mitosis/<version>', async () => {
  const r = await cli(['--version'])
  succeeded(r)
  assert.match(r.stdout, new RegExp(`^mitosis/${version.replace(/\./g, '\\.')}\\b`))
})


test('--credentials: the MFA code is asked for, checked, and never echoed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-role-'))
  try {
    const role = join(dir, 'role.json')
    writeFileSync(role, JSON.stringify({ roleArn: 'arn:aws:iam::123456789012:role/sudo', mfaSerial: 'arn:aws:iam::123456789012:mfa/me', region: 'us-east-1' }))
    const env = cleanEnv({ HOME: dir, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })
    refused(await cli(['--credentials', role, '--source', 'a', '--target', 'b', '--plan'], env), 'an MFA code is needed for arn:aws:iam::123456789012:mfa/me: pass --mfa-code or set MITOSIS_MFA_CODE')
    const bad = await cli(['--credentials', role, '--mfa-code', '12x456', '--source', 'a', '--target', 'b', '--plan'], env)
    refused(bad, '--mfa-code: MFA code must be six digits')
    assert.not.match(bad.stderr, '12x456')
    refused(await cli(['--credentials', join(dir, 'missing.json'), '--source', 'a', '--target', 'b', '--plan'], env), 'missing.json')
    refused(await cli([...DEMO, '--plan', '--credentials', role], env), '--credentials')
    // stack-mitosis's role.edn is read as well, up to the same question; a broken one is one line naming it
    const edn = join(dir, 'role.edn')
    writeFileSync(edn, '; admin\n{:mfa-serial "arn:aws:iam::123456789012:mfa/me", :role-arn "arn:aws:iam::123456789012:role/sudo" :region "us-east-1"}\n')
    refused(await cli(['--credentials', edn, '--source', 'a', '--target', 'b', '--plan'], env), 'an MFA code is needed for arn:aws:iam::123456789012:mfa/me: pass --mfa-code or set MITOSIS_MFA_CODE')
    const broken = join(dir, 'broken.edn')
    writeFileSync(broken, '{:mfa-serial "arn:aws:iam::123456789012:mfa/me" :role-arn arn:aws:iam::123456789012:role/sudo}\n')
    refused(await cli(['--credentials', broken, '--source', 'a', '--target', 'b', '--plan'], env), `${broken}: not EDN: expected a string, a number or a keyword`, 'line 1, column 59')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})


test('saved plans: --plan --out writes one, apply runs exactly it, and refuses a changed world', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-saved-'))
  try {
    const file = join(dir, 'plan.json')
    const saved = await cli([...DEMO, '--plan', '--restart', 'echo hook for $MITOSIS_TARGET', '--out', file])
    succeeded(saved)
    assert.match(saved.stdout, `Saved to ${file}; apply exactly this plan with: mitosis apply ${file}`)
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { kind: string; plan: Plan; basis: { instances: Array<{ id: string }> } }
    assert.is(onDisk.kind, 'mitosis-plan')
    assert.equal(onDisk.basis.instances.map((i) => i.id), ['mitosis-prod', 'mitosis-demo', 'mitosis-demo-replica'])
    const applied = await cli(['apply', file, '--simulate', 'fixtures/demo.json', '--yes'])
    succeeded(applied)
    assert.match(applied.stdout, /hook \| hook for mitosis-demo$/m)
    assert.match(applied.stdout, /^Cloned mitosis-prod into mitosis-demo: 16 steps in /m)

    const changed = join(dir, 'changed.json')
    const world = JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'demo.json'), 'utf8')) as { DBInstances: Array<Record<string, unknown>> }
    world.DBInstances.find((i) => i['DBInstanceIdentifier'] === 'mitosis-demo')!['DBInstanceClass'] = 'db.t4g.large'
    writeFileSync(changed, JSON.stringify(world))
    refused(await cli(['apply', file, '--simulate', changed, '--yes']), 'plan is stale: mitosis-demo: DBInstanceClass "db.t4g.medium" → "db.t4g.large"; make a new plan')

    const tampered = join(dir, 'tampered.json')
    const edited = JSON.parse(readFileSync(file, 'utf8')) as { plan: Plan }
    const del = edited.plan.steps.find((x) => x.op === 'DeleteDBInstance')!
    del.id = 'mitosis-prod'
    ;(del.request as { DBInstanceIdentifier: string }).DBInstanceIdentifier = 'mitosis-prod'
    writeFileSync(tampered, JSON.stringify(edited))
    refused(await cli(['apply', tampered, '--simulate', 'fixtures/demo.json', '--yes']), 'the plan failed its safety check')

    const notPlan = join(dir, 'not-plan.json')
    writeFileSync(notPlan, JSON.stringify({ kind: 'something-else' }))
    refused(await cli(['apply', notPlan, '--simulate', 'fixtures/demo.json', '--yes']), `${notPlan}: not a mitosis plan`)
    refused(await cli(['apply', join(dir, 'missing.json'), '--yes']), 'missing.json: cannot read: ENOENT')
    refused(await cli([...DEMO, '--out', file]), '--plan')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})


test('--profile with role_arn and mfa_serial asks for the MFA code (and says how to give it off a terminal)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-profile-'))
  try {
    writeFileSync(join(dir, 'config'), '[profile base]\nregion = us-east-1\n[profile sudo]\nrole_arn = arn:aws:iam::123456789012:role/sudo\nmfa_serial = arn:aws:iam::123456789012:mfa/me\nsource_profile = base\nregion = us-east-1\n')
    writeFileSync(join(dir, 'credentials'), '[base]\naws_access_key_id = testing\naws_secret_access_key = testing-secret\n')
    const env = cleanEnv({ HOME: dir, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })
    const r = await cli(['--profile', 'sudo', '--source', 'a', '--target', 'b', '--plan'], env)
    refused(r, 'an MFA code is needed for arn:aws:iam::123456789012:mfa/me: pass --mfa-code or set MITOSIS_MFA_CODE')
    assert.not.match(r.stderr, 'testing-secret')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

// ---------------------------------------------------------------------------------------------------------------
// Aurora clusters: plan mode, and apply on the simulator

const AURORA = ['--simulate', 'fixtures/aurora.json', '--source', 'shop-prod', '--target', 'shop-staging']

test('Aurora --plan: the copy-on-write restore first, then the instances, renames and deletes of both levels', async () => {
  const r = await cli([...AURORA, '--plan'])
  succeeded(r)
  const lines = r.stdout.split('\n')
  assert.match(lines[0]!, /^Plan: clone shop-prod into shop-staging in us-east-1, 18 steps$/)
  const steps = lines.filter((l) => /^\s*\d+\s{2}/.test(l))
  assert.is(steps.length, 18)
  assert.match(steps[0]!, /^ 1 {2}RestoreDBClusterToPointInTime +temp-shop-staging +now +from shop-prod RestoreType=copy-on-write UseLatestRestorableTime=true /)
  assert.ok(steps.some((l) => /CreateDBInstance +temp-shop-staging-1 +after \d+ +in temp-shop-staging /.test(l)), r.stdout)
  assert.ok(steps.some((l) => /ModifyDBCluster \(rename\) +shop-staging +after [\d,]+ +→ old-shop-staging$/.test(l)), r.stdout)
  assert.ok(steps.some((l) => /ModifyDBCluster \(rename\) +temp-shop-staging +after [\d,]+ +→ shop-staging$/.test(l)), r.stdout)
  assert.match(steps[17]!, /^18 {2}DeleteDBCluster +old-shop-staging +after [\d,]+ +SkipFinalSnapshot=true$/)
})

test('Aurora --plan --json: one JSON document that decodes as a Plan; --final-snapshot keeps the old cluster\'s data', async () => {
  for (const extra of [[], ['--final-snapshot']]) {
    const r = await cli([...AURORA, '--plan', '--json', ...extra])
    succeeded(r)
    const decoded = Plan.decode(oneJson(r))
    if (E.isLeft(decoded)) assert.unreachable(`the JSON plan does not decode as a Plan: ${drawErrors(decoded.left)}`)
    else {
      const p = decoded.right
      assert.is(p.source, 'shop-prod')
      assert.is(p.target, 'shop-staging')
      const first = p.steps[0]!
      assert.is(first.op, 'RestoreDBClusterToPointInTime')
      assert.equal(
        [(first.request as Record<string, unknown>)['SourceDBClusterIdentifier'], (first.request as Record<string, unknown>)['RestoreType']],
        ['shop-prod', 'copy-on-write'],
      )
      const del = p.steps.find((s) => s.op === 'DeleteDBCluster')!
      assert.equal(
        del.request,
        extra.length === 0
          ? { DBClusterIdentifier: 'old-shop-staging', SkipFinalSnapshot: true }
          : { DBClusterIdentifier: 'old-shop-staging', FinalDBSnapshotIdentifier: `shop-staging-final-${p.run}` },
      )
    }
  }
})

test('Aurora --format mermaid: both clusters with their instances, before and after', async () => {
  const r = await cli([...AURORA, '--plan', '--format', 'mermaid'])
  succeeded(r)
  assert.ok(r.stdout.startsWith('flowchart'), r.stdout)
  assert.match(r.stdout, /^\s*after_c_shop_staging\[".*data of shop-prod.*"\]$/m)
  assert.match(r.stdout, /^\s*before_c_shop_prod\s.*->\s*after_c_shop_staging\s*$/m)
})

test('Aurora --iam-policy: DescribeDBClusters, and DeleteDBCluster only on the old- cluster', async () => {
  const r = await cli([...AURORA, '--iam-policy'])
  succeeded(r)
  const statements = (oneJson(r) as { Statement: Array<{ Action: string[]; Resource: string[] }> }).Statement
  assert.ok(statements.some((s) => s.Action.includes('rds:DescribeDBClusters')), r.stdout)
  const checks = statements.find((s) => s.Action.includes('ram:ListResources'))
  assert.equal([checks?.Action, checks?.Resource], [['rds:DescribeAccountAttributes', 'ram:ListResources'], ['*']], r.stdout)
  const plain = (oneJson(await cli([...DEMO, '--iam-policy'])) as { Statement: Array<{ Action: string[] }> }).Statement
  assert.not.ok(plain.some((s) => s.Action.includes('ram:ListResources')), 'an instance plan needs no RAM')
  const deletes = statements.filter((s) => s.Action.includes('rds:DeleteDBCluster'))
  assert.equal(deletes.flatMap((s) => s.Resource), ['arn:aws:rds:us-east-1:123456789012:cluster:old-shop-staging'])
  // tags on the target cluster are allowed on the cluster, not on an instance of the cluster's name
  const tags = statements.find((s) => s.Action.includes('rds:AddTagsToResource'))!
  assert.ok(tags.Resource.includes('arn:aws:rds:us-east-1:123456789012:cluster:shop-staging'), tags.Resource.join(' '))
  assert.not.ok(tags.Resource.includes('arn:aws:rds:us-east-1:123456789012:db:shop-staging'), tags.Resource.join(' '))
})

test('Aurora: a cluster on one side and an instance on the other is refused in one line', async () => {
  const r = await cli(['--simulate', 'fixtures/aurora.json', '--source', 'shop-prod', '--target', 'shop-staging-1', '--plan'])
  assert.is(
    refused(r),
    'Error: shop-staging-1: is a DB instance, not an Aurora cluster, but the other side is a cluster; source and target must both be clusters or both be instances',
  )
  refused(await cli(['--simulate', 'fixtures/aurora.json', '--source', 'shop-nope', '--target', 'shop-staging', '--plan']), 'shop-nope: no such DB cluster or DB instance in us-east-1')
})

test('Aurora: a target shared through AWS RAM, or quotas too low for the clone, are refused in one line', async () => {
  await withTempDir(async (dir) => {
    const world = JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'aurora.json'), 'utf8')) as Record<string, unknown>
    const variant = (name: string, extra: Record<string, unknown>): string => {
      const file = join(dir, `${name}.json`)
      writeFileSync(file, JSON.stringify({ ...world, ...extra }))
      return file
    }
    const arn = 'arn:aws:rds:us-east-1:123456789012:cluster:shop-staging'
    const shared = variant('shared', { RamSharedClusterArns: [arn] })
    assert.is(
      refused(await cli(['--simulate', shared, '--source', 'shop-prod', '--target', 'shop-staging', '--plan'])),
      `Error: shop-staging: is shared with other accounts through AWS RAM (${arn}); refusing to replace a shared cluster`,
    )
    // another cluster shared does not matter
    succeeded(await cli(['--simulate', variant('other', { RamSharedClusterArns: [arn.replace('shop-staging', 'shop-prod')] }), '--source', 'shop-prod', '--target', 'shop-staging', '--plan']))
    const low = variant('low', { Quotas: { DBInstances: 5, DBClusters: 2 } })
    refused(
      await cli(['--simulate', low, '--source', 'shop-prod', '--target', 'shop-staging', '--plan']),
      'quota: the clone needs 2 more DB instances beside the 4 there are, 6 in all, over the limit of 5;',
      'quota: the clone needs 1 more DB clusters beside the 2 there are, 3 in all, over the limit of 2;',
    )
  })
})

test('a target without security groups, tags or log exports: no request carries an empty list, the text plan no dangling Key=', async () => {
  await withTempDir(async (dir) => {
    const variant = (name: string, change: (world: Record<string, unknown>) => void): string => {
      const world = JSON.parse(readFileSync(join(repoRoot, 'fixtures', `${name}.json`), 'utf8')) as Record<string, unknown>
      change(world)
      const file = join(dir, `${name}-bare.json`)
      writeFileSync(file, JSON.stringify(world))
      return file
    }
    const bare = (x: Record<string, unknown>) => Object.assign(x, { VpcSecurityGroups: [], TagList: [], EnabledCloudwatchLogsExports: [] })
    const demo = variant('demo', (w) => {
      for (const i of w['DBInstances'] as Array<Record<string, unknown>>) if (String(i['DBInstanceIdentifier']).startsWith('mitosis-demo')) bare(i)
    })
    const aurora = variant('aurora', (w) => {
      for (const c of w['DBClusters'] as Array<Record<string, unknown>>) if (c['DBClusterIdentifier'] === 'shop-staging') bare(c)
      for (const i of w['DBInstances'] as Array<Record<string, unknown>>) if (i['DBClusterIdentifier'] === 'shop-staging') i['TagList'] = []
    })
    const emptyLists = (u: unknown, at: string): string[] =>
      Array.isArray(u)
        ? u.length === 0 ? [at] : u.flatMap((x, k) => emptyLists(x, `${at}[${k}]`))
        : typeof u === 'object' && u !== null ? Object.entries(u).flatMap(([k, x]) => emptyLists(x, `${at}.${k}`)) : []
    for (const [file, source, target] of [[demo, 'mitosis-prod', 'mitosis-demo'], [aurora, 'shop-prod', 'shop-staging']] as const) {
      const json = await cli(['--simulate', file, '--source', source, '--target', target, '--plan', '--json'])
      succeeded(json)
      const plan = JSON.parse(json.stdout) as { steps: Array<{ n: number; op: string; request: unknown }> }
      assert.equal(plan.steps.flatMap((s) => emptyLists(s.request, `step ${s.n} ${s.op}`)), [], target)
      assert.not.ok(plan.steps.some((s) => 'VpcSecurityGroupIds' in (s.request as object)), `${target}: no VpcSecurityGroupIds at all`)
      const text = await cli(['--simulate', file, '--source', source, '--target', target, '--plan'])
      succeeded(text)
      assert.not.match(text.stdout, /VpcSecurityGroupIds=/, target)
      assert.not.match(text.stdout, /[A-Za-z]=(\s|$)/m, `${target}: no setting shown without a value`)
    }
  })
})

test('Aurora: a cluster member named as an instance clone is told to name the cluster', async () => {
  const r = await cli(['--simulate', 'fixtures/aurora.json', '--source', 'shop-prod-1', '--target', 'shop-staging-1', '--plan'])
  refused(r, 'shop-staging-1: is a member of the Aurora cluster shop-staging; name the cluster instead')
})

test('Aurora on the simulator: the clone applies (--yes), in text and in JSON lines', async () => {
  const text = await cli([...AURORA, '--yes'])
  succeeded(text)
  assert.match(text.stdout, /^Cloned shop-prod into shop-staging: 18 steps in \d+ min\.$/m)
  assert.match(text.stdout, /done +18\/18 DeleteDBCluster old-shop-staging/)
  const json = await cli([...AURORA, '--yes', '--json'])
  succeeded(json)
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; op?: string })
  assert.is(events.filter((e) => e.type === 'step-done').length, 18)
  assert.ok(events.some((e) => e.type === 'step-done' && e.op === 'RestoreDBClusterToPointInTime'))
  assert.not.ok(events.some((e) => e.type === 'error'))
})

test('Aurora: --restore-snapshot and --final-snapshot are refused on the wrong kind of clone', async () => {
  refused(await cli([...AURORA, '--plan', '--restore-snapshot']), '--restore-snapshot', 'Aurora clusters')
  refused(await cli([...DEMO, '--plan', '--final-snapshot']), '--final-snapshot', 'DB instances')
})

test('Aurora saved plans: --plan --out keeps both clusters, apply runs exactly it, and refuses a changed world or a tampered plan', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'aurora-plan.json')
    const saved = await cli([...AURORA, '--plan', '--out', file])
    succeeded(saved)
    assert.match(saved.stdout, `Saved to ${file}; apply exactly this plan with: mitosis apply ${file}`)
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as {
      plan: Plan
      basis: { instances: unknown[]; clusters: Array<{ id: string; resource?: string; settings: Record<string, unknown>; members: Array<{ id: string; writer: boolean }> }> }
    }
    assert.equal(onDisk.basis.instances, [])
    assert.equal(onDisk.basis.clusters.map((c) => c.id), ['shop-prod', 'shop-staging'])
    const staging = onDisk.basis.clusters[1]!
    assert.equal(staging.members.map((m) => m.id), ['shop-staging-1', 'shop-staging-2'])
    assert.is(staging.settings['BackupRetentionPeriod'], 3)

    const applied = await cli(['apply', file, '--simulate', 'fixtures/aurora.json', '--yes'])
    succeeded(applied)
    assert.match(applied.stdout, /^Cloned shop-prod into shop-staging: 18 steps in /m)

    const world = () => JSON.parse(readFileSync(join(repoRoot, 'fixtures', 'aurora.json'), 'utf8')) as {
      DBClusters: Array<Record<string, unknown>>
      DBInstances: Array<Record<string, unknown>>
    }
    const retention = world()
    retention.DBClusters.find((c) => c['DBClusterIdentifier'] === 'shop-staging')!['BackupRetentionPeriod'] = 7
    const changedRetention = join(dir, 'retention.json')
    writeFileSync(changedRetention, JSON.stringify(retention))
    refused(await cli(['apply', file, '--simulate', changedRetention, '--yes']), 'plan is stale: cluster shop-staging: BackupRetentionPeriod 3 → 7; make a new plan')

    const klass = world()
    klass.DBInstances.find((i) => i['DBInstanceIdentifier'] === 'shop-staging-2')!['DBInstanceClass'] = 'db.r6g.large'
    const changedClass = join(dir, 'class.json')
    writeFileSync(changedClass, JSON.stringify(klass))
    refused(await cli(['apply', file, '--simulate', changedClass, '--yes']), 'plan is stale: shop-staging-2: DBInstanceClass "db.t4g.medium" → "db.r6g.large"; make a new plan')

    const tampered = join(dir, 'tampered.json')
    const edited = JSON.parse(readFileSync(file, 'utf8')) as { plan: Plan }
    const del = edited.plan.steps.find((x) => x.op === 'DeleteDBCluster')!
    del.id = 'shop-prod'
    ;(del.request as { DBClusterIdentifier: string }).DBClusterIdentifier = 'shop-prod'
    writeFileSync(tampered, JSON.stringify(edited))
    refused(await cli(['apply', tampered, '--simulate', 'fixtures/aurora.json', '--yes']), 'the plan failed its safety check')
  })
})

test.run()
