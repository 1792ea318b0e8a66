/** Flags shared by the commands that reach RDS and by those that apply a plan. */
import { Flags } from '@oclif/core'
import { UserError } from './errors.js'

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

export const applyFlags = {
  yes: Flags.boolean({ char: 'y', summary: 'Apply without asking (needed when there is no terminal to ask on).' }),
  'poll-interval': Flags.string({ summary: 'Seconds between status polls while waiting (decimals allowed).', default: '30', helpValue: 'SECONDS' }),
  'step-timeout': Flags.string({ summary: 'Minutes one step may take before the run stops (re-run to keep waiting).', default: '180', helpValue: 'MINUTES' }),
  'hook-timeout': Flags.string({ summary: 'Minutes the restart hook may take.', default: '30', helpValue: 'MINUTES' }),
}

/** The production guard's override (clone, and apply FILE, which checks a saved plan again). */
export const productionFlag = {
  'allow-production-target': Flags.boolean({
    summary: 'Allow a target tagged as production (tag environment, env or stage = prod or production, any case), which is otherwise refused with exit 2; it is replaced and deleted like any target.',
  }),
}

export const debugFlag = { debug: Flags.boolean({ summary: 'Show stack traces on errors.' }) }

export const positiveNumber = (flag: string, text: string): number => {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} must be a positive number, got ${JSON.stringify(text)}`)
  return n
}
