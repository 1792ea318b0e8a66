/**
 * The capabilities a command runs with: AWS (the standard chain, or MFA-assumed credentials from
 * --credentials) on the wall clock, or with --simulate the in-memory RDS on a virtual clock (an
 * apply then runs in fast-forward).
 */
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { connectRds } from '../aws/client.js'
import { assumeRoleWithMfa, expiresWithin, loadRoleFile, mfaCodeSource, profileCredentials, terminalPrompt, type ExpiringCredentials } from '../aws/credentials.js'
import { awsRdsPort } from '../aws/rds.js'
import { expectedMs } from '../interpret/estimates.js'
import { renderRdsError, systemClock, type Clock, type RdsPort } from '../interpret/port.js'
import type { Step } from '../plan/plan.js'
import { simulate } from '../sim/simulator.js'
import { loadFixture } from '../sim/world.js'
import { UserError } from './errors.js'

export interface Connected {
  readonly port: RdsPort
  readonly clock: Clock
  /** Before each step: a reason to stop at this boundary (credentials about to expire). */
  readonly beforeStep?: (step: Step) => Promise<string | undefined>
}

export interface WorldFlags {
  readonly simulate?: string | undefined
  readonly profile?: string | undefined
  readonly region?: string | undefined
  readonly credentials?: string | undefined
  readonly 'mfa-code'?: string | undefined
}

export const connect = async (flags: WorldFlags): Promise<Connected> => {
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
  } else {
    // a named profile may assume a role with MFA (role_arn + mfa_serial in ~/.aws/config): the
    // code is asked for only if the profile needs one
    const profile = flags.profile ?? process.env['AWS_PROFILE']
    if (profile !== undefined) {
      const source = mfaCodeSource({ code: flags['mfa-code'], env: process.env, prompt: terminalPrompt() })
      const creds = await profileCredentials(profile, source, { region })()
      if (E.isLeft(creds)) throw new UserError(creds.left)
      assumed = creds.right
    }
  }
  const connected = await pipe(connectRds({ profile: flags.profile, region, credentials: assumed?.provider }), TE.map(awsRdsPort))()
  if (E.isLeft(connected)) throw new UserError(renderRdsError(connected.left))
  if (assumed === undefined) return { port: connected.right, clock: systemClock }
  const creds = assumed
  // credentials that would expire during a step are refreshed (a new code) or the run stops here
  const beforeStep = async (step: Step): Promise<string | undefined> => {
    if (!expiresWithin(creds, expectedMs(step) + 60_000, Date.now())) return undefined
    const refreshed = await creds.refresh()
    return E.isLeft(refreshed) ? `the AWS credentials expire before step ${step.n} could finish (${refreshed.left})` : undefined
  }
  return { port: connected.right, clock: systemClock, beforeStep }
}
