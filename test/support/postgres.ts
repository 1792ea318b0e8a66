/**
 * Test support: a private PostgreSQL server for one test file, in a temp dir, on a free loopback port.
 *
 * initdb + pg_ctl from the server binaries (Debian's PostgreSQL 15 at /usr/lib/postgresql/15/bin, or PG_BIN), run as
 * the `postgres` user through runuser when this process is root (the server refuses to run as root), else as the
 * current user. The Unix socket lives in the temp dir (-k), TCP listens on 127.0.0.1 only, the superuser connects
 * through the socket (trust) and every TCP login needs a password (scram-sha-256). stop() is idempotent and also
 * runs when the process exits, so no server outlives the test process.
 */
import { spawnSync } from 'node:child_process'
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { capture, commandMissing, freePort, isRoot, LOOPBACK, logTail, stopOnExit, type DatabaseOptions, type DatabaseServer, type Ran } from './servers.js'

export interface Postgres extends DatabaseServer {
  /** Runs SQL through the server's own psql as the superuser (over the socket); resolves to psql's stdout (-At). */
  readonly psql: (sql: string, database?: string) => Promise<string>
}

const SERVICE_USER = 'postgres'

/** Where the server binaries are: PG_BIN, else Debian's PostgreSQL 15. */
export function postgresBin(): string {
  return process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin'
}

/** Why a private server cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  const bin = postgresBin()
  for (const tool of ['initdb', 'pg_ctl', 'postgres', 'psql']) {
    try {
      accessSync(join(bin, tool), constants.X_OK)
    } catch {
      return `${join(bin, tool)} is missing (Debian: apt-get install postgresql-15, or set PG_BIN to a PostgreSQL bin dir)`
    }
  }
  if (isRoot() && commandMissing('runuser')) return 'running as root, but runuser (util-linux) is not available to run the server as postgres'
  if (isRoot() && serviceUserMissing()) return `running as root, but there is no '${SERVICE_USER}' user to run the server as`
  return undefined
}

function serviceUserMissing(): boolean {
  return spawnSync('id', ['-u', SERVICE_USER], { stdio: 'ignore' }).status !== 0
}

/** argv that runs `tool args` as the server's user. */
function asServiceUser(tool: string, args: ReadonlyArray<string>): [string, string[]] {
  const path = join(postgresBin(), tool)
  return isRoot() ? ['runuser', ['-u', SERVICE_USER, '--', path, ...args]] : [path, [...args]]
}

function run(tool: string, args: ReadonlyArray<string>, timeoutMs = 30_000): Promise<Ran> {
  const [file, argv] = asServiceUser(tool, args)
  return capture(file, argv, { timeoutMs, env: { ...process.env, LC_ALL: 'C', PGTZ: 'UTC' } })
}

async function must(tool: string, args: ReadonlyArray<string>, what: string): Promise<string> {
  const r = await run(tool, args)
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`)
  return r.stdout
}

const sqlLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`
const sqlIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`

/**
 * Starts a private server and creates `database` owned by `username` (who logs in with `password`). Throws with the
 * tool's message (and the server log) when something fails; the temp dir is removed then.
 */
export async function startPostgres(options: DatabaseOptions = {}): Promise<Postgres> {
  const database = options.database ?? 'mitosis_test'
  const username = options.username ?? 'mitosis_app'
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-${process.pid}`

  const dir = mkdtempSync(join(tmpdir(), 'mitosis-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  if (isRoot()) {
    const uid = Number(spawnSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' }).stdout.trim())
    const gid = Number(spawnSync('id', ['-g', SERVICE_USER], { encoding: 'utf8' }).stdout.trim())
    chownSync(dir, uid, gid)
  }
  chmodSync(dir, 0o700)

  let stopped = false
  let started = false
  const stopSync = (): void => {
    if (stopped) return
    stopped = true
    forget()
    if (started) {
      const [file, argv] = asServiceUser('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10'])
      spawnSync(file, argv, { stdio: 'ignore', timeout: 15_000 })
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const forget = stopOnExit(dir, stopSync)

  const socket = dir
  const psql = async (sql: string, db = database): Promise<string> =>
    must('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', socket, '-p', String(port), '-U', 'postgres', '-d', db, '-c', sql], 'psql')

  let port = 0
  try {
    await must(
      'initdb',
      ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C'],
      'initdb',
    )
    // The port is free when probed but could be taken before the server binds it: retry with fresh ports.
    let lastError: Error | undefined
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      port = await freePort()
      const serverOptions = `-p ${port} -k ${socket} -c listen_addresses=${LOOPBACK} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`
      const r = await run('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '30', '-o', serverOptions])
      if (r.code === 0) {
        started = true
        break
      }
      // pg_ctl may have left a server that came up late: stop it before trying another port
      const [file, argv] = asServiceUser('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10'])
      spawnSync(file, argv, { stdio: 'ignore', timeout: 15_000 })
      const serverLog = logTail(log)
      lastError = new Error(`pg_ctl start failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}\n--- server log ---\n${serverLog}`)
      if (!/address already in use|could not bind/i.test(serverLog)) break
      writeFileSync(log, '')
    }
    if (!started) throw lastError ?? new Error('pg_ctl start failed')
    await psql(`CREATE ROLE ${sqlIdent(username)} LOGIN PASSWORD ${sqlLiteral(password)}`, 'postgres')
    await psql(`CREATE DATABASE ${sqlIdent(database)} OWNER ${sqlIdent(username)}`, 'postgres')
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
    psql,
    stop: async () => stopSync(),
  }
}
