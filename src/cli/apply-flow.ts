/** Applying a plan from the CLI: show it, ask, run it with progress, say how it ended. */
import { writeFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import { basisOf, type PlanFile } from '../plan/plan.js'
import { applyPlan, renderApplyFailure } from '../interpret/apply.js'
import { missingSecret, secretsNamed } from '../interpret/secrets.js'
import { processShell } from '../interpret/shell.js'
import type { Environment } from '../plan/domain.js'
import type { Plan } from '../plan/plan.js'
import { planProgress } from '../plan/progress.js'
import { renderText } from '../plan/render/text.js'
import type { Connected } from './connect.js'
import { confirm } from './confirm.js'
import { Interrupted, UserError } from './errors.js'
import { catchInterrupts, exitCodeFor } from './interrupt.js'
import { thisProcessLease } from './lease.js'
import { positiveNumber } from './flags.js'
import { duration, jsonLinesReporter, lineReporter, liveReporter } from './progress.js'

export interface ApplyFlowFlags {
  readonly yes: boolean
  readonly json: boolean
  readonly 'poll-interval': string
  readonly 'step-timeout': string
  readonly 'hook-timeout': string
}

export interface ApplyFlowExtras {
  /** Secrets the plan names ({fromSecret}), handed to the interpreter only. */
  readonly secrets?: Readonly<Record<string, string>>
}

/** Says on stderr, one `Note: ` line each, what reading the world could not tell and what was assumed instead. */
export const sayNotes = (environment: Environment): void => {
  for (const note of environment.notes ?? []) process.stderr.write(`Note: ${note}\n`)
}

/**
 * Writes a plan with what it was made from, for `mitosis apply FILE` (--plan --out); returns the line
 * that tells how to apply it (with where the password comes from, when the plan names one).
 */
export const savePlan = (path: string, plan: Plan, environment: Environment): string => {
  const file: PlanFile = { kind: 'mitosis-plan', plan, basis: basisOf(environment, plan) }
  try {
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`)
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  const password = plan.steps.some((s) => secretsNamed(s).length > 0) ? ' --db-password-file FILE (or --db-password-stdin)' : ''
  return `Saved to ${path}; apply exactly this plan with: mitosis apply ${path}${password}\n`
}

export const applyFlow = async (plan: Plan, environment: Environment, connected: Connected, flags: ApplyFlowFlags, extras: ApplyFlowExtras = {}): Promise<void> => {
  const pollIntervalMs = positiveNumber('--poll-interval', flags['poll-interval']) * 1000
  const stepTimeoutMs = positiveNumber('--step-timeout', flags['step-timeout']) * 60_000
  const hookTimeoutMs = positiveNumber('--hook-timeout', flags['hook-timeout']) * 60_000
  const progress = planProgress(environment, plan)
  if (progress.every((p) => p._tag === 'done')) {
    if (!flags.json) process.stdout.write(`Nothing to do: run ${plan.run} is complete.\n`)
    return
  }
  // a password the plan needs and was not given: before the question, not at its step
  const missing = missingSecret(plan, progress, extras.secrets)
  if (missing !== undefined) throw new UserError(renderApplyFailure(missing, plan))
  if (!flags.json) process.stdout.write(renderText(plan, progress))
  if (!flags.yes) {
    const answer = await confirm('Apply? [y/N] ')
    if (answer === 'no-terminal') throw new UserError('refusing to apply without confirmation: there is no terminal to ask on; pass --yes')
    if (answer === 'interrupted') throw new Interrupted('not applied', exitCodeFor('SIGINT'))
    if (answer !== 'yes') throw new UserError('not applied')
  }
  const { port, clock, beforeStep } = connected
  const reporter = flags.json ? jsonLinesReporter((l) => process.stdout.write(l)) : process.stdout.isTTY ? liveReporter(plan, process.stdout, () => clock.now()) : lineReporter(plan, (l) => process.stdout.write(l))
  const interrupts = catchInterrupts((line) => process.stderr.write(`${line}\n`))
  const result = await applyPlan(
    plan,
    { rds: port, clock, shell: processShell, random: Math.random },
    {
      pollIntervalMs,
      stepTimeoutMs,
      hookTimeoutMs,
      signal: interrupts.signal,
      lease: thisProcessLease(),
      ...(beforeStep === undefined ? {} : { beforeStep }),
      ...(extras.secrets === undefined ? {} : { secrets: extras.secrets }),
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
  if (!flags.json) {
    const r = result.right
    const done = plan.kind === 'create' ? `Created ${plan.target} like ${plan.source}` : `Cloned ${plan.source} into ${plan.target}`
    process.stdout.write(
      `${done}: ${r.steps - r.skipped} steps in ${duration(r.elapsedMs)}${r.skipped > 0 ? ` (${r.skipped} were already done)` : ''}.\n`,
    )
  }
}
