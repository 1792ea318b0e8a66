/**
 * Test support: the CLI as a user runs it, `bin/run.js` in a child process judged by its exit code, stdout and
 * stderr. Asynchronous, so that anything the test process serves (the recording proxy of test/support/moto.ts) keeps
 * answering while the CLI runs.
 */
import { execFile, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { drawErrors } from '../../src/plan/domain.js'
import { Plan } from '../../src/plan/plan.js'
import { repoRoot } from './fixtures.js'

export interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

export interface StartedCli {
  /** There to be killed. */
  readonly child: ChildProcess
  /** Resolves when the CLI has exited (or was killed, also by the time limit). */
  readonly done: Promise<Run>
}

/** The test process's environment without any AWS_* variable, plus `extra`. */
export const cleanEnv = (extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && v !== undefined) env[k] = v
  return { ...env, ...extra }
}

/**
 * Starts the CLI from the repository root with `input` (if any) piped on its stdin, which is then closed; killed with
 * SIGKILL after `timeoutMs`.
 */
export const startCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = cleanEnv(), timeoutMs = 60_000, input?: string): StartedCli => {
  const started = Date.now()
  let child: ChildProcess | undefined
  const done = new Promise<Run>((resolve) => {
    child = execFile(
      process.execPath,
      [join(repoRoot, 'bin', 'run.js'), ...args],
      { cwd: repoRoot, env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (_error, stdout, stderr) => resolve({ code: child!.exitCode, signal: child!.signalCode, stdout, stderr, ms: Date.now() - started }),
    )
    child.stdin?.end(input)
  })
  return { child: child!, done }
}

/** Runs the CLI to its end (see startCli). */
export const cli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = cleanEnv(), timeoutMs = 60_000, input?: string): Promise<Run> =>
  startCli(args, env, timeoutMs, input).done

export const show = (r: Run): string => `exit ${r.code ?? r.signal} after ${r.ms} ms\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`

export const succeeded = (r: Run): void => {
  assert.is(r.code, 0, `expected exit 0\n${show(r)}`)
  assert.is(r.stderr, '', `expected an empty stderr\n${show(r)}`)
}

/** A successful run whose stdout is exactly one JSON document that decodes as a Plan. */
export const planOf = (r: Run): Plan => {
  succeeded(r)
  let json: unknown
  try {
    json = JSON.parse(r.stdout)
  } catch (e) {
    throw new Error(`stdout is not one JSON document: ${(e as Error).message}\n${show(r)}`)
  }
  const decoded = Plan.decode(json)
  if (E.isLeft(decoded)) throw new Error(`stdout is not a Plan: ${drawErrors(decoded.left)}\n${show(r)}`)
  return decoded.right
}

export { onPath } from '../../src/interpret/shell.js'
