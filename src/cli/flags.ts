/** Flags shared by the commands that reach RDS and by those that apply a plan. */
import { Flags } from '@oclif/core'
import { APPLY_DEFAULTS } from './apply-flow.js'
import { positiveNumber } from './numbers.js'

export const worldFlags = {
  simulate: Flags.string({
    summary: 'Work against a describe-style JSON environment (the embedded simulator) instead of AWS.',
    helpValue: 'FILE',
    exclusive: ['profile', 'region', 'credentials'],
  }),
  credentials: Flags.string({
    summary: 'Role file to assume with MFA (JSON: roleArn, mfaSerial, region, optional durationSeconds).',
    helpValue: 'FILE',
  }),
  'mfa-code': Flags.string({ summary: 'The six-digit MFA code for --credentials or an MFA profile (or MITOSIS_MFA_CODE); asked on the terminal otherwise.', helpValue: 'CODE' }),
  profile: Flags.string({ summary: 'AWS profile from ~/.aws/config (default: AWS_PROFILE or "default").', helpValue: 'P' }),
  region: Flags.string({ summary: "AWS region (default: AWS_REGION or the profile's region).", helpValue: 'R' }),
}

/**
 * A duration flag: a positive number of `unit` (decimals allowed), read as milliseconds when the flags are
 * parsed, so a bad value is refused before anything is read.
 */
const durationFlag = (name: string, unit: 'SECONDS' | 'MINUTES', byDefault: number, summary: string) => {
  const unitMs = unit === 'SECONDS' ? 1000 : 60_000
  return Flags.custom<number>({
    summary,
    helpValue: unit,
    default: byDefault * unitMs,
    defaultHelp: async () => String(byDefault),
    parse: async (text) => positiveNumber(`--${name}`, text) * unitMs,
  })()
}

export const applyFlags = {
  yes: Flags.boolean({ char: 'y', summary: 'Apply without asking (needed when there is no terminal to ask on).' }),
  'poll-interval': durationFlag('poll-interval', 'SECONDS', APPLY_DEFAULTS.pollIntervalSeconds, 'Seconds between status polls while waiting (decimals allowed).'),
  'step-timeout': durationFlag('step-timeout', 'MINUTES', APPLY_DEFAULTS.stepTimeoutMinutes, 'Minutes one step may take before the run stops (re-run to keep waiting).'),
  'hook-timeout': durationFlag('hook-timeout', 'MINUTES', APPLY_DEFAULTS.hookTimeoutMinutes, 'Minutes the restart hook may take.'),
}

/**
 * How clone and create show what they planned (cli/output.ts's showOrApply reads these): --plan, --out,
 * --format (with the formats the command can print), --json and --iam-policy.
 */
export const outputFlags = (formats: ReadonlyArray<'text' | 'json' | 'mermaid'>, json: string) => ({
  plan: Flags.boolean({ summary: 'Print the plan and change nothing.' }),
  out: Flags.string({ summary: 'With --plan: also save the plan, with what it was made from, for `mitosis apply FILE`.', helpValue: 'FILE', dependsOn: ['plan'] }),
  format: Flags.string({ summary: 'How --plan prints the plan.', options: [...formats], default: 'text' }),
  json: Flags.boolean({ summary: json }),
  'iam-policy': Flags.boolean({ summary: 'Print the least-privilege IAM policy the plan needs, as JSON.' }),
})

/** The production guard's override (clone, and apply FILE, which checks a saved plan again). */
export const productionFlag = {
  'allow-production-target': Flags.boolean({
    summary: 'Allow a target tagged as production (tag environment, env or stage = prod or production, any case), which is otherwise refused with exit 2; it is replaced and deleted like any target.',
  }),
}

export const debugFlag = { debug: Flags.boolean({ summary: 'Show stack traces on errors.' }) }
