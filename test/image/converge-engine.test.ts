/**
 * `mitosis artifact converge` with a real engine: the stock docker CLI on the private podman's socket runs a probe
 * image (USER 10001, like an artifact) in place of the artifact's program. What the fake engine of
 * test/artifact/converge-host.test.ts cannot show: the container really reads the user's 0600 credentials through the
 * read-only mount (it runs as the host user), gets AWS_PROFILE/AWS_REGION, the password on its stdin and nowhere in
 * its environment, and its exit code comes back. The exit code is checked through podman itself (a wrapper adding the
 * private instance's flags): podman's Docker API before 4.6 answers the docker CLI's `wait?condition=removed` (what
 * `docker run --rm` asks) with 0 whatever the container's code (containers/podman#18889), and Debian 12 has 4.3.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cli, show } from '../support/cli.js'
import { docker, makeNodeBase, podmanOnPath, startPodman, whenPodmanAvailable, type Podman } from '../support/podman.js'

const PASSWORD = 'Real-Engine-Pw-5521'
let podman: Podman | undefined
const dirs: string[] = []

const probe = `import { readFileSync, writeFileSync } from 'node:fs'
const chunks = []
for await (const c of process.stdin) chunks.push(c)
let credentials
try { credentials = readFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE, 'utf8') } catch (e) { credentials = e.code }
let write
try { writeFileSync('/aws/probe', 'x'); write = 'written' } catch (e) { write = e.code }
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AWS_')))
const passwordInEnv = Object.values(process.env).some((v) => v.includes(${JSON.stringify(PASSWORD)}))
console.log(JSON.stringify({ args: process.argv.slice(2), uid: process.getuid(), stdin: Buffer.concat(chunks).toString(), credentials, write, env, passwordInEnv }))
process.exit(process.argv.includes('create') ? 3 : 0)
`

whenPodmanAvailable('converge with a real engine', () => {
  test.after(async () => {
    await podman?.stop()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  test('the container reads the 0600 credentials read-only, gets the profile, region and the password on stdin; its exit code comes back', async () => {
    podman = await startPodman()
    await makeNodeBase(podman, 'localhost/node-base:test')
    const ctx = mkdtempSync(join(tmpdir(), 'mitosis-converge-ctx-'))
    dirs.push(ctx)
    writeFileSync(join(ctx, 'probe.mjs'), probe)
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM localhost/node-base:test\nCOPY probe.mjs /probe.mjs\nUSER 10001\nENTRYPOINT ["/usr/local/bin/node", "/probe.mjs"]\n')
    const built = await docker(podman, ['build', '-q', '-t', 'localhost/probe:test', ctx])
    assert.is(built.code, 0, built.stderr)

    const aws = join(ctx, 'aws')
    mkdirSync(aws, { mode: 0o700 })
    writeFileSync(join(aws, 'config'), '[profile staging]\nregion = eu-west-1\n', { mode: 0o600 })
    writeFileSync(join(aws, 'credentials'), '[staging]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = fake\n', { mode: 0o600 })
    const env = { ...podman.env }
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k]
    const args = ['artifact', 'converge', '--engine', 'docker', '--image', 'localhost/probe:test', '--aws-dir', aws, '--profile', 'staging', '--region', 'eu-west-1', '--db-password-stdin']
    const r = await cli(args, env, 180_000, `${PASSWORD}\n`)
    assert.is(r.code, 0, show(r))
    const seen = JSON.parse(r.stdout)
    assert.equal(seen.args, ['converge', '--mode', 'clone', '--db-password-stdin'])
    assert.is(seen.uid, process.getuid!())
    assert.is(seen.stdin, PASSWORD)
    assert.is(seen.passwordInEnv, false)
    assert.match(seen.credentials, /^\[staging\]/)
    assert.is(seen.write, 'EROFS', 'the AWS directory is mounted read-only')
    assert.equal(seen.env, { AWS_CONFIG_FILE: '/aws/config', AWS_SHARED_CREDENTIALS_FILE: '/aws/credentials', AWS_PROFILE: 'staging', AWS_REGION: 'eu-west-1' })

    // podman itself, on the private instance: the same observations, and the container's exit code
    const viaPodman = { ...env, PATH: podmanOnPath(podman, ctx)['PATH'] ?? '' }
    const podmanArgs = args.map((a) => (a === 'docker' ? 'podman' : a))
    const p = await cli(podmanArgs, viaPodman, 180_000, `${PASSWORD}\n`)
    assert.is(p.code, 0, show(p))
    const seenByPodman = JSON.parse(p.stdout)
    assert.equal({ ...seenByPodman, uid: undefined }, { ...seen, uid: undefined })
    const stale = await cli([...podmanArgs.slice(0, -1), '--mode', 'create'], viaPodman, 180_000)
    assert.is(stale.code, 3, show(stale))
  })
})

test.run()
