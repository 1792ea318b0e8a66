/**
 * DB instance identifiers as RDS defines them, and the temp-/old- names a clone swaps through.
 * RDS stores identifiers lower-case; 1–63 letters, digits and hyphens, starting with a letter,
 * no trailing hyphen and no two hyphens in a row.
 */
export const MAX_IDENTIFIER_LENGTH = 63
export const TEMP_PREFIX = 'temp-'
export const OLD_PREFIX = 'old-'

/** Why an identifier is not one RDS accepts, or undefined when it is valid. */
export const identifierProblem = (id: string): string | undefined => {
  if (id.length === 0) return 'is empty'
  if (id.length > MAX_IDENTIFIER_LENGTH) return `is ${id.length} characters long (RDS allows ${MAX_IDENTIFIER_LENGTH})`
  if (!/^[a-z]/i.test(id)) return 'must start with a letter'
  if (!/^[a-z0-9-]+$/i.test(id)) return 'may contain only letters, digits and hyphens'
  if (id.endsWith('-')) return 'must not end with a hyphen'
  if (id.includes('--')) return 'must not contain two hyphens in a row'
  return undefined
}

/** RDS compares identifiers case-insensitively and stores them lower-case. */
export const normalizeIdentifier = (id: string): string => id.toLowerCase()

export const tempName = (id: string): string => `${TEMP_PREFIX}${id}`
export const oldName = (id: string): string => `${OLD_PREFIX}${id}`

/** Only the leading prefix is stripped: a database called `app-temp-store` keeps its name. */
export const stripTemp = (id: string): string => (id.startsWith(TEMP_PREFIX) ? id.slice(TEMP_PREFIX.length) : id)
export const stripOld = (id: string): string => (id.startsWith(OLD_PREFIX) ? id.slice(OLD_PREFIX.length) : id)
