import { Command, Flags } from '@oclif/core'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { connectRds } from '../../aws/client.js'
import { awsRdsPort } from '../../aws/rds.js'
import { renderRdsError, type RdsPort } from '../../interpret/port.js'
import { planFromWorld, renderPlanFailure } from '../../interpret/plan.js'
import { iamPolicy } from '../../plan/iam.js'
import { renderJson, renderMermaid, renderText } from '../../plan/render.js'
import { loadFixture } from '../../sim/world.js'
import { simulate } from '../../sim/simulator.js'
import { applyPlan, renderApplyFailure } from '../../interpret/apply.js'
import { processShell } from '../../interpret/shell.js'
import { systemClock, type Clock } from '../../interpret/port.js'
import { planProgress } from '../../plan/progress.js'
import { UserError } from '../errors.js'
import { assumeRoleWithMfa, expiresWithin, loadRoleFile, mfaCodeSource, terminalPrompt, type ExpiringCredentials } from '../../aws/credentials.js'
import { expectedMs } from '../../interpret/estimates.js'
import type { Step } from '../../plan/operations.js'
import { confirm } from '../confirm.js'
import { duration, jsonLinesReporter, lineReporter } from '../progress.js'

export default class Clone extends Command {
  static override summary = 'Clone a source RDS instance into the place of a target replica tree (the default command).'

  static override description = `Builds temp- copies of the target tree from the source's data with the target's settings, renames the target tree to old-, renames the copies into place, runs the restart hook, and deletes old-. Every run is first a plan: --plan prints it and changes nothing.

Credentials, region and endpoint come from the standard AWS chain (environment, ~/.aws/config and credentials, SSO, instance roles; AWS_ENDPOINT_URL for emulators), as for the AWS CLI. --simulate reads a describe-style JSON file instead of AWS.`

  static override examples = [
    {
      description: 'Show the plan for the stack-mitosis demo on the embedded simulator (no AWS account needed)',
      command: '<%= config.bin %> --simulate fixtures/demo.json --source mitosis-prod --target mitosis-demo --plan',
    },
    { description: 'The plan as JSON, for review tools', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --plan --json' },
    { description: 'The trees before and after, as a Mermaid flowchart', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --plan --format mermaid' },
    { description: 'The least-privilege IAM policy for this clone', command: '<%= config.bin %> --source mitosis-prod --target mitosis-demo --iam-policy --profile prod-admin' },
  ]

  static override flags = {
    source: Flags.string({ summary: 'Identifier of the DB instance whose data is cloned (never modified).', required: true, helpValue: 'ID' }),
    target: Flags.string({ summary: 'Identifier of the root of the replica tree to replace.', required: true, helpValue: 'ID' }),
    plan: Flags.boolean({ summary: 'Print the plan and change nothing.' }),
    format: Flags.string({ summary: 'How --plan prints the plan.', options: ['text', 'json', 'mermaid'], default: 'text' }),
    json: Flags.boolean({ summary: 'Same as --format json: one JSON document on stdout.' }),
    restart: Flags.string({ summary: 'Shell command that restarts the application after the swap, before old- is deleted.', helpValue: 'CMD' }),
    'restore-snapshot': Flags.boolean({ summary: "Restore the source's latest snapshot instead of replicating from it (automatic across VPCs)." }),
    'iam-policy': Flags.boolean({ summary: 'Print the least-privilege IAM policy the plan needs, as JSON.' }),
    simulate: Flags.string({
      summary: 'Plan against a describe-style JSON environment instead of AWS.',
      helpValue: 'FILE',
      exclusive: ['profile', 'region'],
    }),
    credentials: Flags.string({
      summary: 'Role file to assume with MFA (JSON: roleArn, mfaSerial, region, optional durationSeconds).',
      helpValue: 'FILE',
      exclusive: ['simulate'],
    }),
    'mfa-code': Flags.string({ summary: 'The six-digit MFA code for --credentials (or MITOSIS_MFA_CODE); asked on the terminal otherwise.', helpValue: 'CODE' }),
    profile: Flags.string({ summary: 'AWS profile from ~/.aws/config (default: AWS_PROFILE or "default").', helpValue: 'P' }),
    region: Flags.string({ summary: 'AWS region (default: AWS_REGION or the profile\'s region).', helpValue: 'R' }),
    yes: Flags.boolean({ char: 'y', summary: 'Apply without asking (needed when there is no terminal to ask on).' }),
    'poll-interval': Flags.string({ summary: 'Seconds between status polls while waiting (decimals allowed).', default: '30', helpValue: 'SECONDS' }),
    'step-timeout': Flags.string({ summary: 'Minutes one step may take before the run stops (re-run to keep waiting).', default: '180', helpValue: 'MINUTES' }),
    'hook-timeout': Flags.string({ summary: 'Minutes the restart hook may take.', default: '30', helpValue: 'MINUTES' }),
    debug: Flags.boolean({ summary: 'Show stack traces on errors.' }),
  }

  public async run(): Promise<void> {
    const { flags } = await this.parse(Clone)
    if (flags.json && flags.format !== 'text' && flags.format !== 'json') {
      throw new UserError(`--json and --format ${flags.format} ask for two different outputs; choose one`)
    }
    const pollMs = positiveNumber('--poll-interval', flags['poll-interval']) * 1000
    const stepTimeoutMs = positiveNumber('--step-timeout', flags['step-timeout']) * 60_000
    const hookTimeoutMs = positiveNumber('--hook-timeout', flags['hook-timeout']) * 60_000
    const { port, clock, beforeStep } = await this.port(flags)
    const request = { source: flags.source, target: flags.target, restart: flags.restart, restoreSnapshot: flags['restore-snapshot'] }
    const planned = await planFromWorld(port, request)()
    if (E.isLeft(planned)) throw new UserError(renderPlanFailure(planned.left))
    const { environment, plan } = planned.right
    if (flags['iam-policy']) {
      this.log(JSON.stringify(iamPolicy(environment, plan), null, 2))
      return
    }
    const format = flags.json ? 'json' : flags.format
    const progress = planProgress(environment, plan)
    if (flags.plan) {
      const out = format === 'json' ? renderJson(plan) : format === 'mermaid' ? renderMermaid(environment, plan) : renderText(plan, progress)
      process.stdout.write(out)
      return
    }
    if (format === 'mermaid') throw new UserError('--format mermaid only describes a plan: add --plan')
    if (progress.every((p) => p._tag === 'done')) {
      if (!flags.json) process.stdout.write(`Nothing to do: run ${plan.run} is complete.\n`)
      return
    }
    if (!flags.json) process.stdout.write(renderText(plan, progress))
    if (!flags.yes) {
      const answer = await confirm('Apply? [y/N] ')
      if (answer === 'no-terminal') throw new UserError('refusing to apply without confirmation: there is no terminal to ask on; pass --yes')
      if (answer !== 'yes') throw new UserError('not applied')
    }
    const reporter = flags.json ? jsonLinesReporter((l) => process.stdout.write(l)) : lineReporter(plan, (l) => process.stdout.write(l))
    const result = await applyPlan(
      plan,
      { rds: port, clock, shell: processShell, random: Math.random },
      { pollIntervalMs: pollMs, stepTimeoutMs, hookTimeoutMs, ...(beforeStep === undefined ? {} : { beforeStep }) },
      reporter.onEvent,
    )
    if (E.isLeft(result)) {
      const message = renderApplyFailure(result.left, plan)
      if (flags.json) reporter.onEvent({ type: 'error', at: clock.now(), message })
      throw new UserError(message)
    }
    if (!flags.json) {
      const r = result.right
      process.stdout.write(`Cloned ${plan.source} into ${plan.target}: ${r.steps - r.skipped} steps in ${duration(r.elapsedMs)}${r.skipped > 0 ? ` (${r.skipped} were already done)` : ''}.\n`)
    }
  }

  /** AWS, or with --simulate the in-memory RDS on a virtual clock (an apply runs in fast-forward). */
  private async port(flags: {
    simulate?: string | undefined
    profile?: string | undefined
    region?: string | undefined
    credentials?: string | undefined
    'mfa-code'?: string | undefined
  }): Promise<{ port: RdsPort; clock: Clock; beforeStep?: (step: Step) => Promise<string | undefined> }> {
    if (flags.simulate !== undefined) {
      const env = loadFixture(flags.simulate)
      if (E.isLeft(env)) throw new UserError(env.left)
      const sim = simulate(env.right)
      return { port: sim, clock: sim.clock }
    }
    let assumed: ExpiringCredentials | undefined
    let region = flags.region
    if (flags.credentials !== undefined) {
      const roleFile = loadRoleFile(flags.credentials)
      if (E.isLeft(roleFile)) throw new UserError(roleFile.left)
      const source = mfaCodeSource({ code: flags['mfa-code'], env: process.env, prompt: terminalPrompt() })
      const creds = await assumeRoleWithMfa(roleFile.right, source, { profile: flags.profile })()
      if (E.isLeft(creds)) throw new UserError(creds.left)
      assumed = creds.right
      for (const note of assumed.notes) process.stderr.write(`Note: ${note}\n`)
      region ??= roleFile.right.region
    }
    const connected = await pipe(connectRds({ profile: flags.profile, region, credentials: assumed?.provider }), TE.map(awsRdsPort))()
    if (E.isLeft(connected)) throw new UserError(renderRdsError(connected.left))
    // before each step: credentials that would expire during it are refreshed (asking for a new
    // code) or the run stops at this step boundary, to be re-run
    const beforeStep =
      assumed === undefined
        ? undefined
        : async (step: Step): Promise<string | undefined> => {
            if (!expiresWithin(assumed, expectedMs(step) + 60_000, Date.now())) return undefined
            const refreshed = await assumed.refresh()
            return E.isLeft(refreshed) ? `the AWS credentials expire before step ${step.n} could finish (${refreshed.left})` : undefined
          }
    return { port: connected.right, clock: systemClock, ...(beforeStep === undefined ? {} : { beforeStep }) }
  }
}

const positiveNumber = (flag: string, text: string): number => {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} must be a positive number, got ${JSON.stringify(text)}`)
  return n
}
