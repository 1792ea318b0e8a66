/**
 * A new master password for an Aurora clone (--db-password-stdin / --db-password-file /
 * --manage-master-password): where the plan puts it, what the predictor refuses, what the simulator is
 * sent, that a re-run after a kill still sets it, and that the password itself is in no plan, event,
 * output or error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import type { WorldCloneRequest } from '../../src/interpret/workflow.js'
import { planClusterClone } from '../../src/plan/clone/clone.js'
import { iamPolicy } from '../../src/plan/iam.js'
import { MASTER_PASSWORD_SECRET, setsPassword } from '../../src/plan/operations.js'
import { type Plan, type Step } from '../../src/plan/plan.js'
import { renderJson, renderText } from '../../src/plan/render/text.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { cleanEnv, cli, show } from '../support/cli.js'
import { ancestors, fixture, fixturePath, plan } from '../support/fixtures.js'
import { checkPlan } from '../../src/plan/predict/end-state.js'
import { passwordProblem } from '../../src/plan/rds-facts.js'
import { killable, Killed, run, type RunOptions } from '../support/apply.js'
import { renderProblems } from '../../src/plan/problems.js'

const PASSWORD = 'Staging-Only-9f3k2'
const SECRETS = { [MASTER_PASSWORD_SECRET]: PASSWORD }
const REQ: WorldCloneRequest = { source: 'shop-prod', target: 'shop-staging', restart: './restart.sh', password: 'secret' }

const planOf = (req: WorldCloneRequest): Plan => {
  const p = planClusterClone(fixture('aurora'), req)
  if (E.isLeft(p)) throw new Error(renderProblems(p.left))
  return p.right
}
const passwordStep = (p: Plan): Step | undefined => p.steps.find(setsPassword)

test('plan: the new password goes to the temp- cluster as a secret reference, before its instances and before it takes the name', () => {
  const p = planOf(REQ)
  const step = passwordStep(p)
  assert.ok(step !== undefined && step.op === 'ModifyDBCluster', 'no password step')
  assert.equal(step.request, { DBClusterIdentifier: 'temp-shop-staging', MasterUserPassword: { fromSecret: MASTER_PASSWORD_SECRET }, ApplyImmediately: true })
  assert.is(step.phase, 'copy')
  // after the restore (and the settings), before every instance and the rename into place
  const restore = p.steps.find((s) => s.op === 'RestoreDBClusterToPointInTime')!
  assert.ok(ancestors(p, step).has(restore.n))
  for (const s of p.steps.filter((x) => x.op === 'CreateDBInstance')) assert.ok(ancestors(p, s).has(step.n), `${s.id} does not wait for the password`)
  const renameIn = p.steps.find((s) => s.op === 'ModifyDBCluster' && s.request.NewDBClusterIdentifier === 'shop-staging')!
  assert.ok(ancestors(p, renameIn).has(step.n))
  // one step more than without, and nothing else different
  const plain = planOf({ ...REQ, password: undefined })
  assert.is(p.steps.length, plain.steps.length + 1)
  assert.equal(checkPlan(fixture('aurora'), p), [])
  assert.not.ok(renderJson(p).includes(PASSWORD))
  assert.match(renderText(p), /ModifyDBCluster\s+temp-shop-staging\s+after \d+\s+MasterUserPassword=fromSecret=master-password/)
})

test('plan: --manage-master-password hands it to Secrets Manager, and the IAM policy allows that', () => {
  const p = planOf({ ...REQ, password: 'managed' })
  const step = passwordStep(p)!
  assert.equal(step.request, { DBClusterIdentifier: 'temp-shop-staging', ManageMasterUserPassword: true, ApplyImmediately: true })
  const policy = iamPolicy(fixture('aurora'), p)
  const sm = policy.Statement.find((s) => s.Sid === 'ManagedMasterPassword')
  assert.ok(sm !== undefined, JSON.stringify(policy))
  assert.equal(sm.Action, ['secretsmanager:CreateSecret', 'secretsmanager:RotateSecret', 'secretsmanager:TagResource'])
  assert.ok(sm.Resource.every((r) => /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!\*$/.test(r)), sm.Resource.join())
  assert.is(iamPolicy(fixture('aurora'), planOf(REQ)).Statement.find((s) => s.Sid === 'ManagedMasterPassword'), undefined)
})

test('predictor: refuses a plan that renames the clone into place before its password is set, or sets both kinds', () => {
  const env = fixture('aurora')
  const p = planOf(REQ)
  const step = passwordStep(p)!
  // the rename-in no longer waits (through anything) for the password: cut the password step out of every chain
  const cut: Plan = {
    ...p,
    steps: p.steps.map((s) => (s.after.includes(step.n) ? { ...s, after: [...step.after] } : s)),
  }
  assert.ok(
    checkPlan(env, cut).some((v) => v.includes('without waiting for step') && v.includes('new master password')),
    checkPlan(env, cut).join('\n'),
  )
  const both: Plan = {
    ...p,
    steps: p.steps.map((s) => (s.n === step.n && s.op === 'ModifyDBCluster' ? { ...s, request: { ...s.request, ManageMasterUserPassword: true } } : s)),
  }
  assert.ok(checkPlan(env, both).some((v) => v.includes('RDS takes one or the other')), checkPlan(env, both).join('\n'))
  // a password step aimed at the source cluster is refused like any change to it
  const atSource: Plan = {
    ...p,
    steps: p.steps.map((s) => (s.n === step.n && s.op === 'ModifyDBCluster' ? { ...s, id: 'shop-prod', request: { ...s.request, DBClusterIdentifier: 'shop-prod' } } : s)),
  }
  assert.ok(checkPlan(env, atSource).some((v) => v.includes('would modify the source cluster shop-prod')))
})

/** What the CLI does, with the password handed to the interpreter as a secret (none: `secrets: {}`). */
const apply = (sim: Simulator, req: WorldCloneRequest, opts: RunOptions = {}) => run(sim, req, { secrets: SECRETS, ...opts })

/** The ModifyDBCluster calls that carried a password, by the cluster they named. */
const passwordCalls = (sim: Simulator) =>
  sim
    .calls()
    .filter((c) => c.action === 'ModifyDBCluster' && (c.input as { MasterUserPassword?: unknown }).MasterUserPassword !== undefined)
    .map((c) => c.input as { DBClusterIdentifier: string; MasterUserPassword: unknown })

test('apply on the simulator: the clone ends with the new password (the source keeps its own), sent once, in no event', async () => {
  const sim = simulate(fixture('aurora'))
  const { plan, result, events } = await apply(sim, REQ)
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
  // the simulator's call log masks secrets as a log should
  assert.equal(passwordCalls(sim), [{ DBClusterIdentifier: 'temp-shop-staging', MasterUserPassword: '***', ApplyImmediately: true }])
  assert.ok(sim.masterPasswordIs('shop-staging', PASSWORD), 'the clone does not have the new password')
  assert.not.ok(sim.masterPasswordIs('shop-prod', PASSWORD), 'the source was given the new password')
  assert.not.ok(JSON.stringify(events).includes(PASSWORD))
  assert.not.ok(JSON.stringify(plan).includes(PASSWORD))
  // nothing was sent into the reset: what follows it waited for the next describe
  assert.equal(sim.calls().filter((c) => c.outcome !== 'ok').map((c) => `${c.action} ${c.outcome}`), [])
  const target = sim.environment().clusters?.find((c) => c.DBClusterIdentifier === 'shop-staging')
  assert.is(target?.Status, 'available')
  assert.not.ok(JSON.stringify(sim.environment()).includes(PASSWORD), 'describe shows the password')
  // the password was set before the clone had its first instance
  const actions = sim.calls().filter((c) => !/^(Describe|List)/.test(c.action)).map((c) => `${c.action}`)
  assert.ok(actions.indexOf('ModifyDBCluster') < actions.indexOf('CreateDBInstance'), actions.join(' '))
})

test('apply without the password: stops before any call, naming what is missing', async () => {
  const sim = simulate(fixture('aurora'))
  const { plan, result } = await apply(sim, REQ, { secrets: {} })
  assert.ok(E.isLeft(result))
  assert.match(renderApplyFailure(result.left, plan), /^step \d+: needs the secret "master-password" \(the master password: --db-password-stdin or --db-password-file\), which was not given$/)
  assert.equal(sim.calls().filter((c) => !/^(Describe|List)/.test(c.action) && !c.action.startsWith('ram:')), [])
})

test('killed after each accepted call, then re-run: the clone ends with the new password all the same', async () => {
  const total = (await apply(simulate(fixture('aurora')), REQ)).plan.steps.filter((s) => s.op !== 'RunCommand').length
  const passwordAt = (await apply(simulate(fixture('aurora')), REQ)).plan.steps.filter((s) => s.op !== 'RunCommand').findIndex(setsPassword)
  for (let k = 0; k < total; k++) {
    const sim = simulate(fixture('aurora'))
    const killed = await apply(sim, REQ, killable(sim, { sends: k })).then(
      () => false,
      (e: unknown) => e instanceof Killed,
    )
    assert.ok(killed, `not killed after ${k} calls`)
    const again = await apply(sim, REQ)
    assert.ok(E.isRight(again.result), `re-run after a kill at ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
    const names = (sim.environment().clusters ?? []).map((c) => c.DBClusterIdentifier).sort()
    assert.equal(names, ['shop-prod', 'shop-staging'], `clusters after a kill at ${k}`)
    // sent once, or (killed right after it was taken, before anything showed it) once more: never skipped
    const sent = passwordCalls(sim).length
    assert.ok(sent === 1 || (sent === 2 && k === passwordAt + 1), `password sent ${sent} times with a kill at ${k} (the step is call ${passwordAt + 1})`)
    assert.ok(passwordCalls(sim).every((c) => c.DBClusterIdentifier === 'temp-shop-staging'))
    assert.ok(sim.masterPasswordIs('shop-staging', PASSWORD), `the clone lacks the new password after a kill at ${k}`)
  }
})

test('--manage-master-password on the simulator: the clone gets a secret of its own, also when killed right after asking for it', async () => {
  const managed = { ...REQ, password: 'managed' as const }
  const plain = await apply(simulate(fixture('aurora')), managed, { secrets: {} })
  const at = plain.plan.steps.filter((s) => s.op !== 'RunCommand').findIndex((s) => s.op === 'ModifyDBCluster' && s.request.ManageMasterUserPassword === true)
  for (const sim of [simulate(fixture('aurora')), simulate(fixture('aurora'))].map((x, i) => ({ x, kill: i === 1 }))) {
    if (sim.kill) {
      const killed = await apply(sim.x, managed, { ...killable(sim.x, { sends: at + 1 }), secrets: {} }).then(() => false, (e: unknown) => e instanceof Killed)
      assert.ok(killed)
    }
    const { plan, result } = await apply(sim.x, managed, { secrets: {} })
    assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, plan) : '')
    const clusters = sim.x.environment().clusters ?? []
    const target = clusters.find((c) => c.DBClusterIdentifier === 'shop-staging')
    assert.match(target?.MasterUserSecret?.SecretArn ?? '', /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!cluster-/)
    assert.is(clusters.find((c) => c.DBClusterIdentifier === 'shop-prod')?.MasterUserSecret, undefined)
    const asked = sim.x.calls().filter((c) => c.action === 'ModifyDBCluster' && (c.input as { ManageMasterUserPassword?: boolean }).ManageMasterUserPassword === true)
    assert.is(asked.length, 1, `asked ${asked.length} times (killed: ${sim.kill})`)
  }
})

// ---- DB instance clones: the copy of the root gets the password; its replicas follow it

const DEMO: WorldCloneRequest = { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh', password: 'secret' }

test('instance plan: the copy of the root gets the password once the new tree is built, before anything is renamed', () => {
  const p = plan(fixture('demo'), DEMO)
  const step = passwordStep(p)
  assert.ok(step !== undefined && step.op === 'ModifyDBInstance', 'no password step')
  assert.equal(step.request, { DBInstanceIdentifier: 'temp-mitosis-demo', MasterUserPassword: { fromSecret: MASTER_PASSWORD_SECRET }, ApplyImmediately: true })
  for (const s of p.steps.filter((x) => x.phase === 'copy' && x.n !== step.n)) assert.ok(ancestors(p, step).has(s.n), `the password does not wait for step ${s.n}`)
  for (const s of p.steps.filter((x) => x.phase === 'rename-old' || x.phase === 'rename-temp')) assert.ok(ancestors(p, s).has(step.n), `step ${s.n} does not wait for the password`)
  assert.equal(checkPlan(fixture('demo'), p), [])
  assert.is(p.steps.length, plan(fixture('demo'), { ...DEMO, password: undefined }).steps.length + 1)
  assert.equal(passwordStep(plan(fixture('demo'), { ...DEMO, password: 'managed' }))?.request, { DBInstanceIdentifier: 'temp-mitosis-demo', ManageMasterUserPassword: true, ApplyImmediately: true })
})

test('instance predictor: refuses a password on a read replica, a rename that does not wait for it, and both kinds at once', () => {
  const env = fixture('demo')
  const p = plan(env, DEMO)
  const step = passwordStep(p)!
  const onReplica: Plan = { ...p, steps: p.steps.map((s) => (s.n === step.n && s.op === 'ModifyDBInstance' ? { ...s, id: 'temp-mitosis-demo-replica', request: { ...s.request, DBInstanceIdentifier: 'temp-mitosis-demo-replica' } } : s)) }
  assert.ok(checkPlan(env, onReplica).some((v) => v.includes('temp-mitosis-demo-replica is a read replica, which takes its master password from its source')), checkPlan(env, onReplica).join('\n'))
  assert.ok(checkPlan(env, onReplica).some((v) => v.includes("end state: mitosis-demo still has mitosis-prod's master password")), checkPlan(env, onReplica).join('\n'))
  const cut: Plan = { ...p, steps: p.steps.map((s) => (s.after.includes(step.n) ? { ...s, after: [...step.after] } : s)) }
  assert.ok(checkPlan(env, cut).some((v) => v.includes('which gives it its new master password')), checkPlan(env, cut).join('\n'))
  const both: Plan = { ...p, steps: p.steps.map((s) => (s.n === step.n && s.op === 'ModifyDBInstance' ? { ...s, request: { ...s.request, ManageMasterUserPassword: true } } : s)) }
  assert.ok(checkPlan(env, both).some((v) => v.includes('RDS takes one or the other')))
})

test('instance apply: the new root and its replica have the new password, the source tree its own; after a kill at every call too', async () => {
  const check = (sim: Simulator, label: string) => {
    assert.ok(sim.masterPasswordIs('mitosis-demo', PASSWORD), `${label}: mitosis-demo lacks the new password`)
    assert.ok(sim.masterPasswordIs('mitosis-demo-replica', PASSWORD), `${label}: its replica lacks it`)
    assert.not.ok(sim.masterPasswordIs('mitosis-prod', PASSWORD) || sim.masterPasswordIs('mitosis-prod-replica', PASSWORD), `${label}: the source tree has it`)
    assert.equal(sim.environment().instances.map((i) => i.DBInstanceIdentifier).filter((id) => /^(temp|old)-/.test(id)), [], label)
  }
  const whole = simulate(fixture('demo'))
  const { plan: p, result, events } = await apply(whole, DEMO)
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, p) : '')
  check(whole, 'uninterrupted')
  assert.equal(whole.calls().filter((c) => c.outcome !== 'ok').map((c) => `${c.action} ${c.outcome}`), [])
  assert.not.ok(JSON.stringify(events).includes(PASSWORD) || JSON.stringify(whole.environment()).includes(PASSWORD))
  const total = p.steps.filter((s) => s.op !== 'RunCommand').length
  for (let k = 0; k < total; k++) {
    const sim = simulate(fixture('demo'))
    const killed = await apply(sim, DEMO, killable(sim, { sends: k })).then(() => false, (e: unknown) => e instanceof Killed)
    assert.ok(killed, `not killed after ${k} calls`)
    const again = await apply(sim, DEMO)
    assert.ok(E.isRight(again.result), `re-run after a kill at ${k}: ${E.isLeft(again.result) ? renderApplyFailure(again.result.left, again.plan) : ''}`)
    check(sim, `kill at ${k}`)
  }
})

test('instance apply, managed: the new root gets a secret of its own; a source whose password Secrets Manager keeps is cloned through its snapshot', async () => {
  const sim = simulate(fixture('demo'))
  const { plan: p, result } = await apply(sim, { ...DEMO, password: 'managed' }, { secrets: {} })
  assert.ok(E.isRight(result), E.isLeft(result) ? renderApplyFailure(result.left, p) : '')
  const demo = sim.environment().instances.find((i) => i.DBInstanceIdentifier === 'mitosis-demo')
  assert.match(demo?.MasterUserSecret?.SecretArn ?? '', /:secret:rds!db-/)
  assert.is(sim.environment().instances.find((i) => i.DBInstanceIdentifier === 'mitosis-prod')?.MasterUserSecret, undefined)

  // RDS refuses a read replica of an instance whose password Secrets Manager keeps: the plan restores a snapshot instead
  const env = fixture('demo')
  const managedSource = {
    ...env,
    instances: env.instances.map((i) => (i.DBInstanceIdentifier === 'mitosis-prod' ? { ...i, MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-abcdef', SecretStatus: 'active' } } : i)),
    snapshots: [{ DBSnapshotIdentifier: 'rds:mitosis-prod-2026-11-22-03-00', DBInstanceIdentifier: 'mitosis-prod', Status: 'available', SnapshotCreateTime: '2026-11-22T03:00:00Z', Engine: 'postgres' }],
  }
  const viaSnapshot = plan(managedSource, { ...DEMO, password: undefined })
  assert.is(viaSnapshot.steps[0]?.op, 'RestoreDBInstanceFromDBSnapshot')
  assert.not.ok(viaSnapshot.steps.some((s) => s.op === 'CreateDBInstanceReadReplica' && s.request.SourceDBInstanceIdentifier === 'mitosis-prod'))
})

test('CLI: the flags plan, apply and refuse as a user would expect, and the password is never printed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-clone-password-'))
  try {
    const pw = join(dir, 'pw.txt')
    writeFileSync(pw, `${PASSWORD}\n`)
    const base = ['--simulate', fixturePath('aurora'), '--source', 'shop-prod', '--target', 'shop-staging']
    const plan = await cli([...base, '--db-password-file', pw, '--plan'], cleanEnv())
    assert.is(plan.code, 0, show(plan))
    assert.match(plan.stdout, /MasterUserPassword=fromSecret=master-password/)
    const applied = await cli([...base, '--db-password-file', pw, '--yes'], cleanEnv())
    assert.is(applied.code, 0, show(applied))
    assert.match(applied.stdout, /Cloned shop-prod into shop-staging/)
    const piped = await cli([...base, '--db-password-stdin', '--yes'], cleanEnv(), 60_000, `${PASSWORD}\n`)
    assert.is(piped.code, 0, show(piped))
    for (const r of [plan, applied, piped]) assert.not.ok(r.stdout.includes(PASSWORD) || r.stderr.includes(PASSWORD), show(r))

    const refusals: Array<[string[], string, string?]> = [
      [[...base, '--db-password-stdin'], 'Error: with --db-password-stdin there is no terminal to confirm on: pass --yes (review with --plan first)', PASSWORD],
      [[...base, '--db-password-file', join(dir, 'nope'), '--yes'], `Error: --db-password-file ${join(dir, 'nope')}: cannot read: ENOENT`],
      [[...base, '--db-password-stdin', '--yes'], 'Error: the master password must be 8 to 41 characters long for aurora-postgresql', 'short'],
      [[...base, '--db-password-stdin', '--yes'], 'Error: the master password must be 8 to 41 characters long for aurora-postgresql', 'x'.repeat(42)],
      [[...base, '--db-password-stdin', '--yes'], 'Error: the master password must not contain /, " or @', 'has@sign-in-it'],
    ]
    for (const [args, message, input] of refusals) {
      const r = await cli(args, cleanEnv(), 60_000, input)
      assert.is(r.code, 1, show(r))
      assert.is(r.stderr.trim(), message, show(r))
      if (input !== undefined) assert.not.ok(r.stderr.includes(input) && input.length >= 8, show(r))
    }
    const both = await cli([...base, '--db-password-file', pw, '--manage-master-password', '--plan'], cleanEnv())
    assert.is(both.code, 2, show(both))
    assert.match(both.stderr, /--manage-master-password cannot also be provided when using --db-password-file|cannot also be provided/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("passwordProblem: RDS's length rules by engine and the characters it refuses", () => {
  assert.is(passwordProblem('x'.repeat(41), 'aurora-mysql'), undefined)
  assert.is(passwordProblem('x'.repeat(42), 'aurora-postgresql'), 'must be 8 to 41 characters long for aurora-postgresql')
  assert.is(passwordProblem('x'.repeat(42), 'mysql'), 'must be 8 to 41 characters long for mysql')
  assert.is(passwordProblem('x'.repeat(128), 'postgres'), undefined)
  assert.is(passwordProblem('x'.repeat(129), 'postgres'), 'must be 8 to 128 characters long for postgres')
  assert.is(passwordProblem('x'.repeat(31), 'oracle-ee'), 'must be 8 to 30 characters long for oracle-ee')
  assert.is(passwordProblem("it's-a-secret", 'oracle-ee'), "must not contain & or ' for oracle-ee")
  assert.is(passwordProblem("it's-a-secret", 'postgres'), undefined)
  assert.is(passwordProblem('with space', 'postgres'), 'must be printable ASCII without spaces')
  assert.is(passwordProblem('at@sign-pw', 'postgres'), 'must not contain /, " or @')
  assert.is(passwordProblem('short', 'postgres'), 'must be 8 to 128 characters long for postgres')
})

test('CLI: a password too long for Aurora is refused before any call; as long a one is fine for RDS for PostgreSQL', async () => {
  const long = `Pg-${'y'.repeat(60)}`
  const demo = await cli(['--simulate', fixturePath('demo'), '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--db-password-stdin', '--yes'], cleanEnv(), 60_000, long)
  assert.is(demo.code, 0, show(demo))
  assert.not.ok(demo.stdout.includes(long) || demo.stderr.includes(long))
  const aurora = await cli(['--simulate', fixturePath('aurora'), '--source', 'shop-prod', '--target', 'shop-staging', '--db-password-stdin', '--yes'], cleanEnv(), 60_000, long)
  assert.is(aurora.code, 1, show(aurora))
  assert.is(aurora.stderr.trim(), 'Error: the master password must be 8 to 41 characters long for aurora-postgresql')
  assert.not.match(aurora.stdout, /Apply\?|step-start|Cloned/)
})

test('CLI: a saved plan with a new password asks for it again at apply, and refuses without it before any change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mitosis-clone-password-'))
  try {
    const pw = join(dir, 'pw.txt')
    writeFileSync(pw, PASSWORD)
    const file = join(dir, 'plan.json')
    const saved = await cli(['--simulate', fixturePath('aurora'), '--source', 'shop-prod', '--target', 'shop-staging', '--db-password-file', pw, '--plan', '--out', file], cleanEnv())
    assert.is(saved.code, 0, show(saved))
    const without = await cli(['apply', file, '--simulate', fixturePath('aurora'), '--yes'], cleanEnv())
    assert.is(without.code, 1, show(without))
    assert.match(without.stderr.trim(), /^Error: step \d+: needs the secret "master-password" \(the master password: --db-password-stdin or --db-password-file\), which was not given$/)
    assert.not.match(without.stdout, /step-start|Applying|ModifyDBCluster.*started/)
    const withIt = await cli(['apply', file, '--simulate', fixturePath('aurora'), '--yes', '--db-password-stdin'], cleanEnv(), 60_000, PASSWORD)
    assert.is(withIt.code, 0, show(withIt))
    assert.not.ok(withIt.stdout.includes(PASSWORD) || withIt.stderr.includes(PASSWORD))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
