/**
 * The role file of `--credentials FILE`, as stack-mitosis had it: the role to assume with MFA, the MFA device,
 * the region, and optionally how long the session lasts. JSON `{ roleArn, mfaSerial, region, durationSeconds? }`,
 * or stack-mitosis's EDN `{:role-arn "…" :mfa-serial "…" :region "…"}` (src/aws/edn.ts) as it is.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { parseJson, readTextFile } from '../../json-file.js'
import { decode } from '../../plan/domain.js'
import { readEdnMap } from '../edn.js'
import { firstLine } from '../errors.js'

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

/** Why the role file could not be read, in words. */
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
  const text = readTextFile(path)
  if (E.isLeft(text)) return E.left(`${path}: cannot read the role file: ${ioReason(text.left.error)}`)
  if (looksLikeEdn(path, text.right)) return pipe(decodeEdnRoleFile(text.right), E.mapLeft((m) => `${path}: ${m}`))
  const json = parseJson(text.right)
  if (E.isLeft(json)) return E.left(`${path}: not JSON: ${firstLine(json.left.error.message)}`)
  return pipe(
    decodeRoleFile(json.right),
    E.mapLeft((m) => `${path}: ${m}`),
  )
}
