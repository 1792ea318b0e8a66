/**
 * The master password on the command line: never an argument (argv is in the process table and in
 * shell history), only stdin or a file, read at the last moment and handed to the interpreter alone.
 */
import { readFileSync } from 'node:fs'
import { Flags } from '@oclif/core'
import { MASTER_PASSWORD_SECRET } from '../plan/operations.js'
import { passwordProblem } from '../plan/rds-facts.js'
import { UserError } from './errors.js'

/**
 * The password flags, each exclusive of the others it is offered with: `--manage-master-password`
 * only where the plan is being made (clone, create), not where a saved plan is applied.
 */
export const passwordFlags = (withManaged: boolean) => {
  const others = (self: string) => ['db-password-stdin', 'db-password-file', ...(withManaged ? ['manage-master-password'] : [])].filter((f) => f !== self)
  return {
    'db-password-stdin': Flags.boolean({ summary: "Set the master password read from stdin (a clone otherwise keeps the source's).", exclusive: others('db-password-stdin') }),
    'db-password-file': Flags.string({ summary: 'Set the master password read from this file.', helpValue: 'FILE', exclusive: others('db-password-file') }),
    ...(withManaged
      ? { 'manage-master-password': Flags.boolean({ summary: 'Have RDS make the master password and keep it in Secrets Manager.', exclusive: others('manage-master-password') }) }
      : {}),
  }
}

export interface PasswordFlags {
  readonly 'db-password-stdin'?: boolean | undefined
  readonly 'db-password-file'?: string | undefined
  readonly 'manage-master-password'?: boolean | undefined
  readonly yes?: boolean | undefined
}

/** What the flags ask for: a password of one's own, one RDS manages, or none at all. */
export const passwordChoice = (flags: PasswordFlags): 'secret' | 'managed' | undefined =>
  flags['manage-master-password'] === true ? 'managed' : flags['db-password-stdin'] === true || flags['db-password-file'] !== undefined ? 'secret' : undefined

/** The password as given on stdin or in a file: the trailing line break is not part of it. */
const stripNewline = (s: string): string => s.replace(/\r?\n$/, '')

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Stdin holds the password, so it cannot answer "Apply?": refuse before anything is read or planned
 * unless --yes (or the command only prints a plan).
 */
export const checkPasswordConfirmation = (flags: PasswordFlags, applying: boolean): void => {
  if (applying && flags['db-password-stdin'] === true && flags.yes !== true) {
    throw new UserError('with --db-password-stdin there is no terminal to confirm on: pass --yes (review with --plan first)')
  }
}

/** The secrets for the interpreter: the password read from stdin or the file, checked against RDS's rules for `engine`. */
export const readPasswordSecrets = async (flags: PasswordFlags, engine: string | undefined): Promise<Record<string, string> | undefined> => {
  const file = flags['db-password-file']
  let password: string
  if (file !== undefined) {
    try {
      password = stripNewline(readFileSync(file, 'utf8'))
    } catch (e) {
      throw new UserError(`--db-password-file ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
    }
  } else if (flags['db-password-stdin'] === true) {
    if (process.stdin.isTTY === true) throw new UserError('--db-password-stdin: stdin is a terminal; pipe the password in (or use --db-password-file)')
    password = stripNewline(await readStdin())
  } else {
    return undefined
  }
  const problem = passwordProblem(password, engine ?? 'postgres')
  if (problem !== undefined) throw new UserError(`the master password ${problem}`)
  return { [MASTER_PASSWORD_SECRET]: password }
}
