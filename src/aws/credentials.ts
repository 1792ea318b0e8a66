/**
 * Credentials for a run: MFA-assumed roles, as stack-mitosis did (a role file and a six-digit code), and
 * as users already keep them (profiles in ~/.aws/config with `role_arn`, `mfa_serial`, `source_profile`).
 *
 * - `loadRoleFile` decodes `--credentials FILE`: JSON `{ roleArn, mfaSerial, region, durationSeconds? }`, or
 *   stack-mitosis's EDN `{:role-arn "…" :mfa-serial "…" :region "…"}` (src/aws/edn.ts).
 * - `mfaCodeSource` says where the six-digit code comes from: `--mfa-code`, then `MITOSIS_MFA_CODE`, then a
 *   prompt on the terminal. A given code is used once: a later refresh needs a fresh code, so it asks the
 *   terminal (or fails if there is none).
 * - `assumeRoleWithMfa` calls STS AssumeRole with the base credentials of the standard chain (or `--profile`).
 * - `profileCredentials` reads a profile through the SDK's own `fromIni`, which asks for a code only when the
 *   profile has `mfa_serial`.
 * - Both return `ExpiringCredentials`: a provider for SDK clients, the expiry, and `refresh()`, so that the
 *   interpreter can ask before each step whether the credentials outlive it, and refresh or stop at the step
 *   boundary rather than fail in the middle of one.
 *
 * Session lengths: AssumeRole grants up to the role's MaxSessionDuration (1–12 h, default 1 h). Role chaining
 * (assuming a role with credentials that are themselves an assumed role, e.g. from SSO or another
 * `role_arn` profile) is capped by AWS at 1 h whatever is asked: `assumeRoleWithMfa` detects it before asking
 * for a code and asks for 3600 s at most, saying so in `notes`.
 *
 * Secrets (secret keys, session tokens, MFA codes) never appear in a message: every error line is built here
 * from the SDK's error name and first line, then scrubbed of every secret this module has seen.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as readline from 'node:readline'
import * as tty from 'node:tty'
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandInput } from '@aws-sdk/client-sts'
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers'
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { decode } from '../plan/domain.js'
import { ThrottlingPatientRetry } from './client.js'
import { readEdnMap } from './edn.js'
import { fromSdkError } from './errors.js'

// ---------------------------------------------------------------------------------------------------------------
// The role file

const shaped = (name: string, pattern: RegExp, what: string): t.Type<string, string, unknown> =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && pattern.test(u),
    (u, c) => (typeof u === 'string' && pattern.test(u) ? t.success(u) : t.failure(u, c, `expected ${what}`)),
    t.identity,
  )

/** arn:aws:iam::123456789012:role/NAME (any partition, paths allowed). */
export const RoleArn = shaped(
  'RoleArn',
  /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
  'an IAM role ARN like arn:aws:iam::123456789012:role/NAME',
)

/** A virtual MFA device's ARN (arn:aws:iam::123456789012:mfa/NAME) or a hardware token's serial (GAHT12345678). */
export const MfaSerial = shaped(
  'MfaSerial',
  /^(arn:aws[a-z-]*:iam::\d{12}:mfa\/[\w+=,.@/-]{1,512}|[A-Z0-9]{9,256})$/,
  'an MFA device ARN like arn:aws:iam::123456789012:mfa/NAME (or a hardware token serial)',
)

/** us-west-1, eu-central-2, us-gov-west-1, cn-north-1 … */
export const Region = shaped('Region', /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region like us-west-1')

export const MIN_DURATION_SECONDS = 900
export const MAX_DURATION_SECONDS = 43_200
/** AWS's cap on a role-chained session, and STS's default session length. */
export const ROLE_CHAINING_MAX_SECONDS = 3_600

export const DurationSeconds = new t.Type<number, number, unknown>(
  'DurationSeconds',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= MIN_DURATION_SECONDS && u <= MAX_DURATION_SECONDS,
  (u, c) =>
    typeof u === 'number' && Number.isInteger(u) && u >= MIN_DURATION_SECONDS && u <= MAX_DURATION_SECONDS
      ? t.success(u)
      : t.failure(u, c, `expected whole seconds from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS}`),
  t.identity,
)

export const RoleFile = t.intersection(
  [t.type({ roleArn: RoleArn, mfaSerial: MfaSerial, region: Region }), t.partial({ durationSeconds: DurationSeconds })],
  'RoleFile',
)
export type RoleFile = t.TypeOf<typeof RoleFile>

const ROLE_FILE_FIELDS = ['roleArn', 'mfaSerial', 'region', 'durationSeconds'] as const

/** Decodes a parsed role file; failures are one line naming the field (the file name is added by loadRoleFile). */
export const decodeRoleFile = (u: unknown): E.Either<string, RoleFile> => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) {
    return E.left(`expected a JSON object with ${ROLE_FILE_FIELDS.join(', ')}, got ${Array.isArray(u) ? 'an array' : JSON.stringify(u)}`)
  }
  {
    const unknown = Object.keys(u).filter((k) => !(ROLE_FILE_FIELDS as ReadonlyArray<string>).includes(k))
    if (unknown.length > 0) {
      return E.left(`unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')} (the fields are ${ROLE_FILE_FIELDS.join(', ')})`)
    }
  }
  return decode(RoleFile)(u)
}

const ioReason = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code
  switch (code) {
    case 'ENOENT':
      return 'no such file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    default:
      return code ?? firstLine((e as Error).message ?? String(e))
  }
}

/** stack-mitosis's role file keys (EDN keywords) and the JSON fields they are. */
const EDN_KEYS: Readonly<Record<string, (typeof ROLE_FILE_FIELDS)[number]>> = {
  'role-arn': 'roleArn',
  'mfa-serial': 'mfaSerial',
  region: 'region',
  'duration-seconds': 'durationSeconds',
}
const keywordOf = (field: string): string => `:${Object.entries(EDN_KEYS).find(([, f]) => f === field)?.[0] ?? field}`

/** An EDN role file: named *.edn, or opening with a `;` comment or a map whose first key is a keyword. */
const looksLikeEdn = (path: string, text: string): boolean => path.toLowerCase().endsWith('.edn') || /^[\s,]*(;|\{[\s,]*[:;])/.test(text)

/** Decodes stack-mitosis's EDN role file; failures name the keys as the file does (`:role-arn`). */
const decodeEdnRoleFile = (text: string): E.Either<string, RoleFile> => {
  const read = readEdnMap(text)
  if (E.isLeft(read)) return E.left(`not EDN: ${read.left}`)
  const fields: Record<string, unknown> = {}
  for (const [key, value] of read.right) {
    const field = EDN_KEYS[key]
    if (field === undefined) return E.left(`unknown key :${key} (the keys are ${Object.keys(EDN_KEYS).map((k) => `:${k}`).join(', ')})`)
    fields[field] = typeof value === 'object' ? `:${value.keyword}` : value
  }
  // the decoder's messages start with the field's name: the file's own key instead
  return pipe(
    decode(RoleFile)(fields),
    E.mapLeft((m) => m.replace(/^(\w+):/, (_, field: string) => `${keywordOf(field)}:`)),
  )
}

/** Reads `--credentials FILE`, JSON or stack-mitosis's EDN. Every failure is one line starting with the file's path. */
export const loadRoleFile = (path: string): E.Either<string, RoleFile> => {
  let text: string
  try {
    text = fs.readFileSync(path, 'utf8')
  } catch (e) {
    return E.left(`${path}: cannot read the role file: ${ioReason(e)}`)
  }
  if (looksLikeEdn(path, text)) return pipe(decodeEdnRoleFile(text), E.mapLeft((m) => `${path}: ${m}`))
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return E.left(`${path}: not JSON: ${firstLine((e as Error).message)}`)
  }
  return pipe(
    decodeRoleFile(json),
    E.mapLeft((m) => `${path}: ${m}`),
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Where the MFA code comes from

/** Asks one question on the terminal; resolves to the answer, or undefined when the input was closed. */
export type Prompt = (question: string) => Promise<string | undefined>

export const MFA_CODE_ENV = 'MITOSIS_MFA_CODE'
/** Prompts in all (the first and two more) before a run gives up on a mistyped code. */
export const MAX_PROMPTS = 3
export const MFA_CODE_FORMAT = 'MFA code must be six digits'

export interface MfaCodeSourceInit {
  /** `--mfa-code`. */
  readonly code?: string | undefined
  /** Where `MITOSIS_MFA_CODE` is read from: the CLI passes process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Present only when there is a terminal to ask (see terminalPrompt). */
  readonly prompt?: Prompt | undefined
}

export interface MfaCodeSource {
  /**
   * The next code for the device `serial`: the given code (flag, then environment) the first time, a prompt
   * after that. Never a code in the Left.
   */
  readonly next: (serial: string) => Promise<E.Either<string, string>>
}

const SIX_DIGITS = /^\d{6}$/

export const promptText = (serial: string): string => `Enter MFA code for ${serial}: `

export const mfaCodeSource = (init: MfaCodeSourceInit): MfaCodeSource => {
  const given: Array<{ readonly from: string; readonly value: string }> = []
  if (init.code !== undefined) given.push({ from: '--mfa-code', value: init.code })
  else {
    const env = init.env?.[MFA_CODE_ENV]
    if (env !== undefined && env !== '') given.push({ from: MFA_CODE_ENV, value: env })
  }
  let used: string | undefined

  const ask = async (serial: string, prompt: Prompt): Promise<E.Either<string, string>> => {
    let question = promptText(serial)
    for (let attempt = 1; attempt <= MAX_PROMPTS; attempt++) {
      let answer: string | undefined
      try {
        answer = await prompt(question)
      } catch (e) {
        return E.left(`could not read the MFA code for ${serial}: ${(e as Error).name ?? 'Error'}`)
      }
      if (answer === undefined) return E.left(`no MFA code was entered for ${serial}`)
      const code = answer.trim()
      if (SIX_DIGITS.test(code)) return E.right(code)
      question = `${MFA_CODE_FORMAT}. ${promptText(serial)}`
    }
    return E.left(`${MFA_CODE_FORMAT} (${MAX_PROMPTS} attempts for ${serial})`)
  }

  return {
    next: async (serial) => {
      const first = given.shift()
      if (first !== undefined) {
        const code = first.value.trim()
        if (!SIX_DIGITS.test(code)) return E.left(`${first.from}: ${MFA_CODE_FORMAT}`)
        used = first.from
        return E.right(code)
      }
      if (init.prompt !== undefined) return ask(serial, init.prompt)
      return E.left(
        used === undefined
          ? `an MFA code is needed for ${serial}: pass --mfa-code or set ${MFA_CODE_ENV}`
          : `a fresh MFA code is needed for ${serial} (the one from ${used} was used already): run on a terminal to be asked for it`,
      )
    },
  }
}

/**
 * A prompt on the user's terminal, or undefined when there is none: stdin when it is a TTY, else /dev/tty
 * when stderr is a TTY (stdin piped). The question goes to stderr (stdout may be JSON). The answer is echoed
 * as typed, as the AWS CLI does: a one-time code.
 */
export const terminalPrompt = (): Prompt | undefined => {
  if (process.stdin.isTTY === true) return (question) => ask(process.stdin, question)
  if (process.stderr.isTTY !== true) return undefined
  const open = (): tty.ReadStream | undefined => {
    try {
      return new tty.ReadStream(fs.openSync('/dev/tty', 'r'))
    } catch {
      return undefined
    }
  }
  const probe = open()
  if (probe === undefined) return undefined
  probe.destroy()
  return async (question) => {
    const input = open()
    if (input === undefined) return undefined
    try {
      return await ask(input, question)
    } finally {
      input.destroy()
    }
  }
}

const ask = (input: NodeJS.ReadableStream, question: string): Promise<string | undefined> =>
  new Promise((resolve) => {
    const rl = readline.createInterface({ input, output: process.stderr, terminal: true })
    let answered = false
    rl.once('close', () => {
      if (!answered) {
        process.stderr.write('\n')
        resolve(undefined)
      }
    })
    rl.question(question, (answer) => {
      answered = true
      rl.close()
      resolve(answer)
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// Expiring credentials

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

const expiring = (
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

// ---------------------------------------------------------------------------------------------------------------
// Error lines

const firstLine = (s: string): string => (s.split('\n')[0] ?? '').trim()

/** The secrets one credentials source has seen, scrubbed from every message it builds. */
class Secrets {
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

/** Thrown by our mfaCodeProvider inside fromIni: its message is already the line to show. */
class MfaCodeError extends Error {
  override readonly name = 'MfaCodeError'
}

const stsEndpoint = (): string | undefined => process.env['AWS_ENDPOINT_URL_STS'] ?? process.env['AWS_ENDPOINT_URL']

interface ErrorContext {
  /** The role being assumed, as the user would recognise it. */
  readonly role: string
  /** Where the base credentials came from. */
  readonly base: string
  readonly durationSeconds?: number | undefined
}

/** One line for a failure of getting credentials; never a secret in it. */
const credentialsErrorLine = (e: unknown, ctx: ErrorContext): string => {
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

// ---------------------------------------------------------------------------------------------------------------
// The role file's way: STS AssumeRole with an MFA code

/** The credentials of an AssumeRole answer. */
const identityOf = (out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined }, role: string): AwsCredentialIdentity => {
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
  return expiring(fetch, options.now ?? Date.now, () => notes)
}

// ---------------------------------------------------------------------------------------------------------------
// The AWS config's way: a profile, with the SDK's own resolution

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
  return expiring(fetch, options.now ?? Date.now, () => [])
}
