/**
 * Production is never the target by mistake (issue 8, part 5): swapping --source and --target on any fixture would
 * replace production and delete it (deletion protection off, no final snapshot). The planners refuse a target tagged
 * `environment`, `env` or `stage` = `prod` / `production` (any case; for a replica tree any instance of it, for an
 * Aurora cluster the cluster or any member) unless the request allows it, also when a run is resumed; the CLI exits 2
 * with one line and sends nothing mutating, `mitosis apply FILE` refuses a saved plan the same way; and the text plan
 * ends with what it will delete, the last thing shown before `Apply? [y/N]`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { Environment, Tag } from '../../src/plan/domain.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import * as workflow from '../../src/interpret/workflow.js'
import { planOn, refusedAsProduction, renderPlanFailure, type PlanFailure, type WorldCloneRequest } from '../../src/interpret/workflow.js'
import type { Plan } from '../../src/plan/plan.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { killable, Killed, reads, run } from '../support/apply.js'
import { cleanEnv, cli as runCli, onPath, show, succeeded, type Run } from '../support/cli.js'
import { fixture, repoRoot } from '../support/fixtures.js'

/** Each fixture's clone with --source and --target swapped: the target is the production tree or cluster. */
const SWAPS: ReadonlyArray<{ readonly name: string; readonly source: string; readonly target: string }> = [
  { name: 'demo', source: 'mitosis-demo', target: 'mitosis-prod' },
  { name: 'mysql-cascade', source: 'shop-staging', target: 'shop-prod' },
  { name: 'postgres', source: 'billing-qa', target: 'billing-prod' },
  { name: 'cross-vpc', source: 'ledger-sandbox', target: 'ledger-prod' },
  { name: 'aurora', source: 'shop-staging', target: 'shop-prod' },
]

const refusal = (env: Environment, req: WorldCloneRequest): PlanFailure => {
  const p = planOn(env, req)
  if (E.isRight(p)) throw new Error(`expected the planner to refuse ${req.source} → ${req.target}`)
  return p.left
}

const planned = (env: Environment, req: WorldCloneRequest): Plan => {
  const p = planOn(env, req)
  if (E.isLeft(p)) throw new Error(renderPlanFailure(p.left))
  return p.right.plan
}

const productionProblems = (f: PlanFailure) => (f._tag === 'Rds' ? [] : f.problems.filter((p) => p._tag === 'ProductionTarget'))

/** The environment with the tags of the instance or cluster `id` replaced (as ListTagsForResource and describe show them). */
const withTags = (env: Environment, id: string, tags: ReadonlyArray<Tag>): Environment => ({
  ...env,
  instances: env.instances.map((i) => (i.DBInstanceIdentifier === id ? { ...i, TagList: [...tags] } : i)),
  tags: env.instances.some((i) => i.DBInstanceIdentifier === id) ? { ...env.tags, [id]: tags } : env.tags,
  ...(env.clusters === undefined ? {} : { clusters: env.clusters.map((c) => (c.DBClusterIdentifier === id ? { ...c, TagList: [...tags] } : c)) }),
})

/** cross-vpc's sandbox has no snapshot, and the swapped clone crosses VPCs: one to restore from. */
const withSandboxSnapshot = (env: Environment): Environment => ({
  ...env,
  snapshots: [
    ...env.snapshots,
    { DBSnapshotIdentifier: 'rds:ledger-sandbox-2026-11-22-04-00', DBInstanceIdentifier: 'ledger-sandbox', Status: 'available', SnapshotCreateTime: '2026-11-22T04:00:00Z', Engine: 'postgres' },
  ],
})

// ---------------------------------------------------------------------------------------------------------------
// The planners

for (const { name, source, target } of SWAPS) {
  test(`${name}: --source ${source} --target ${target} (swapped) is refused, naming ${target} and its tag`, () => {
    const env = fixture(name)
    const f = refusal(env, { source, target })
    assert.ok(refusedAsProduction(f), renderPlanFailure(f))
    assert.equal(productionProblems(f), [{ _tag: 'ProductionTarget', target, tagged: target, relation: 'self', key: 'environment', value: 'production' }])
    const line = renderPlanFailure(f)
    assert.ok(line.startsWith(`${target}: is tagged environment=production; refusing to replace and delete a production database`), line)
    assert.ok(line.includes('--allow-production-target overrides'), line)
  })

  test(`${name}: swapped, with allowProductionTarget the plan is made (it deletes ${target})`, () => {
    const env = fixture(name)
    const allowed: WorldCloneRequest = { source, target, allowProductionTarget: true }
    if (name === 'cross-vpc') {
      // only the snapshot the swapped clone needs is missing: the guard no longer speaks
      const f = refusal(env, allowed)
      assert.not.ok(refusedAsProduction(f))
      assert.is(renderPlanFailure(f), 'ledger-sandbox: no available snapshot to restore from (the snapshot path needs one)')
    }
    const p = planned(name === 'cross-vpc' ? withSandboxSnapshot(env) : env, allowed)
    assert.is(p.target, target)
    const deleted = p.steps.filter((s) => s.op === 'DeleteDBInstance' || s.op === 'DeleteDBCluster').map((s) => s.id)
    assert.ok(deleted.includes(`old-${target}`), deleted.join(' '))
  })

  test(`${name}: swapped, on the simulator: refused after reads only`, async () => {
    const sim = simulate(fixture(name))
    const f = await workflow.plan({ rds: sim }, { clone: { source, target } })()
    assert.ok(E.isLeft(f) && refusedAsProduction(f.left))
    const sent = sim.calls().map((c) => c.action)
    assert.ok(sent.length > 0)
    assert.equal(sent.filter((a) => !reads(a)), [], sent.join(' '))
  })
}

const DEMO: WorldCloneRequest = { source: 'mitosis-prod', target: 'mitosis-demo' }
const AURORA: WorldCloneRequest = { source: 'shop-prod', target: 'shop-staging' }

test('tags that mean production, in any case of key and value, refuse the target root', () => {
  const demo = fixture('demo')
  for (const tag of [
    { Key: 'environment', Value: 'production' },
    { Key: 'Environment', Value: 'PROD' },
    { Key: 'stage', Value: 'Production' },
    { Key: 'env', Value: 'prod' },
    { Key: 'ENV', Value: 'Prod' },
    { Key: 'Stage', Value: 'PRODUCTION' },
  ]) {
    const f = refusal(withTags(demo, 'mitosis-demo', [{ Key: 'team', Value: 'sales' }, tag]), DEMO)
    assert.equal(productionProblems(f), [{ _tag: 'ProductionTarget', target: 'mitosis-demo', tagged: 'mitosis-demo', relation: 'self', key: tag.Key, value: tag.Value }])
    assert.ok(renderPlanFailure(f).startsWith(`mitosis-demo: is tagged ${tag.Key}=${tag.Value}; `), renderPlanFailure(f))
  }
})

test('tags that do not mean production leave the plan alone', () => {
  const demo = fixture('demo')
  for (const tags of [
    [{ Key: 'environment', Value: 'preprod' }],
    [{ Key: 'environment', Value: 'staging' }],
    [{ Key: 'environment', Value: 'non-prod' }],
    [{ Key: 'env', Value: 'production-copy' }],
    [{ Key: 'team', Value: 'prod' }],
    [{ Key: 'name', Value: 'production' }],
    [{ Key: 'environments', Value: 'production' }],
    [],
  ]) {
    const p = planned(withTags(withTags(demo, 'mitosis-demo', tags), 'mitosis-demo-replica', tags), DEMO)
    assert.is(p.target, 'mitosis-demo')
  }
})

test('a replica tagged production refuses the tree, naming the replica', () => {
  const env = withTags(fixture('demo'), 'mitosis-demo-replica', [{ Key: 'env', Value: 'prod' }])
  const f = refusal(env, DEMO)
  assert.equal(productionProblems(f), [{ _tag: 'ProductionTarget', target: 'mitosis-demo', tagged: 'mitosis-demo-replica', relation: 'replica', key: 'env', value: 'prod' }])
  assert.ok(renderPlanFailure(f).startsWith('mitosis-demo: its replica mitosis-demo-replica is tagged env=prod; refusing to replace and delete a production database'), renderPlanFailure(f))
  assert.ok(E.isRight(planOn(env, { ...DEMO, allowProductionTarget: true })))
})

test('a replica of a replica tagged production refuses the tree (mysql-cascade)', () => {
  const env = withTags(fixture('mysql-cascade'), 'shop-staging-r1-r1-r1', [{ Key: 'Stage', Value: 'prod' }])
  const f = refusal(env, { source: 'shop-prod', target: 'shop-staging' })
  assert.equal(productionProblems(f), [{ _tag: 'ProductionTarget', target: 'shop-staging', tagged: 'shop-staging-r1-r1-r1', relation: 'replica', key: 'Stage', value: 'prod' }])
})

test('an Aurora target cluster tagged production is refused; so is one whose member instance is', () => {
  const aurora = fixture('aurora')
  const byCluster = refusal(withTags(aurora, 'shop-staging', [{ Key: 'Environment', Value: 'PROD' }]), AURORA)
  assert.equal(productionProblems(byCluster), [{ _tag: 'ProductionTarget', target: 'shop-staging', tagged: 'shop-staging', relation: 'self', key: 'Environment', value: 'PROD' }])
  const byMember = refusal(withTags(aurora, 'shop-staging-2', [{ Key: 'stage', Value: 'Production' }]), AURORA)
  assert.equal(productionProblems(byMember), [{ _tag: 'ProductionTarget', target: 'shop-staging', tagged: 'shop-staging-2', relation: 'member', key: 'stage', value: 'Production' }])
  assert.ok(renderPlanFailure(byMember).startsWith('shop-staging: its member shop-staging-2 is tagged stage=Production; '), renderPlanFailure(byMember))
  assert.ok(E.isRight(planOn(withTags(aurora, 'shop-staging-2', [{ Key: 'stage', Value: 'Production' }]), { ...AURORA, allowProductionTarget: true })))
  // the source's tags are not the guard's business: production is the usual source
  assert.ok(E.isRight(planOn(aurora, AURORA)))
})

test('the guard is one reason among the others, all at once: other refusals stay (and are not production ones)', () => {
  const f = refusal(fixture('cross-vpc'), { source: 'ledger-sandbox', target: 'ledger-prod' })
  assert.is(
    renderPlanFailure(f),
    'ledger-prod: is tagged environment=production; refusing to replace and delete a production database (is --target right? --allow-production-target overrides); ledger-sandbox: no available snapshot to restore from (the snapshot path needs one)',
  )
  assert.not.ok(refusedAsProduction(refusal(fixture('demo'), { source: 'mitosis-nope', target: 'mitosis-demo' })))
})

// ---------------------------------------------------------------------------------------------------------------
// A resumed run is judged as the run it resumes: on the world as it was before it began

/** Whose data each instance and cluster holds, and their states: what a user compares two runs by. */
const endState = (sim: Simulator) => {
  const env = sim.environment()
  return [
    ...env.instances.map((i) => `${i.DBInstanceIdentifier} ${i.DBInstanceStatus} data of ${sim.dataOf(i.DBInstanceIdentifier) ?? '?'}`),
    ...(env.clusters ?? []).map((c) => `cluster ${c.DBClusterIdentifier} ${c.Status} data of ${sim.dataOf(c.DBClusterIdentifier) ?? '?'}`),
  ].sort()
}

for (const { name, source, target } of SWAPS.filter((s) => s.name === 'demo' || s.name === 'aurora')) {
  test(`${name}: a swapped run allowed once and killed anywhere is refused again without the flag, and resumes with it`, async () => {
    const allowed: WorldCloneRequest = { source, target, allowProductionTarget: true }
    const whole = simulate(fixture(name))
    const first = await run(whole, allowed)
    assert.ok(E.isRight(first.result))
    const sends = first.plan.steps.length
    for (let k = 1; k < sends; k++) {
      const sim = simulate(fixture(name))
      const killed = await run(sim, allowed, killable(sim, { sends: k })).then(
        () => false,
        (e: unknown) => e instanceof Killed,
      )
      assert.ok(killed, `not killed after ${k} calls`)
      const before = sim.calls().length
      const again = await workflow.plan({ rds: sim }, { clone: { source, target } })()
      assert.ok(E.isLeft(again), `resumed after ${k} calls without the flag: planned`)
      assert.equal(productionProblems(again.left), [{ _tag: 'ProductionTarget', target, tagged: target, relation: 'self', key: 'environment', value: 'production' }], `after ${k} calls`)
      assert.equal(sim.calls().slice(before).filter((c) => !reads(c.action)), [], `after ${k} calls`)
      const resumed = await run(sim, allowed)
      assert.ok(E.isRight(resumed.result), `after ${k} calls: ${E.isLeft(resumed.result) ? renderApplyFailure(resumed.result.left, resumed.plan) : ''}`)
      assert.equal(endState(sim), endState(whole), `end state after a kill at call ${k}`)
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// The CLI on the simulator

/** This suite's limit for one run is 20 s. */
const cli = (args: ReadonlyArray<string>): Promise<Run> => runCli(args, cleanEnv(), 20_000)

/** Refused by the guard: exit 2, nothing on stdout, one `Error: ` line naming `names`, no stack trace. */
const refusedAsProductionTarget = (r: Run, ...names: ReadonlyArray<string>): string => {
  assert.is(r.code, 2, `expected exit 2\n${show(r)}`)
  assert.is(r.stdout, '', `expected nothing on stdout\n${show(r)}`)
  assert.ok(r.stderr.endsWith('\n'), show(r))
  const lines = r.stderr.slice(0, -1).split('\n')
  assert.is(lines.length, 1, `expected exactly one line on stderr\n${show(r)}`)
  const line = lines[0]!
  assert.ok(line.startsWith('Error: '), show(r))
  for (const n of [...names, '--allow-production-target overrides']) assert.ok(line.includes(n), `the error should name ${JSON.stringify(n)}: ${line}`)
  return line
}

for (const { name, source, target } of SWAPS) {
  const args = ['--simulate', `fixtures/${name}.json`, '--source', source, '--target', target]
  test(`CLI: ${name} swapped with --yes exits 2 with one line; --allow-production-target makes the plan`, async () => {
    const line = refusedAsProductionTarget(await cli([...args, '--yes']), `${target}: is tagged environment=production`)
    assert.ok(line.startsWith(`Error: ${target}: is tagged environment=production; refusing to replace and delete a production database`), line)
    refusedAsProductionTarget(await cli([...args, '--plan']), target)
    const allowed = await cli([...args, '--plan', '--allow-production-target'])
    if (name === 'cross-vpc') {
      // the swapped clone needs a snapshot of the sandbox, which has none: that refusal alone, with the usual exit 1
      assert.is(allowed.code, 1, show(allowed))
      assert.is(allowed.stderr, 'Error: ledger-sandbox: no available snapshot to restore from (the snapshot path needs one)\n', show(allowed))
      return
    }
    succeeded(allowed)
    assert.ok(allowed.stdout.startsWith(`Plan: clone ${source} into ${target} in us-east-1, `), show(allowed))
    assert.match(allowed.stdout, new RegExp(`^  old-${target} \\(.*was ${target}\\): DeletionProtection on, no final snapshot$`, 'm'))
  })
}

test('CLI: with --allow-production-target the swapped demo is applied on the simulator', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-demo', '--target', 'mitosis-prod', '--allow-production-target', '--yes'])
  succeeded(r)
  assert.match(r.stdout, /^Cloned mitosis-demo into mitosis-prod: 14 steps in /m)
})

test('CLI: other refusals keep exit 1', async () => {
  const r = await cli(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-nope', '--target', 'mitosis-demo', '--plan'])
  assert.is(r.code, 1, show(r))
  assert.is(r.stderr, 'Error: mitosis-nope: no such DB instance in us-east-1\n', show(r))
})

test('CLI: --help of clone and of apply tells of --allow-production-target', async () => {
  for (const args of [['--help'], ['apply', '--help']]) {
    const r = await cli(args)
    succeeded(r)
    const help = r.stdout.replace(/\s+/g, ' ')
    assert.ok(help.includes('--allow-production-target Allow a target tagged as production (tag environment, env or stage = prod or production, any case), which is otherwise refused with exit 2'), help)
  }
})

for (const { name, source, target } of SWAPS.filter((s) => s.name === 'demo' || s.name === 'aurora')) {
  test(`CLI: mitosis apply FILE refuses a saved ${name} plan whose target is production with exit 2, unless given --allow-production-target`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mitosis-production-'))
    try {
      const file = join(dir, 'plan.json')
      const world = ['--simulate', `fixtures/${name}.json`]
      succeeded(await cli([...world, '--source', source, '--target', target, '--plan', '--out', file, '--allow-production-target']))
      const line = refusedAsProductionTarget(await cli(['apply', file, ...world, '--yes']), file, `${target}: is tagged environment=production`)
      assert.ok(line.startsWith(`Error: ${file}: ${target}: is tagged environment=production; `), line)
      const applied = await cli(['apply', file, ...world, '--yes', '--allow-production-target'])
      succeeded(applied)
      assert.match(applied.stdout, new RegExp(`^Cloned ${source} into ${target}: \\d+ steps in `, 'm'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// On a terminal: the list of what will be deleted is the last thing shown before `Apply? [y/N]`

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`

/** The CLI on a pseudo-terminal (util-linux `script`), answering `answer` once it asks; what the terminal showed. */
const onTerminal = (args: ReadonlyArray<string>, answer: string): Promise<{ readonly code: number | null; readonly screen: string }> =>
  new Promise((resolve) => {
    const command = [process.execPath, join(repoRoot, 'bin', 'run.js'), ...args].map(quote).join(' ')
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: cleanEnv() })
    let raw = ''
    let answered = false
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8')
      if (!answered && raw.includes('Apply? [y/N] ')) {
        answered = true
        child.stdin.end(`${answer}\r`)
      }
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      // what a reader sees: without the line discipline's carriage returns and readline's cursor moves
      resolve({ code, screen: raw.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '') })
    })
  })

if (onPath('script')) {
  test('on a terminal, Apply? [y/N] comes right after the list of what will be deleted', async () => {
    const { code, screen } = await onTerminal(['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo'], 'n')
    const at = screen.indexOf('Apply? [y/N] ')
    assert.ok(at > 0, screen)
    assert.ok(
      screen.slice(0, at).endsWith(
        [
          'Will delete (nothing else is deleted):',
          '  old-mitosis-demo (was mitosis-demo): DeletionProtection on, no final snapshot',
          '  old-mitosis-demo-replica (was mitosis-demo-replica): DeletionProtection off, no final snapshot',
          '',
        ].join('\n'),
      ),
      screen,
    )
    assert.match(screen.slice(at), /Error: not applied\n$/)
    assert.is(code, 1)
  })
} else {
  console.log('\n  notice: util-linux script is not on PATH; skipping the terminal test of the production guard suite\n')
}

test.run()
