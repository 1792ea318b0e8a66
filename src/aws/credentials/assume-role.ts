/**
 * The role file's way (`--credentials`), as stack-mitosis did: STS AssumeRole of its role with a six-digit
 * code, signed with the base credentials of the standard chain (or `--profile`).
 *
 * Session lengths: AssumeRole grants up to the role's MaxSessionDuration (1–12 h, default 1 h). Role chaining
 * (assuming a role with credentials that are themselves an assumed role, e.g. from SSO or another
 * `role_arn` profile) is capped by AWS at 1 h whatever is asked: `assumeRoleWithMfa` detects it before asking
 * for a code and asks for 3600 s at most, saying so in `notes`.
 */
import * as os from 'node:os'
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import type { AwsCredentialIdentity } from '@smithy/types'
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { ThrottlingPatientRetry } from '../client.js'
import { credentialsErrorLine, expiringCredentials, Secrets, type ErrorContext, type ExpiringCredentials } from './expiring.js'
import type { MfaCodeSource } from './mfa.js'
import { ROLE_CHAINING_MAX_SECONDS, type RoleFile } from './role-file.js'

/** The credentials of an AssumeRole answer. */
export const identityOf = (out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined }, role: string): AwsCredentialIdentity => {
  const c = out.Credentials
  if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined) {
    throw Object.assign(new Error(`AssumeRole of ${role} answered without credentials`), { name: 'NoCredentials' })
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken === undefined ? {} : { sessionToken: c.SessionToken }),
    ...(c.Expiration === undefined ? {} : { expiration: c.Expiration }),
  }
}

/** STS's RoleSessionName rules: 2–64 characters of [\w+=,.@-]. */
export const roleSessionName = (who: string | undefined): string => {
  const cleaned = (who ?? '').replace(/[^\w+=,.@-]+/g, '-').replace(/^-+|-+$/g, '')
  return `mitosis-${cleaned === '' ? 'session' : cleaned}`.slice(0, 64)
}

/** The local user's name, else the host's. */
export const localIdentity = (): string | undefined => {
  try {
    const name = os.userInfo().username
    if (name !== '') return name
  } catch {
    /* no passwd entry (containers): fall back */
  }
  return process.env['USER'] ?? process.env['LOGNAME'] ?? os.hostname()
}

export interface AssumeRoleOptions {
  /** `--profile`: the base credentials' profile; otherwise the standard chain (environment, files, SSO, instance role). */
  readonly profile?: string | undefined
  /** RoleSessionName; default `mitosis-<user or host>`, sanitised to STS's rules. */
  readonly sessionName?: string | undefined
  /** The clock the provider judges expiry by; default Date.now. */
  readonly now?: (() => number) | undefined
}

const isAssumedRoleArn = (arn: string | undefined): boolean => arn !== undefined && /^arn:aws[a-z-]*:sts::\d+:assumed-role\//.test(arn)

/**
 * STS AssumeRole of the role file's role with an MFA code from `source`, signed with the base credentials.
 * The base credentials are checked before a code is asked for. `refresh()` assumes the role again with a
 * fresh code.
 */
export const assumeRoleWithMfa = (
  roleFile: RoleFile,
  source: MfaCodeSource,
  options: AssumeRoleOptions = {},
): TE.TaskEither<string, ExpiringCredentials> => {
  const secrets = new Secrets()
  const base = options.profile === undefined ? 'the default AWS credentials' : `the credentials of profile ${options.profile}`
  const requested = roleFile.durationSeconds ?? ROLE_CHAINING_MAX_SECONDS
  const notes: string[] = []
  let durationSeconds = requested
  const sessionName = roleSessionName(options.sessionName ?? localIdentity())

  const fetch = async (): Promise<E.Either<string, AwsCredentialIdentity>> => {
    const ctx: ErrorContext = { role: roleFile.roleArn, base, durationSeconds }
    // a client per attempt: a refresh an hour later resolves the base credentials afresh
    const client = new STSClient({
      region: roleFile.region,
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      retryStrategy: new ThrottlingPatientRetry(),
    })
    try {
      const baseIdentity = await client.config.credentials()
      secrets.addIdentity(baseIdentity)
      if (baseIdentity.sessionToken !== undefined && durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
        const caller = await client.send(new GetCallerIdentityCommand({}))
        if (isAssumedRoleArn(caller.Arn)) {
          durationSeconds = ROLE_CHAINING_MAX_SECONDS
          notes.push(
            `the base credentials are an assumed role, so AWS caps the session at ${ROLE_CHAINING_MAX_SECONDS} s (role chaining); asked for ${ROLE_CHAINING_MAX_SECONDS} s instead of ${requested} s`,
          )
        }
      }
      const code = await source.next(roleFile.mfaSerial)
      if (E.isLeft(code)) return E.left(secrets.scrub(code.left))
      secrets.add(code.right)
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: roleFile.roleArn,
          RoleSessionName: sessionName,
          SerialNumber: roleFile.mfaSerial,
          TokenCode: code.right,
          DurationSeconds: durationSeconds,
        }),
      )
      const identity = identityOf(out, roleFile.roleArn)
      secrets.addIdentity(identity)
      return E.right(identity)
    } catch (e) {
      return E.left(secrets.scrub(credentialsErrorLine(e, { ...ctx, durationSeconds })))
    } finally {
      client.destroy()
    }
  }
  return expiringCredentials(fetch, options.now ?? Date.now, () => notes)
}
