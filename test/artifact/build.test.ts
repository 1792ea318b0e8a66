import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { sha256 } from '../../src/artifact/contents.js'
import { readBaseImage } from '../../src/artifact/image/base.js'
import { gunzip, isGzip } from '../../src/artifact/image/gzip.js'
import { readTar } from '../../src/artifact/image/tar.js'
import { cleanEnv, cli, show } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'
import { auroraFixture, baseImage, defaultBaseFiles, tmp, writeBases } from './image-support.js'

const dir = tmp()
const PASSWORD = 'Sekr1t-Never-In-The-Image-4242'

const fixtureWith = (zones: ReadonlyArray<string>): string => auroraFixture(zones, dir)
const twoAz = fixtureWith(['us-east-1a', 'us-east-1b'])
const oneAz = fixtureWith(['us-east-1a', 'us-east-1a'])

const entry = join(dir, 'entry.mjs')
writeFileSync(entry, "import { sep } from 'node:path'\nconsole.log('artifact entry', sep)\n")
const bases = writeBases()

const ini = (extra = '', subnets = 'source', target = 'target_db_cluster_id = shop-staging'): string => {
  const path = join(dir, `artifact-${sha256(extra + subnets + target).slice(7, 15)}.ini`)
  writeFileSync(path, ['[source_db]', 'source_db_cluster_id = shop-prod', extra, '', '[target_db]', target, `subnet_ids = ${subnets}`, 'instance_type = db.r6g.large', '', '[artifact]', 'tag = example/db-artifact:1', ''].join('\n'))
  return path
}

const build = (args: ReadonlyArray<string>, env: Record<string, string> = {}, base: string = bases.ociDir) =>
  cli(['artifact', 'build', ...args, '--entry', entry, '--base-image', base], cleanEnv({ MITOSIS_DB_PASSWORD: PASSWORD, ...env }))

/** A base with node, a shell and java (at JAVA_HOME), for the plans that run a hook or Liquibase. */
const fullBase = writeBases(
  baseImage([
    ...defaultBaseFiles,
    { type: 'file', path: 'bin/sh', data: Buffer.from('#!/bin/false\n'), executable: true },
    { type: 'file', path: 'opt/java/bin/java', data: Buffer.from('#!/bin/false\n'), executable: true },
  ], ['PATH=/usr/local/bin:/usr/bin:/bin', 'JAVA_HOME=/opt/java']),
).ociDir

const layerEntries = (blob: Buffer) => readTar(isGzip(blob) ? gunzip(blob) : blob)

test('two builds of the same inputs: the same image ID and byte-identical archives; labels, digest, owners, mtimes, no secret', async () => {
  const config = ini()
  const outs = [join(dir, 'a.tar'), join(dir, 'b.tar'), join(dir, 'a-docker.tar'), join(dir, 'b-docker.tar')]
  const runs = [
    await build([config, '--simulate', twoAz, '--output', 'oci-archive', '--out', outs[0]!]),
    await build([config, '--simulate', twoAz, '--output', 'oci-archive', '--out', outs[1]!]),
    await build([config, '--simulate', twoAz, '--output', 'docker-archive', '--out', outs[2]!]),
    await build([config, '--simulate', twoAz, '--output', 'docker-archive', '--out', outs[3]!]),
  ]
  for (const r of runs) assert.is(r.code, 0, show(r))
  assert.is(runs[0]!.stdout, runs[1]!.stdout)
  assert.is(runs[0]!.stdout, runs[2]!.stdout)
  assert.match(runs[0]!.stdout, /^sha256:[0-9a-f]{64}\n$/)
  // the progress display: each phase as it begins, each layer when written, the total at the end
  const phases = runs[0]!.stderr.trimEnd().split('\n').map((l) => l.replace(/sha256:[0-9a-f]{64}/, 'sha256:…').replace(/\d+\.\d s/, 'T s').replace(/[\d.]+ (KiB|MiB|B),/, 'N,'))
  // (not a terminal: the layers and the total; the phases are for a terminal, see image.test.ts)
  assert.equal(phases, ['layer program: N, 1 file, sha256:… (T s)', 'layer plans: N, 5 files, sha256:… (T s)', `wrote example/db-artifact:1 as oci-archive ${outs[0]} in T s`])
  assert.ok(readFileSync(outs[0]!).equals(readFileSync(outs[1]!)), 'oci-archive identical')
  assert.ok(readFileSync(outs[2]!).equals(readFileSync(outs[3]!)), 'docker-archive identical')

  const image = readBaseImage(`oci-archive:${outs[0]}`)
  const fromDocker = readBaseImage(`docker-archive:${outs[2]}`)
  assert.equal(fromDocker.layers.map((l) => l.diffId), image.layers.map((l) => l.diffId))
  assert.is(image.name, 'example/db-artifact:1')
  const cfg = image.config as any
  assert.is(cfg.created, '1970-01-01T00:00:01Z')
  assert.equal(cfg.config.Entrypoint, ['/usr/bin/node', '/mitosis/mitosis.mjs'])
  assert.equal(cfg.config.Cmd, ['plan'])
  assert.is(cfg.config.User, '10001:10001')
  assert.is(cfg.config.WorkingDir, '/mitosis')
  const labels = cfg.config.Labels as Record<string, string>
  assert.is(labels['io.mitosis.source'], 'shop-prod')
  assert.is(labels['io.mitosis.target'], 'shop-staging')
  assert.is(labels['io.mitosis.region'], 'us-east-1')
  assert.is(labels['org.opencontainers.image.version'], JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')).version)
  assert.is(labels['org.opencontainers.image.created'], '1970-01-01T00:00:01Z')
  assert.is(labels['org.opencontainers.image.base.name'], 'test/node-base:1')
  assert.is(labels['org.opencontainers.image.base.digest'], readBaseImage(bases.ociDir).digest)

  const ours = image.layers.slice(2)
  assert.is(ours.length, 2)
  for (const layer of ours) {
    const entries = layerEntries(layer.blob)
    assert.equal(entries.map((e) => e.path), [...entries.map((e) => e.path)].sort())
    for (const e of entries) {
      assert.is(e.uid, 0, e.path)
      assert.is(e.gid, 0, e.path)
      assert.is(e.mtime, 1, e.path)
    }
  }
  const last = new Map(layerEntries(ours[1]!.blob).flatMap((e) => (e.type === 'file' ? [[e.path, Buffer.from(e.data)] as const] : [])))
  const plans = last.get('mitosis/plans.json')!
  assert.is(labels['io.mitosis.plan.digest'], sha256(plans))
  const manifest = JSON.parse(last.get('mitosis/artifact.json')!.toString())
  assert.is(manifest.planDigest, sha256(plans))
  assert.equal(manifest.modes, ['clone'])
  assert.ok(last.get('mitosis/plans.txt')!.toString().startsWith('# mode clone: shop-prod → shop-staging\n'))
  assert.ok(last.get('mitosis/plans.mmd')!.toString().startsWith('%% mode clone\n'))
  assert.is(last.get('mitosis/artifact.ini')!.toString(), readFileSync(config, 'utf8'))
  const program = layerEntries(ours[0]!.blob).find((e) => e.path === 'mitosis/mitosis.mjs')
  assert.ok(program !== undefined && program.type === 'file' && Buffer.from(program.data).toString().includes('artifact entry'))

  // no secret anywhere: every blob (compressed and not), the config, the archives
  const needle = Buffer.from(PASSWORD)
  for (const path of outs) assert.not.ok(readFileSync(path).includes(needle), path)
  for (const layer of image.layers) assert.not.ok((isGzip(layer.blob) ? gunzip(layer.blob) : layer.blob).includes(needle))
  assert.not.ok(JSON.stringify(image.config).includes(PASSWORD))
})

test('another SOURCE_DATE_EPOCH, another image ID', async () => {
  const config = ini()
  const a = await build([config, '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'epoch-1')])
  const b = await build([config, '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'epoch-2')], { SOURCE_DATE_EPOCH: '1700000000' })
  assert.is(a.code, 0, show(a))
  assert.is(b.code, 0, show(b))
  assert.is.not(a.stdout, b.stdout)
  assert.ok(existsSync(join(dir, 'epoch-1', 'oci-layout')))
  const index = JSON.parse(readFileSync(join(dir, 'epoch-1', 'index.json'), 'utf8'))
  assert.is(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'example/db-artifact:1')
  assert.is((readBaseImage(`oci:${join(dir, 'epoch-2')}`).config as any).created, '2023-11-14T22:13:20Z')
})

const refusedWith = async (args: ReadonlyArray<string>, pattern: RegExp): Promise<void> => {
  const r = await build(args)
  assert.is(r.code, 2, show(r))
  const lines = r.stderr.trim().split('\n')
  assert.is(lines.length, 1, show(r))
  assert.match(lines[0]!, pattern)
  assert.not.match(r.stderr, /\n\s+at /)
}

test('refused in one line: subnets in one AZ, a missing changelog, a base without node', async () => {
  await refusedWith([ini(), '--simulate', oneAz, '--output', 'oci-dir', '--out', join(dir, 'x1')], /subnet_ids: the subnets are all in us-east-1a; an Aurora cluster needs subnets in at least two Availability Zones/)
  await refusedWith([ini(`liquibase_changelog_path = ${join(dir, 'nope.yaml')}`), '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'x2')], /liquibase_changelog_path: no such file .*nope\.yaml/)
  await refusedWith([ini('', 'subnet-0, subnet-1'), '--simulate', oneAz, '--output', 'oci-dir', '--out', join(dir, 'x4')], /subnet_ids: the subnets are all in us-east-1a/)
  await refusedWith([ini('', 'subnet-0, subnet-9'), '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'x5')], /subnet_ids: no Availability Zone known for subnet-9/)
  const listed = await build([ini('', 'subnet-0, subnet-1'), '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'x6')])
  assert.is(listed.code, 0, show(listed))
  const nodeless = writeBases(baseImage([{ type: 'file', path: 'bin/sh', data: Buffer.from('x'), executable: true }]))
  const r = await cli(['artifact', 'build', ini(), '--simulate', twoAz, '--entry', entry, '--base-image', nodeless.ociArchive, '--output', 'oci-dir', '--out', join(dir, 'x3')], cleanEnv())
  assert.is(r.code, 2, show(r))
  assert.match(r.stderr.trim(), /^[^\n]*has no node \(looked in \/usr\/local\/bin\/node, \/usr\/bin\/node, \/nodejs\/bin\/node\); use a base with Node\.js 22 or later$/)
})

test('--context-only: a Dockerfile context with the same files', async () => {
  const ctx = join(dir, 'context')
  const r = await build([ini(), '--simulate', twoAz, '--context-only', ctx])
  assert.is(r.code, 0, show(r))
  const dockerfile = readFileSync(join(ctx, 'Dockerfile'), 'utf8')
  // the base came from an OCI layout: the FROM names it by the name it carries, never by a path
  assert.match(dockerfile, /\n# the base was read from oci:[^\n]+: load or push it as test\/node-base:1 before building\nFROM test\/node-base:1\n/)
  assert.match(dockerfile, /\nCOPY layer1\/ \/\nCOPY layer2\/ \/\nUSER 10001:10001\n/)
  assert.match(dockerfile, /\nENTRYPOINT \["\/usr\/bin\/node", "\/mitosis\/mitosis.mjs"\]\nCMD \["plan"\]\n/)
  assert.match(dockerfile, /LABEL io.mitosis.plan.digest="sha256:[0-9a-f]{64}"/)
  assert.ok(existsSync(join(ctx, 'layer1', 'mitosis', 'mitosis.mjs')))
  assert.ok(existsSync(join(ctx, 'layer2', 'mitosis', 'plans.json')))
})

test('a target that does not exist: the clone plan restores the source into it as a new cluster, with the configured settings', async () => {
  const ctx = join(dir, 'context-new')
  const config = ini('', 'subnet-0, subnet-1', ['target_db_cluster_id = shop-qa', 'instance_count = 2', 'deletion_protection = true', 'tags = environment=qa'].join('\n'))
  const r = await build([config, '--simulate', twoAz, '--context-only', ctx])
  assert.is(r.code, 0, show(r))
  const text = readFileSync(join(ctx, 'layer2', 'mitosis', 'plans.txt'), 'utf8')
  assert.match(text, /^# mode clone: shop-prod → shop-qa\nPlan: clone shop-prod into a new cluster shop-qa in us-east-1, 6 steps\n/)
  assert.match(text, /\n1  CreateDBSubnetGroup +shop-qa-subnets +now +.*SubnetIds=subnet-0,subnet-1/)
  assert.match(text, /\n2  RestoreDBClusterToPointInTime +shop-qa +after 1 +from shop-prod RestoreType=copy-on-write .*DBSubnetGroupName=shop-qa-subnets .*DeletionProtection=true Tags=environment:qa,/)
  assert.match(text, /CreateDBInstance +shop-qa-1 .*DBInstanceClass=db\.r6g\.large/)
  assert.match(text, /CreateDBInstance +shop-qa-2 /)
  assert.match(text, /\nWill delete: nothing\.\n/)
  assert.not.match(text, PASSWORD)
  const plans = JSON.parse(readFileSync(join(ctx, 'layer2', 'mitosis', 'plans.json'), 'utf8'))
  assert.is(plans.clone.plan.kind, 'new-cluster')
})

test('--plan FILE: the same kind of image from a saved plan, no config file in it; --json is quiet on stderr', async () => {
  const saved = join(dir, 'saved-plan.json')
  const p = await cli(['clone', '--simulate', twoAz, '--source', 'shop-prod', '--target', 'shop-staging', '--plan', '--out', saved], cleanEnv())
  assert.is(p.code, 0, show(p))
  const out = join(dir, 'from-plan')
  const r = await build(['--plan', saved, '--simulate', twoAz, '--output', 'oci-dir', '--out', out, '--json'])
  assert.is(r.code, 0, show(r))
  assert.is(r.stderr, '')
  const result = JSON.parse(r.stdout)
  assert.is(result.tag, 'db-artifact:latest')
  assert.equal(result.modes, ['clone'])
  const image = readBaseImage(`oci:${out}`)
  assert.is(image.config.config?.['Labels'] !== undefined, true)
  const last = layerEntries(image.layers[image.layers.length - 1]!.blob).map((e) => e.path)
  assert.ok(last.includes('mitosis/plans.json'))
  assert.not.ok(last.includes('mitosis/artifact.ini'))
  const plans = JSON.parse(Buffer.from((layerEntries(image.layers[image.layers.length - 1]!.blob).find((e) => e.path === 'mitosis/plans.json') as any).data).toString())
  assert.equal(plans.clone.plan, JSON.parse(readFileSync(saved, 'utf8')).plan)
})

test('--plan FILE with a saved create plan: the image carries the changelog and Liquibase, and the schema step names it there', async () => {
  const changelog = join(dir, 'schema.sql')
  writeFileSync(changelog, '--liquibase formatted sql\n--changeset mitosis:1\nCREATE TABLE widgets (id int primary key);\n')
  const saved = join(dir, 'saved-create.json')
  const p = await cli(['create', '--simulate', twoAz, '--like', 'shop-prod', '--target', 'shop-new', '--changelog', changelog, '--db-password-stdin', '--plan', '--out', saved], cleanEnv())
  assert.is(p.code, 0, show(p))
  const out = join(dir, 'from-create-plan')
  // a base without java: refused in one line, before any file is written
  const nojava = await build(['--plan', saved, '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'no-java')])
  assert.is(nojava.code, 2, show(nojava))
  assert.match(nojava.stderr, /^Error: base image test\/node-base:1 has no java \(JAVA_HOME or PATH of its Env\), and the create plan's schema step runs Liquibase on Java 11 or later; use a base with Node\.js 22\+ and a JRE/)
  assert.not.ok(existsSync(join(dir, 'no-java')))
  const r = await build(['--plan', saved, '--simulate', twoAz, '--output', 'oci-dir', '--out', out], {}, fullBase)
  assert.is(r.code, 0, show(r))
  const image = readBaseImage(`oci:${out}`)
  const program = layerEntries(image.layers[image.layers.length - 2]!.blob)
  const carried = program.find((e) => e.path === 'mitosis/changelog/schema.sql')
  assert.ok(carried !== undefined && carried.type === 'file' && Buffer.from(carried.data).toString() === readFileSync(changelog, 'utf8'), 'the changelog is in the image')
  assert.ok(program.some((e) => e.path === 'mitosis/liquibase/internal/lib/liquibase-core.jar'), 'Liquibase is in the image')
  const plans = JSON.parse(Buffer.from((layerEntries(image.layers[image.layers.length - 1]!.blob).find((e) => e.path === 'mitosis/plans.json') as any).data).toString())
  const schema = plans.create.plan.steps.find((s: any) => s.op === 'RunLiquibase')
  assert.is(schema.request.Changelog, '/mitosis/changelog/schema.sql')
  // every other field of the reviewed plan is as saved
  const original = JSON.parse(readFileSync(saved, 'utf8')).plan
  assert.equal({ ...plans.create.plan, steps: plans.create.plan.steps.filter((s: any) => s.op !== 'RunLiquibase') }, { ...original, steps: original.steps.filter((s: any) => s.op !== 'RunLiquibase') })
  // a changelog that is not here: one line
  writeFileSync(saved, readFileSync(saved, 'utf8').split(changelog).join(join(dir, 'gone.sql')))
  const gone = await build(['--plan', saved, '--simulate', twoAz, '--output', 'oci-dir', '--out', join(dir, 'gone')], {}, fullBase)
  assert.is(gone.code, 2, show(gone))
  assert.match(gone.stderr, /the create plan's changelog .*gone\.sql does not exist here/)
})

test('--plan FILE with a restart hook: a base without a shell is refused in one line (the hook is a shell command); with one, built', async () => {
  const saved = join(dir, 'saved-hook.json')
  const p = await cli(['clone', '--simulate', `${repoRoot}fixtures/demo.json`, '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--restart', 'kubectl rollout restart deploy/shop', '--plan', '--out', saved], cleanEnv())
  assert.is(p.code, 0, show(p))
  const bare = await build(['--plan', saved, '--simulate', `${repoRoot}fixtures/demo.json`, '--output', 'oci-dir', '--out', join(dir, 'no-shell')])
  assert.is(bare.code, 2, show(bare))
  assert.match(bare.stderr, /^Error: base image test\/node-base:1 has no shell \(looked in \/bin\/sh, \/usr\/bin\/sh, \/bin\/bash, \/usr\/bin\/bash\), and the plan's restart hook is a shell command \(step \d+\); use a base with \/bin\/sh/)
  const ok = await build(['--plan', saved, '--simulate', `${repoRoot}fixtures/demo.json`, '--output', 'oci-dir', '--out', join(dir, 'with-shell')], {}, fullBase)
  assert.is(ok.code, 0, show(ok))
  const plans = JSON.parse(Buffer.from((layerEntries(readBaseImage(`oci:${join(dir, 'with-shell')}`).layers.at(-1)!.blob).find((e) => e.path === 'mitosis/plans.json') as any).data).toString())
  assert.is(plans.clone.plan.kind, 'replica-tree')
})

test('no --engine: docker, else podman, whichever is on PATH, loads the image (here only podman: it gets the docker-archive on stdin)', async () => {
  const bin = join(dir, 'only-podman')
  mkdirSync(bin, { recursive: true })
  const got = join(dir, 'podman-got.tar')
  writeFileSync(join(bin, 'podman'), `#!/bin/sh\n[ "$1" = load ] || exit 9\n/bin/cat > '${got}'\necho "Loaded image: example/db-artifact:1"\n`, { mode: 0o755 })
  // PATH: the fake podman and node, nothing else (no docker, wherever this machine keeps one)
  const r = await build([ini(), '--simulate', twoAz], { PATH: `${bin}:${dirname(process.execPath)}` })
  assert.is(r.code, 0, show(r))
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/)
  assert.match(r.stderr, /\nloaded example\/db-artifact:1 in [\d.]+ s\n$/)
  // what podman load read: a docker-archive whose config is the image printed
  const loaded = readBaseImage(`docker-archive:${got}`)
  assert.is(loaded.name, 'example/db-artifact:1')
  assert.equal(loaded.config.config?.['Entrypoint'], ['/usr/bin/node', '/mitosis/mitosis.mjs'])
})

test('flags: a config and --plan together, --output without --out, are refused', async () => {
  for (const args of [[ini(), '--plan', 'x.json'], [ini(), '--output', 'oci-archive'], []]) {
    const r = await build([...args, '--simulate', twoAz])
    assert.is(r.code, 2, show(r))
    assert.is(r.stderr.trim().split('\n').length, 1, show(r))
  }
})

test.run()
