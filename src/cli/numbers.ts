/** A positive number given as text (a duration flag's value), or one clear line (oclif-free: the artifact's program reads it too). */
import { UserError } from './errors.js'

export const positiveNumber = (flag: string, text: string): number => {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UserError(`${flag} must be a positive number, got ${JSON.stringify(text)}`, 2)
  return n
}
