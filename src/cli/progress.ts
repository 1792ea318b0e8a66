/**
 * How an apply shows where it stands: one timestamped line per event (what a log or CI keeps), or
 * JSON lines for other tools (`--json`). The interpreter only emits events; this only prints.
 */
import type { ApplyEvent } from '../interpret/apply.js'
import { estimateRemainingMs, expectedMs } from '../interpret/estimates.js'
import type { Plan } from '../plan/operations.js'
import { operationLabel } from '../plan/render.js'

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
          const expected = expectedMs(plan.steps[e.n - 1]!)
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
      }
    },
  }
}
