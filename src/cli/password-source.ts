/**
 * Where a master password comes from: never an argument (argv is in the process table and in shell
 * history), only stdin or a file (and, for the program inside an artifact image, an environment
 * variable a Kubernetes Secret fills), read at the last moment and handed to the interpreter alone.
 *
 * No oclif here: the CLI (password.ts adds its flags) and the artifact's program (src/artifact/entry)
 * both read the password through this module.
 */
import { readFileSync } from 'node:fs'
import { MASTER_PASSWORD_SECRET } from '../plan/operations.js'
import { passwordProblem } from '../plan/rds-facts.js'
import { UserError } from './errors.js'

export interface PasswordFlags {
  readonly 'db-password-stdin'?: boolean | undefined
  readonly 'db-password-file'?: string | undefined
  readonly 'manage-master-password'?: boolean | undefined
  readonly yes?: boolean | undefined
}

/** What reading the password needs of the process: its stdin (and whether it is a terminal), and a password from the environment, if any. */
export interface PasswordSource {
  readonly readStdin: () => Promise<string>
  readonly stdinIsTTY: boolean
  /** A password from an environment variable, used when no flag names a source (`name` is said in errors). */
  readonly fromEnv?: { readonly name: string; readonly value: string } | undefined
}

/** All of this process's stdin, as text. */
export const readProcessStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

/** This process's stdin, and no password from the environment (the CLI's way). */
export const processPasswordSource = (): PasswordSource => ({ readStdin: readProcessStdin, stdinIsTTY: process.stdin.isTTY === true })

/** What the flags ask for: a password of one's own, one RDS manages, or none at all. */
export const passwordChoice = (flags: PasswordFlags): 'secret' | 'managed' | undefined =>
  flags['manage-master-password'] === true ? 'managed' : flags['db-password-stdin'] === true || flags['db-password-file'] !== undefined ? 'secret' : undefined

/** The password as given on stdin or in a file: the trailing line break is not part of it. */
export const stripNewline = (s: string): string => s.replace(/\r?\n$/, '')

/**
 * Stdin holds the password, so it cannot answer "Apply?": refuse before anything is read or planned
 * unless --yes (or the command only prints a plan).
 */
export const checkPasswordConfirmation = (flags: PasswordFlags, applying: boolean): void => {
  if (applying && flags['db-password-stdin'] === true && flags.yes !== true) {
    throw new UserError('with --db-password-stdin there is no terminal to confirm on: pass --yes (review with --plan first)')
  }
}

/** The secrets for the interpreter: the password read from stdin, the file or the environment, checked against RDS's rules for `engine`. */
export const readPasswordSecrets = async (flags: PasswordFlags, engine: string | undefined, source: PasswordSource = processPasswordSource()): Promise<Record<string, string> | undefined> => {
  const file = flags['db-password-file']
  let password: string
  let from = 'the master password'
  if (file !== undefined) {
    try {
      password = stripNewline(readFileSync(file, 'utf8'))
    } catch (e) {
      throw new UserError(`--db-password-file ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
    }
  } else if (flags['db-password-stdin'] === true) {
    if (source.stdinIsTTY) throw new UserError('--db-password-stdin: stdin is a terminal; pipe the password in (or use --db-password-file)')
    password = stripNewline(await source.readStdin())
  } else if (source.fromEnv !== undefined) {
    // a Secret mounted as an environment variable carries no line break of its own, but a file made with echo does
    password = stripNewline(source.fromEnv.value)
    from = `the master password (${source.fromEnv.name})`
  } else {
    return undefined
  }
  const problem = passwordProblem(password, engine ?? 'postgres')
  if (problem !== undefined) throw new UserError(`${from} ${problem}`)
  return { [MASTER_PASSWORD_SECRET]: password }
}
