/**
 * Applying a plan as a person or a job sees it: nothing to do, or a password the plan needs and was not
 * given (said before anything is asked or sent), the plan with its progress, the question, the run with
 * progress (a live block on a terminal, a line per event, or JSON lines), Ctrl-C / SIGTERM / SIGHUP as a
 * clean stop with the shell's exit code, the lease on the target, and one line saying how it ended.
 *
 * No oclif here: the CLI's commands (output.ts) and the artifact's program (src/artifact/entry) both
 * apply through `applyFlow`, with their own output streams (`FlowIo`).
 */
import * as E from 'fp-ts/lib/Either.js'
import { renderApplyFailure } from '../interpret/apply.js'
import { missingSecret } from '../interpret/secrets.js'
import type { Capabilities } from '../interpret/capabilities.js'
import type { LeaseOptions } from '../interpret/lease.js'
import type { ApplyChangelogOptions } from '../interpret/schema.js'
import { apply } from '../interpret/workflow.js'
import type { Environment } from '../plan/domain.js'
import type { Plan } from '../plan/plan.js'
import { planProgress } from '../plan/progress.js'
import { renderText } from '../plan/render/text.js'
import { confirm } from './prompt.js'
import { Interrupted, UserError } from './errors.js'
import { catchInterrupts, exitCodeFor } from './interrupt.js'
import { thisProcessLease } from './lease.js'
import { duration, jsonLinesReporter, lineReporter, liveReporter, type LiveOutput } from './progress.js'

/** How long an apply waits, by default, in the units its flags take: the CLI's flags and the artifact's converge share them. */
export const APPLY_DEFAULTS = { pollIntervalSeconds: 30, stepTimeoutMinutes: 180, hookTimeoutMinutes: 30 } as const

export interface ApplyFlowFlags {
  readonly yes: boolean
  readonly json: boolean
  /** Milliseconds (the duration flags are read as such when parsed). */
  readonly 'poll-interval': number
  readonly 'step-timeout': number
  readonly 'hook-timeout': number
}

export interface ApplyFlowExtras {
  /** Secrets the plan names ({fromSecret}), handed to the interpreter only. */
  readonly secrets?: Readonly<Record<string, string>>
  /** The lease the run takes on its target (default: this process's, thisProcessLease). */
  readonly lease?: LeaseOptions
  /** For a create's schema step: where Liquibase is (default: the installed npm package's). */
  readonly liquibase?: ApplyChangelogOptions
}

/** Where the flow writes: the plan and progress (`out`), notes and interrupts (`err`), and the terminal for the live view, if stdout is one. */
export interface FlowIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** stdout when it is a terminal (the live block is drawn on it); undefined: one line per event. */
  readonly terminal: LiveOutput | undefined
}

/** This process's stdout and stderr. */
export const processIo = (): FlowIo => ({
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  terminal: process.stdout.isTTY ? process.stdout : undefined,
})

/** Says, one `Note: ` line each, what reading the world could not tell and what was assumed instead. */
export const sayNotes = (environment: Environment, err: (text: string) => void = processIo().err): void => {
  for (const note of environment.notes ?? []) err(`Note: ${note}\n`)
}

/** How an apply ended when it did not fail: the line said at the end (also when --json says none). */
export type FlowOutcome =
  | { readonly _tag: 'NothingToDo'; readonly line: string }
  | { readonly _tag: 'Applied'; readonly line: string; readonly steps: number; readonly skipped: number; readonly elapsedMs: number }

/**
 * Applies a plan on the world it was checked or made on. Failures are thrown: UserError (exit 1 unless it
 * says otherwise), Interrupted (130 / 143 / 129).
 */
export const applyFlow = async (
  plan: Plan,
  environment: Environment,
  capabilities: Capabilities,
  flags: ApplyFlowFlags,
  extras: ApplyFlowExtras = {},
  io: FlowIo = processIo(),
): Promise<FlowOutcome> => {
  const pollIntervalMs = flags['poll-interval']
  const stepTimeoutMs = flags['step-timeout']
  const hookTimeoutMs = flags['hook-timeout']
  const progress = planProgress(environment, plan)
  if (progress.every((p) => p._tag === 'done')) {
    const line = `Nothing to do: run ${plan.run} is complete.`
    if (!flags.json) io.out(`${line}\n`)
    return { _tag: 'NothingToDo', line }
  }
  // a password the plan needs and was not given: before the question, not at its step
  const missing = missingSecret(plan, progress, extras.secrets)
  if (missing !== undefined) throw new UserError(renderApplyFailure(missing, plan))
  if (!flags.json) io.out(renderText(plan, progress))
  if (!flags.yes) {
    const answer = await confirm('Apply? [y/N] ')
    if (answer === 'no-terminal') throw new UserError('refusing to apply without confirmation: there is no terminal to ask on; pass --yes')
    if (answer === 'interrupted') throw new Interrupted('not applied', exitCodeFor('SIGINT'))
    if (answer !== 'yes') throw new UserError('not applied')
  }
  const { clock } = capabilities
  const reporter = flags.json ? jsonLinesReporter(io.out) : io.terminal !== undefined ? liveReporter(plan, io.terminal, () => clock.now()) : lineReporter(plan, io.out)
  const interrupts = catchInterrupts((line) => io.err(`${line}\n`))
  const result = await apply(
    plan,
    capabilities,
    {
      pollIntervalMs,
      stepTimeoutMs,
      hookTimeoutMs,
      signal: interrupts.signal,
      lease: extras.lease ?? thisProcessLease(),
      ...(extras.secrets === undefined ? {} : { secrets: extras.secrets }),
      ...(extras.liquibase === undefined ? {} : { liquibase: extras.liquibase }),
    },
    reporter.onEvent,
  ).finally(interrupts.dispose)
  if (E.isLeft(result)) {
    const message = renderApplyFailure(result.left, plan)
    if (flags.json) reporter.onEvent({ type: 'error', at: clock.now(), message })
    const signal = interrupts.received()
    if (result.left._tag === 'Interrupted' && signal !== undefined) throw new Interrupted(message, exitCodeFor(signal))
    throw new UserError(message)
  }
  const r = result.right
  const done = plan.kind === 'create' ? `Created ${plan.target} like ${plan.source}` : plan.kind === 'new-cluster' ? `Cloned ${plan.source} into the new cluster ${plan.target}` : `Cloned ${plan.source} into ${plan.target}`
  const line = `${done}: ${r.steps - r.skipped} steps in ${duration(r.elapsedMs)}${r.skipped > 0 ? ` (${r.skipped} were already done)` : ''}.`
  if (!flags.json) io.out(`${line}\n`)
  return { _tag: 'Applied', line, steps: r.steps, skipped: r.skipped, elapsedMs: r.elapsedMs }
}
