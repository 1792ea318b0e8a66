/**
 * Test support shared by the private database servers (postgres.ts, mariadb.ts): a free loopback port, running a
 * tool and capturing its output, stopping every started server when the test process exits, and the uvu scaffolding
 * of a suite that runs against one (serverFixture, serverTestsAvailable).
 */
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import * as E from 'fp-ts/lib/Either.js'
import { findJava } from '../../src/interpret/schema.js'

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

// ---------------------------------------------------------------------------------------------------------------
// The uvu scaffolding of a suite that runs against a private server.

/** Why the Liquibase tests cannot run here: the server's reason (postgresUnavailable(), ...), else a missing Java. */
export function liquibaseUnavailable(serverUnavailable: string | undefined): string | undefined {
  return serverUnavailable ?? (E.isLeft(findJava(process.env)) ? 'no Java on PATH or in JAVA_HOME (Liquibase needs it)' : undefined)
}

export interface Unavailable {
  /** What the tests need, e.g. 'PostgreSQL and Java': the CI test is named '<needs> are available'. */
  readonly needs: string
  /** What the notice says is skipped, e.g. 'the Liquibase tests against PostgreSQL'. */
  readonly skipping: string
  /** The name of the skipped test that stands for them. */
  readonly skipped: string
}

/**
 * True when `unavailable` is undefined (declare the server's tests then). Otherwise false, after declaring in `suite`
 * what stands for them: under CI (CI set and not empty) a test that fails with the reason, elsewhere a notice and a
 * skipped test.
 */
export function serverTestsAvailable(suite: Test, unavailable: string | undefined, names: Unavailable): boolean {
  if (unavailable === undefined) return true
  if ((process.env['CI'] ?? '') !== '') {
    suite(`${names.needs} are available`, () => assert.unreachable(`${unavailable}, and CI is set`))
  } else {
    console.log(`\n  notice: ${unavailable}; skipping ${names.skipping} (set CI to make this a failure)\n`)
    suite.skip(names.skipped)
  }
  return false
}

export interface FixtureOptions<S> {
  /** The temp dir's name prefix (for mkdtemp in the OS temp dir), e.g. 'mitosis-schema-'. */
  readonly prefix: string
  /** Written into the temp dir before the server starts: file name -> content. */
  readonly files?: Readonly<Record<string, string>>
  /** Starts the server (startPostgres, startMariaDb); it is stopped in the suite's after hook. */
  readonly start: () => Promise<S>
}

export interface ServerFixture<S> {
  /** The temp dir holding `files`; set in the suite's before hook. */
  readonly dir: string
  /** The started server; set in the suite's before hook (reading it before then throws). */
  readonly server: S
}

/**
 * Hooks on `suite`: before all its tests, a temp dir with `files` in it and a started server; after them, the server
 * stopped and the dir removed. uvu reports a suite whose before hook throws as passed (0 of N run, exit 0), so what
 * goes wrong in the before hook is kept and fails every test instead (in a before.each hook).
 */
export function serverFixture<S extends { readonly stop: () => Promise<void> }>(suite: Test, options: FixtureOptions<S>): ServerFixture<S> {
  let dir = ''
  let server: S | undefined
  let failed = false
  let startError: unknown
  suite.before(async () => {
    try {
      dir = mkdtempSync(join(tmpdir(), options.prefix))
      for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content)
      server = await options.start()
    } catch (e) {
      failed = true
      startError = e
    }
  })
  suite.before.each(() => {
    if (failed) throw startError
  })
  suite.after(async () => {
    try {
      await server?.stop()
    } finally {
      if (dir !== '') rmSync(dir, { recursive: true, force: true })
    }
  })
  return {
    get dir() {
      return dir
    },
    get server() {
      if (server === undefined) throw new Error('the server is not started (the suite\'s before hook starts it)')
      return server
    },
  }
}

/** A throwaway database server a suite started (PostgreSQL, MariaDB): where to reach it, as whom, and how to stop it. */
export interface DatabaseServer {
  readonly host: string
  readonly port: number
  /** The database created for the test; `username` may do anything in it. */
  readonly database: string
  readonly username: string
  readonly password: string
  /** The temp dir: data/, the socket and the server log. */
  readonly dir: string
  /** Stops the server and removes the temp dir. Idempotent. */
  readonly stop: () => Promise<void>
}

/** What a suite may choose of the database it gets; defaults otherwise. */
export interface DatabaseOptions {
  readonly database?: string
  readonly username?: string
  readonly password?: string
}
