/**
 * The CLI's entry: `mitosis [clone] --source … --target …`. oclif has no default command, so an
 * invocation that starts with a flag runs `clone`; `mitosis` alone lists the commands.
 */
import { flush, run } from '@oclif/core'
import { describeFailure, ExitCode } from './errors.js'

const DEFAULT_COMMAND = 'clone'

export const withDefaultCommand = (argv: ReadonlyArray<string>): string[] => {
  const [first] = argv
  return first !== undefined && first.startsWith('-') && first !== '--version' && first !== '-v' ? [DEFAULT_COMMAND, ...argv] : [...argv]
}

export const main = async (argv: ReadonlyArray<string>, root: string): Promise<number> => {
  try {
    await run(withDefaultCommand(argv), root)
    await flush()
    return 0
  } catch (e) {
    const exit = (e as { oclif?: { exit?: number } }).oclif?.exit
    if (exit === 0) return 0
    if (e instanceof ExitCode) return e.exitCode
    const { text, exit: code } = describeFailure(e, argv.includes('--debug'))
    process.stderr.write(`${text}\n`)
    return code
  }
}
