/**
 * Credentials that expire, as both ways of getting them return them (assume-role.ts, profile.ts): a provider
 * for SDK clients, the expiry, and `refresh()`, so that the interpreter can ask before each step whether the
 * credentials outlive it, and refresh or stop at the step boundary rather than fail in the middle of one
 * (refreshBeforeStep, the policy).
 *
 * Secrets (secret keys, session tokens, MFA codes) never appear in a message: every error line is built here
 * from the SDK's error name and first line, then scrubbed of every secret the credentials source has seen.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { stepDuration } from '../../plan/durations.js'
import type { Step } from '../../plan/plan.js'
import { firstLine, fromSdkError } from '../errors.js'
import { SIX_DIGITS } from './mfa.js'
import { ROLE_CHAINING_MAX_SECONDS } from './role-file.js'

export interface ExpiringCredentials {
  /** For SDK clients (`credentials: creds.provider`): the current credentials; once they are (nearly) expired, refreshed first. */
  readonly provider: AwsCredentialIdentityProvider
  /** When the current credentials expire, in ms since the epoch; undefined when they do not (static keys). */
  readonly expiresAt: () => number | undefined
  /** Gets new credentials now (asking for a fresh MFA code if the source needs one); the old ones stay on failure. */
  readonly refresh: () => Promise<E.Either<string, void>>
  /** What the user should know, e.g. that role chaining capped the session at 1 h. */
  readonly notes: ReadonlyArray<string>
}

/** True when the credentials expire within `ms` of `now` (never for credentials that do not expire). */
export const expiresWithin = (credentials: Pick<ExpiringCredentials, 'expiresAt'>, ms: number, now: number): boolean => {
  const at = credentials.expiresAt()
  return at !== undefined && at - now <= ms
}

/** The provider refreshes on its own this close to the expiry (a request must not be signed with dying keys). */
export const PROVIDER_REFRESH_MARGIN_MS = 60_000

/** An error the SDK's callers recognise as a credentials failure (fromSdkError maps it to `Credentials`). */
class CredentialsProviderError extends Error {
  override readonly name = 'CredentialsProviderError'
}

/** ExpiringCredentials over `fetch`: the first fetch now; refreshes are shared while one is in flight. */
export const expiringCredentials = (
  fetch: () => Promise<E.Either<string, AwsCredentialIdentity>>,
  now: () => number,
  notes: () => ReadonlyArray<string>,
): TE.TaskEither<string, ExpiringCredentials> =>
  async () => {
    const first = await fetch()
    if (E.isLeft(first)) return first
    let current: AwsCredentialIdentity = first.right
    let inFlight: Promise<E.Either<string, void>> | undefined
    const expiresAt = (): number | undefined => current.expiration?.getTime()
    const refresh = (): Promise<E.Either<string, void>> =>
      (inFlight ??= fetch()
        .then(
          E.map((identity) => {
            current = identity
          }),
        )
        .finally(() => {
          inFlight = undefined
        }))
    const provider: AwsCredentialIdentityProvider = async () => {
      const at = expiresAt()
      if (at !== undefined && at - now() <= PROVIDER_REFRESH_MARGIN_MS) {
        const r = await refresh()
        if (E.isLeft(r)) throw new CredentialsProviderError(r.left)
      }
      return current
    }
    return E.right({ provider, expiresAt, refresh, notes: notes() })
  }

/** A step is started only with credentials that outlive its typical duration by this much. */
export const STEP_EXPIRY_MARGIN_MS = 60_000

/**
 * The credential-expiry policy, for the interpreter's `beforeStep`: credentials that would expire during the
 * step are refreshed now (a new MFA code), or the run stops at this step boundary, to be re-run.
 */
export const refreshBeforeStep =
  (credentials: ExpiringCredentials, now: () => number) =>
  async (step: Step): Promise<string | undefined> => {
    if (!expiresWithin(credentials, stepDuration(step) + STEP_EXPIRY_MARGIN_MS, now())) return undefined
    const refreshed = await credentials.refresh()
    return E.isLeft(refreshed) ? `the AWS credentials expire before step ${step.n} could finish (${refreshed.left})` : undefined
  }

// ---------------------------------------------------------------------------------------------------------------
// Error lines

/** The secrets one credentials source has seen, scrubbed from every message it builds. */
export class Secrets {
  private readonly values = new Set<string>()
  add(...values: ReadonlyArray<string | undefined>): void {
    for (const v of values) if (v !== undefined && v.length >= 6) this.values.add(v)
  }
  addIdentity(c: AwsCredentialIdentity): void {
    this.add(c.secretAccessKey, c.sessionToken)
  }
  scrub(text: string): string {
    let out = text
    for (const v of this.values) {
      const escaped = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      // a six-digit code is scrubbed only as a number of its own, not inside an account id
      out = out.replace(SIX_DIGITS.test(v) ? new RegExp(`(?<!\\d)${escaped}(?!\\d)`, 'g') : new RegExp(escaped, 'g'), '***')
    }
    return out
  }
}

const stsEndpoint = (): string | undefined => process.env['AWS_ENDPOINT_URL_STS'] ?? process.env['AWS_ENDPOINT_URL']

export interface ErrorContext {
  /** The role being assumed, as the user would recognise it. */
  readonly role: string
  /** Where the base credentials came from. */
  readonly base: string
  readonly durationSeconds?: number | undefined
}

/** One line for a failure of getting credentials; never a secret in it. */
export const credentialsErrorLine = (e: unknown, ctx: ErrorContext): string => {
  const err = e as { name?: string; message?: string }
  if (err?.name === 'MfaCodeError' || err?.name === 'NoCredentials') return firstLine(err.message ?? 'no credentials')
  const message = firstLine(err?.message ?? String(e))
  if (/requires multi-factor authentication/i.test(message)) {
    return `${ctx.base} need an MFA code of their own: mitosis asks for one code, for ${ctx.role}`
  }
  if (/role chaining/i.test(message)) {
    return `cannot assume ${ctx.role}${ctx.durationSeconds === undefined ? '' : ` for ${ctx.durationSeconds} s`}: role chaining (assuming a role with assumed-role credentials) is capped at ${ROLE_CHAINING_MAX_SECONDS} s by AWS; ask for ${ROLE_CHAINING_MAX_SECONDS} s or less`
  }
  const mapped = fromSdkError('AssumeRole', stsEndpoint())(e)
  switch (mapped._tag) {
    case 'Credentials':
      return `cannot assume ${ctx.role} with ${ctx.base}: ${mapped.message}`
    case 'AccessDenied':
      return `AWS refused to let ${ctx.base} assume ${ctx.role} (${err.name ?? 'AccessDenied'}): ${mapped.message}; the MFA code may be wrong or already used, or the role may not trust these credentials`
    case 'Unreachable': {
      const endpoint = stsEndpoint()
      const why = mapped.message.slice(mapped.message.lastIndexOf(': ') + 2)
      return `cannot reach STS${endpoint === undefined ? '' : ` at ${endpoint}`} to assume ${ctx.role}: ${why}`
    }
    case 'Api':
      return `AssumeRole of ${ctx.role} failed (${mapped.code}): ${mapped.message}`
    case 'Configuration':
    case 'Decode':
      return `cannot assume ${ctx.role}: ${mapped.message}`
    case 'ReadOnly':
      return `cannot assume ${ctx.role}: refused`
  }
}
