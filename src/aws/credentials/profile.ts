/**
 * The AWS config's way: credentials as users already keep them, profiles in ~/.aws/config (`role_arn`,
 * `mfa_serial`, `source_profile`), read through the SDK's own `fromIni`, which asks for a code only when the
 * profile has `mfa_serial`.
 */
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts'
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers'
import type { AwsCredentialIdentity } from '@smithy/types'
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { ThrottlingPatientRetry } from '../client.js'
import { firstLine } from '../errors.js'
import { identityOf } from './assume-role.js'
import { credentialsErrorLine, expiringCredentials, Secrets, type ErrorContext, type ExpiringCredentials } from './expiring.js'
import type { MfaCodeSource } from './mfa.js'

/** Thrown by our mfaCodeProvider inside fromIni: its message is already the line to show. */
class MfaCodeError extends Error {
  override readonly name = 'MfaCodeError'
}

/** The region STS is called in when none is given: AWS_REGION, the profile's region, else us-east-1 (as the SDK does). */
const defaultStsRegion = async (profile: string | undefined): Promise<string> => {
  const probe = new STSClient(profile === undefined ? {} : { profile })
  try {
    return (await probe.config.region()) || 'us-east-1'
  } catch {
    return 'us-east-1'
  } finally {
    probe.destroy()
  }
}

export interface ProfileOptions {
  /** The region of the STS endpoint that assumes the profile's role; default AWS_REGION, the profile's region, us-east-1. */
  readonly region?: string | undefined
  /** The clock the provider judges expiry by; default Date.now. */
  readonly now?: (() => number) | undefined
}

/**
 * Credentials of `profile` (`--profile`), or of the standard chain when undefined (AWS_PROFILE, environment
 * keys, SSO, instance roles). A profile with `role_arn` + `mfa_serial` asks `source` for a code (once per
 * resolution); any other profile never does. Resolves once now, so a missing profile or a wrong code is said
 * before any work starts.
 */
export const profileCredentials = (
  profile: string | undefined,
  source: MfaCodeSource,
  options: ProfileOptions = {},
): TE.TaskEither<string, ExpiringCredentials> => {
  const secrets = new Secrets()
  let assuming: string | undefined
  const mfaCodeProvider = async (serial: string): Promise<string> => {
    const code = await source.next(serial)
    if (E.isLeft(code)) throw new MfaCodeError(code.left)
    secrets.add(code.right)
    return code.right
  }
  // fromIni's role assumer, ours: it learns the role (for messages) and every source secret (to scrub them),
  // and retries as every other client does, so an unreachable STS is said in seconds.
  const roleAssumer = async (sourceCreds: AwsCredentialIdentity, params: AssumeRoleCommandInput): Promise<AwsCredentialIdentity> => {
    secrets.addIdentity(sourceCreds)
    assuming = params.RoleArn
    const sts = new STSClient({
      region: options.region ?? (await defaultStsRegion(profile)),
      credentials: sourceCreds,
      retryStrategy: new ThrottlingPatientRetry(),
    })
    try {
      const assumed = identityOf(await sts.send(new AssumeRoleCommand(params)), params.RoleArn ?? 'the role')
      secrets.addIdentity(assumed)
      return assumed
    } finally {
      sts.destroy()
    }
  }
  const init = { mfaCodeProvider, roleAssumer, ignoreCache: true }
  const named = profile === undefined ? 'the default profile' : `profile ${profile}`
  const fetch = async (): Promise<E.Either<string, AwsCredentialIdentity>> => {
    assuming = undefined
    try {
      // a new provider each time: the SDK's own memoisation would hand back the old session on refresh
      const provider = profile === undefined ? fromNodeProviderChain(init) : fromIni({ ...init, profile })
      const identity = await provider()
      secrets.addIdentity(identity)
      return E.right(identity)
    } catch (e) {
      const name = (e as Error)?.name
      if (name === 'CredentialsProviderError' || name === 'ProviderError') {
        const message = firstLine((e as Error).message ?? '')
        return E.left(secrets.scrub(profile === undefined ? `no usable AWS credentials: ${message}` : `profile ${profile}: ${message}`))
      }
      const ctx: ErrorContext = {
        role: assuming === undefined ? `the role of ${named}` : `${assuming} (${named})`,
        base: profile === undefined ? 'the default AWS credentials' : `the source credentials of profile ${profile}`,
      }
      return E.left(secrets.scrub(credentialsErrorLine(e, ctx)))
    }
  }
  return expiringCredentials(fetch, options.now ?? Date.now, () => [])
}
