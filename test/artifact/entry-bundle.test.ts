/**
 * The program as the image holds it: src/artifact/entry/main.ts bundled by the build's bundler into one
 * file, without oclif, run by node as the image's entrypoint does, against a /mitosis made in a temp
 * dir (MITOSIS_ARTIFACT_ROOT, which exists for these tests only).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { build } from 'esbuild'
import { bundleProgram } from '../../src/artifact/bundle.js'
import { readBaseImage } from '../../src/artifact/image/base.js'
import { gunzip, isGzip } from '../../src/artifact/image/gzip.js'
import { readTar } from '../../src/artifact/image/tar.js'
import { simulate } from '../../src/sim/simulator.js'
import { cleanEnv, cli, show } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'
import { auroraFixture, auroraWorld, iniRoot, INI } from './entry-support.js'
import { tmp, writeBases } from './image-support.js'

const entry = join(repoRoot, 'dist/src/artifact/entry/main.js')
const dir = tmp()
const program = join(dir, 'mitosis.mjs')

const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, file = program) => {
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'utf8', env, cwd: '/', timeout: 30_000, input: '' })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, show: `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}` }
}

test('the bundle has no oclif in it: neither among esbuild\'s inputs nor in its text', async () => {
  const bytes = await bundleProgram(entry)
  writeFileSync(program, bytes)
  assert.not.ok(bytes.toString().includes('node_modules/@oclif/'), 'oclif is in the bundle')
  const meta = await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node22', format: 'esm', write: false, metafile: true, logLevel: 'silent' })
  const inputs = Object.keys(meta.metafile.inputs)
  assert.ok(inputs.some((i) => i.includes('dist/src/cli/apply-flow.js')), 'the apply flow is the CLI\'s')
  assert.equal(inputs.filter((i) => i.includes('@oclif')), [])
})

test('node mitosis.mjs: --version, plan (byte for byte), an unknown command, and AWS unreachable (exit 1, one line)', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  const home = tmp()
  const env = cleanEnv({ MITOSIS_ARTIFACT_ROOT: root.dir, HOME: home })
  const version = run(['--version'], env)
  assert.is(version.code, 0, version.show)
  assert.match(version.stdout, /^mitosis 0\.1\.0\nartifact: shop-prod → shop-staging in us-east-1, modes clone, plan sha256:[0-9a-f]{64}\n$/)
  const plan = run(['plan'], env)
  assert.is(plan.code, 0, plan.show)
  assert.is(plan.stdout, readFileSync(join(root.dir, 'plans.txt'), 'utf8'))
  const unknown = run(['deploy'], env)
  assert.is(unknown.code, 2, unknown.show)
  assert.is(unknown.stderr.trimEnd().split('\n').length, 1, unknown.show)

  // the standard chain: keys from the environment; no region anywhere, so the plan's is used (and said)
  const offline = run(['converge', '--mode', 'clone'], {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    MITOSIS_DB_PASSWORD: 'Bundle-Sekr1t-4242',
  })
  assert.is(offline.code, 1, offline.show)
  assert.match(offline.stderr, /^credentials: the environment \(AWS_ACCESS_KEY_ID\); region: \(from the profile\); endpoint http:\/\/127\.0\.0\.1:9$/m)
  assert.match(offline.stderr, /^Note: no AWS region in the environment \(AWS_REGION, the profile\): using the plan's, us-east-1$/m)
  const last = offline.stderr.trimEnd().split('\n').at(-1)!
  assert.match(last, /^Error: /, offline.show)
  assert.not.match(offline.stderr, /\n\s+at /)
  assert.not.ok(offline.stderr.includes('Bundle-Sekr1t-4242'))

  // a mounted ~/.aws whose profile assumes a role with MFA, read as the CLI reads it: with no code and no terminal, one line
  writeFileSync(join(home, 'config'), '[profile staging]\nregion = us-east-1\nrole_arn = arn:aws:iam::123456789012:role/refresh\nmfa_serial = arn:aws:iam::123456789012:mfa/me\nsource_profile = base\n')
  writeFileSync(join(home, 'credentials'), '[base]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n')
  const mfa = run(['converge', '--mode', 'clone'], { ...env, AWS_PROFILE: 'staging', AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', MITOSIS_DB_PASSWORD: 'Bundle-Sekr1t-4242' })
  assert.ok(mfa.code !== 0, mfa.show)
  const mfaLast = mfa.stderr.trimEnd().split('\n').at(-1)!
  assert.match(mfaLast, /^Error: .*MFA/, mfa.show)
  assert.not.match(mfa.stderr, /\n\s+at /)
})

test('node mitosis.mjs converge: SIGTERM while the world is being read (no apply listening yet) ends it at once with 143', async () => {
  const root = await iniRoot(simulate(auroraWorld()))
  const home = tmp()
  // an endpoint that accepts and never answers: the converge waits in its first describe
  const server = createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  try {
    const child = spawn(process.execPath, [program, 'converge', '--mode', 'clone'], {
      env: cleanEnv({ MITOSIS_ARTIFACT_ROOT: root.dir, HOME: home, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example', AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), MITOSIS_DB_PASSWORD: 'Bundle-Sekr1t-4242' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
    // once it has said what it converges, it is reading the world
    while (!stderr.includes('credentials:')) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 300))
    const sent = Date.now()
    child.kill('SIGTERM')
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
    assert.equal([code, signal], [143, null], stderr)
    assert.ok(Date.now() - sent < 2_000, 'it ended at once')
  } finally {
    server.closeAllConnections()
    server.close()
  }
})

test('mitosis artifact build with the default entry: the program in the image reads the files the build wrote', async () => {
  const work = tmp()
  const config = join(work, 'artifact.ini')
  writeFileSync(config, INI)
  const out = join(work, 'image')
  const built = await cli(['artifact', 'build', config, '--simulate', auroraFixture(), '--base-image', writeBases().ociDir, '--output', 'oci-dir', '--out', out], cleanEnv())
  assert.is(built.code, 0, show(built))
  // the image's /mitosis, from its last two layers
  const root = join(work, 'root')
  for (const layer of readBaseImage(`oci:${out}`).layers.slice(-2)) {
    for (const e of readTar(isGzip(layer.blob) ? gunzip(layer.blob) : layer.blob)) {
      if (e.type !== 'file' || !e.path.startsWith('mitosis/')) continue
      const path = join(root, e.path.slice('mitosis/'.length))
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, e.data)
    }
  }
  const env = cleanEnv({ MITOSIS_ARTIFACT_ROOT: root, HOME: work })
  const inImage = join(root, 'mitosis.mjs')
  const version = run(['--version'], env, inImage)
  assert.is(version.code, 0, version.show)
  assert.match(version.stdout, /^mitosis \S+ .*\nartifact: shop-prod → shop-staging in us-east-1, modes clone, plan sha256:/)
  for (const [args, file] of [[['plan'], 'plans.txt'], [['plan', '--json'], 'plans.json'], [['plan', '--format', 'mermaid'], 'plans.mmd']] as const) {
    const r = run(args, env, inImage)
    assert.is(r.code, 0, r.show)
    assert.is(r.stdout, readFileSync(join(root, file), 'utf8'), args.join(' '))
  }
  const manifest = run(['manifest', 'kubernetes'], env, inImage)
  assert.is(manifest.code, 0, manifest.show)
  assert.match(manifest.stdout, /^ +image: "example\/db-artifact:1"$/m)
  const policy = run(['iam-policy'], env, inImage)
  assert.is(policy.code, 0, policy.show)
  assert.is(JSON.parse(policy.stdout).Version, '2012-10-17')
})

test.run()
