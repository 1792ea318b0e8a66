/**
 * bin/run.js on a Node older than 22 (the machine's own, /usr/bin/node on these machines and on CI): it runs the
 * bundled Node 24 as its child and forwards the signals it gets, so `kill PID` of the wrapper ends the real process
 * too instead of leaving it to finish the clone alone. Without an old Node the suite fails under CI and is skipped
 * elsewhere (serverTestsAvailable).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cleanEnv } from '../support/cli.js'
import { repoRoot } from '../support/fixtures.js'
import { serverTestsAvailable } from '../support/servers.js'

/** A Node executable older than 22 on this machine (not the bundled one), if there is one. */
const oldNode = (): string | undefined => {
  const onPath = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '' && !d.includes('node_modules')).map((d) => join(d, 'node'))
  for (const candidate of new Set([...onPath, '/usr/bin/node', '/usr/local/bin/node'])) {
    if (!existsSync(candidate)) continue
    const r = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10_000 })
    const major = Number((r.stdout ?? '').split('.')[0])
    if (r.status === 0 && major > 0 && major < 22) return candidate
  }
  return undefined
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check` every 50 ms until it holds or `ms` have passed; whether it held. */
const within = async (ms: number, check: () => boolean): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (check()) return true
  return check()
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const readPid = (file: string): number | undefined => {
  try {
    const text = readFileSync(file, 'utf8')
    return text.endsWith('\n') && /^\d+\n$/.test(text) ? Number(text) : undefined
  } catch {
    return undefined
  }
}

const node = oldNode()
const available = serverTestsAvailable(test, node === undefined ? 'no Node older than 22 on this machine (bin/run.js hands over to the bundled Node 24 only there)' : undefined, {
  needs: 'a Node older than 22',
  skipping: "bin/run.js's signal forwarding tests",
  skipped: 'bin/run.js forwards SIGTERM to the real process',
})

if (available && node !== undefined) {
  let dir: string | undefined
  let wrapper: ChildProcess | undefined
  const leftovers: number[] = []

  test.after.each(() => {
    // whatever happened: the hook's process group (its sleep), the real process, the wrapper
    const group = dir === undefined ? undefined : readPid(join(dir, 'group'))
    if (group !== undefined) {
      try {
        process.kill(-group, 'SIGKILL')
      } catch {
        // gone already
      }
    }
    for (const pid of leftovers.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL')
    if (wrapper?.exitCode === null && wrapper.signalCode === null) wrapper.kill('SIGKILL')
    wrapper = undefined
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  test(`bin/run.js under Node ${spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()}: SIGTERM to the wrapper ends the real process too; the wrapper exits 143`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'mitosis-run-wrapper-'))
    const pidFile = join(dir, 'pid')
    const groupFile = join(dir, 'group')
    const hook = `echo $$ > '${groupFile}'; echo $PPID > '${pidFile}'; sleep 30`
    const args = ['--simulate', 'fixtures/demo.json', '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--yes', '--restart', hook]
    let output = ''
    const started = spawn(node, [join(repoRoot, 'bin', 'run.js'), ...args], { cwd: repoRoot, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    wrapper = started
    started.stdout.on('data', (c: Buffer) => (output += c.toString()))
    started.stderr.on('data', (c: Buffer) => (output += c.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => started.on('exit', (code, signal) => resolve({ code, signal })))

    // the hook runs once the clone has swapped the trees (in fast-forward on the simulator)
    assert.ok(await within(30_000, () => readPid(pidFile) !== undefined), `the hook never ran:\n${output}`)
    const real = readPid(pidFile)!
    leftovers.push(real)
    assert.is.not(real, started.pid, 'the hook\'s parent is the real process, not the wrapper')
    assert.ok(alive(real), 'the real process is running the hook')

    started.kill('SIGTERM')
    const ended = await Promise.race([exited, sleep(5_000).then(() => undefined)])
    assert.ok(ended !== undefined, `the wrapper did not exit within 5 s of SIGTERM:\n${output}`)
    assert.equal(ended, { code: 143, signal: null }, `the wrapper exits 143 (128 + SIGTERM):\n${output}`)
    assert.ok(await within(5_000, () => !alive(real)), `the real process (${real}) still runs after the wrapper got SIGTERM:\n${output}`)
  })
}

test.run()
