/**
 * What the commands print, once: the tail of clone and create (--iam-policy, --plan with --format and
 * --out, else the apply: show the plan, ask, run it with progress, say how it ended), and, under --json,
 * a failure as one JSON error object on stdout as well as its line on stderr.
 */
import { writeFileSync } from 'node:fs'
import { Command } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import { iamPolicy } from '../plan/iam.js'
import { renderApplyFailure } from '../interpret/apply.js'
import { missingSecret } from '../interpret/secrets.js'
import type { Capabilities } from '../interpret/capabilities.js'
import { apply, planFileOf, secretsOf, type Planned } from '../interpret/workflow.js'
import type { Environment } from '../plan/domain.js'
import type { Plan } from '../plan/plan.js'
import { passwordEngine } from '../plan/passwords.js'
import { planProgress } from '../plan/progress.js'
import { renderMermaid } from '../plan/render/mermaid.js'
import { renderJson, renderText } from '../plan/render/text.js'
import { confirm } from './prompt.js'
import { describeFailure, Interrupted, UserError } from './errors.js'
import { catchInterrupts, exitCodeFor } from './interrupt.js'
import { thisProcessLease } from './lease.js'
import { checkPasswordConfirmation, readPasswordSecrets, type PasswordFlags } from './password.js'
import { duration, jsonLinesReporter, lineReporter, liveReporter } from './progress.js'

export interface ApplyFlowFlags {
  readonly yes: boolean
  readonly json: boolean
  /** Milliseconds (the duration flags are read as such when parsed). */
  readonly 'poll-interval': number
  readonly 'step-timeout': number
  readonly 'hook-timeout': number
}

interface ApplyFlowExtras {
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
const savePlan = (path: string, plan: Plan, environment: Environment): string => {
  const file = planFileOf({ environment, plan })
  try {
    writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`)
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  const password = secretsOf(plan).length > 0 ? ' --db-password-file FILE (or --db-password-stdin)' : ''
  return `Saved to ${path}; apply exactly this plan with: mitosis apply ${path}${password}\n`
}

const applyFlow = async (plan: Plan, environment: Environment, capabilities: Capabilities, flags: ApplyFlowFlags, extras: ApplyFlowExtras = {}): Promise<void> => {
  const pollIntervalMs = flags['poll-interval']
  const stepTimeoutMs = flags['step-timeout']
  const hookTimeoutMs = flags['hook-timeout']
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
  const { clock } = capabilities
  const reporter = flags.json ? jsonLinesReporter((l) => process.stdout.write(l)) : process.stdout.isTTY ? liveReporter(plan, process.stdout, () => clock.now()) : lineReporter(plan, (l) => process.stdout.write(l))
  const interrupts = catchInterrupts((line) => process.stderr.write(`${line}\n`))
  const result = await apply(
    plan,
    capabilities,
    {
      pollIntervalMs,
      stepTimeoutMs,
      hookTimeoutMs,
      signal: interrupts.signal,
      lease: thisProcessLease(),
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

export type OutputFlags = ApplyFlowFlags &
  PasswordFlags & {
    readonly plan: boolean
    readonly out?: string | undefined
    readonly format: string
    readonly 'iam-policy': boolean
  }

/**
 * The tail of clone and create, on what was planned: the IAM policy (--iam-policy), the plan (--plan, as
 * --format says, saved with --out), or the apply, with the password read only now and handed to the
 * interpreter alone.
 */
export const showOrApply = async ({ plan, environment }: Planned, capabilities: Capabilities, flags: OutputFlags): Promise<void> => {
  sayNotes(environment)
  if (flags['iam-policy']) {
    process.stdout.write(`${JSON.stringify(iamPolicy(environment, plan), null, 2)}\n`)
    return
  }
  const format = flags.json ? 'json' : flags.format
  if (flags.plan) {
    const saved = flags.out === undefined ? undefined : savePlan(flags.out, plan, environment)
    process.stdout.write(format === 'json' ? renderJson(plan) : format === 'mermaid' ? renderMermaid(environment, plan) : renderText(plan, planProgress(environment, plan)))
    if (saved !== undefined && format === 'text') process.stdout.write(`\n${saved}`)
    return
  }
  if (format === 'mermaid') throw new UserError('--format mermaid only describes a plan: add --plan')
  await applyWithPassword({ plan, environment }, capabilities, flags)
}

/**
 * The apply of a fresh or a checked plan: a plan that sets a master password names it only; the
 * password is read only now, from stdin or a file, and handed to the interpreter alone.
 */
export const applyWithPassword = async ({ plan, environment }: Planned, capabilities: Capabilities, flags: ApplyFlowFlags & PasswordFlags): Promise<void> => {
  const secrets = await readPasswordSecrets(flags, passwordEngine(environment, plan))
  await applyFlow(plan, environment, capabilities, flags, secrets === undefined ? {} : { secrets })
}

/** Checks the flags that say how a plan is shown before anything is read. */
export const checkOutputFlags = (flags: OutputFlags): void => {
  if (flags.json && flags.format !== 'text' && flags.format !== 'json') {
    throw new UserError(`--json and --format ${flags.format} ask for two different outputs; choose one`)
  }
  checkPasswordConfirmation(flags, !flags.plan && !flags['iam-policy'])
}

/**
 * A mitosis command: oclif's --json convention (enableJsonFlag), with a failure under --json said twice,
 * as one JSON error object on stdout ({"error": {name, message, exitCode}}, on one line, so that a stream
 * of JSON lines stays one) and as its line on stderr with its exit code (cli/main.ts).
 */
export abstract class MitosisCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (this.jsonEnabled()) {
      const { text, exit } = describeFailure(err, false)
      const message = text.replace(/^Error: /, '')
      process.stdout.write(`${JSON.stringify({ error: { name: err.name, message, exitCode: exit } })}\n`)
    }
    throw err
  }
}
