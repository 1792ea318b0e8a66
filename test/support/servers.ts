/**
 * Test support shared by the private database servers (postgres.ts, mariadb.ts): a free loopback port, running a
 * tool and capturing its output, and stopping every started server when the test process exits.
 */
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import * as net from 'node:net'

/** Where the private servers listen. */
export const LOOPBACK = '127.0.0.1'

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}

/** Whether `command --help` cannot be started (not on PATH). */
export function commandMissing(command: string): boolean {
  return spawnSync(command, ['--help'], { stdio: 'ignore' }).error !== undefined
}

/** A port that was free on the loopback address when probed (it may be taken before the server binds it: retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : undefined
      server.close(() => (port === undefined ? reject(new Error('could not get a free port')) : resolve(port)))
    })
  })
}

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface CaptureOptions {
  /** The whole environment of the tool (default: this process's). */
  readonly env?: NodeJS.ProcessEnv
  readonly timeoutMs?: number
  /** Written to the tool's stdin, which is then closed (e.g. SQL with a password, kept off the command line). */
  readonly input?: string
}

/** Runs a tool to completion; resolves to its exit code (null when killed) and output. Never rejects. */
export function capture(file: string, args: ReadonlyArray<string>, options: CaptureOptions = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      [...args],
      { timeout: options.timeoutMs ?? 30_000, env: options.env ?? process.env, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
        resolve({ code, stdout, stderr: error !== null && typeof error.code === 'string' ? `${error.message}\n${stderr}` : stderr })
      },
    )
    child.stdin?.on('error', () => undefined) // a tool that exits without reading its input
    child.stdin?.end(options.input ?? '')
  })
}

/** The end of a server's log file, for an error message ('' when there is none). */
export function logTail(file: string, chars = 4000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars)
  } catch {
    return ''
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Process bookkeeping: every started server is stopped when the process exits.

const live = new Map<string, () => void>() // key (the server's temp dir) -> synchronous stop
let exitHooksInstalled = false

function installExitHooks(): void {
  if (exitHooksInstalled) return
  exitHooksInstalled = true
  const stopAll = (): void => {
    for (const stop of [...live.values()]) stop()
    live.clear()
  }
  process.on('exit', stopAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAll()
      process.kill(process.pid, signal)
    })
  }
}

/**
 * Has `stopSync` run when the process exits (normally or on SIGINT, SIGTERM, SIGHUP) unless it is forgotten first;
 * returns the function that forgets it (call it from stopSync itself).
 */
export function stopOnExit(key: string, stopSync: () => void): () => void {
  installExitHooks()
  live.set(key, stopSync)
  return () => {
    live.delete(key)
  }
}
