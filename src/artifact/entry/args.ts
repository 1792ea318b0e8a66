/**
 * The program's arguments: each command's options (node:util parseArgs, strict), a complaint as one line that
 * names the command (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UserError } from '../../cli/errors.js'
import { refuse } from './files.js'

// ---- arguments -----------------------------------------------------------------------------------

type Options = NonNullable<ParseArgsConfig['options']>

const COMMON: Options = { debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }

export const COMMANDS: Readonly<Record<string, { readonly options: Options; readonly positionals: number }>> = {
  plan: { options: { json: { type: 'boolean' }, format: { type: 'string' }, mode: { type: 'string' } }, positionals: 0 },
  'iam-policy': { options: { mode: { type: 'string' } }, positionals: 0 },
  converge: {
    options: {
      mode: { type: 'string' },
      replan: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      'db-password-file': { type: 'string' },
      'db-password-stdin': { type: 'boolean' },
      'poll-interval': { type: 'string' },
      'step-timeout': { type: 'string' },
    },
    positionals: 0,
  },
  manifest: {
    options: {
      schedule: { type: 'string' },
      image: { type: 'string' },
      namespace: { type: 'string' },
      'service-account': { type: 'string' },
      secret: { type: 'string' },
      mode: { type: 'string' },
    },
    positionals: 1,
  },
}

export type Values = Readonly<Record<string, string | boolean | undefined>>

/** parseArgs' complaint, in one line that names the command. */
const argumentProblem = (command: string, e: unknown): string => {
  const err = e as { code?: string; message?: string }
  const message = String(err.message ?? e)
  const option = /'(-[^' ]+)/.exec(message)?.[1]
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${command}: unknown option ${option ?? message} (see --help)`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${command}: ${option ?? 'an option'} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'} (see --help)`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `${command}: unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''} (see --help)`.replace(/ {2}/, ' ')
    default:
      return `${command}: ${message.split('\n')[0]}`
  }
}

export const parseCommand = (command: string, args: ReadonlyArray<string>): { readonly values: Values; readonly positionals: ReadonlyArray<string> } => {
  const spec = COMMANDS[command]!
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: { ...COMMON, ...spec.options }, strict: true, allowPositionals: spec.positionals > 0 })
    if (positionals.length > spec.positionals) refuse(`${command}: unexpected argument ${positionals[spec.positionals]} (see --help)`)
    return { values: values as Values, positionals }
  } catch (e) {
    if (e instanceof UserError) throw e
    return refuse(argumentProblem(command, e))
  }
}

export const str = (v: Values, key: string): string | undefined => (typeof v[key] === 'string' ? (v[key] as string) : undefined)
export const bool = (v: Values, key: string): boolean => v[key] === true

