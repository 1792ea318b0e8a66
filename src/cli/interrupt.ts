/**
 * Ctrl-C and SIGTERM while a plan is applied: the first stops the run at the next moment nothing is
 * being sent (the interpreter sends no new call, a running hook gets SIGTERM and a grace period), and
 * the command exits 130 (SIGINT) or 143 (SIGTERM, and 129 for SIGHUP) with one line saying where it
 * stopped. A second signal exits at once, killing a running hook's process group.
 */
import { killHooks } from '../interpret/shell.js'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
type Caught = (typeof SIGNALS)[number]

/** 128 + the signal's number, as a shell reports a command that a signal ended. */
export const exitCodeFor = (signal: Caught): number => ({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 })[signal]

export interface Interrupts {
  readonly signal: AbortSignal
  /** The first signal received, if any. */
  readonly received: () => Caught | undefined
  /** Stops listening: the process's default handling is back. */
  readonly dispose: () => void
}

export const catchInterrupts = (say: (line: string) => void): Interrupts => {
  const controller = new AbortController()
  let first: Caught | undefined
  const handlers = SIGNALS.map((sig) => {
    const handler = () => {
      if (first !== undefined) {
        killHooks()
        process.exit(exitCodeFor(first))
      }
      first = sig
      say(`${sig}: stopping; no new call is sent${sig === 'SIGINT' ? ' (Ctrl-C again to quit at once)' : ''}`)
      controller.abort()
    }
    process.on(sig, handler)
    return [sig, handler] as const
  })
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => {
      for (const [sig, handler] of handlers) process.off(sig, handler)
    },
  }
}
