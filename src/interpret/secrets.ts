/**
 * Secrets a plan names but never holds ({fromSecret}): which ones a plan still needs, and the request
 * with their values, built only when it is handed to the port. Pure.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { RdsOperation, SecretRef } from '../plan/operations.js'
import type { Step, Plan } from '../plan/plan.js'
import type { StepProgress } from '../plan/progress.js'

/** A step still to be sent names a secret that was not given. */
export interface MissingSecret {
  readonly _tag: 'MissingSecret'
  readonly n: number
  readonly name: string
}

const isSecretRef = (v: unknown): v is SecretRef =>
  typeof v === 'object' && v !== null && typeof (v as { fromSecret?: unknown }).fromSecret === 'string'

/** The names of the secrets a step's request refers to. */
export const secretsNamed = (s: Step): ReadonlyArray<string> =>
  Object.values(s.request as Record<string, unknown>).flatMap((v) => (isSecretRef(v) ? [v.fromSecret] : []))

/**
 * The first step still to be sent that names a secret not given (the run would stop there, after
 * other steps have changed the world): checked before anything is sent, and by the CLI before it asks.
 */
export const missingSecret = (
  plan: Plan,
  progress: ReadonlyArray<StepProgress>,
  secrets: Readonly<Record<string, string>> | undefined,
): MissingSecret | undefined => {
  for (const s of plan.steps) {
    if (progress[s.n - 1]?._tag !== 'pending') continue
    const name = secretsNamed(s).find((x) => secrets?.[x] === undefined)
    if (name !== undefined) return { _tag: 'MissingSecret', n: s.n, name }
  }
  return undefined
}

/**
 * The request as it goes to RDS: a {fromSecret} reference replaced by the secret's value (right for a
 * missing secret: its name). The result is only ever handed to the port, never emitted.
 */
export const resolveSecrets = (s: RdsOperation, secrets: Readonly<Record<string, string>>): E.Either<string, RdsOperation> => {
  const request: Record<string, unknown> = { ...s.request }
  for (const [k, v] of Object.entries(request)) {
    if (!isSecretRef(v)) continue
    const value = secrets[v.fromSecret]
    if (value === undefined) return E.left(v.fromSecret)
    request[k] = value
  }
  return E.right({ ...s, request } as RdsOperation)
}
