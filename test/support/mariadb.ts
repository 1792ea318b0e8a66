/**
 * Test support: a private MariaDB server (the MySQL-compatible server Debian ships) for one test file, in a temp
 * dir, on a free loopback port.
 *
 * mariadb-install-db + mariadbd from the server package (Debian's mariadb-server: /usr/bin and /usr/sbin, or under
 * MARIADB_PREFIX), run as the current user (with --user=root when that is root: mariadbd refuses root otherwise),
 * every option on the command line (--no-defaults: no /etc/mysql config, no system socket or port). The Unix socket
 * lives in the temp dir, TCP listens on 127.0.0.1 only; root logs in through the socket only (no password, no TCP
 * account) and the application user over TCP with its password. stop() is idempotent and also runs when the process
 * exits, so no server outlives the test process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, chmodSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { capture, freePort, isRoot, LOOPBACK, logTail, stopOnExit, type DatabaseOptions, type DatabaseServer } from './servers.js'

export interface MariaDb extends DatabaseServer {
  /**
   * Runs SQL (given on stdin) through the `mariadb` client as root over the socket; resolves to its stdout (tab
   * separated, no column names). Rejects with the client's message.
   */
  readonly mariadb: (sql: string, database?: string) => Promise<string>
}

/** The installation prefix: MARIADB_PREFIX, else Debian's /usr. */
export function mariadbPrefix(): string {
  return process.env['MARIADB_PREFIX'] ?? '/usr'
}

const TOOLS = {
  server: join('sbin', 'mariadbd'),
  installDb: join('bin', 'mariadb-install-db'),
  client: join('bin', 'mariadb'),
  admin: join('bin', 'mariadb-admin'),
} as const

const tool = (name: keyof typeof TOOLS): string => join(mariadbPrefix(), TOOLS[name])

/** Why a private server cannot be started here, or undefined when it can. */
export function mariadbUnavailable(): string | undefined {
  for (const name of Object.keys(TOOLS) as Array<keyof typeof TOOLS>) {
    try {
      accessSync(tool(name), constants.X_OK)
    } catch {
      return `${tool(name)} is missing (Debian: apt-get install mariadb-server, or set MARIADB_PREFIX to a MariaDB installation)`
    }
  }
  return undefined
}

/** Options that make every tool ignore the system's config files (they must come first). */
const NO_DEFAULTS = '--no-defaults'
/** mariadbd and mariadb-install-db refuse to run as root unless told to. */
const userOption = (): string[] => (isRoot() ? ['--user=root'] : [])

const sqlLiteral = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
const sqlIdent = (s: string): string => `\`${s.replace(/`/g, '``')}\``

/**
 * Starts a private server and creates `database` and `username` (who logs in from 127.0.0.1 with `password` and
 * may do anything in `database`). Throws with the tool's message (and the server log) when something fails; the
 * temp dir is removed then.
 */
export async function startMariaDb(options: DatabaseOptions = {}): Promise<MariaDb> {
  const database = options.database ?? 'mitosis_test'
  const username = options.username ?? 'mitosis_app'
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-${process.pid}`

  const dir = mkdtempSync(join(tmpdir(), 'mitosis-mariadb-'))
  chmodSync(dir, 0o700)
  const data = join(dir, 'data')
  const socket = join(dir, 'mariadbd.sock')
  const log = join(dir, 'server.log')
  const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC' }

  let server: ChildProcess | undefined
  const exited = (): boolean => server === undefined || server.exitCode !== null || server.signalCode !== null
  let stopped = false
  const stopSync = (): void => {
    if (stopped) return
    stopped = true
    forget()
    if (!exited()) server!.kill('SIGKILL') // a throwaway server: nothing to flush
    rmSync(dir, { recursive: true, force: true })
  }
  const forget = stopOnExit(dir, stopSync)

  const mariadb = async (sql: string, db = database): Promise<string> => {
    const r = await capture(tool('client'), [NO_DEFAULTS, `--socket=${socket}`, '--user=root', '--batch', '--skip-column-names', db], {
      env,
      input: sql,
    })
    if (r.code !== 0) throw new Error(`mariadb failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`)
    return r.stdout
  }

  let port = 0
  try {
    const install = await capture(
      tool('installDb'),
      [
        NO_DEFAULTS,
        ...userOption(),
        `--datadir=${data}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { env, timeoutMs: 120_000 },
    )
    if (install.code !== 0) throw new Error(`mariadb-install-db failed (exit ${install.code}): ${(install.stderr || install.stdout).trim()}`)

    // The port is free when probed but could be taken before the server binds it: retry with fresh ports.
    let lastError: Error | undefined
    for (let attempt = 0; attempt < 3; attempt++) {
      port = await freePort()
      rmSync(log, { force: true })
      const child = spawn(
        tool('server'),
        [
          NO_DEFAULTS,
          ...userOption(),
          `--datadir=${data}`,
          `--socket=${socket}`,
          `--port=${port}`,
          `--bind-address=${LOOPBACK}`,
          `--pid-file=${join(dir, 'mariadbd.pid')}`,
          `--log-error=${log}`,
          '--skip-name-resolve',
          '--character-set-server=utf8mb4',
          '--collation-server=utf8mb4_general_ci',
          '--innodb-buffer-pool-size=32M',
          '--innodb-flush-log-at-trx-commit=0',
          '--innodb-doublewrite=0',
        ],
        { env, stdio: 'ignore' },
      )
      child.unref() // the exit hook kills it if nobody stops it; it must not keep the test process alive
      let spawnError: Error | undefined
      child.on('error', (e) => (spawnError = e))
      server = child
      lastError = await ready(child, socket, env, () => spawnError)
      if (lastError === undefined) break
      if (!exited()) child.kill('SIGKILL')
      const serverLog = logTail(log)
      lastError = new Error(`${lastError.message}\n--- server log ---\n${serverLog}`)
      if (!/address already in use|bind on tcp\/ip port/i.test(serverLog)) break
    }
    if (lastError !== undefined) throw lastError

    // root over TCP (no password) goes; the application user logs in from the loopback address with its password
    await mariadb(
      [
        `DELETE FROM mysql.global_priv WHERE NOT (User = 'root' AND Host = 'localhost') AND User <> 'mariadb.sys';`,
        `FLUSH PRIVILEGES;`,
        `CREATE DATABASE ${sqlIdent(database)};`,
        `CREATE USER ${sqlLiteral(username)}@'%' IDENTIFIED BY ${sqlLiteral(password)};`,
        `GRANT ALL PRIVILEGES ON ${sqlIdent(database)}.* TO ${sqlLiteral(username)}@'%';`,
      ].join('\n'),
      'mysql',
    )
  } catch (e) {
    stopSync()
    throw e
  }

  return {
    host: LOOPBACK,
    port,
    database,
    username,
    password,
    dir,
    mariadb,
    stop: async () => {
      if (stopped) return
      // a clean shutdown (SIGTERM) for a moment, then the exit hook's SIGKILL
      if (!exited()) {
        const gone = new Promise<void>((resolve) => server!.once('exit', () => resolve()))
        server!.kill('SIGTERM')
        await Promise.race([gone, sleep(10_000)])
      }
      stopSync()
    },
  }
}

/** Waits until the server answers a ping over its socket; the error when it exits or does not within 60 s. */
async function ready(
  child: ChildProcess,
  socket: string,
  env: NodeJS.ProcessEnv,
  spawnError: () => Error | undefined,
): Promise<Error | undefined> {
  const deadline = Date.now() + 60_000
  let last = ''
  while (Date.now() < deadline) {
    const error = spawnError()
    if (error !== undefined) return new Error(`mariadbd could not be started: ${error.message}`)
    if (child.exitCode !== null || child.signalCode !== null) {
      return new Error(`mariadbd exited (${child.exitCode !== null ? `exit ${child.exitCode}` : child.signalCode}) before it was ready`)
    }
    const r = await capture(tool('admin'), [NO_DEFAULTS, `--socket=${socket}`, '--user=root', '--connect-timeout=2', 'ping'], {
      env,
      timeoutMs: 5_000,
    })
    if (r.code === 0) return undefined
    last = (r.stderr || r.stdout).trim()
    await sleep(100)
  }
  return new Error(`mariadbd was not ready after 60 s: ${last}`)
}
