/**
 * What the commands print, once: the tail of clone and create (--iam-policy, --plan with --format and
 * --out, else the apply: show the plan, ask, run it with progress, say how it ended: apply-flow.ts), and,
 * under --json, a failure as one JSON error object on stdout as well as its line on stderr.
 */
import { writeFileSync } from 'node:fs'
import { Command } from '@oclif/core'
import { iamPolicy } from '../plan/iam.js'
import { planFileOf, secretsOf, type Planned } from '../interpret/workflow.js'
import type { Capabilities } from '../interpret/capabilities.js'
import type { Environment } from '../plan/domain.js'
import type { Plan } from '../plan/plan.js'
import { passwordEngine } from '../plan/passwords.js'
import { planProgress } from '../plan/progress.js'
import { renderMermaid } from '../plan/render/mermaid.js'
import { renderJson, renderText } from '../plan/render/text.js'
import { applyFlow, sayNotes, type ApplyFlowFlags } from './apply-flow.js'
import { describeFailure, UserError } from './errors.js'
import { checkPasswordConfirmation, readPasswordSecrets, type PasswordFlags } from './password-source.js'

export { sayNotes, type ApplyFlowFlags } from './apply-flow.js'

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
