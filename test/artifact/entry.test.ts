/**
 * The program inside the artifact image, as `docker run IMAGE <command>` runs it: main() in-process,
 * against a /mitosis made as the build makes it, on the simulator. Judged by exit code, stdout, stderr,
 * the termination-log line and the simulator's world afterwards.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { iamPolicy } from '../../src/plan/iam.js'
import type { Environment } from '../../src/plan/domain.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { clusterWorld, planCall } from '../support/apply.js'
import { auroraWorld, iniRoot, runEntry, show, writeRoot, type Ran } from './entry-support.js'
import { tmp } from './image-support.js'

const PASSWORD = 'Entry-Sekr1t-Never-Shown-4242'
const ENV = { AWS_REGION: 'us-east-1', MITOSIS_DB_PASSWORD: PASSWORD }

/** A refusal: the code, nothing on stdout, one line on stderr, no stack trace. */
const refused = (r: Ran, code: number, pattern: RegExp): void => {
  assert.is(r.code, code, show(r))
  assert.is(r.stdout, '', show(r))
  const lines = r.stderr.trimEnd().split('\n')
  assert.match(lines[lines.length - 1]!, pattern, show(r))
  assert.not.match(r.stderr, /\n\s+at /, show(r))
}

/** The converge header says two lines (what, and where the credentials are from), then the refusal: one line of it. */
const refusalLines = (r: Ran): string[] => r.stderr.trimEnd().split('\n').filter((l) => !/^(mitosis \S+: converge|credentials: )/.test(l))

const neverShown = (...runs: Ran[]): void => {
  for (const r of runs) assert.not.ok(`${r.stdout}${r.stderr}`.includes(PASSWORD), `the password was shown\n${show(r)}`)
}

/** shop-staging was replaced by a clone of shop-prod's data, with the new password. */
const assertCloned = (sim: Simulator): void => {
  const world = clusterWorld(sim)
  const staging = world.clusters.find((c) => c.id === 'shop-staging')
  assert.ok(staging !== undefined, JSON.stringify(world.clusters.map((c) => c.id)))
  assert.is(staging.data, 'shop-prod')
  assert.is(staging.status, 'available')
  assert.equal(world.clusters.map((c) => c.id), ['shop-prod', 'shop-staging'])
  assert.ok(sim.masterPasswordIs('shop-staging', PASSWORD), 'the new password is set')
  for (const i of world.instances.filter((x) => x.cluster === 'shop-staging')) assert.is(i.data, 'shop-prod', i.id)
}

test('plan: the embedded files byte for byte (text, json, mermaid); --mode json is that saved plan; iam-policy is the plan\'s policy', async () => {
  const sim = simulate(auroraWorld())
  const root = await iniRoot(sim)
  const text = await runEntry(root.dir, ['plan'], undefined)
  assert.is(text.code, 0, show(text))
  assert.is(text.stdout, readFileSync(join(root.dir, 'plans.txt'), 'utf8'))
  assert.ok(text.stdout.startsWith('# mode clone: shop-prod → shop-staging\n'))
  for (const [args, file] of [[['plan', '--json'], 'plans.json'], [['plan', '--format', 'json'], 'plans.json'], [['plan', '--format', 'mermaid'], 'plans.mmd'], [['plan', '--format', 'text', '--mode', 'clone'], 'plans.txt']] as const) {
    const r = await runEntry(root.dir, [...args], undefined)
    assert.is(r.code, 0, show(r))
    assert.ok(Buffer.from(r.stdout).equals(readFileSync(join(root.dir, file))), `${args.join(' ')} is ${file}`)
  }
  const one = await runEntry(root.dir, ['plan', '--json', '--mode', 'clone'], undefined)
  assert.is(one.code, 0, show(one))
  const saved = JSON.parse(readFileSync(join(root.dir, 'plans.json'), 'utf8')).clone
  assert.is(one.stdout, `${JSON.stringify(saved, null, 2)}\n`)
  assert.is(JSON.parse(one.stdout).kind, 'mitosis-plan')

  const policy = await runEntry(root.dir, ['iam-policy'], undefined)
  assert.is(policy.code, 0, show(policy))
  const { environment, plan } = root.planned.clone!
  assert.equal(JSON.parse(policy.stdout), iamPolicy(environment, plan))
  assert.match(policy.stdout, /"arn:aws:rds:us-east-1:123456789012:cluster:shop-staging"/)

  refused(await runEntry(root.dir, ['plan', '--mode', 'create'], undefined), 2, /^Error: --mode create: this image has no create plan \(it has: clone\)$/)
  refused(await runEntry(root.dir, ['plan', '--json', '--format', 'mermaid'], undefined), 2, /^Error: plan: --json and --format mermaid ask for two different outputs; choose one$/)
  refused(await runEntry(root.dir, ['plan', '--format', 'yaml'], undefined), 2, /^Error: plan: --format yaml: give text, mermaid or json$/)
})

test('plan with two modes: --mode picks each section of the text and the picture, byte for byte', async () => {
  const sim = simulate(auroraWorld())
  const clone = (await iniRoot(sim)).planned.clone!
  // the same plan under both modes stands in for a clone and a create: what is cut is the file's sections
  const root = writeRoot({ clone, create: clone })
  const text = readFileSync(join(root.dir, 'plans.txt'), 'utf8')
  const mermaid = readFileSync(join(root.dir, 'plans.mmd'), 'utf8')
  const [cloneText, createText] = [await runEntry(root.dir, ['plan', '--mode', 'clone'], undefined), await runEntry(root.dir, ['plan', '--mode', 'create'], undefined)]
  assert.is(`${cloneText.stdout}\n${createText.stdout}`, text)
  assert.ok(cloneText.stdout.startsWith('# mode clone: ') && createText.stdout.startsWith('# mode create: '))
  const [cloneMmd, createMmd] = [await runEntry(root.dir, ['plan', '--format', 'mermaid', '--mode', 'clone'], undefined), await runEntry(root.dir, ['plan', '--format', 'mermaid', '--mode', 'create'], undefined)]
  assert.is(`${cloneMmd.stdout}\n${createMmd.stdout}`, mermaid)
  assert.ok(createMmd.stdout.startsWith('%% mode create\n'))
  assert.is((await runEntry(root.dir, ['plan'], undefined)).stdout, text)
  refused(await runEntry(root.dir, ['iam-policy'], undefined), 2, /^Error: this image carries plans for clone and create: give --mode clone or --mode create$/)
})

test('converge: checks, applies with progress, leaves the target cloned; again: nothing to do; the termination-log line each time', async () => {
  const sim = simulate(auroraWorld())
  const root = await iniRoot(sim)
  const log = join(tmp(), 'termination-log')
  writeFileSync(log, '')
  const first = await runEntry(root.dir, ['converge', '--mode', 'clone', '--yes'], sim, { env: ENV, terminationLog: log })
  assert.is(first.code, 0, show(first))
  assert.match(first.stderr, /^mitosis 0\.1\.0: converge --mode clone: shop-prod → shop-staging in us-east-1, \d+ steps \(plan sha256:[0-9a-f]{12}…\)\ncredentials: /)
  assert.match(first.stdout, /^Plan: /m)
  assert.match(first.stdout, /Z {2}start +1\/\d+ /)
  assert.match(first.stdout, /Cloned shop-prod into shop-staging: \d+ steps in .*\.\n$/)
  assertCloned(sim)
  assert.match(readFileSync(log, 'utf8'), /^mitosis converge: Cloned shop-prod into shop-staging: \d+ steps in [^\n]+\.\n$/)

  const calls = sim.calls().length
  const again = await runEntry(root.dir, ['converge', '--mode', 'clone'], sim, { env: { AWS_REGION: 'us-east-1' }, terminationLog: log })
  assert.is(again.code, 0, show(again))
  assert.match(again.stdout, /^Nothing to do: run r[0-9a-f]+ is complete\.\n$/)
  assert.not.ok(sim.calls().slice(calls).some(planCall), 'nothing was changed')
  assert.match(readFileSync(log, 'utf8'), /^mitosis converge: Nothing to do: run r[0-9a-f]+ is complete\.\n$/)

  // a scheduled refresh (the CronJob's --replan): the run done, the next refresh is planned and applied
  const refresh = await runEntry(root.dir, ['converge', '--mode', 'clone', '--replan'], sim, { env: ENV, terminationLog: log })
  assert.is(refresh.code, 0, show(refresh))
  assert.match(refresh.stderr, /\n--replan: planned again on the world as it is now: /)
  assert.match(refresh.stdout, /Cloned shop-prod into shop-staging: \d+ steps in .*\.\n$/)
  assert.ok(sim.calls().slice(calls).some(planCall), 'the refresh changed the world')
  assertCloned(sim)
  neverShown(first, again, refresh)
})

test('converge --json: JSON lines on stdout; the password from a file, and from stdin', async () => {
  const sim = simulate(auroraWorld())
  const root = await iniRoot(sim)
  const file = join(tmp(), 'password')
  writeFileSync(file, `${PASSWORD}\n`)
  const r = await runEntry(root.dir, ['converge', '--mode', 'clone', '--json', '--db-password-file', file], sim)
  assert.is(r.code, 0, show(r))
  const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string })
  assert.ok(events.some((e) => e.type === 'step-done'), show(r))
  assertCloned(sim)

  const sim2 = simulate(auroraWorld())
  const s = await runEntry(root.dir, ['converge', '--mode', 'clone', '--db-password-stdin'], sim2, { stdin: `${PASSWORD}\n` })
  assert.is(s.code, 0, show(s))
  assertCloned(sim2)
  neverShown(r, s)
})

test('converge refuses (exit 2, one line, nothing changed): no password, a bad one, a tampered plans.json, another region, a production target', async () => {
  const sim = simulate(auroraWorld())
  const root = await iniRoot(sim)
  const before = sim.calls().length
  const log = join(tmp(), 'termination-log')
  writeFileSync(log, '')

  const none = await runEntry(root.dir, ['converge', '--mode', 'clone'], sim, { terminationLog: log })
  assert.is(none.code, 2, show(none))
  assert.equal(refusalLines(none).length, 1, show(none))
  assert.match(refusalLines(none)[0]!, /^Error: step \d+ sets a new master password, and none was given: set MITOSIS_DB_PASSWORD \(a Kubernetes Secret\), or pass --db-password-file FILE or --db-password-stdin$/)
  assert.match(readFileSync(log, 'utf8'), /^mitosis converge: refused \(exit 2\): step \d+ sets a new master password, and none was given/)

  const short = await runEntry(root.dir, ['converge', '--mode', 'clone'], sim, { env: { AWS_REGION: 'us-east-1', MITOSIS_DB_PASSWORD: 'short' } })
  assert.is(short.code, 2, show(short))
  assert.equal(refusalLines(short).length, 1, show(short))
  assert.match(refusalLines(short)[0]!, /^Error: the master password \(MITOSIS_DB_PASSWORD\) must be \d+ to \d+ characters long for aurora-postgresql$/)
  assert.not.ok(short.stderr.includes('short\n') || short.stderr.includes("'short'"), 'the password is not echoed')

  const asJson = await runEntry(root.dir, ['converge', '--mode', 'clone', '--json'], sim)
  assert.is(asJson.code, 2, show(asJson))
  const error = JSON.parse(asJson.stdout) as { error: { message: string; exitCode: number } }
  assert.is(error.error.exitCode, 2)
  assert.match(error.error.message, /^step \d+ sets a new master password, and none was given/)
  assert.is(asJson.stdout.split('\n').length, 2, 'one line of JSON')

  const both = await runEntry(root.dir, ['converge', '--mode', 'clone', '--db-password-stdin', '--db-password-file', '/x'], sim, { env: ENV })
  refused(both, 2, /^Error: converge: --db-password-file and --db-password-stdin: give one of them$/)

  const region = await runEntry(root.dir, ['converge', '--mode', 'clone'], simulate({ ...auroraWorld(), region: 'eu-west-1' }), { env: { ...ENV, AWS_REGION: 'eu-west-1' } })
  assert.is(region.code, 2, show(region))
  assert.equal(refusalLines(region), ['Error: the plan was made in us-east-1, but the AWS configuration (AWS_REGION, the profile) says eu-west-1; run with AWS_REGION=us-east-1'])

  const tampered = writeRoot(root.planned, {})
  const plans = readFileSync(join(tampered.dir, 'plans.json'), 'utf8')
  writeFileSync(join(tampered.dir, 'plans.json'), plans.replace('"db.r6g.large"', '"db.r6g.16xlarge"'))
  assert.is.not(readFileSync(join(tampered.dir, 'plans.json'), 'utf8'), plans)
  for (const args of [['converge', '--mode', 'clone'], ['plan'], ['iam-policy']]) {
    const t = await runEntry(tampered.dir, args, sim, { env: ENV, terminationLog: log })
    refused(t, 2, /^Error: \S+plans\.json is not the plan this image was built with: its digest is sha256:[0-9a-f]{64}, the manifest \(and the label io\.mitosis\.plan\.digest\) says sha256:[0-9a-f]{64}$/)
  }
  assert.match(readFileSync(log, 'utf8'), /^mitosis converge: refused \(exit 2\): \S+plans\.json is not the plan/)

  // the target tagged production since the build: refused as the planner refused it
  const prodSim = simulate(withClusterTag(auroraWorld(), 'shop-staging', 'environment', 'production'))
  const prod = await runEntry(root.dir, ['converge', '--mode', 'clone', '--replan'], prodSim, { env: ENV })
  assert.is(prod.code, 2, show(prod))
  assert.match(refusalLines(prod).join('\n'), /^Error: the image's clone plan would replace and delete shop-staging, and shop-staging is tagged environment=production now; refusing to replace a production database$/)
  assert.not.ok(prodSim.calls().some(planCall))

  assert.not.ok(sim.calls().slice(before).some(planCall), 'nothing was changed')
  neverShown(none, short, both, region, prod)
})

/** The world with one cluster's tag set. */
const withClusterTag = (env: Environment, id: string, key: string, value: string): Environment => ({
  ...env,
  clusters: (env.clusters ?? []).map((c) => (c.DBClusterIdentifier === id ? { ...c, TagList: [...(c.TagList ?? []).filter((t) => t.Key !== key), { Key: key, Value: value }] } : c)),
})

/** The world with the target's reader of another class: a change since the build. */
const changedWorld = (): Environment => {
  const env = auroraWorld()
  return { ...env, instances: env.instances.map((i) => (i.DBInstanceIdentifier === 'shop-staging-2' ? { ...i, DBInstanceClass: 'db.r6g.xlarge' } : i)) }
}

test('converge on a changed world: exit 3 with the difference (nothing changed); --replan plans again, says so, applies', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  const sim = simulate(changedWorld())
  const log = join(tmp(), 'termination-log')
  writeFileSync(log, '')
  const stale = await runEntry(root.dir, ['converge', '--mode', 'clone'], sim, { env: ENV, terminationLog: log })
  assert.is(stale.code, 3, show(stale))
  assert.is(stale.stdout, '')
  const lines = refusalLines(stale)
  assert.is(lines.length, 1, show(stale))
  assert.is(lines[0], 'Error: the plan is stale: the world changed since the image was built: shop-staging-2: DBInstanceClass "db.t4g.medium" → "db.r6g.xlarge"; build a new image, or converge --replan to plan again now')
  assert.match(readFileSync(log, 'utf8'), /^mitosis converge: stale \(exit 3\): the plan is stale: /)
  assert.not.ok(sim.calls().some(planCall), 'nothing was changed')

  const replanned = await runEntry(root.dir, ['converge', '--mode', 'clone', '--replan'], sim, { env: ENV, terminationLog: log })
  assert.is(replanned.code, 0, show(replanned))
  assert.match(replanned.stderr, /\nthe world changed since the image was built: .*shop-staging-2/)
  assert.match(replanned.stderr, /\n--replan: planned again on the world as it is now: \d+ steps \(the image's plan had \d+\); applying the new plan\n/)
  assertCloned(sim)
  assert.ok(clusterWorld(sim).instances.some((i) => i.id === 'shop-staging-2' && i.class === 'db.r6g.xlarge'), 'the new reader has the class the world has now')
  neverShown(stale, replanned)
})

test('converge --replan of an image built from a saved clone plan (no artifact.ini) re-plans the same clone', async () => {
  const clone = (await iniRoot(simulate(auroraWorld()))).planned.clone!
  const root = writeRoot({ clone })
  assert.not.ok(existsSync(join(root.dir, 'artifact.ini')))
  const sim = simulate(changedWorld())
  const r = await runEntry(root.dir, ['converge', '--mode', 'clone', '--replan'], sim, { env: ENV })
  assert.is(r.code, 0, show(r))
  assertCloned(sim)
})

test('converge: SIGTERM while applying stops cleanly (exit 143, one line); the same command then finishes', async () => {
  const sim = simulate(auroraWorld())
  const root = await iniRoot(sim)
  const log = join(tmp(), 'termination-log')
  writeFileSync(log, '')
  let sent = false
  const stopped = await runEntry(root.dir, ['converge', '--mode', 'clone'], sim, {
    env: ENV,
    terminationLog: log,
    onStdout: (t) => {
      if (!sent && /done +1\//.test(t)) {
        sent = true
        process.emit('SIGTERM', 'SIGTERM')
      }
    },
  })
  assert.is(stopped.code, 143, show(stopped))
  assert.match(stopped.stderr, /SIGTERM: stopping; no new call is sent\n/)
  assert.match(stopped.stderr, /\ninterrupted at step \d+ .*re-run the same command to go on\n$/)
  assert.match(readFileSync(log, 'utf8'), /^mitosis converge: interrupted \(exit 143\): interrupted at step \d+/)
  const resumed = await runEntry(root.dir, ['converge', '--mode', 'clone'], sim, { env: ENV })
  assert.is(resumed.code, 0, show(resumed))
  assert.match(resumed.stdout, /resuming run r[0-9a-f]+: \d+ of \d+ steps already done/)
  assertCloned(sim)
})

test('arguments: unknown command or option, a missing value, no command: exit 2 and one line; --help, --version', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  refused(await runEntry(root.dir, ['deploy'], undefined), 2, /^Error: unknown command "deploy": the commands are plan, iam-policy, converge, manifest \(see --help\)$/)
  refused(await runEntry(root.dir, ['--frobnicate'], undefined), 2, /^Error: unknown option --frobnicate; give a command first/)
  refused(await runEntry(root.dir, ['plan', '--frobnicate'], undefined), 2, /^Error: plan: unknown option --frobnicate \(see --help\)$/)
  refused(await runEntry(root.dir, ['converge', '--mode'], undefined), 2, /^Error: converge: --mode needs a value \(see --help\)$/)
  refused(await runEntry(root.dir, ['converge', '--mode', 'clone', 'extra'], undefined), 2, /^Error: converge: unexpected argument extra \(see --help\)$/)
  refused(await runEntry(root.dir, ['converge', '--mode', 'swap'], undefined), 2, /^Error: --mode: "swap" is not clone or create$/)
  refused(await runEntry(root.dir, ['converge', '--mode', 'clone', '--poll-interval', '0'], undefined), 2, /^Error: --poll-interval must be a positive number, got "0"$/)
  refused(await runEntry(root.dir, ['manifest', 'helm'], undefined), 2, /^Error: manifest: "helm" is not a kind of manifest this image writes \(kubernetes\)$/)
  const none = await runEntry(root.dir, [], undefined)
  assert.is(none.code, 2)
  assert.match(none.stderr, /^mitosis database artifact/)
  const help = await runEntry(root.dir, ['--help'], undefined)
  assert.is(help.code, 0)
  assert.match(help.stdout, /Exit codes \(the image's contract\):\n {2}0 {4}done, or nothing to do\n/)
  assert.match(help.stdout, /converge --mode clone\|create/)
  assert.is((await runEntry(root.dir, ['converge', '--help'], undefined)).stdout, help.stdout)
  const version = await runEntry(root.dir, ['--version'], undefined)
  assert.is(version.code, 0)
  assert.match(version.stdout, /^mitosis 0\.1\.0\nartifact: shop-prod → shop-staging in us-east-1, modes clone, plan sha256:[0-9a-f]{64}\n$/)
  // outside an image (no /mitosis files): said in one line
  refused(await runEntry(tmp(), ['plan'], undefined), 2, /artifact\.json: cannot read \(ENOENT\); this program runs inside a mitosis artifact image$/)
})

test.run()
