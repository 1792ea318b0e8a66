/**
 * How an apply shows where it stands: one timestamped line per event (what a log or CI keeps), or
 * JSON lines for other tools (`--json`). The interpreter only emits events; this only prints.
 */
import type { ApplyEvent } from '../interpret/apply.js'
import { estimateRemainingMs } from '../plan/critical-path.js'
import { stepDuration } from '../plan/durations.js'
import type { Plan } from '../plan/plan.js'
import { operationLabel } from '../plan/render/text.js'

export const duration = (ms: number): string => {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  const m = Math.floor(s / 60)
  if (m >= 60) return `${Math.floor(m / 60)} h ${m % 60} min`
  return s % 60 === 0 || m >= 10 ? `${m} min` : `${m} min ${s % 60} s`
}

export interface Reporter {
  readonly onEvent: (e: ApplyEvent) => void
}

export const jsonLinesReporter = (write: (line: string) => void): Reporter => ({
  onEvent: (e) => write(`${JSON.stringify({ ...e, at: new Date(e.at).toISOString() })}\n`),
})

export const lineReporter = (plan: Plan, write: (line: string) => void): Reporter => {
  const done = new Set<number>()
  const running = new Map<number, number>()
  let lastWaiting = ''
  const total = plan.steps.length
  const label = (n: number) => {
    const s = plan.steps[n - 1]!
    return `${String(n).padStart(String(total).length)}/${total} ${operationLabel(s)} ${s.id}`
  }
  const eta = (now: number) => `ETA ${duration(estimateRemainingMs(plan, done, running, now))}`
  const line = (at: number, text: string) => write(`${new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z')}  ${text}\n`)
  return {
    onEvent: (e) => {
      switch (e.type) {
        case 'resumed':
          for (const n of e.done) done.add(n)
          for (const n of e.running) running.set(n, e.at)
          line(e.at, `resuming run ${plan.run}: ${e.done.length} of ${total} steps already done${e.running.length > 0 ? `, waiting for ${e.running.join(', ')}` : ''}`)
          break
        case 'step-start': {
          running.set(e.n, e.at)
          const expected = stepDuration(plan.steps[e.n - 1]!)
          line(e.at, `start ${label(e.n)}${expected > 0 ? ` (expect ~${duration(expected)})` : ''}`)
          break
        }
        case 'step-done':
          running.delete(e.n)
          done.add(e.n)
          line(e.at, `done  ${label(e.n)} in ${duration(e.elapsedMs)}; ${done.size}/${total} done, ${eta(e.at)}`)
          break
        case 'waiting': {
          const text = e.steps.map((s) => `${s.id} ${s.status}`).join(', ')
          if (text !== lastWaiting) line(e.at, `waiting: ${text}; ${eta(e.at)}`)
          lastWaiting = text
          break
        }
        case 'hook-output':
          line(e.at, `hook ${e.stream === 'stderr' ? '!' : '|'} ${e.line}`)
          break
        case 'throttled':
          line(e.at, `${e.action}: RDS asked to slow down or the instance was busy; trying again at the next poll`)
          break
        case 'error':
          line(e.at, `error${e.n === undefined ? '' : ` at step ${e.n}`}: ${e.message}`)
          break
        case 'notice':
          line(e.at, e.message)
          break
      }
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The live view: on a terminal, a block listing every step, redrawn in place on each event.

/** Where the live view draws: a terminal (`process.stdout` fits). */
export interface LiveOutput {
  readonly write: (s: string) => void
  /** Width of the terminal; lines are cut to it so the block's height is exact (default 80). */
  readonly columns?: number | undefined
  /** Height of the terminal: a block taller than it is shortened while it is redrawn (the final one is whole). */
  readonly rows?: number | undefined
  readonly isTTY: boolean
}

type StepState =
  | { readonly _tag: 'waiting' }
  | { readonly _tag: 'running'; readonly since: number }
  | { readonly _tag: 'done'; readonly ms: number | undefined }
  | { readonly _tag: 'failed'; readonly since: number | undefined }

type Style = 'green' | 'red' | 'dim' | 'bold'
interface Segment {
  readonly text: string
  readonly style?: Style | undefined
}

const SGR: Readonly<Record<Style, readonly [string, string]>> = {
  green: ['\x1b[32m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  bold: ['\x1b[1m', '\x1b[22m'],
}

/** Markers of one column each, also where East Asian ambiguous characters are drawn wide. */
const MARKER = { waiting: '◦', running: '▸', done: '✓', failed: '✗' } as const

/** A line of segments cut to `width` characters (code points), styled when `colour`. */
const fit = (segments: ReadonlyArray<Segment>, width: number, colour: boolean): string => {
  let left = Math.max(0, width)
  let out = ''
  for (const s of segments) {
    if (left === 0) break
    const chars = Array.from(s.text)
    const text = chars.length > left ? chars.slice(0, left).join('') : s.text
    left -= Math.min(chars.length, left)
    out += colour && s.style !== undefined && text !== '' ? `${SGR[s.style][0]}${text}${SGR[s.style][1]}` : text
  }
  return out
}

/**
 * On a terminal: every step with its state, the elapsed and expected time of running steps and
 * their last status, and a footer with the ETA, redrawn in place on each event (moving the cursor
 * up over the last block and clearing to the end of the screen). Hook output, errors and notices
 * are printed above the block and stay. Once every step is done or an error arrives, the final
 * block is left as it is. Elapsed times come from `now`. Colour unless NO_COLOR is set.
 *
 * Off a terminal (or with TERM=dumb) it is the line reporter, since nothing can be redrawn there.
 */
export const liveReporter = (plan: Plan, out: LiveOutput, now: () => number): Reporter => {
  if (!out.isTTY || process.env['TERM'] === 'dumb') return lineReporter(plan, (l) => out.write(l))
  const noColor = process.env['NO_COLOR']
  const colour = noColor === undefined || noColor === ''
  const total = plan.steps.length
  const state = new Map<number, StepState>(plan.steps.map((s) => [s.n, { _tag: 'waiting' }]))
  const status = new Map<number, string>()
  let note: string | undefined
  let stopped = false
  let final = false
  let height = 0

  const numWidth = String(total).length
  const opWidth = Math.max(...plan.steps.map((s) => operationLabel(s).length))
  const idWidth = Math.max(...plan.steps.map((s) => s.id.length))
  const count = (tag: StepState['_tag']) => [...state.values()].filter((v) => v._tag === tag).length

  const stepLine = (n: number, at: number): ReadonlyArray<Segment> => {
    const s = plan.steps[n - 1]!
    const st = state.get(n)!
    const last = status.get(n)
    const withStatus = last === undefined ? '' : `, ${last}`
    const head = ` ${String(n).padStart(numWidth)}/${total}  ${operationLabel(s).padEnd(opWidth)}  ${s.id.padEnd(idWidth)}  `
    switch (st._tag) {
      case 'waiting':
        return [{ text: `${MARKER.waiting}${head}waiting`, style: 'dim' }]
      case 'running': {
        const expected = stepDuration(s)
        const took = duration(Math.max(0, at - st.since))
        const text = stopped ? `stopped waiting after ${took}${withStatus}` : `running ${took}${expected > 0 ? ` of ~${duration(expected)}` : ''}${withStatus}`
        return [{ text: MARKER.running, style: 'bold' }, { text: head }, { text }]
      }
      case 'done':
        return [{ text: MARKER.done, style: 'green' }, { text: head }, { text: st.ms === undefined ? 'done before this run' : `done in ${duration(st.ms)}` }]
      case 'failed':
        return [
          { text: MARKER.failed, style: 'red' },
          { text: head },
          { text: `failed${st.since === undefined ? '' : ` after ${duration(Math.max(0, at - st.since))}`}${withStatus}`, style: 'red' },
        ]
    }
  }

  const footer = (at: number): ReadonlyArray<Segment> => {
    const done = count('done')
    if (done === total) return [{ text: `${done}/${total} done`, style: 'green' }]
    if (stopped) return [{ text: `${done}/${total} done, stopped`, style: 'red' }]
    const doneSet = new Set(plan.steps.filter((s) => state.get(s.n)!._tag === 'done').map((s) => s.n))
    const running = new Map<number, number>()
    for (const [n, st] of state) if (st._tag === 'running') running.set(n, st.since)
    return [{ text: `${done}/${total} done, ETA ${duration(estimateRemainingMs(plan, doneSet, running, at))}${note === undefined ? '' : `; ${note}`}` }]
  }

  /** The block: every step, or while it is redrawn on a short terminal, what fits (done steps go first). */
  const block = (at: number): ReadonlyArray<ReadonlyArray<Segment>> => {
    const all = plan.steps.map((s) => s.n)
    const budget = final || out.rows === undefined || out.rows <= 0 ? Infinity : out.rows - 2 // the footer, and the cursor's line below
    let shown: ReadonlyArray<ReadonlyArray<Segment>>
    if (all.length <= budget) shown = all.map((n) => stepLine(n, at))
    else if (budget < 3) shown = []
    else {
      const hiddenDone = all.filter((n) => state.get(n)!._tag === 'done').length
      const rest = all.filter((n) => state.get(n)!._tag !== 'done')
      const room = budget - (hiddenDone > 0 ? 1 : 0)
      const keep = rest.length <= room ? rest.length : room - 1
      shown = [
        ...(hiddenDone > 0 ? [[{ text: `${MARKER.done}  ${hiddenDone} steps done (not shown)`, style: 'green' as const }]] : []),
        ...rest.slice(0, keep).map((n) => stepLine(n, at)),
        ...(keep < rest.length ? [[{ text: `   ${rest.length - keep} more steps (not shown)`, style: 'dim' as const }]] : []),
      ]
    }
    return [...shown, footer(at)]
  }

  const draw = (permanent: ReadonlyArray<string>): void => {
    const at = now()
    const width = out.columns !== undefined && out.columns > 0 ? out.columns : 80
    const lines = block(at).map((l) => fit(l, width, colour))
    const up = height > 0 ? `\r\x1b[${height}A\x1b[J` : ''
    out.write(`${up}${permanent.map((l) => `${l}\n`).join('')}${lines.join('\n')}\n`)
    height = lines.length
  }

  const permanentLine = (e: ApplyEvent): string | undefined => {
    switch (e.type) {
      case 'hook-output':
        return `hook ${e.stream === 'stderr' ? '!' : '|'} ${e.line}`
      case 'error': {
        const text = `error${e.n === undefined ? '' : ` at step ${e.n}`}: ${e.message}`
        return colour ? `${SGR.red[0]}${text}${SGR.red[1]}` : text
      }
      case 'resumed':
        return `resuming run ${plan.run}: ${e.done.length} of ${total} steps already done${e.running.length > 0 ? `, waiting for ${e.running.join(', ')}` : ''}`
      case 'notice':
        return e.message
      default:
        return undefined
    }
  }

  return {
    onEvent: (e) => {
      const line = permanentLine(e)
      // the final block stays: anything after it is written below, and the cursor never goes back up
      if (final) {
        if (line !== undefined) out.write(`${line}\n`)
        return
      }
      switch (e.type) {
        case 'resumed':
          for (const n of e.done) state.set(n, { _tag: 'done', ms: undefined })
          for (const n of e.running) state.set(n, { _tag: 'running', since: e.at })
          break
        case 'step-start':
          state.set(e.n, { _tag: 'running', since: e.at })
          status.delete(e.n)
          note = undefined
          break
        case 'step-done':
          state.set(e.n, { _tag: 'done', ms: e.elapsedMs })
          note = undefined
          break
        case 'waiting':
          for (const s of e.steps) status.set(s.n, s.status)
          note = undefined
          break
        case 'throttled':
          note = `${e.action}: RDS asked to slow down or the instance was busy, trying again`
          break
        case 'hook-output':
          break
        case 'error': {
          stopped = true
          if (e.n !== undefined) {
            const st = state.get(e.n)
            state.set(e.n, { _tag: 'failed', since: st?._tag === 'running' ? st.since : undefined })
          }
          break
        }
      }
      final = stopped || count('done') === total
      draw(line === undefined ? [] : [line])
    },
  }
}
