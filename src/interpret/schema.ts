/**
 * The schema step of a create: `liquibase update` with a changelog against a new database's writer endpoint.
 *
 * Liquibase is the real distribution shipped inside the npm package `liquibase` (with its JDBC drivers), run through
 * the same Shell as the hooks (its exec: `java -jar internal/lib/liquibase-core.jar update`, as the distribution's script
 * runs it, but with no shell, which an artifact image does not have), so its output streams line by line. The credentials, the JDBC URL and the changelog
 * travel in Liquibase's environment variables (LIQUIBASE_COMMAND_*), never on argv (which any user can read from
 * the process table); the password is scrubbed from every line streamed and from the error.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import { execVia, type Shell } from './capabilities.js'

export type SchemaEngine = 'postgres' | 'mysql'

export interface ChangelogTarget {
  readonly engine: SchemaEngine
  /** The writer endpoint. */
  readonly host: string
  readonly port: number
  readonly database: string
  readonly username: string
  readonly password: string
  /** A local changelog file (XML, YAML, JSON or formatted SQL). */
  readonly changelog: string
}

export interface ApplyChangelogOptions {
  /** Ends liquibase (its process group) when the run is interrupted. */
  readonly signal?: AbortSignal
  /** Kill Liquibase (and what it started) after this long. Default: one hour. */
  readonly timeoutMs?: number
  /**
   * Extra environment for Liquibase, over the process's (e.g. JAVA_HOME, JAVA_OPTS). Also where Java is looked
   * for: JAVA_HOME, else PATH, of this merged with process.env.
   */
  readonly env?: Readonly<Record<string, string>>
  /** The Liquibase distribution to run (a dir holding the `liquibase` script). Default: the installed npm package's. */
  readonly liquibaseHome?: string
}

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000
/** Lines of output kept to find the error in. */
const KEEP_LINES = 400

/** The JDBC URL of a database. MySQL goes through the MariaDB driver Liquibase ships (see liquibaseEnvironment). */
export function jdbcUrl(engine: SchemaEngine, host: string, port: number, database: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  const db = encodeURIComponent(database)
  switch (engine) {
    case 'postgres':
      return `jdbc:postgresql://${h}:${port}/${db}`
    case 'mysql':
      // Liquibase 4.28 ships no MySQL Connector/J (its licence), only MariaDB Connector/J 3, which speaks to MySQL
      // but takes a jdbc:mysql: URL only with permitMysqlScheme.
      return `jdbc:mysql://${h}:${port}/${db}?permitMysqlScheme`
  }
}

/** The dir of the Liquibase distribution inside the installed npm package `liquibase`. */
export function bundledLiquibaseHome(): string {
  const require = createRequire(import.meta.url)
  return join(dirname(require.resolve('liquibase/package.json')), 'dist', 'liquibase')
}

/**
 * Liquibase's environment for an update of `target`: the connection, the credentials and the changelog. The
 * changelog is named relative to its own dir (the search path), so the file name Liquibase records in
 * DATABASECHANGELOG does not depend on where the file happens to lie: the same changelog from another dir is still
 * a no-op the second time.
 */
export function liquibaseEnvironment(target: ChangelogTarget): Record<string, string> {
  const changelog = resolve(target.changelog)
  return {
    LIQUIBASE_COMMAND_URL: jdbcUrl(target.engine, target.host, target.port, target.database),
    LIQUIBASE_COMMAND_USERNAME: target.username,
    LIQUIBASE_COMMAND_PASSWORD: target.password,
    LIQUIBASE_SEARCH_PATH: dirname(changelog),
    LIQUIBASE_COMMAND_CHANGELOG_FILE: basename(changelog),
    ...(target.engine === 'mysql' ? { LIQUIBASE_COMMAND_DRIVER: 'org.mariadb.jdbc.Driver' } : {}),
    LIQUIBASE_SHOW_BANNER: 'false',
  }
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The java Liquibase's script will run (JAVA_HOME/bin/java, else java on PATH), or why there is none. */
export function findJava(env: Readonly<Record<string, string | undefined>>): E.Either<string, string> {
  const javaHome = env['JAVA_HOME']
  if (javaHome !== undefined && javaHome !== '') {
    const java = join(javaHome, 'bin', 'java')
    return isExecutable(java)
      ? E.right(java)
      : E.left(`Java not found: JAVA_HOME is ${javaHome} but ${java} is not an executable; Liquibase needs Java 11 or later`)
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue
    const java = join(dir, 'java')
    if (isExecutable(java)) return E.right(java)
  }
  return E.left('Java not found: Liquibase needs Java 11 or later on PATH or in JAVA_HOME (Debian: apt-get install openjdk-17-jre-headless)')
}

/** Replaces every occurrence of the secret (and its URL-encoded form) in a line. */
export function scrub(line: string, secret: string): string {
  if (secret === '') return line
  let out = line.split(secret).join('***')
  const encoded = encodeURIComponent(secret)
  if (encoded !== secret) out = out.split(encoded).join('***')
  return out
}

/**
 * The one line that says why Liquibase failed, from its output: its "Unexpected error running Liquibase: …" summary
 * (with the Reason line that follows when the summary ends in a colon), else the primary reason of its exception
 * details, else its last ERROR line, else its last line.
 */
export function liquibaseError(lines: ReadonlyArray<string>): string {
  const clean = lines.map((l) => l.trim())
  const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim()
  const summary = clean.findLastIndex((l) => l.startsWith('Unexpected error running Liquibase:'))
  if (summary >= 0) {
    let text = clean[summary]!.slice('Unexpected error running Liquibase:'.length).trim()
    if (text.endsWith(':') || text === '') {
      const next = clean.slice(summary + 1).find((l) => l !== '')
      if (next !== undefined) text = `${text} ${next}`
    }
    return oneLine(text)
  }
  const reason = clean.findLast((l) => l.startsWith('ERROR: Exception Primary Reason:'))
  if (reason !== undefined) return oneLine(reason.slice('ERROR: Exception Primary Reason:'.length))
  const error = clean.findLast((l) => /^(ERROR|SEVERE)\b/.test(l))
  if (error !== undefined) return oneLine(error)
  const last = clean.findLast((l) => l !== '')
  return last !== undefined ? oneLine(last) : 'no output'
}

/**
 * Runs `liquibase update` with the changelog against the database. Streams Liquibase's output (password scrubbed)
 * to onLine; resolves to one line saying why when it cannot run or fails, never with the password in it.
 */
export async function applyChangelog(
  target: ChangelogTarget,
  shell: Shell,
  onLine: (stream: 'stdout' | 'stderr', line: string) => void,
  options: ApplyChangelogOptions = {},
): Promise<E.Either<string, void>> {
  const changelog = resolve(target.changelog)
  try {
    if (!statSync(changelog).isFile()) return E.left(`changelog ${changelog} is not a file`)
  } catch {
    return E.left(`changelog ${changelog} does not exist`)
  }

  let home: string
  try {
    home = options.liquibaseHome ?? bundledLiquibaseHome()
  } catch {
    return E.left('Liquibase not found: the npm package `liquibase` is not installed (npm ci)')
  }
  // what the distribution's `liquibase` script does, without a shell (an artifact image has none): java -jar its core
  const core = join(home, 'internal', 'lib', 'liquibase-core.jar')
  if (!isFile(core)) return E.left(`Liquibase not found: ${core} is missing`)

  const extra = options.env ?? {}
  const merged = { ...process.env, ...extra }
  const java = findJava(merged)
  if (E.isLeft(java)) return java
  const javaOpts = (merged['JAVA_OPTS'] ?? '').split(/\s+/).filter((o) => o !== '')

  const password = target.password
  const kept: string[] = []
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const result = await execVia(shell)(
    java.right,
    [...javaOpts, '-jar', core, 'update'],
    { ...extra, LIQUIBASE_HOME: home, ...liquibaseEnvironment({ ...target, changelog }) },
    (stream, raw) => {
      const line = scrub(raw, password)
      kept.push(line)
      if (kept.length > KEEP_LINES) kept.shift()
      onLine(stream, line)
    },
    timeoutMs,
    options.signal,
  )
  if (result.timedOut) return E.left(`liquibase update timed out after ${Math.round(timeoutMs / 1000)} s and was killed`)
  if (result.code === 0) return E.right(undefined)
  const code = result.code === null ? 'killed' : `exit ${result.code}`
  return E.left(scrub(`liquibase update failed (${code}): ${liquibaseError(kept)}`, password))
}
