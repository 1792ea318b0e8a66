/**
 * Applying against a real RDS API: the README demo (mitosis-prod → mitosis-demo, each with a replica) cloned end to
 * end by the CLI (a child process) against a private moto_server behind the recording proxy of test/support/moto.ts,
 * judged as a user would: the exit code, what DescribeDBInstances shows afterwards, what the restart hook saw, and
 * every mutating request RDS received. A second case kills the CLI with SIGKILL right after RDS has accepted the
 * first rename and runs the same command again: it finishes, and the end state is the same.
 *
 * moto differs from AWS in ways an apply depends on; the proxy runs with its AWS fix-up layer (awsFixups, documented
 * in test/support/moto.ts: replica links kept as AWS keeps them after promote / rename / delete, and the delete of a
 * renamed replica answered as AWS answers it). The product is not told and not changed.
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DescribeDBInstancesCommand, ListTagsForResourceCommand, type DBInstance } from '@aws-sdk/client-rds'
import type { Plan } from '../../src/plan/plan.js'
import { planOf, show, succeeded } from '../support/cli.js'
import { fixturePath } from '../support/fixtures.js'
import { isMutating, seedFromFixture, type Fixture, type Moto, type RecordedRequest } from '../support/moto.js'
import { assertConversation, describeRequest, hookCommand, motoSuite, sdk, type Seen } from '../support/moto-e2e.js'

/**
 * moto (started by the first test that needs it, stopped after the last, also when tests fail), with the AWS fix-ups;
 * this suite's limit for one run of the CLI is 20 s (the shared default is 60 s).
 */
const e2e = motoSuite({ name: 'moto-apply', awsFixups: true, runLimitMs: 20_000 })

const SOURCE = 'mitosis-prod'
const TARGET = 'mitosis-demo'
const DEMO: ReadonlyArray<string> = ['--source', SOURCE, '--target', TARGET]
const demoFixture = JSON.parse(readFileSync(fixturePath('demo'), 'utf8')) as Fixture
/** Never to be touched (the source tree and the unrelated instance). */
const UNTOUCHED = ['mitosis-prod', 'mitosis-prod-replica', 'analytics-warehouse'] as const

/** moto holding exactly the demo fixture, freshly seeded (an apply changes the world). */
const freshDemo = async (): Promise<Moto> => {
  const moto = await e2e.reset()
  await seedFromFixture(moto.endpoint, demoFixture)
  moto.clearRequests()
  return moto
}

interface Observed {
  readonly instance: DBInstance
  readonly tags: Record<string, string>
}

/** Every instance, as DescribeDBInstances and ListTagsForResource show it (through the proxy: AWS's replica links). */
const world = async (moto: Moto): Promise<Map<string, Observed>> => {
  const rds = sdk(moto)
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({}))
    const result = new Map<string, Observed>()
    for (const instance of out.DBInstances ?? []) {
      const tags = await rds.send(new ListTagsForResourceCommand({ ResourceName: instance.DBInstanceArn! }))
      result.set(instance.DBInstanceIdentifier!, { instance, tags: Object.fromEntries((tags.TagList ?? []).map((t) => [t.Key!, t.Value ?? ''])) })
    }
    return result
  } finally {
    rds.destroy()
  }
}

/** What a user means by "the same settings": everything describe shows, except the clock moto reads at each call. */
const settings = (o: Observed): Record<string, unknown> => {
  const { LatestRestorableTime: _now, ...rest } = o.instance
  return { ...rest, Tags: o.tags }
}

const names = (groups: ReadonlyArray<{ DBParameterGroupName?: string | undefined; OptionGroupName?: string | undefined; VpcSecurityGroupId?: string | undefined }> | undefined): string[] =>
  (groups ?? []).map((g) => g.DBParameterGroupName ?? g.OptionGroupName ?? g.VpcSecurityGroupId ?? '?')

/** The end state in the terms a user compares two clones by (the run id written as <run>). */
const summary = (w: ReadonlyMap<string, Observed>, run: string): string =>
  JSON.stringify(
    [...w.values()]
      .map(({ instance: i, tags }) => ({
        id: i.DBInstanceIdentifier,
        status: i.DBInstanceStatus,
        class: i.DBInstanceClass,
        engine: `${i.Engine} ${i.EngineVersion}`,
        storage: [i.AllocatedStorage, i.StorageType],
        parameterGroups: names(i.DBParameterGroups),
        optionGroups: names(i.OptionGroupMemberships),
        subnetGroup: i.DBSubnetGroup?.DBSubnetGroupName,
        securityGroups: names(i.VpcSecurityGroups),
        source: i.ReadReplicaSourceDBInstanceIdentifier,
        replicas: i.ReadReplicaDBInstanceIdentifiers,
        deletionProtection: i.DeletionProtection,
        backups: [i.BackupRetentionPeriod, i.PreferredBackupWindow],
        maintenance: i.PreferredMaintenanceWindow,
        multiAZ: i.MultiAZ,
        endpoint: i.Endpoint === undefined ? undefined : `${i.Endpoint.Address}:${i.Endpoint.Port}`,
        tags: Object.entries(tags).map(([k, v]) => `${k}=${v === run ? '<run>' : v}`).sort(),
      }))
      .sort((a, b) => (a.id ?? '').localeCompare(b.id ?? '')),
    null,
    1,
  )

// ---------------------------------------------------------------------------------------------------------------
// The restart hook: appends the MITOSIS_* part of its environment to a file, one block per run of the hook

const hookRuns = (file: string): Array<Record<string, string>> => {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('--\n')
    .filter((block) => block.trim() !== '')
    .map((block) =>
      Object.fromEntries(
        block
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      ),
    )
}

// ---------------------------------------------------------------------------------------------------------------
// The conversation: every mutating request is one of the plan's RDS steps, sent once, in an order the graph allows
// (assertConversation), and none touches the source tree

const PROD_IDS: ReadonlyArray<string> = ['mitosis-prod', 'mitosis-prod-replica']
const namesProd = (value: string): boolean => PROD_IDS.some((id) => value === id || value.endsWith(`:db:${id}`))

/** No mutating request names the source tree, except as the source of a replica (or in a tag's value). */
const assertSourceOnlyReplicatedFrom = (seen: ReadonlyArray<Seen>): void => {
  for (const { request } of seen.filter((s) => isMutating(s.request))) {
    for (const [key, value] of Object.entries(request.params)) {
      if (!namesProd(value)) continue
      const allowed = (key === 'SourceDBInstanceIdentifier' && request.action === 'CreateDBInstanceReadReplica' && value === SOURCE) || /^Tags\.Tag\.\d+\.Value$/.test(key)
      assert.ok(allowed, `${request.action} names ${value} as ${key}: ${describeRequest(request)}`)
    }
    if (request.action === 'DeleteDBInstance') {
      assert.match(request.params['DBInstanceIdentifier'] ?? '', /^old-/, `DeleteDBInstance only on old-*: ${describeRequest(request)}`)
      assert.is(request.params['SkipFinalSnapshot'], 'true', `a delete says what becomes of the final snapshot: ${describeRequest(request)}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The end state

/**
 * After a clone: the same instances as before; the source tree and the unrelated instance exactly as seeded; a new
 * mitosis-demo tree with the target's settings and tags, the source's data, this run's tags and AWS's links; the hook
 * run once with the run's environment.
 */
const assertEndState = (before: ReadonlyMap<string, Observed>, after: ReadonlyMap<string, Observed>, plan: Plan, hookFile: string): void => {
  const ids = [...after.keys()].sort()
  assert.equal(ids, [...before.keys()].sort(), 'the same identifiers as before the clone')
  assert.equal(ids.filter((id) => id.startsWith('temp-') || id.startsWith('old-')), [], 'no temp-* or old-* left')
  for (const id of UNTOUCHED) assert.equal(settings(after.get(id)!), settings(before.get(id)!), `${id} is exactly as seeded`)

  const run = plan.run
  const source = before.get(SOURCE)!.instance
  for (const id of [TARGET, `${TARGET}-replica`]) {
    const old = before.get(id)!
    const now = after.get(id)!
    const i = now.instance
    assert.is(i.DBInstanceStatus, 'available', id)
    // (a new instance, not the old one renamed back: its tags and storage below tell; moto gives every instance the
    // same DbiResourceId and a replica its source's InstanceCreateTime, so neither can)
    // the target's settings, not the source's
    assert.is(i.DBInstanceClass, old.instance.DBInstanceClass, `${id}: class`)
    assert.is.not(i.DBInstanceClass, source.DBInstanceClass, `${id}: not the source's class`)
    assert.equal(names(i.DBParameterGroups), names(old.instance.DBParameterGroups), `${id}: parameter group`)
    assert.equal(names(i.OptionGroupMemberships), names(old.instance.OptionGroupMemberships), `${id}: option group`)
    assert.is(i.DBSubnetGroup?.DBSubnetGroupName, old.instance.DBSubnetGroup?.DBSubnetGroupName, `${id}: subnet group`)
    assert.equal(names(i.VpcSecurityGroups), names(old.instance.VpcSecurityGroups), `${id}: security groups`)
    assert.is(i.PreferredMaintenanceWindow, old.instance.PreferredMaintenanceWindow, `${id}: maintenance window`)
    assert.is(i.DeletionProtection, old.instance.DeletionProtection, `${id}: deletion protection`)
    // the source's data
    assert.is(i.AllocatedStorage, source.AllocatedStorage, `${id}: storage comes with the source's data`)
    assert.is.not(i.AllocatedStorage, old.instance.AllocatedStorage, `${id}: not the old storage`)
    // the target's tags plus the run's, none of the source's own
    const wanted: Record<string, string> = {
      ...old.tags,
      'mitosis:run': run,
      'mitosis:source': SOURCE,
      'mitosis:copy-of': id,
      ...(id === TARGET ? { 'mitosis:restarted': run } : {}),
    }
    assert.equal(now.tags, wanted, `${id}: tags`)
  }
  const root = after.get(TARGET)!.instance
  const replica = after.get(`${TARGET}-replica`)!.instance
  assert.is(root.ReadReplicaSourceDBInstanceIdentifier, undefined, 'the new mitosis-demo is promoted, a replica of nothing')
  assert.equal(root.ReadReplicaDBInstanceIdentifiers, [`${TARGET}-replica`])
  assert.is(replica.ReadReplicaSourceDBInstanceIdentifier, TARGET, 'the new replica replicates the new mitosis-demo')
  assert.is(root.BackupRetentionPeriod, planned(plan, 'PromoteReadReplica', `temp-${TARGET}`)['BackupRetentionPeriod'], 'backups as the promotion set them')

  const runs = hookRuns(hookFile)
  assert.is(runs.length, 1, `the hook ran once: ${JSON.stringify(runs)}`)
  const env = runs[0]!
  assert.is(env['MITOSIS_SOURCE'], SOURCE)
  assert.is(env['MITOSIS_TARGET'], TARGET)
  assert.is(env['MITOSIS_RUN_ID'], run)
  assert.match(run, /^r[0-9a-f]{8}$/)
  assert.match(env['MITOSIS_TARGET_ENDPOINT'] ?? '', /^[a-z0-9.-]+:\d+$/, 'host:port')
  assert.is(env['MITOSIS_TARGET_ENDPOINT'], `${root.Endpoint?.Address}:${root.Endpoint?.Port}`, "the new mitosis-demo's endpoint")
}

const planned = (plan: Plan, op: string, id: string): Record<string, unknown> => {
  const s = plan.steps.find((x) => x.op === op && x.id === id)
  if (s === undefined) throw new Error(`the plan has no ${op} ${id}`)
  return s.request as Record<string, unknown>
}

/** The plan of the demo as `--plan --json` prints it against the same seeded moto (nothing mutated). */
const demoPlan = async (moto: Moto, env: NodeJS.ProcessEnv, hook: string): Promise<Plan> => {
  moto.clearRequests()
  const plan = planOf(await e2e.cli([...DEMO, '--restart', hook, '--plan', '--json'], env))
  assert.equal(moto.requests().filter(isMutating).map((r) => r.action), [], '--plan mutates nothing')
  assert.is(plan.source, SOURCE)
  assert.is(plan.target, TARGET)
  assert.is(plan.steps.length, 16)
  moto.clearRequests()
  return plan
}

const applyArgs = (hook: string): string[] => [...DEMO, '--restart', hook, '--yes', '--poll-interval', '0.2']

/** The end state of the uninterrupted clone, for the interrupted one to be compared with. */
let uninterrupted: string | undefined

// ---------------------------------------------------------------------------------------------------------------

e2e.tests('moto apply tests', () => {
  test('the demo cloned end to end against moto: exit 0, the new tree in place, the source untouched, the plan sent as planned', async () => {
    const moto = await freshDemo()
    const dir = e2e.tempDir()
    const hookFile = join(dir, 'hook.log')
    const hook = hookCommand(hookFile)
    const env = e2e.env(moto, dir)
    const before = await world(moto)
    const plan = await demoPlan(moto, env, hook)

    const seen = e2e.watch(hookFile)
    const r = await e2e.cli(applyArgs(hook), env)
    e2e.listen(undefined)
    succeeded(r)
    assert.match(r.stdout, /^Plan: clone mitosis-prod into mitosis-demo in us-east-1, 16 steps$/m, show(r))
    assert.match(r.stdout, /^Cloned mitosis-prod into mitosis-demo: 16 steps in [^\n]*\.$/m, show(r))

    assertConversation(plan, seen)
    assertSourceOnlyReplicatedFrom(seen)
    const after = await world(moto)
    assertEndState(before, after, plan, hookFile)
    uninterrupted = summary(after, plan.run)
  })

  test('killed (SIGKILL) right after RDS accepted the first rename, the same command run again finishes: the same end state, every step sent once', async () => {
    const moto = await freshDemo()
    const dir = e2e.tempDir()
    const hookFile = join(dir, 'hook.log')
    const hook = hookCommand(hookFile)
    const env = e2e.env(moto, dir)
    const before = await world(moto)
    const plan = await demoPlan(moto, env, hook)

    // the proxy calls the listener before it forwards the request: the CLI dies while RDS carries out the rename
    let victim: ChildProcess | undefined
    let rename: RecordedRequest | undefined
    const seen = e2e.watch(hookFile, (r) => {
      if (rename === undefined && r.action === 'ModifyDBInstance' && r.params['NewDBInstanceIdentifier'] !== undefined) {
        rename = r
        victim?.kill('SIGKILL')
      }
    })
    const first = e2e.startCli(applyArgs(hook), env)
    victim = first.child
    const killed = await first.done
    assert.ok(rename !== undefined, `the CLI never sent a rename\n${show(killed)}`)
    assert.is(killed.signal, 'SIGKILL', `the first run should have been killed\n${show(killed)}`)
    assert.is(hookRuns(hookFile).length, 0, 'killed before the hook')
    // RDS carried out the rename the CLI never saw answered
    const from = rename.params['DBInstanceIdentifier']!
    const to = rename.params['NewDBInstanceIdentifier']!
    let renamed = await world(moto)
    for (let tries = 0; tries < 50 && !(renamed.has(to) && !renamed.has(from)); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      renamed = await world(moto)
    }
    assert.ok(renamed.has(to) && !renamed.has(from), `${from} → ${to} should be done in moto: ${[...renamed.keys()].join(', ')}`)
    const sentBeforeKill = seen.filter((s) => isMutating(s.request)).length

    const again = await e2e.cli(applyArgs(hook), env)
    e2e.listen(undefined)
    succeeded(again)
    assert.match(again.stdout, new RegExp(`resuming run ${plan.run}: \\d+ of 16 steps already done`), show(again))
    assert.match(again.stdout, /^Cloned mitosis-prod into mitosis-demo: \d+ steps in [^\n]*\(\d+ were already done\)\.$/m, show(again))

    // both runs together: the plan's steps, each sent once, in an order the graph allows
    const order = assertConversation(plan, seen)
    assert.ok(sentBeforeKill > 0 && sentBeforeKill < order.length, `${sentBeforeKill} of ${order.length} steps were sent before the kill`)
    assertSourceOnlyReplicatedFrom(seen)
    const after = await world(moto)
    assertEndState(before, after, plan, hookFile)
    if (uninterrupted !== undefined) assert.fixture(summary(after, plan.run), uninterrupted, 'the same end state as the uninterrupted clone')
  })

  test('two processes on the same target: the second refuses while the first holds the lease, naming it, and changes nothing; the first finishes', async () => {
    const moto = await freshDemo()
    const dir = e2e.tempDir()
    const env = e2e.env(moto, dir)
    const inHook = join(dir, 'in-hook')
    // the first run holds the lease through its hook, long enough for a second run to try
    const first = e2e.startCli([...DEMO, '--restart', `touch '${inHook}'; sleep 6`, '--yes', '--poll-interval', '0.2'], env)
    for (let tries = 0; tries < 200 && !existsSync(inHook); tries++) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(existsSync(inHook), 'the first run never reached its hook')
    const during: RecordedRequest[] = []
    e2e.listen((r) => during.push(r))
    const second = await e2e.cli([...DEMO, '--restart', 'true', '--yes', '--poll-interval', '0.2'], env)
    e2e.listen(undefined)
    assert.is(second.code, 1, show(second))
    const line = second.stderr.trim()
    assert.match(line, new RegExp(`^Error: mitosis-demo is being changed by another run \\(its mitosis:lease tag: pid ${first.child.pid} on \\S+ \\(run r[0-9a-f]+\\), since \\S+Z, until \\S+Z\\); nothing was changed`), show(second))
    assert.not.match(line, /\n/, 'one line')
    assert.equal(during.filter(isMutating).map(describeRequest), [], 'the second run changed something')
    const r = await first.done
    succeeded(r)
    const after = await world(moto)
    assert.equal([...after.keys()].filter((id) => /^(temp|old)-/.test(id)), [])
    assert.not.ok([...after.values()].some((o) => 'mitosis:lease' in o.tags), 'a lease is left behind')
  })

  test('with --manage-master-password: the copy of the root asks RDS for a managed password last, and the new mitosis-demo shows its secret', async () => {
    const moto = await freshDemo()
    const env = e2e.env(moto, e2e.tempDir())
    const args = [...DEMO, '--manage-master-password']
    const plan = planOf(await e2e.cli([...args, '--plan', '--json'], env))
    const managed = plan.steps.find((s) => s.op === 'ModifyDBInstance' && s.request.ManageMasterUserPassword === true)
    assert.ok(managed !== undefined && managed.id === 'temp-mitosis-demo', JSON.stringify(plan.steps.map((s) => `${s.op} ${s.id}`)))
    moto.clearRequests()

    const seen = e2e.watch(join(e2e.tempDir(), 'no-hook.log'))
    const r = await e2e.cli([...args, '--yes', '--poll-interval', '0.2'], env)
    e2e.listen(undefined)
    succeeded(r)
    const order = assertConversation(plan, seen)
    // after every other copy step: RDS makes no replica of an instance whose password Secrets Manager keeps
    for (const s of plan.steps.filter((x) => x.phase === 'copy' && x.n !== managed.n)) assert.ok(order.indexOf(s.n) < order.indexOf(managed.n), `step ${s.n} after the managed password`)
    assertSourceOnlyReplicatedFrom(seen)
    const after = await world(moto)
    assert.match(after.get(TARGET)?.instance.MasterUserSecret?.SecretArn ?? '', /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:/, JSON.stringify(after.get(TARGET)?.instance))
    assert.is(after.get(SOURCE)?.instance.MasterUserSecret, undefined, 'the source keeps its own password')
  })
})

test.run()
