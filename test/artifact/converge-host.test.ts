/**
 * The host side of converge (`mitosis artifact converge`, `db-artifact-converge`) against a fake engine: `docker`
 * and `podman` on a PATH of their own, small scripts that record their argv, their environment and their stdin,
 * then exit with the code the test picks. What a user would notice: the exact command run, the password only on
 * stdin, the credentials mounted read-only, the exit code passed on, one line when something is missing.
 */
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { convergeInvocation, prepareConverge, runConverge, type Host, type InvocationOptions } from '../../src/artifact/run.js'
import { cleanEnv, cli, show, startCli, type Run } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'

const PASSWORD = 'Conv3rge-Secret-Never-In-Argv-7319'
const root = mkdtempSync(join(tmpdir(), 'mitosis-converge-host-'))
const home = join(root, 'home')
const aws = join(home, '.aws')
mkdirSync(aws, { recursive: true })
writeFileSync(join(aws, 'config'), '[default]\nregion = us-east-1\n\n[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/ops\nmfa_serial = arn:aws:iam::123456789012:mfa/me\nsource_profile = default\n')
writeFileSync(join(aws, 'credentials'), '[default]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n', { mode: 0o600 })
const passwordFile = join(root, 'pw')
writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 })

/** Where the fakes log: one JSON line per invocation, in <log>/<engine>.jsonl. */
const logs = join(root, 'logs')
const fake = `#!${process.execPath}
const fs = require('node:fs'), path = require('node:path')
const log = path.join(process.env.FAKE_LOG, path.basename(process.argv[1]) + '.jsonl')
const argv = process.argv.slice(2)
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AWS_') || k.startsWith('MITOSIS_')))
const values = Object.values(process.env)
fs.mkdirSync(process.env.FAKE_LOG, { recursive: true })
if (argv[0] === 'image') {
  fs.appendFileSync(log, JSON.stringify({ argv, env, values }) + '\\n')
  if (process.env.FAKE_NO_DAEMON === '1') process.stderr.write('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\\n')
  else if (process.env.FAKE_NO_IMAGE === '1') process.stderr.write('Error: No such image: ' + argv[2] + '\\n')
  process.exit(process.env.FAKE_NO_IMAGE === '1' || process.env.FAKE_NO_DAEMON === '1' ? 1 : 0)
}
const finish = (input) => {
  const record = { argv, env, values, input }
  const mount = argv.find((a) => a.endsWith(':/run/secrets/db-password:ro'))
  if (mount !== undefined) {
    const file = mount.slice(0, mount.indexOf(':'))
    record.secret = { file, text: fs.readFileSync(file, 'utf8'), mode: fs.statSync(file).mode & 0o777, dirMode: fs.statSync(path.dirname(file)).mode & 0o777 }
  }
  if (process.env.FAKE_HANG === '1') process.on('SIGTERM', () => { fs.appendFileSync(log + '.signals', 'SIGTERM\\n'); process.exit(143) })
  fs.appendFileSync(log, JSON.stringify(record) + '\\n')
  process.stdout.write('converge output from the container\\n')
  if (process.env.FAKE_STDERR) process.stderr.write(process.env.FAKE_STDERR + '\\n')
  if (process.env.FAKE_HANG === '1') setInterval(() => undefined, 1000)
  else process.exit(Number(process.env.FAKE_EXIT || 0))
}
if (argv.includes('-t')) finish(null)
else { let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => finish(s)) }
`
const binDir = (name: string, engines: ReadonlyArray<string>): string => {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  for (const e of engines) {
    writeFileSync(join(dir, e), fake)
    chmodSync(join(dir, e), 0o755)
  }
  return dir
}
const bothEngines = binDir('both', ['docker', 'podman'])
const podmanOnly = binDir('podman-only', ['podman'])
const noEngine = binDir('none', [])

interface Record_ {
  readonly argv: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly values: ReadonlyArray<string>
  readonly input: string | null
  readonly secret?: { readonly file: string; readonly text: string; readonly mode: number; readonly dirMode: number }
}
const records = (engine: string): ReadonlyArray<Record_> => {
  const file = join(logs, `${engine}.jsonl`)
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record_) : []
}
const runs = (engine: string) => records(engine).filter((r) => r.argv[0] === 'run')
const onlyRun = (engine: string, r: Run): Record_ => {
  const all = runs(engine)
  assert.is(all.length, 1, `expected one ${engine} run\n${show(r)}`)
  return all[0]!
}

const env = (extra: Readonly<Record<string, string>> = {}, path = bothEngines) => cleanEnv({ PATH: path, HOME: home, FAKE_LOG: logs, ...extra })
const mitosis = (args: ReadonlyArray<string>, extra: Readonly<Record<string, string>> = {}, input?: string, path = bothEngines) =>
  cli(['artifact', 'converge', ...args], env(extra, path), 60_000, input)

/** bin/db-artifact-converge.js as a user runs it. */
const seed = (args: ReadonlyArray<string>, extra: Readonly<Record<string, string>> = {}, input?: string): Promise<Run> =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = execFile(process.execPath, [join(repoRoot, 'bin', 'db-artifact-converge.js'), ...args], { env: env(extra), encoding: 'utf8', timeout: 60_000 }, (_e, stdout, stderr) =>
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr, ms: Date.now() - started }),
    )
    child.stdin?.end(input)
  })

const uid = process.getuid!()
const gid = process.getgid!()
const user = (engine: string) => (engine === 'podman' && uid !== 0 ? ['--userns=keep-id', '--user', `${uid}:${gid}`] : ['--user', `${uid}:${gid}`])

/** No password anywhere but stdin: not in the engine's argv, not in any of its environment's values. */
const passwordOnlyOnStdin = (rec: Record_, r: Run): void => {
  assert.ok(!rec.argv.some((a) => a.includes(PASSWORD)), `password in argv\n${show(r)}`)
  assert.ok(!rec.values.some((v) => v.includes(PASSWORD)), `password in the engine's environment\n${show(r)}`)
  assert.is(rec.input, PASSWORD)
}

test.before.each(() => rmSync(logs, { recursive: true, force: true }))

test('the engine runs the image with ~/.aws read-only, the profile and region by name, the password on stdin', async () => {
  const r = await mitosis(['--profile', 'staging', '--region', 'eu-west-1', '--db-password-stdin', '--replan'], {}, `${PASSWORD}\n`)
  assert.is(r.code, 0, show(r))
  const rec = onlyRun('docker', r)
  assert.equal(rec.argv, [
    'run',
    '--rm',
    '-i',
    ...user('docker'),
    '-v',
    `${aws}:/aws:ro`,
    '-e',
    'AWS_CONFIG_FILE=/aws/config',
    '-e',
    'AWS_SHARED_CREDENTIALS_FILE=/aws/credentials',
    '-e',
    'AWS_PROFILE',
    '-e',
    'AWS_REGION',
    'db-artifact:latest',
    'converge',
    '--mode',
    'clone',
    '--replan',
    '--db-password-stdin',
  ])
  // by name in argv, by value in the engine's environment
  assert.is(rec.env['AWS_PROFILE'], 'staging')
  assert.is(rec.env['AWS_REGION'], 'eu-west-1')
  passwordOnlyOnStdin(rec, r)
  assert.is(r.stdout, 'converge output from the container\n', 'the container output streams through')
  assert.is(r.stderr, '')
})

test('no password: no password flag, an empty stdin; unset AWS_PROFILE/AWS_REGION are not passed; --image, --mode and --network as given', async () => {
  const r = await mitosis(['--image', 'registry.example.com/team/db-artifact:v2', '--mode', 'create', '--network', 'host'])
  assert.is(r.code, 0, show(r))
  const rec = onlyRun('docker', r)
  assert.equal(rec.argv, [
    'run',
    '--rm',
    '-i',
    '--network',
    'host',
    ...user('docker'),
    '-v',
    `${aws}:/aws:ro`,
    '-e',
    'AWS_CONFIG_FILE=/aws/config',
    '-e',
    'AWS_SHARED_CREDENTIALS_FILE=/aws/credentials',
    'registry.example.com/team/db-artifact:v2',
    'converge',
    '--mode',
    'create',
  ])
  assert.is(rec.input, '')
  assert.is(records('docker').length, 1, 'a registry reference is left to the engine to pull: no local image check')
})

test('AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL* already in the environment are passed by name', async () => {
  const r = await mitosis(['--db-password-file', passwordFile], { AWS_PROFILE: 'ops', AWS_REGION: 'us-west-2', AWS_ENDPOINT_URL_RDS: 'http://127.0.0.1:5000', AWS_SECRET_ACCESS_KEY: 'not-passed' })
  assert.is(r.code, 0, show(r))
  const rec = onlyRun('docker', r)
  const named = rec.argv.flatMap((a, i) => (rec.argv[i - 1] === '-e' ? [a] : []))
  assert.equal(named, ['AWS_CONFIG_FILE=/aws/config', 'AWS_SHARED_CREDENTIALS_FILE=/aws/credentials', 'AWS_PROFILE', 'AWS_REGION', 'AWS_ENDPOINT_URL_RDS'])
  assert.is(rec.env['AWS_PROFILE'], 'ops')
  assert.is(rec.argv.at(-1), '--db-password-stdin', 'a password file is read here and sent over stdin')
  passwordOnlyOnStdin(rec, r)
})

for (const code of [0, 1, 3]) {
  test(`the container's exit ${code} is the command's, with nothing added to what it said`, async () => {
    const r = await mitosis([], { FAKE_EXIT: String(code), FAKE_STDERR: `inside: exit ${code}` })
    assert.is(r.code, code, show(r))
    assert.is(r.stderr, `inside: exit ${code}\n`, show(r))
  })
}

test('a missing engine: one line, exit 2, nothing run', async () => {
  const r = await mitosis(['--db-password-file', passwordFile], {}, undefined, noEngine)
  assert.is(r.code, 2, show(r))
  assert.is(r.stderr, 'Error: neither docker nor podman is on PATH; install one of them to run the artifact\n')
  const asked = await mitosis(['--engine', 'docker'], {}, undefined, podmanOnly)
  assert.is(asked.code, 2, show(asked))
  assert.match(asked.stderr, /^Error: docker is not on PATH[^\n]*\n$/)
  assert.equal(records('podman'), [])
})

test('a missing ~/.aws, an unreadable password file, a local image the engine lacks: one line, exit 2, nothing run', async () => {
  const noAws = await cli(['artifact', 'converge'], cleanEnv({ PATH: bothEngines, HOME: join(root, 'nowhere'), FAKE_LOG: logs }))
  assert.is(noAws.code, 2, show(noAws))
  assert.match(noAws.stderr, /^Error: \S+nowhere\/\.aws: no AWS configuration there[^\n]*\n$/)
  const badFile = await mitosis(['--db-password-file', join(root, 'missing-pw')])
  assert.is(badFile.code, 2, show(badFile))
  assert.match(badFile.stderr, /^Error: --db-password-file \S+missing-pw: cannot read: ENOENT\n$/)
  const noImage = await mitosis([], { FAKE_NO_IMAGE: '1' })
  assert.is(noImage.code, 2, show(noImage))
  assert.is(noImage.stderr, 'Error: image db-artifact:latest: docker does not have it (build it with `mitosis artifact build`, or give --image)\n')
  const noDaemon = await mitosis([], { FAKE_NO_DAEMON: '1' })
  assert.is(noDaemon.code, 2, show(noDaemon))
  assert.match(noDaemon.stderr, /^Error: docker cannot say whether it has image db-artifact:latest: Cannot connect to the Docker daemon[^\n]*--engine podman\)\n$/)
  assert.equal(runs('docker'), [])
})

test("the engine's own 'Unable to find image' (exit 125) is exit 2 with one line of ours", async () => {
  const r = await mitosis(['--image', 'registry.example.com/db-artifact:gone'], { FAKE_EXIT: '125', FAKE_STDERR: "Unable to find image 'registry.example.com/db-artifact:gone' locally" })
  assert.is(r.code, 2, show(r))
  assert.match(r.stderr, /\nError: image registry\.example\.com\/db-artifact:gone: not found by docker[^\n]*\n$/)
})

test('--engine podman runs podman; with only podman on PATH it is chosen', async () => {
  const r = await mitosis(['--engine', 'podman', '--db-password-stdin'], {}, PASSWORD)
  assert.is(r.code, 0, show(r))
  const rec = onlyRun('podman', r)
  assert.equal(runs('docker'), [])
  assert.equal(rec.argv.slice(0, 3 + user('podman').length), ['run', '--rm', '-i', ...user('podman')])
  passwordOnlyOnStdin(rec, r)
  rmSync(logs, { recursive: true, force: true })
  const found = await mitosis([], {}, undefined, podmanOnly)
  assert.is(found.code, 0, show(found))
  onlyRun('podman', found)
})

test("db-artifact-converge: the seed's flags give the same invocation; --db_password and --db_username warn", async () => {
  const ours = await mitosis(['--profile', 'qa', '--image', 'db-artifact:v1', '--mode', 'create', '--aws-dir', aws, '--db-password-stdin'], {}, PASSWORD)
  assert.is(ours.code, 0, show(ours))
  const expected = onlyRun('docker', ours).argv
  for (const createMode of [['--create_mode', 'create'], ['--create_mode']]) {
    rmSync(logs, { recursive: true, force: true })
    const r = await seed(['--aws_profile', 'qa', '--aws_credentials', join(aws, 'credentials'), '--docker_image', 'db-artifact:v1', ...createMode, '--db_username', 'admin', '--db_password', PASSWORD])
    assert.is(r.code, 0, show(r))
    const rec = onlyRun('docker', r)
    assert.equal(rec.argv, expected)
    assert.is(rec.env['AWS_PROFILE'], 'qa')
    assert.is(rec.input, PASSWORD, 'the password goes on over stdin')
    assert.ok(!rec.values.some((v) => v.includes(PASSWORD)))
    assert.match(r.stderr, /^Warning: --db_password puts the password in the arguments of this command, which other users of this machine can see/)
    assert.match(r.stderr, /\nWarning: --db_username is ignored: the master username comes from the plan/)
  }
  rmSync(logs, { recursive: true, force: true })
  const exit = await seed(['--create_mode', 'clone', '--db_password_stdin'], { FAKE_EXIT: '3' }, PASSWORD)
  assert.is(exit.code, 3, show(exit))
  assert.is(exit.stderr, '')
  assert.is(onlyRun('docker', exit).argv.at(-2), 'clone')
  const bad = await seed(['--create_mode', 'sometimes'])
  assert.is(bad.code, 2, show(bad))
  assert.is(bad.stderr, 'Error: --create_mode must be create or clone, got "sometimes"\n')
})

test('an MFA profile: the code by name when given; without a terminal to type it on, one line, exit 2', async () => {
  const piped = await mitosis(['--profile', 'mfa', '--db-password-stdin'], {}, PASSWORD)
  assert.is(piped.code, 2, show(piped))
  assert.match(piped.stderr, /^Error: profile mfa needs an MFA code typed on a terminal, and stdin carries the password[^\n]*\n$/)
  const none = await mitosis(['--profile', 'mfa'])
  assert.is(none.code, 2, show(none))
  assert.match(none.stderr, /^Error: profile mfa needs an MFA code and there is no terminal to type it on[^\n]*\n$/)
  assert.equal(runs('docker'), [])
  const coded = await mitosis(['--profile', 'mfa', '--mfa-code', '123456', '--db-password-stdin'], {}, PASSWORD)
  assert.is(coded.code, 0, show(coded))
  const rec = onlyRun('docker', coded)
  assert.ok(rec.argv.includes('MITOSIS_MFA_CODE') && !rec.argv.includes('-t'), rec.argv.join(' '))
  assert.is(rec.env['MITOSIS_MFA_CODE'], '123456')
})

test('SIGTERM reaches the engine once; the command exits with its 143', async () => {
  const started = startCli(['artifact', 'converge'], env({ FAKE_HANG: '1' }))
  for (let i = 0; i < 200 && runs('docker').length === 0; i++) await new Promise((r) => setTimeout(r, 50))
  assert.is(runs('docker').length, 1, 'the engine started')
  started.child.kill('SIGTERM')
  const r = await started.done
  assert.is(r.code, 143, show(r))
  assert.is(readFileSync(join(logs, 'docker.jsonl.signals'), 'utf8'), 'SIGTERM\n')
})

const options = (o: Partial<InvocationOptions>): InvocationOptions => ({
  engine: 'docker',
  image: 'db-artifact:latest',
  mode: 'clone',
  replan: false,
  awsDir: '/home/u/.aws',
  configFile: 'config',
  credentialsFile: 'credentials',
  passByName: ['AWS_PROFILE'],
  tty: false,
  user: ['--user', '1000:1000'],
  ...o,
})

test('with a terminal (-t) the password is a read-only mounted file, not stdin', () => {
  const inv = convergeInvocation(options({ tty: true, password: PASSWORD, passwordFile: '/tmp/x/db-password' }))
  assert.is(inv.tty, true)
  assert.is(inv.stdinPassword, undefined)
  assert.equal(inv.args.slice(0, 4), ['run', '--rm', '-i', '-t'])
  assert.ok(inv.args.join(' ').includes('-v /tmp/x/db-password:/run/secrets/db-password:ro'))
  assert.equal(inv.args.slice(-2), ['--db-password-file', '/run/secrets/db-password'])
  assert.ok(!inv.args.some((a) => a.includes(PASSWORD)))
})

const host = (o: Partial<Host>): Host => ({
  env: { PATH: bothEngines, HOME: home, FAKE_LOG: logs },
  stdinIsTTY: false,
  readStdin: async () => PASSWORD,
  uid,
  gid,
  ...o,
})

test('an MFA profile on a terminal gets -t; the password file is private, readable while the container runs, then gone', async () => {
  const prepared = await prepareConverge({ image: 'db-artifact:latest', mode: 'clone', profile: 'mfa', password: { from: 'file', path: passwordFile } }, host({ stdinIsTTY: true }))
  assert.ok(E.isRight(prepared) && prepared.right.options.tty)
  const result = await runConverge({ image: 'db-artifact:latest', mode: 'clone', profile: 'mfa', password: { from: 'file', path: passwordFile } }, host({ stdinIsTTY: true }))
  assert.is(result.code, 0)
  const [rec] = runs('docker')
  assert.ok(rec!.argv.includes('-t'))
  assert.equal(rec!.secret && { text: rec!.secret.text, mode: rec!.secret.mode, dirMode: rec!.secret.dirMode }, { text: PASSWORD, mode: 0o600, dirMode: 0o700 })
  assert.ok(!existsSync(rec!.secret!.file), 'removed after the run')
  assert.ok(!rec!.argv.some((a) => a.includes(PASSWORD)) && !rec!.values.some((v) => v.includes(PASSWORD)))
  const stdinOnTerminal = await prepareConverge({ image: 'x', mode: 'clone', password: { from: 'stdin' } }, host({ stdinIsTTY: true }))
  assert.equal(stdinOnTerminal, E.left('--db-password-stdin: stdin is a terminal; pipe the password in (or use --db-password-file)'))
})

test.after(() => rmSync(root, { recursive: true, force: true }))

test.run()
