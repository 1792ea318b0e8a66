/**
 * The production wiring, at the edge: the Capabilities a command runs with (the RDS port, the clock,
 * the hook's shell, randomness for the poll jitter, and the credential policy before each step). AWS (the standard chain, a
 * profile, or MFA-assumed credentials from --credentials) on the wall clock, or with --simulate the
 * in-memory RDS on a virtual clock (an apply then runs in fast-forward).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { connectRds } from '../aws/client.js'
import { assumeRoleWithMfa } from '../aws/credentials/assume-role.js'
import { refreshBeforeStep, type ExpiringCredentials } from '../aws/credentials/expiring.js'
import { mfaCodeSource, type MfaCodeSource } from '../aws/credentials/mfa.js'
import { profileCredentials } from '../aws/credentials/profile.js'
import { loadRoleFile } from '../aws/credentials/role-file.js'
import { awsRdsPort } from '../aws/rds.js'
import { renderRdsError, systemClock, type Capabilities, type Clock } from '../interpret/capabilities.js'
import { processShell } from '../interpret/shell.js'
import { simulate } from '../sim/simulator.js'
import { loadFixture } from '../sim/fixture.js'
import { UserError } from './errors.js'
import { terminalPrompt } from './prompt.js'

export interface WorldFlags {
  readonly simulate?: string | undefined
  readonly profile?: string | undefined
  readonly region?: string | undefined
  readonly credentials?: string | undefined
  readonly 'mfa-code'?: string | undefined
}

const orThrow = <A>(e: E.Either<string, A>): A => {
  if (E.isLeft(e)) throw new UserError(e.left)
  return e.right
}

/** Where an MFA code comes from on the command line: --mfa-code, MITOSIS_MFA_CODE, the terminal. */
const mfaCodes = (flags: WorldFlags): MfaCodeSource => mfaCodeSource({ code: flags['mfa-code'], env: process.env, prompt: terminalPrompt() })

/**
 * The credentials to sign with, when not the SDK's default chain: the role file's role (assumed with MFA),
 * else a named profile, which may itself assume a role with MFA (role_arn + mfa_serial in ~/.aws/config);
 * a code is asked for only when one of them needs it.
 */
export const awsCredentials = async (flags: WorldFlags, clock: Clock): Promise<{ readonly credentials?: ExpiringCredentials; readonly region: string | undefined }> => {
  if (flags.credentials !== undefined) {
    const roleFile = orThrow(loadRoleFile(flags.credentials))
    const credentials = orThrow(await assumeRoleWithMfa(roleFile, mfaCodes(flags), { profile: flags.profile, now: clock.now })())
    for (const note of credentials.notes) process.stderr.write(`Note: ${note}\n`)
    return { credentials, region: flags.region ?? roleFile.region }
  }
  const profile = flags.profile ?? process.env['AWS_PROFILE']
  if (profile === undefined) return { region: flags.region }
  const credentials = orThrow(await profileCredentials(profile, mfaCodes(flags), { region: flags.region, now: clock.now })())
  return { credentials, region: flags.region }
}

/** The world, and the credentials it is read with when they are not the SDK's chain (for another AWS client, e.g. EC2). */
export interface Connected {
  readonly capabilities: Capabilities
  readonly credentials?: ExpiringCredentials | undefined
}

export const connectWorld = async (flags: WorldFlags): Promise<Connected> => {
  if (flags.simulate !== undefined) {
    const sim = simulate(orThrow(loadFixture(flags.simulate)))
    return { capabilities: { rds: sim, clock: sim.clock, shell: processShell, random: Math.random } }
  }
  const clock = systemClock
  const { credentials, region } = await awsCredentials(flags, clock)
  const connected = await pipe(connectRds({ profile: flags.profile, region, credentials: credentials?.provider }), TE.map(awsRdsPort))()
  if (E.isLeft(connected)) throw new UserError(renderRdsError(connected.left))
  const capabilities: Capabilities = { rds: connected.right, clock, shell: processShell, random: Math.random }
  return credentials === undefined ? { capabilities } : { capabilities: { ...capabilities, beforeStep: refreshBeforeStep(credentials, clock.now) }, credentials }
}

export const connect = async (flags: WorldFlags): Promise<Capabilities> => (await connectWorld(flags)).capabilities
