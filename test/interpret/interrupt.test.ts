/**
 * Signals stop everything: Ctrl-C or SIGTERM while the restart hook runs ends the hook's process group,
 * sends no further call, says where the run stopped and exits 130 / 143; a second Ctrl-C exits at once.
 * An interrupted run (during its waits, during the hook) is finished by running the same command again.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import type { CloneRequest } from '../../src/plan/clone/clone.js'
import { renderApplyFailure } from '../../src/interpret/apply.js'
import { HOOK_GRACE_MS, processShell } from '../../src/interpret/shell.js'
import type { Shell } from '../../src/interpret/capabilities.js'
import { simulate, type Simulator } from '../../src/sim/simulator.js'
import { fixture, fixturePath } from '../support/fixtures.js'
import { startCli, show } from '../support/cli.js'
import { run, type Ran } from '../support/apply.js'

const dir = mkdtempSync(join(tmpdir(), 'mitosis-interrupt-'))
const groups: number[] = []

test.after(() => {
  // whatever a failed test left running goes
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL')
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true })
})

const alive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

const waitFor = async (what: () => boolean, ms: number): Promise<boolean> => {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (what()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return what()
}

/** The demo applied by the CLI on the simulator with a hook that writes its process group and then sleeps. */
const startWithHook = (name: string, hook: string) => {
  const pidFile = join(dir, `${name}.pid`)
  const started = startCli(
    ['--simulate', fixturePath('demo'), '--source', 'mitosis-prod', '--target', 'mitosis-demo', '--yes', '--restart', `echo $$ > ${pidFile}; ${hook}`],
    undefined,
    60_000,
  )
  const hookGroup = async (): Promise<number> => {
    assert.ok(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 30_000), 'the hook never started')
    const pgid = Number(readFileSync(pidFile, 'utf8').trim())
    groups.push(pgid)
    return pgid
  }
  return { ...started, hookGroup }
}

const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? ''

test('Ctrl-C while the hook runs: the hook\'s process group is ended, one line says where the run stopped, exit 130', async () => {
  const cli = startWithHook('sigint', 'sleep 300; echo finished')
  const pgid = await cli.hookGroup()
  assert.ok(alive(pgid))
  cli.child.kill('SIGINT')
  const r = await cli.done
  assert.is(r.code, 130, show(r))
  assert.is(lastLine(r.stderr), 'interrupted at step 12 (0 under way); re-run the same command to go on', show(r))
  assert.not.match(r.stderr, /at .*\.js:\d+/, 'no stack trace')
  assert.ok(await waitFor(() => !alive(pgid), 2000), 'the hook is still running')
  // the hook's own echo never came, and no step after it started
  assert.not.match(r.stdout, /^finished$|start +1[3-6]\/16/m, 'something after the hook ran')
})

test('SIGTERM while the hook runs: a hook that ignores SIGTERM is killed after the grace period; exit 143', async () => {
  const cli = startWithHook('sigterm', 'trap "" TERM; sleep 300')
  const pgid = await cli.hookGroup()
  const sent = Date.now()
  cli.child.kill('SIGTERM')
  const r = await cli.done
  assert.is(r.code, 143, show(r))
  assert.ok(Date.now() - sent >= HOOK_GRACE_MS - 500, `exited after ${Date.now() - sent} ms, before the grace period`)
  assert.is(lastLine(r.stderr), 'interrupted at step 12 (0 under way); re-run the same command to go on', show(r))
  assert.ok(await waitFor(() => !alive(pgid), 2000), 'the hook is still running')
})

test('a second Ctrl-C exits at once, and the hook goes with it', async () => {
  const cli = startWithHook('twice', 'trap "" TERM; sleep 300')
  const pgid = await cli.hookGroup()
  const sent = Date.now()
  cli.child.kill('SIGINT')
  await new Promise((r) => setTimeout(r, 300))
  cli.child.kill('SIGINT')
  const r = await cli.done
  assert.is(r.code, 130, show(r))
  assert.ok(Date.now() - sent < HOOK_GRACE_MS - 1000, `took ${Date.now() - sent} ms`)
  assert.ok(await waitFor(() => !alive(pgid), 2000), 'the hook is still running')
})

test('processShell: an aborted command and what it started are ended (SIGTERM, then SIGKILL after the grace period)', async () => {
  const pidFile = join(dir, 'shell.pid')
  const abort = new AbortController()
  const result = processShell.run(`echo $$ > ${pidFile}; sleep 300 & sleep 300; wait`, {}, () => undefined, 60_000, abort.signal)
  assert.ok(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 10_000))
  const pgid = Number(readFileSync(pidFile, 'utf8').trim())
  groups.push(pgid)
  abort.abort()
  const r = await result
  assert.is.not(r.code, 0)
  assert.ok(await waitFor(() => !alive(pgid), 2000), 'the background sleep is still running')
})

// ---- on the library: interrupted in a wait or in the hook, then the same command again

const CASES: ReadonlyArray<readonly [string, CloneRequest]> = [
  ['demo', { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' }],
  ['mysql-cascade', { source: 'shop-prod', target: 'shop-staging', restart: './restart.sh' }],
  ['postgres', { source: 'billing-prod', target: 'billing-qa', restart: 'true' }],
  ['cross-vpc', { source: 'ledger-prod', target: 'ledger-sandbox', restart: 'true' }],
  ['aurora', { source: 'shop-prod', target: 'shop-staging', restart: 'true' }],
]

const world = (sim: Simulator) => {
  const env = sim.environment()
  const clusters = (env.clusters ?? []).map((c) => `${c.DBClusterIdentifier} ${c.Status} ${sim.dataOf(c.DBClusterIdentifier)}`).sort()
  const instances = env.instances.map((i) => `${i.DBInstanceIdentifier} ${i.DBInstanceStatus} <${i.ReadReplicaSourceDBInstanceIdentifier ?? ''} ${i.DBInstanceClass} ${sim.dataOf(i.DBInstanceIdentifier)}`).sort()
  return { clusters, instances }
}

const mutatingAfter = (sim: Simulator, at: number) => sim.calls().filter((c) => c.at > at && c.outcome === 'ok' && !/^(Describe|List|ram:)/.test(c.action))

/** Aborted at the `sleeps`-th wait: what the interrupted run returned, when it was aborted, and the sim. */
const interruptedInWait = async (name: string, req: CloneRequest, sleeps: number) => {
  const sim = simulate(fixture(name))
  const abort = new AbortController()
  let count = 0
  let abortedAt = Number.POSITIVE_INFINITY
  const clock = {
    ...sim.clock,
    sleep: async (ms: number) => {
      if (++count === sleeps) {
        abortedAt = sim.clock.now()
        abort.abort()
      }
      return sim.clock.sleep(ms)
    },
  }
  const ran = await run(sim, req, { clock, signal: abort.signal })
  return { sim, ran, abortedAt }
}

const finishes = (ran: Ran, label: string) =>
  assert.ok(E.isRight(ran.result), `${label}: ${E.isLeft(ran.result) ? renderApplyFailure(ran.result.left, ran.plan) : ''}`)

for (const [name, req] of CASES) {
  test(`${name}: interrupted during its waits, it stops sending at once; the same command finishes it as an uninterrupted run does`, async () => {
    const whole = simulate(fixture(name))
    finishes(await run(whole, req), 'uninterrupted')
    const expected = world(whole)
    for (const sleeps of [1, 4, 12, 30, 60]) {
      const { sim, ran, abortedAt } = await interruptedInWait(name, req, sleeps)
      if (E.isRight(ran.result)) continue
      assert.is(ran.result.left._tag, 'Interrupted', renderApplyFailure(ran.result.left, ran.plan))
      assert.equal(mutatingAfter(sim, abortedAt), [], `a call was sent after the interruption at wait ${sleeps}`)
      finishes(await run(sim, req), `re-run after an interruption at wait ${sleeps}`)
      assert.equal(world(sim), expected, `end state after an interruption at wait ${sleeps}`)
    }
  })

  test(`${name}: interrupted while the hook runs, the re-run runs the hook again and finishes`, async () => {
    const sim = simulate(fixture(name))
    const abort = new AbortController()
    const calls: string[] = []
    const shell: Shell = {
      run: async (command, _env, _onLine, _timeout, signal) => {
        calls.push(command)
        if (calls.length === 1) {
          abort.abort()
          assert.ok(signal?.aborted, 'the hook is handed the run\'s signal')
          return { code: null, timedOut: false }
        }
        return { code: 0, timedOut: false }
      },
    }
    const at = () => sim.clock.now()
    const first = await run(sim, req, { shell, signal: abort.signal })
    assert.ok(E.isLeft(first.result) && first.result.left._tag === 'Interrupted', 'not interrupted')
    const stoppedAt = at()
    assert.equal(mutatingAfter(sim, stoppedAt - 1).filter((c) => c.action.startsWith('Delete')), [], 'nothing deleted')
    assert.ok(sim.environment().instances.some((i) => i.DBInstanceIdentifier.startsWith('old-')), 'old- kept')
    finishes(await run(sim, req, { shell }), 're-run')
    assert.is(calls.length, 2, 'the hook runs again on the re-run')
    const whole = simulate(fixture(name))
    finishes(await run(whole, req), 'uninterrupted')
    assert.equal(world(sim), world(whole))
  })
}

test.run()
