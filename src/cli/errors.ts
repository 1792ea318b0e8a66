/**
 * What the CLI says when it stops: one line on stderr and a non-zero exit. A UserError is an
 * expected failure (bad input, a missing database, AWS saying no); anything else is a defect and
 * shows its stack only with --debug.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'UserError'
  }
}

/** The run was stopped by a signal: said as it is (not as an error), with the shell's exit code for it. */
export class Interrupted extends UserError {
  constructor(message: string, exitCode: number) {
    super(message, exitCode)
    this.name = 'Interrupted'
  }
}

/**
 * Exit with this code and say nothing more: what ran (a container's converge) has already said why on the same
 * stderr.
 */
export class ExitCode extends UserError {
  constructor(exitCode: number) {
    super(`exit ${exitCode}`, exitCode)
    this.name = 'ExitCode'
  }
}

interface OclifLike {
  readonly oclif?: { readonly exit?: number }
  readonly message?: string
  readonly stack?: string
  readonly code?: string
}

/** The line and exit code for an error that reached the top; `debug` adds the stack. */
export const describeFailure = (e: unknown, debug: boolean): { readonly text: string; readonly exit: number } => {
  const err = (e ?? {}) as OclifLike
  const exit = e instanceof UserError ? e.exitCode : (err.oclif?.exit ?? 1)
  // oclif's own parse errors carry a hint on later lines ("See more help with --help"), and put a
  // "Parsing --flag" line before what a flag's own parse said (which names the flag): keep what was said
  const first = String(err.message ?? e)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(See more help|The following errors? occurred|Parsing --[\w-]+$)/i.test(l))
    .join(' ')
  const text = `${e instanceof Interrupted ? '' : 'Error: '}${first}${e instanceof UserError || err.oclif !== undefined ? '' : ' (an internal error; run again with --debug for details)'}`
  return { text: debug && err.stack !== undefined ? `${text}\n${err.stack}` : text, exit }
}
