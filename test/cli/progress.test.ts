/**
 * Progress reporters: the live terminal view, judged on what a terminal would show after each
 * write (a small emulator that follows the cursor, clears and wraps as a terminal does), and the
 * timestamped lines, which stay exactly as they were.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import type { ApplyEvent } from '../../src/interpret/apply.js'
import { applyPlan } from '../../src/interpret/scheduler.js'
import type { Shell } from '../../src/interpret/capabilities.js'
import * as workflow from '../../src/interpret/workflow.js'
import type { Plan } from '../../src/plan/plan.js'
import { simulate } from '../../src/sim/simulator.js'
import { lineReporter, liveReporter, type LiveOutput } from '../../src/cli/progress.js'
import { fixture, plan as planOf } from '../support/fixtures.js'

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)
const MIN = 60_000
const SEC = 1000
const DEMO = planOf(fixture('demo'), { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' })

// ---------------------------------------------------------------------------------------------------------------
// A terminal: enough of one to see what the live view leaves on screen

const CONTROL = /\x1b\[([0-9;]*)([A-Za-z])|\r|\n|[^]/gu
const SGR = /\x1b\[[0-9;]*m/g
const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '')

class Terminal {
  private readonly lines: string[][] = [[]]
  private row = 0
  private col = 0
  constructor(private readonly columns: number) {}

  write(s: string): void {
    for (const m of s.matchAll(CONTROL)) {
      const [token, arg, command] = m
      if (command !== undefined) {
        const n = arg === '' || arg === undefined ? undefined : Number(arg)
        if (command === 'm') continue
        else if (command === 'A') this.row = Math.max(0, this.row - (n ?? 1))
        else if (command === 'J' && (n ?? 0) === 0) {
          this.lines[this.row] = this.line(this.row).slice(0, this.col)
          this.lines.length = this.row + 1
        } else throw new Error(`unexpected control sequence ${JSON.stringify(token)}`)
      } else if (token === '\r') this.col = 0
      else if (token === '\n') {
        this.row++
        this.col = 0
      } else {
        // a character past the last column wraps to the next line, as a terminal does
        if (this.col >= this.columns) {
          this.row++
          this.col = 0
        }
        const line = this.line(this.row)
        while (line.length < this.col) line.push(' ')
        line[this.col++] = token
      }
    }
  }

  private line(r: number): string[] {
    while (this.lines.length <= r) this.lines.push([])
    return this.lines[r]!
  }

  /** The screen's lines, the empty one the cursor waits on at the end left off. */
  screen(): string[] {
    const out = this.lines.map((l) => l.join(''))
    while (out.length > 0 && out[out.length - 1] === '') out.pop()
    return out
  }
}

/** Runs `body` with these environment variables (undefined: unset), restoring them afterwards. */
const withEnv = <A>(vars: Readonly<Record<string, string | undefined>>, body: () => A): A => {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
  const set = (vs: Readonly<Record<string, string | undefined>>) => {
    for (const [k, v] of Object.entries(vs)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
  set(vars)
  try {
    return body()
  } finally {
    set(saved)
  }
}

interface Live {
  readonly onEvent: (e: ApplyEvent) => void
  readonly term: Terminal
  /** Every write, as written. */
  readonly writes: string[]
  /** The fake clock: `now()` answers this. */
  clock: number
}

/** A live reporter on a fake terminal, colour on unless `env` says otherwise. */
const live = (opts: { plan?: Plan; columns?: number; rows?: number; isTTY?: boolean; env?: Record<string, string | undefined> } = {}): Live => {
  const columns = opts.columns ?? 200
  const term = new Terminal(columns)
  const writes: string[] = []
  const out: LiveOutput = {
    write: (s) => {
      writes.push(s)
      term.write(s)
    },
    columns,
    rows: opts.rows,
    isTTY: opts.isTTY ?? true,
  }
  const state: Live = { onEvent: () => {}, term, writes, clock: T0 }
  const reporter = withEnv({ NO_COLOR: undefined, TERM: 'xterm-256color', ...opts.env }, () => liveReporter(opts.plan ?? DEMO, out, () => state.clock))
  return Object.assign(state, { onEvent: reporter.onEvent })
}

const footer = (screen: ReadonlyArray<string>): string => screen[screen.length - 1]!
const lineOf = (screen: ReadonlyArray<string>, n: number): string => {
  const l = screen.find((s) => new RegExp(`^. +${n}/16 `).test(s))
  if (l === undefined) throw new Error(`no line for step ${n} in\n${screen.join('\n')}`)
  return l
}

/** The demo's first two steps: 1 done after 10 min 16 s, 2 running since then. */
const firstSteps = (l: Live): void => {
  l.onEvent({ type: 'step-start', at: T0, n: 1, op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo' })
  l.clock = T0 + 31 * SEC
  l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 1, id: 'temp-mitosis-demo', status: 'creating' }] })
  l.clock = T0 + 10 * MIN + 16 * SEC
  l.onEvent({ type: 'step-done', at: l.clock, n: 1, op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo', elapsedMs: 10 * MIN + 16 * SEC })
  l.onEvent({ type: 'step-start', at: l.clock, n: 2, op: 'PromoteReadReplica', id: 'temp-mitosis-demo' })
}

// ---------------------------------------------------------------------------------------------------------------
// The live view

test('live: every step with its marker, elapsed and expected time, last status, and the ETA footer', () => {
  const l = live()
  l.onEvent({ type: 'step-start', at: T0, n: 1, op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo' })
  let screen = l.term.screen()
  assert.is(screen.length, 17, screen.join('\n'))
  assert.is(lineOf(screen, 1), '▸  1/16  CreateDBInstanceReadReplica  temp-mitosis-demo          running 0 s of ~10 min')
  assert.is(lineOf(screen, 7), '◦  7/16  ModifyDBInstance (rename)    mitosis-demo-replica       waiting')
  assert.is(lineOf(screen, 12), '◦ 12/16  RunCommand                   mitosis-demo               waiting')
  assert.is(footer(screen), '0/16 done, ETA 51 min')

  l.clock = T0 + 31 * SEC
  l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 1, id: 'temp-mitosis-demo', status: 'creating' }] })
  assert.is(lineOf(l.term.screen(), 1), '▸  1/16  CreateDBInstanceReadReplica  temp-mitosis-demo          running 31 s of ~10 min, creating')

  l.clock = T0 + 10 * MIN + 16 * SEC
  l.onEvent({ type: 'step-done', at: l.clock, n: 1, op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo', elapsedMs: 10 * MIN + 16 * SEC })
  l.onEvent({ type: 'step-start', at: l.clock, n: 2, op: 'PromoteReadReplica', id: 'temp-mitosis-demo' })
  l.clock += 3 * MIN + 12 * SEC
  l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] })
  screen = l.term.screen()
  assert.is(screen.length, 17, screen.join('\n'))
  assert.is(lineOf(screen, 1), '✓  1/16  CreateDBInstanceReadReplica  temp-mitosis-demo          done in 10 min')
  assert.is(lineOf(screen, 2), '▸  2/16  PromoteReadReplica           temp-mitosis-demo          running 3 min 12 s of ~5 min, modifying')
  assert.is(lineOf(screen, 3), '◦  3/16  ModifyDBInstance             temp-mitosis-demo          waiting')
  // 1 min 48 s of step 2 left, then 4, 5, the renames, the hook and the deletes: 37 min 48 s
  assert.is(footer(screen), '1/16 done, ETA 37 min')
})

test('live: elapsed times come from now(), not from when the event says it happened', () => {
  const l = live()
  firstSteps(l)
  // the waiting event carries a stale time; the view reads the clock
  l.clock = T0 + 10 * MIN + 16 * SEC + 62 * SEC
  l.onEvent({ type: 'waiting', at: T0, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] })
  assert.match(lineOf(l.term.screen(), 2), / running 1 min 2 s of ~5 min, modifying$/)
  // an overrun says so plainly
  l.clock += 10 * MIN
  l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] })
  assert.match(lineOf(l.term.screen(), 2), / running 11 min of ~5 min, modifying$/)
})

test('live: redrawn in place, one block on screen however many events arrive', () => {
  const l = live()
  firstSteps(l)
  for (let i = 1; i <= 20; i++) {
    l.clock += 30 * SEC
    l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 2, id: 'temp-mitosis-demo', status: i % 2 === 0 ? 'modifying' : 'backing-up' }] })
  }
  const screen = l.term.screen()
  assert.is(screen.length, 17, screen.join('\n'))
  assert.is(screen.filter((s) => / done, ETA /.test(s)).length, 1)
  // each redraw goes back up over exactly the block it drew before, and clears below
  for (const w of l.writes.slice(1)) assert.match(w, /^\r\x1b\[17A\x1b\[J/)
  assert.not.match(l.writes[0]!, /\x1b\[\d*A/, 'nothing to go back over the first time')
  // the frames, without their escapes, are the blocks themselves
  const frame = stripAnsi(l.writes[l.writes.length - 1]!).split('\n').slice(0, -1)
  assert.equal(frame, screen)
})

test('live: hook output, notices and errors are printed above the block and stay there', () => {
  const l = live()
  l.onEvent({ type: 'resumed', at: T0, done: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], running: [] })
  l.onEvent({ type: 'step-start', at: T0, n: 12, op: 'RunCommand', id: 'mitosis-demo' })
  l.clock += 2 * SEC
  l.onEvent({ type: 'hook-output', at: l.clock, stream: 'stdout', line: 'restarting mitosis-demo' })
  l.onEvent({ type: 'hook-output', at: l.clock, stream: 'stderr', line: 'warning: 2 pods slow to drain' })
  l.clock += 5 * SEC
  l.onEvent({ type: 'hook-output', at: l.clock, stream: 'stderr', line: 'rollout failed' })
  let screen = l.term.screen()
  assert.equal(screen.slice(0, 4), [
    `resuming run ${DEMO.run}: 11 of 16 steps already done`,
    'hook | restarting mitosis-demo',
    'hook ! warning: 2 pods slow to drain',
    'hook ! rollout failed',
  ])
  assert.is(screen.length, 4 + 17)
  assert.is(lineOf(screen, 11), '✓ 11/16  ModifyDBInstance (rename)    temp-mitosis-demo          done before this run')
  assert.is(lineOf(screen, 12), '▸ 12/16  RunCommand                   mitosis-demo               running 7 s')
  assert.is(footer(screen), '11/16 done, ETA 12 min')

  const before = l.writes.length
  l.clock += SEC
  l.onEvent({ type: 'error', at: l.clock, n: 12, message: 'the restart hook exited with 1; kept old-mitosis-demo-replica, old-mitosis-demo' })
  screen = l.term.screen()
  assert.equal(screen.slice(0, 5), [
    `resuming run ${DEMO.run}: 11 of 16 steps already done`,
    'hook | restarting mitosis-demo',
    'hook ! warning: 2 pods slow to drain',
    'hook ! rollout failed',
    'error at step 12: the restart hook exited with 1; kept old-mitosis-demo-replica, old-mitosis-demo',
  ])
  assert.is(lineOf(screen, 12), '✗ 12/16  RunCommand                   mitosis-demo               failed after 8 s')
  assert.is(lineOf(screen, 13), '◦ 13/16  AddTagsToResource            mitosis-demo               waiting')
  assert.is(footer(screen), '11/16 done, stopped')
  assert.is(screen.length, 5 + 17)

  // the final block stays: what comes after is written below it, and the cursor never goes back up
  const final = [...screen]
  l.onEvent({ type: 'hook-output', at: l.clock, stream: 'stdout', line: 'late line' })
  l.term.write('Error: the restart hook exited with 1\n')
  assert.equal(l.term.screen(), [...final, 'hook | late line', 'Error: the restart hook exited with 1'])
  for (const w of l.writes.slice(before + 1)) assert.not.match(w, /\x1b\[\d*[AJ]/)
})

test('live: an error without a step stops the view; running steps say mitosis stopped waiting for them', () => {
  const l = live()
  firstSteps(l)
  l.clock += 2 * MIN
  l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] })
  l.onEvent({ type: 'error', at: l.clock, message: 'AccessDenied: not authorized to perform rds:DescribeDBInstances' })
  const screen = l.term.screen()
  assert.is(screen[0], 'error: AccessDenied: not authorized to perform rds:DescribeDBInstances')
  assert.match(lineOf(screen, 2), /^▸  2\/16 .* stopped waiting after 2 min, modifying$/)
  assert.is(footer(screen), '1/16 done, stopped')
})

test('live: a throttling notice shows in the footer until the next poll answers', () => {
  const l = live()
  firstSteps(l)
  l.onEvent({ type: 'throttled', at: l.clock, action: 'DescribeDBInstances' })
  assert.match(footer(l.term.screen()), /^1\/16 done, ETA \d+ min; DescribeDBInstances: RDS asked to slow down or the instance was busy, trying again$/)
  l.clock += 30 * SEC
  l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] })
  assert.match(footer(l.term.screen()), /^1\/16 done, ETA \d+ min$/)
})

test('live: lines are cut to the terminal width, so redrawing never leaves wrapped lines behind', () => {
  const l = live({ columns: 30 })
  firstSteps(l)
  l.onEvent({ type: 'hook-output', at: l.clock, stream: 'stdout', line: 'a hook line much longer than thirty columns, kept whole' })
  for (let i = 0; i < 5; i++) {
    l.clock += 30 * SEC
    l.onEvent({ type: 'throttled', at: l.clock, action: 'DescribeDBInstances' })
    l.onEvent({ type: 'waiting', at: l.clock, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] })
  }
  const screen = l.term.screen()
  // the hook's line wraps (it is printed once, whole, and never redrawn); the block is exactly 17 lines
  assert.is(screen.slice(0, 3).join(''), 'hook | a hook line much longer than thirty columns, kept whole')
  assert.is(screen.length, 3 + 17, screen.join('\n'))
  for (const s of screen.slice(3)) assert.ok(Array.from(s).length <= 30, `too wide: ${JSON.stringify(s)}`)
  assert.is(lineOf(screen, 2), '▸  2/16  PromoteReadReplica   ')
  assert.is(footer(screen), '1/16 done, ETA 38 min')
  // with colour on, the escapes do not count against the width
  const frame = l.writes[l.writes.length - 1]!
  assert.match(frame, /\x1b\[32m✓\x1b\[39m/)
  for (const s of stripAnsi(frame).split('\n')) assert.ok(Array.from(s).length <= 30, `too wide: ${JSON.stringify(s)}`)
})

test('live: on a short terminal the redrawn block fits it (done steps folded first); the final one is whole', () => {
  const l = live({ rows: 10 })
  l.onEvent({ type: 'resumed', at: T0, done: [1, 2, 3, 4, 5, 6, 7, 8], running: [9] })
  for (const w of l.writes) assert.ok(stripAnsi(w).split('\n').length - 1 <= 1 + 9, 'the notice and at most 9 block lines')
  let screen = l.term.screen()
  assert.equal(screen.slice(1), [
    '✓  8 steps done (not shown)',
    '▸  9/16  ModifyDBInstance (rename)    mitosis-demo               running 0 s of ~5 min',
    '◦ 10/16  ModifyDBInstance (rename)    temp-mitosis-demo-replica  waiting',
    '◦ 11/16  ModifyDBInstance (rename)    temp-mitosis-demo          waiting',
    '◦ 12/16  RunCommand                   mitosis-demo               waiting',
    '◦ 13/16  AddTagsToResource            mitosis-demo               waiting',
    '◦ 14/16  DeleteDBInstance             old-mitosis-demo-replica   waiting',
    '   2 more steps (not shown)',
    '8/16 done, ETA 22 min',
  ])
  // every step done: the final block lists them all, since it is never drawn again
  for (const n of [9, 10, 11, 12, 13, 14, 15, 16]) {
    l.clock += MIN
    l.onEvent({ type: 'step-start', at: l.clock, n, op: DEMO.steps[n - 1]!.op, id: DEMO.steps[n - 1]!.id })
    assert.ok(l.term.screen().length <= 1 + 9)
    l.onEvent({ type: 'step-done', at: l.clock, n, op: DEMO.steps[n - 1]!.op, id: DEMO.steps[n - 1]!.id, elapsedMs: MIN })
  }
  screen = l.term.screen()
  assert.is(screen.length, 1 + 17, screen.join('\n'))
  assert.is(screen.filter((s) => s.startsWith('✓')).length, 16)
  assert.is(footer(screen), '16/16 done')
})

test('live: NO_COLOR turns colour off, and only colour', () => {
  const colourless = live({ env: { NO_COLOR: '1' } })
  const coloured = live()
  const emptyNoColor = live({ env: { NO_COLOR: '' } })
  for (const l of [colourless, coloured, emptyNoColor]) {
    firstSteps(l)
    l.onEvent({ type: 'error', at: l.clock, n: 2, message: 'step 2: temp-mitosis-demo is incompatible-parameters' })
  }
  const raw = (l: Live) => l.writes.join('')
  assert.not.match(raw(colourless), SGR)
  assert.match(raw(colourless), /\x1b\[17A\x1b\[J/, 'still redrawn in place')
  assert.match(raw(coloured), /\x1b\[32m✓\x1b\[39m/, 'done in green')
  assert.match(raw(coloured), /\x1b\[31m✗\x1b\[39m/, 'failed in red')
  assert.match(raw(coloured), /\x1b\[2m◦  3\/16 .*waiting\x1b\[22m/, 'waiting dimmed')
  assert.match(raw(coloured), /\x1b\[31merror at step 2: /, 'the error in red')
  assert.match(raw(emptyNoColor), SGR, 'an empty NO_COLOR does not count (no-color.org)')
  assert.equal(colourless.term.screen(), coloured.term.screen())
})

test('live: off a terminal, or on a dumb one, it is the timestamped lines', () => {
  const events: ApplyEvent[] = [
    { type: 'step-start', at: T0, n: 1, op: 'CreateDBInstanceReadReplica', id: 'temp-mitosis-demo' },
    { type: 'waiting', at: T0 + 31 * SEC, steps: [{ n: 1, id: 'temp-mitosis-demo', status: 'creating' }] },
  ]
  const lines: string[] = []
  const reporter = lineReporter(DEMO, (l) => lines.push(l))
  for (const e of events) reporter.onEvent(e)
  for (const l of [live({ isTTY: false }), live({ env: { TERM: 'dumb' } })]) {
    for (const e of events) l.onEvent(e)
    assert.equal(l.writes, lines)
  }
})

test('live: a whole clone on the simulator ends with every step done, the hook\'s output above', async () => {
  const sim = simulate(fixture('demo'))
  const planned = await workflow.plan({ rds: sim }, { clone: { source: 'mitosis-prod', target: 'mitosis-demo', restart: './restart.sh' } })()
  assert.ok(E.isRight(planned))
  const plan = planned.right.plan
  const term = new Terminal(100)
  const writes: string[] = []
  const out: LiveOutput = { write: (s) => (writes.push(s), term.write(s)), columns: 100, rows: 12, isTTY: true }
  const reporter = withEnv({ NO_COLOR: '1', TERM: 'xterm' }, () => liveReporter(plan, out, () => sim.clock.now()))
  const shell: Shell = {
    run: async (_command, env, onLine) => {
      onLine('stdout', `restarting ${env['MITOSIS_TARGET']}`)
      return { code: 0, timedOut: false }
    },
  }
  const options = { pollIntervalMs: 30_000, stepTimeoutMs: 3 * 3_600_000, hookTimeoutMs: 60_000 }
  const result = await applyPlan(plan, { rds: sim, clock: sim.clock, shell, random: () => 0.5 }, options, reporter.onEvent)
  assert.ok(E.isRight(result))
  const screen = term.screen()
  assert.is(screen[0], 'hook | restarting mitosis-demo')
  assert.is(screen.length, 1 + 17, screen.join('\n'))
  for (const s of plan.steps) assert.match(lineOf(screen, s.n), new RegExp(`^✓ +${s.n}/16 .* done in \\d+ (s|min)`))
  assert.is(footer(screen), '16/16 done')
  // the short terminal's blocks fitted it while they were redrawn
  for (const w of writes.slice(0, -1)) assert.ok(stripAnsi(w).split('\n').filter((l) => l !== '' && !l.startsWith('hook ')).length <= 11, w)
})

// ---------------------------------------------------------------------------------------------------------------
// The timestamped lines (off a terminal): unchanged

test('lines: the timestamped lines for a run are as they were', () => {
  const out: string[] = []
  const r = lineReporter(DEMO, (l) => out.push(l))
  const events: ApplyEvent[] = [
    { type: 'resumed', at: T0, done: [1], running: [2] },
    { type: 'waiting', at: T0 + 30 * SEC, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] },
    { type: 'waiting', at: T0 + 60 * SEC, steps: [{ n: 2, id: 'temp-mitosis-demo', status: 'modifying' }] },
    { type: 'throttled', at: T0 + 90 * SEC, action: 'DescribeDBInstances' },
    { type: 'step-done', at: T0 + 3 * MIN + 12 * SEC, n: 2, op: 'PromoteReadReplica', id: 'temp-mitosis-demo', elapsedMs: 3 * MIN + 12 * SEC },
    { type: 'step-start', at: T0 + 3 * MIN + 12 * SEC, n: 3, op: 'ModifyDBInstance', id: 'temp-mitosis-demo' },
    { type: 'step-start', at: T0 + 3 * MIN + 12 * SEC, n: 12, op: 'RunCommand', id: 'mitosis-demo' },
    { type: 'hook-output', at: T0 + 4 * MIN, stream: 'stdout', line: 'restarting' },
    { type: 'hook-output', at: T0 + 4 * MIN, stream: 'stderr', line: 'oops' },
    { type: 'error', at: T0 + 5 * MIN, n: 12, message: 'the restart hook exited with 1' },
    { type: 'error', at: T0 + 5 * MIN, message: 'no step' },
  ]
  for (const e of events) r.onEvent(e)
  assert.equal(out, [
    `2026-11-22T12:00:00Z  resuming run ${DEMO.run}: 1 of 16 steps already done, waiting for 2\n`,
    '2026-11-22T12:00:30Z  waiting: temp-mitosis-demo modifying; ETA 40 min\n',
    '2026-11-22T12:01:30Z  DescribeDBInstances: RDS asked to slow down or the instance was busy; trying again at the next poll\n',
    '2026-11-22T12:03:12Z  done   2/16 PromoteReadReplica temp-mitosis-demo in 3 min 12 s; 2/16 done, ETA 36 min\n',
    '2026-11-22T12:03:12Z  start  3/16 ModifyDBInstance temp-mitosis-demo (expect ~4 min)\n',
    '2026-11-22T12:03:12Z  start 12/16 RunCommand mitosis-demo\n',
    '2026-11-22T12:04:00Z  hook | restarting\n',
    '2026-11-22T12:04:00Z  hook ! oops\n',
    '2026-11-22T12:05:00Z  error at step 12: the restart hook exited with 1\n',
    '2026-11-22T12:05:00Z  error: no step\n',
  ])
})

test.run()
